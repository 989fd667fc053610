import jwt from 'jsonwebtoken';
import { parseArgs } from 'node:util';
import { ConfigError, loadConfig } from '../lib/config';

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
  const config = loadConfig();
  if (!config.jwt.signingSecret) {
    process.stderr.write('JWT_PUBLIC_KEY is set: tokens must come from the identity provider that holds the private key\n');
    process.exit(1);
  }
  const token = jwt.sign({ sub: values.sub, roles: values.admin ? ['admin'] : [] }, config.jwt.signingSecret, {
    algorithm: 'HS256',
    expiresIn: values.ttl as jwt.SignOptions['expiresIn'],
    ...(config.jwt.issuer ? { issuer: config.jwt.issuer } : {}),
    ...(config.jwt.audience ? { audience: config.jwt.audience } : {}),
  });
  process.stdout.write(`${token}\n`);
}

try {
  main();
} catch (err) {
  if (err instanceof ConfigError) {
    for (const problem of err.problems) process.stderr.write(`config error: ${problem}\n`);
  } else {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  }
  process.exit(1);
}
