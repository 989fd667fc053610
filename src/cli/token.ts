import { parseArgs } from 'node:util';
import { loadConfigOrExit } from '../lib/config';
import { signDevToken } from './dev-token';

/**
 * Prints a token signed with the configured HS256 secret (in development the one generated
 * under ./data), for Apollo Sandbox and curl:  npm run -s token -- --sub alice [--admin]
 */
function main(): void {
  const { values } = parseArgs({
    options: {
      sub: { type: 'string' },
      admin: { type: 'boolean', default: false },
      ttl: { type: 'string', default: '12h' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || !values.sub) {
    process.stderr.write('usage: npm run -s token -- --sub <user> [--admin] [--ttl 12h]\n');
    process.exit(values.help ? 0 : 2);
  }
  const config = loadConfigOrExit();
  if (config.jwt.source !== 'secret') {
    const source = config.jwt.source === 'jwks' ? 'JWT_JWKS_URI' : 'JWT_PUBLIC_KEY';
    process.stderr.write(
      `${source} is set: this service only verifies tokens; get one from the identity provider that holds the private key\n`,
    );
    process.exit(1);
  }
  const token = signDevToken(config.jwt, values.sub, { admin: values.admin, ttl: values.ttl });
  process.stdout.write(`${token}\n`);
}

try {
  main();
} catch (err) {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
}
