/**
 * How one variable's text becomes a value. A parser reports what is wrong in a line the operator
 * can act on (naming the variable, never echoing a secret) and returns undefined, so the
 * variable's default stands in and no second, misleading problem follows; a few return a stand-in
 * of their own where the default would change which other variables are read.
 */
import { isIP } from 'node:net';
import path from 'node:path';
import { classify, parseAddress, parseAllowEntry } from '../../outbound/address-policy';
import { LOG_LEVELS, type AddressRange, type DatabaseLocation, type LogLevel, type NodeEnv, type SharingPolicy } from './types';

export type Report = (problem: string) => void;

export interface Parser<T> {
  /** `raw` is never empty (an empty variable is unset). */
  parse(raw: string, name: string, report: Report): T | undefined;
  /** The values allowed, for the reference: `integer, 1 to 100`. */
  allowed?: string;
}

export const text: Parser<string> = { parse: (raw) => raw };
export const trimmed: Parser<string> = { parse: (raw) => raw.trim() };

export const nodeEnv: Parser<NodeEnv> = {
  // Anything else is development: the safe defaults for production are opt-in by name.
  parse: (raw) => (raw === 'production' ? 'production' : raw === 'test' ? 'test' : 'development'),
  allowed: '`development`, `production` or `test`',
};

export function int(min: number, max: number): Parser<number> {
  return {
    parse(raw, name, report) {
      const value = Number(raw);
      if (Number.isInteger(value) && value >= min && value <= max) return value;
      report(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return undefined;
    },
    allowed: `integer, ${min} to ${max}`,
  };
}

export const port: Parser<number> = {
  parse(raw, name, report) {
    const value = Number(raw);
    if (Number.isInteger(value) && value >= 0 && value <= 65535) return value;
    report(`${name} must be an integer 0..65535, got "${raw}"`);
    return undefined;
  },
  allowed: 'integer, 0 to 65535, 0 picks a free one',
};

export function intAtLeast(min: number): Parser<number> {
  return {
    parse(raw, name, report) {
      const value = Number(raw);
      if (Number.isInteger(value) && value >= min) return value;
      report(`${name} must be an integer >= ${min}`);
      return undefined;
    },
    allowed: `integer, at least ${min}`,
  };
}

export function seconds(min: number, max: number): Parser<number> {
  return {
    parse(raw, name, report) {
      const value = Number(raw);
      if (Number.isFinite(value) && value >= min && value <= max) return value;
      report(`${name} must be a number of seconds between ${min} and ${max}`);
      return undefined;
    },
    allowed: `seconds, ${min} to ${max}`,
  };
}

export const bool: Parser<boolean> = {
  parse(raw, name, report) {
    if (/^(1|true|yes|on)$/i.test(raw)) return true;
    if (/^(0|false|no|off)$/i.test(raw)) return false;
    report(`${name} must be true or false, got "${raw}"`);
    return undefined;
  },
  allowed: '`true` or `false` (or `on`/`off`, `yes`/`no`, `1`/`0`)',
};

export const sharing: Parser<SharingPolicy> = {
  parse(raw, name, report) {
    if (raw === 'admins' || raw === 'owners') return raw;
    report(`${name} must be "admins" or "owners", got "${raw}"`);
    return undefined;
  },
};

export const logLevel: Parser<LogLevel> = {
  parse(raw, name, report) {
    const wanted = raw.trim().toLowerCase();
    const level = LOG_LEVELS.find((candidate) => candidate === wanted);
    if (!level) report(`${name} must be one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(raw.slice(0, 32))}`);
    return level;
  },
};

/** A directory, made absolute against the working directory of the process. */
export const directory: Parser<string> = { parse: (raw) => path.resolve(raw) };

/** Comma- or space-separated names, in order. */
export const words: Parser<string[]> = {
  parse: (raw) =>
    raw
      .trim()
      .split(/[\s,]+/)
      .filter(Boolean),
};

const DB_CHOICES = 'use file:<path> for SQLite (e.g. file:./data/models.db) or postgresql://user:password@host:5432/database';

export const databaseUrl: Parser<DatabaseLocation> = {
  parse(raw, name, report) {
    if (raw.startsWith('file:')) {
      const filePath = raw.slice('file:'.length).replace(/\?.*$/, '');
      if (!filePath) report(`${name} "file:" needs a path, e.g. file:./data/models.db`);
      return { provider: 'sqlite', url: `file:${filePath}`, sqlitePath: path.resolve(filePath) };
    }
    if (/^postgres(ql)?:\/\//.test(raw)) {
      try {
        new URL(raw);
      } catch {
        // Never echo it: it may hold a password.
        report(`${name} is not a valid postgresql:// URL (are special characters in the password percent-encoded?)`);
      }
      return { provider: 'postgresql', url: raw };
    }
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]{0,19}):/.exec(raw)?.[1];
    report(
      scheme
        ? `${name}: unsupported scheme "${scheme}:"; ${DB_CHOICES}`
        : `${name} has no scheme (like file: or postgresql://); ${DB_CHOICES}`,
    );
    return { provider: 'sqlite', url: 'file:./data/models.db' };
  },
};

/** A stand-in, not undefined: a bad URI still means "keys come from an IdP", not "from a secret". */
export const jwksUri: Parser<URL> = {
  parse(raw, name, report) {
    const standIn = new URL('https://jwks.invalid/');
    let uri: URL;
    try {
      uri = new URL(raw);
    } catch {
      report(`${name} must be an absolute http(s) URL, e.g. https://idp.example.com/.well-known/jwks.json`);
      return standIn;
    }
    if (uri.protocol !== 'https:' && uri.protocol !== 'http:') {
      report(`${name} must be an http(s) URL`);
      return standIn;
    }
    // fetch() refuses such URLs at the first token; better to say so at start-up.
    if (uri.username || uri.password) {
      report(`${name} must not contain credentials (user:password@)`);
      return standIn;
    }
    return uri;
  },
};

const CORS_ORIGIN = /^(https?):\/\/([a-z0-9.-]+|\[[0-9a-f:.]+\])(:(\d{1,5}|\*))?$/;

export const corsOrigins: Parser<string[]> = {
  parse(raw, name, report) {
    const trimmed = raw.trim();
    if (trimmed.toLowerCase() === 'none') return [];
    const origins: string[] = [];
    for (const entry of trimmed
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)) {
      const origin = entry.toLowerCase();
      if (origin !== '*' && !CORS_ORIGIN.test(origin)) {
        // A browser's Origin never has a path or a trailing slash: such an entry would never match.
        report(`${name}: ${JSON.stringify(entry.slice(0, 100))} is not an origin (scheme://host[:port], scheme://host:* or *)`);
        continue;
      }
      if (!origins.includes(origin)) origins.push(origin);
    }
    return origins;
  },
};

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const PROXY_HOPS = int(0, 10);

export const trustProxy: Parser<false | number | string[]> = {
  parse(raw, name, report) {
    const trimmed = raw.trim();
    if (/^(0|false|no|off)$/i.test(trimmed)) return false;
    if (/^\d+$/.test(trimmed)) return PROXY_HOPS.parse(raw, name, report) || false;
    if (/^(true|yes|on)$/i.test(trimmed)) {
      // Trusting every hop lets any client pick its own address, and so its own rate-limit bucket.
      report(`${name}=true would trust X-Forwarded-For from anyone: give the number of proxies or their addresses`);
      return false;
    }
    const entries = trimmed
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean);
    for (const entry of entries) {
      const [address, bits, ...rest] = entry.split('/');
      const valid =
        PROXY_NAMES.has(entry) || (isIP(address ?? '') !== 0 && rest.length === 0 && (bits === undefined || /^\d{1,3}$/.test(bits)));
      if (!valid) report(`${name}: ${JSON.stringify(entry.slice(0, 100))} is not an address, subnet or loopback/linklocal/uniquelocal`);
    }
    return entries;
  },
};

export const redisPrefix: Parser<string> = {
  parse(raw, name, report) {
    if (/^\S{1,100}$/.test(raw)) return raw;
    report(`${name} must be 1 to 100 characters without spaces`);
    return raw;
  },
};

export const redisUrl: Parser<string> = {
  parse(raw, name, report) {
    const url = raw.trim();
    let ok = false;
    try {
      ok = ['redis:', 'rediss:'].includes(new URL(url).protocol);
    } catch {
      ok = false;
    }
    // Never echo the URL: it may carry a password.
    if (!ok) report(`${name} must be a redis:// or rediss:// URL`);
    return url;
  },
};

export const metricsToken: Parser<string> = {
  parse(raw, name, report) {
    // Never echo the token, even a refused one.
    if (!/^[\x21-\x7e]{16,512}$/.test(raw)) {
      report(`${name} must be 16 to 512 printable characters without spaces (e.g. \`openssl rand -hex 24\`)`);
    }
    return raw;
  },
};

export const addressRanges: Parser<AddressRange[]> = {
  parse(raw, name, report) {
    const allow: AddressRange[] = [];
    for (const entry of raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)) {
      const [address = '', bits, ...rest] = entry.split('/');
      const version = isIP(address);
      const max = version === 6 ? 128 : 32;
      const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
      if (version === 0 || rest.length > 0 || !(prefix >= 0 && prefix <= max)) {
        report(`${name}: ${JSON.stringify(entry.slice(0, 100))} is not an IP address or subnet (10.0.0.0/8, ::1)`);
        continue;
      }
      allow.push({ address, prefix, family: version === 6 ? 'ipv6' : 'ipv4' });
    }
    return allow;
  },
};

/**
 * OUTBOUND_ALLOW: hostnames, addresses or CIDRs. A single address that nothing can allow (the
 * metadata address, 0.0.0.0, multicast) is refused here, so nobody believes it was allowed.
 */
export const outboundAllow: Parser<string[]> = {
  parse(raw, name, report) {
    const entries: string[] = [];
    for (const entry of raw
      .split(',')
      .map((item) => item.trim())
      .filter(Boolean)) {
      const shown = JSON.stringify(entry.slice(0, 100));
      const parsed = parseAllowEntry(entry);
      if ('problem' in parsed) {
        report(`${name}: ${shown} ${parsed.problem}`);
        continue;
      }
      const address = parseAddress(entry);
      const cls = address ? classify(address) : undefined;
      if (cls?.kind === 'always') {
        report(`${name}: ${shown} is ${cls.what}; it is always refused and cannot be allowed`);
        continue;
      }
      if (!entries.includes(entry)) entries.push(entry);
    }
    return entries;
  },
};
