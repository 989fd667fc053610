/**
 * Configuration: one table of environment variables (./variables.ts), read by the loader
 * (./load.ts), printed by `--help` and rendered into docs/config.md (./reference.ts).
 */
import { loadConfig } from './load';
import { ConfigError, type Config } from './types';

export * from './types';
export { loadConfig, readConfig, type ConfigReading } from './load';
export { SECRET_FILE_VARIABLES, VARIABLES, type VariableName } from './variables';
export { renderHelp } from './reference';

export { PROJECT_ROOT } from '../paths';

/**
 * The configuration, or, when it has problems, one `config error: ...` line per problem on stderr
 * and exit code 1: what every entry point (the server and the CLIs) does with a bad environment.
 */
export function loadConfigOrExit(env: Record<string, string | undefined> = process.env): Config {
  try {
    return loadConfig(env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    for (const problem of err.problems) process.stderr.write(`config error: ${problem}\n`);
    process.exit(1);
  }
}
