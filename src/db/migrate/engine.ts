// Prisma's schema engine as WebAssembly: loaded once per process, driven one session at a time.
//
// The Prisma 7 CLI downloads a native schema engine for `migrate *` / `db push`, which this
// project cannot rely on. The same engine also ships as WebAssembly
// (node_modules/prisma/build/schema_engine_bg.wasm, the exact engine of the installed CLI); it is
// driven here through the JS glue of `@prisma/schema-engine-wasm` and a driver adapter.

import * as fs from 'node:fs';
import * as path from 'node:path';
import { bindMigrationAwareSqlAdapterFactory, type SqlMigrationAwareDriverAdapterFactory } from '@prisma/driver-adapter-utils';
import type { SchemaEngine, SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { TrackingAdapterFactory } from './adapters';
import { MigrationError, messageOf, type MigrationLog } from './errors';

/** No external tables or enums: the engine manages the whole schema. */
export const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

type Glue = typeof import('@prisma/schema-engine-wasm/schema_engine_bg');

const GLUE_ID = '@prisma/schema-engine-wasm/schema_engine_bg';

interface PanicRegistry {
  set_message(message: string): void;
}

let lastPanic: string | undefined;
let poisoned: string | undefined;
let gluePromise: Promise<Glue> | undefined;

/** The wasm must be instantiated only once per process: loading it twice corrupts its memory. */
function loadEngine(): Promise<Glue> {
  gluePromise ??= instantiateEngine().catch((err: unknown) => {
    gluePromise = undefined;
    throw new MigrationError(`cannot load Prisma's schema engine (WebAssembly): ${messageOf(err)}`, undefined, {
      cause: err,
    });
  });
  return gluePromise;
}

async function instantiateEngine(): Promise<Glue> {
  const g = globalThis as Record<string, unknown>;
  // The glue reports Rust panics here before the wasm traps. A panic inside the engine's async
  // code surfaces as an uncaught `RuntimeError: unreachable` (the pending promise never settles
  // and the process dies), so the reason is printed right away.
  if (g.PRISMA_WASM_PANIC_REGISTRY === undefined) {
    const registry: PanicRegistry = {
      set_message(message: string) {
        lastPanic = message;
        process.stderr.write(`Prisma schema engine (wasm) panicked: ${message}\n`);
      },
    };
    Object.defineProperty(g, 'PRISMA_WASM_PANIC_REGISTRY', { value: registry, configurable: true, writable: true });
  }
  const glue = requireGlue();
  const wasmPath = path.join(path.dirname(require.resolve('prisma/package.json')), 'build', 'schema_engine_bg.wasm');
  const bytes = await fs.promises.readFile(wasmPath);
  const { instance } = await webAssembly().instantiate(bytes, { './schema_engine_bg.js': engineImports(glue) });
  glue.__wbg_set_wasm(instance.exports);
  (instance.exports.__wbindgen_start as () => void)();
  return glue;
}

/**
 * Timers the engine set (through the glue's `setTimeout` import) that have not fired yet. The
 * engine never clears them: e.g. the 10 s timeout racing its `pg_advisory_lock(72707369)` stays
 * pending after the lock is granted and would keep a finished CLI alive for 10 s. They are
 * unref'd when the engine session ends (not before: an engine sleep must keep the process up).
 */
const pendingEngineTimers = new Set<ReturnType<typeof setTimeout>>();

function engineImports(glue: Glue): Record<string, unknown> {
  const imports: Record<string, unknown> = { ...glue };
  for (const name of Object.keys(imports)) {
    if (!name.startsWith('__wbg_setTimeout_')) continue;
    imports[name] = (callback: () => void, ms: number) => {
      const timer = setTimeout(() => {
        pendingEngineTimers.delete(timer);
        callback();
      }, ms >>> 0);
      pendingEngineTimers.add(timer);
      return timer;
    };
  }
  return imports;
}

function releaseEngineTimers(): void {
  for (const timer of pendingEngineTimers) timer.unref();
  pendingEngineTimers.clear();
}

/** The bits of the WebAssembly global used here (@types/node 20 does not declare it). */
interface WebAssemblyApi {
  instantiate(bytes: Uint8Array, imports: Record<string, object>): Promise<{ instance: { exports: Record<string, unknown> } }>;
  RuntimeError: abstract new (...args: never[]) => Error;
}

function webAssembly(): WebAssemblyApi {
  return (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;
}

/** A CommonJS `module`-like object for the glue, which calls `module.require('crypto')`. */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- runtime require for the wasm glue
const moduleShim = { require: (id: string): unknown => require(id) };

function requireGlue(): Glue {
  let glue: Glue;
  try {
    // The glue is an ES module; Node >= 20.19 can require() it.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- see above
    glue = require(GLUE_ID) as Glue;
  } catch (err) {
    if ((err as { code?: unknown }).code !== 'ERR_REQUIRE_ESM') throw err;
    // Environments without require(esm) (e.g. Jest's module system on Node 20): evaluate the glue
    // source as a function. It has no imports and only `export function` / `export class`.
    return evaluateGlueSource(require.resolve(GLUE_ID));
  }
  // As an ES module the glue looks `module` up as a global (when it needs random bytes).
  const g = globalThis as Record<string, unknown>;
  if (g.module === undefined) {
    Object.defineProperty(g, 'module', { value: moduleShim, configurable: true, writable: true });
  }
  return glue;
}

function evaluateGlueSource(file: string): Glue {
  const names: string[] = [];
  const source = fs
    .readFileSync(file, 'utf8')
    .replace(/^export (function|class) ([A-Za-z_$][\w$]*)/gm, (_m, kind: string, name: string) => {
      names.push(name);
      return `${kind} ${name}`;
    });
  if (/^\s*(export|import)\b/m.test(source)) {
    throw new Error(`unexpected module syntax in ${file}`);
  }
  const body = `${source}\nreturn { ${names.join(', ')} };`;
  const factory = new Function('module', body) as (module: unknown) => Glue;
  return factory(moduleShim);
}
// Running the engine

let queue: Promise<unknown> = Promise.resolve();

/** Engine sessions run one at a time (one wasm instance, one panic registry). */
function serialized<T>(task: () => Promise<T>): Promise<T> {
  const run = queue.then(task, task);
  queue = run.catch(() => undefined);
  return run;
}

interface EngineSession {
  factory: SqlMigrationAwareDriverAdapterFactory;
  /** Schema files handed to the engine at construction; undefined when there is none. */
  datamodels?: [string, string][];
  log?: MigrationLog;
}

export function withEngine<T>(session: EngineSession, fn: (engine: SchemaEngine) => Promise<T>): Promise<T> {
  return serialized(async () => {
    if (poisoned !== undefined) {
      throw new MigrationError(`the schema engine crashed earlier in this process (${poisoned}); restart the process`);
    }
    const glue = await loadEngine();
    const tracking = new TrackingAdapterFactory(session.factory);
    const log = session.log;
    const onLog = (message: unknown): void => {
      if (log) log(`schema-engine: ${(typeof message === 'string' ? message : JSON.stringify(message)).trim()}`);
    };
    let engine: SchemaEngine | undefined;
    try {
      // `datamodels: []` makes the engine panic: undefined means "no schema".
      engine = await glue.SchemaEngine.new({ datamodels: session.datamodels }, onLog, bindMigrationAwareSqlAdapterFactory(tracking));
      return await fn(engine);
    } catch (err) {
      throw engineError(err);
    } finally {
      try {
        engine?.free();
      } catch {
        // nothing more to release on the wasm side (e.g. after a panic)
      }
      // free() does not close the connections the factory opened; on SQLite they hold an
      // EXCLUSIVE lock until closed.
      await tracking.disposeAll();
      releaseEngineTimers();
    }
  });
}

export function engineError(err: unknown): MigrationError {
  if (err instanceof MigrationError) return err;
  if (err instanceof webAssembly().RuntimeError || lastPanic !== undefined) {
    const panic = lastPanic ?? messageOf(err);
    lastPanic = undefined;
    poisoned = panic;
    return new MigrationError(`the schema engine panicked: ${panic}`, undefined, { cause: err });
  }
  const e = err as { message?: unknown; error_code?: unknown; code?: unknown; meta?: unknown };
  const code = typeof e?.error_code === 'string' ? e.error_code : typeof e?.code === 'string' ? e.code : undefined;
  const message = messageOf(err).trim();
  return new MigrationError(code && !message.includes(code) ? `${code}: ${message}` : message, code, { cause: err });
}

/** Set once the engine panicked: its wasm memory cannot be trusted for the rest of the process. */
export function enginePoisoned(): boolean {
  return poisoned !== undefined;
}
