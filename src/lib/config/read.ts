/**
 * Reading the environment through the table: `NAME_FILE` secrets merged in first, then each
 * variable parsed by its own parser, unset ones taking their default for this NODE_ENV.
 */
import fs from 'node:fs';
import type { Report } from './parsers';
import type { NodeEnv } from './types';
import { SECRET_FILE_VARIABLES, defaultFor, secretFilePlaceholder, variable, type ValueOf, type VariableName } from './variables';

export type Env = Record<string, string | undefined>;

export class VariableReader {
  readonly nodeEnv: NodeEnv;
  /** Every variable asked for, so a test can hold the table and the loader to each other. */
  readonly read = new Set<VariableName>();
  readonly report: Report;

  constructor(
    private readonly env: Env,
    problems: string[],
  ) {
    this.report = (problem) => problems.push(problem);
    this.nodeEnv = 'development';
    this.nodeEnv = this.get('NODE_ENV');
  }

  /** Set: present and not empty (not only whitespace, for variables declared `trim`). */
  isSet(name: VariableName): boolean {
    this.read.add(name);
    const raw = this.env[name];
    return raw !== undefined && (variable(name).trim ? raw.trim() : raw) !== '';
  }

  get<N extends VariableName>(name: N): ValueOf<N> {
    const { parser } = variable(name);
    if (this.isSet(name)) {
      const value = parser.parse(this.env[name]!, name, this.report);
      if (value !== undefined) return value as ValueOf<N>;
    }
    const fallback = defaultFor(name, this.nodeEnv);
    if (fallback === undefined) return undefined as ValueOf<N>;
    // test/config.test.ts parses every default in every environment; this cannot be reached.
    return parser.parse(fallback, name, (problem) => {
      throw new Error(`the default of ${name} is refused by its own parser: ${problem}`);
    }) as ValueOf<N>;
  }
}

/* ------------------------------------------------------------------ secrets as files */

/** A secret file larger than this is the wrong file (a key is well under 10 KiB). */
const MAX_SECRET_FILE_BYTES = 64 * 1024;

const FILE_ERRORS: Record<string, string> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a parent is not a directory',
  ELOOP: 'too many symbolic links',
};

export interface MergedSecrets {
  env: Env;
  /** Variable → the `_FILE` variable its value came from. */
  fromFile: Map<string, string>;
  /** Variables whose file could not be used (already reported). */
  failed: Set<string>;
}

/**
 * Reads each `NAME_FILE` into NAME, the way Docker and Kubernetes mount secrets, so they stay out
 * of the environment (and out of `ps e`, crash dumps). Problems name the variable, the path and
 * the error code, never a byte of the content.
 */
export function readSecretFiles(env: Env, problems: string[]): MergedSecrets {
  const merged: Env = { ...env };
  const fromFile = new Map<string, string>();
  const failed = new Set<string>();
  for (const name of SECRET_FILE_VARIABLES) {
    const fileVariable = `${name}_FILE`;
    const file = env[fileVariable];
    if (!file) continue;
    if (env[name]) {
      problems.push(`${name} and ${fileVariable} are both set: set one of them`);
      failed.add(name);
      continue;
    }
    const shown = JSON.stringify(file.slice(0, 200));
    let content: string | undefined;
    try {
      const fd = fs.openSync(file, 'r');
      try {
        const stat = fs.fstatSync(fd);
        if (!stat.isFile()) problems.push(`${fileVariable}: ${shown} is not a regular file`);
        else if (stat.size > MAX_SECRET_FILE_BYTES) problems.push(`${fileVariable}: ${shown} is larger than 64 KiB, not a key file`);
        else content = fs.readFileSync(fd, 'utf8');
      } finally {
        fs.closeSync(fd);
      }
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code ?? 'EIO';
      const reason = FILE_ERRORS[code];
      problems.push(`${fileVariable}: cannot read ${shown} (${code}${reason ? `, ${reason}` : ''})`);
    }
    // Mounted secrets usually end with a newline the secret itself does not have.
    let value = content?.replace(/[\r\n]+$/, '');
    if (value !== undefined && value.trim() === '') {
      problems.push(`${fileVariable}: ${shown} is empty`);
      value = undefined;
    }
    if (value === undefined) {
      failed.add(name);
      merged[name] = secretFilePlaceholder(name);
      continue;
    }
    const fromFileForm = variable(name).secretFile?.fromFile;
    merged[name] = fromFileForm ? fromFileForm(value) : value;
    fromFile.set(name, fileVariable);
  }
  return { env: merged, fromFile, failed };
}

/**
 * Problems found after the files were read: those about a variable whose file failed are echoes of
 * that failure (already reported) and are dropped; those about a value read from a file say so.
 */
export function attributeToFiles(problems: string[], firstLater: number, secrets: MergedSecrets): string[] {
  const mentions = (problem: string, name: string) => new RegExp(`\\b${name}\\b`).test(problem);
  return problems.flatMap((problem, index) => {
    if (index < firstLater) return [problem];
    if ([...secrets.failed].some((name) => mentions(problem, name))) return [];
    for (const [name, fileVariable] of secrets.fromFile) {
      if (mentions(problem, name)) return [problem.replace(new RegExp(`\\b${name}\\b`), `${name} (from ${fileVariable})`)];
    }
    return [problem];
  });
}
