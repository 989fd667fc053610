/**
 * Which addresses the gateway may call on a user's behalf (SSRF defence). The user picks the base
 * URL; without this, a model's base_url of `http://169.254.169.254/...` would make the gateway read
 * the cloud's instance credentials, or `http://10.0.0.5:6379/` poke an internal service, and the
 * reply (or its error text) would come back to the user.
 *
 * Three classes:
 * - always refused: link-local (cloud metadata lives there), the unspecified address, multicast,
 *   broadcast, reserved and documentation ranges, deprecated IPv6 forms. Nothing can allow them.
 * - internal: loopback, private, CGNAT, unique-local IPv6. Reachable in development and test (a
 *   local Ollama); in production only when OUTBOUND_ALLOW lists the address, a CIDR holding it,
 *   or the hostname that resolved to it.
 * - public: everything else that is ordinary unicast.
 * IPv6 forms that carry an IPv4 address (mapped, NAT64, 6to4) are judged by that IPv4 address.
 */
import ipaddr from 'ipaddr.js';

type Address = ipaddr.IPv4 | ipaddr.IPv6;

export type AddressClass = { kind: 'public' } | { kind: 'internal'; what: string } | { kind: 'always'; what: string };

const V4_INTERNAL: Record<string, string> = {
  loopback: 'a loopback address',
  private: 'a private address',
  carrierGradeNat: 'a carrier-grade NAT (shared) address',
};
const V4_ALWAYS: Record<string, string> = {
  linkLocal: 'a link-local address (cloud metadata services live there)',
  unspecified: 'the unspecified address',
  broadcast: 'the broadcast address',
  multicast: 'a multicast address',
  reserved: 'a reserved address',
};
const V4_PUBLIC = new Set(['unicast', 'as112', 'amt']);

/** The AWS metadata service over IPv6: inside fc00::/7, but never an internal service anyone means to call. */
const AWS_METADATA_V6 = ipaddr.parse('fd00:ec2::254');

function classifyV4(address: ipaddr.IPv4): AddressClass {
  const range = address.range();
  if (V4_PUBLIC.has(range)) return { kind: 'public' };
  if (range in V4_INTERNAL) return { kind: 'internal', what: V4_INTERNAL[range]! };
  return { kind: 'always', what: V4_ALWAYS[range] ?? `a special-purpose address (${range})` };
}

/** The IPv4 address inside an IPv6 form that carries one, if this is such a form. */
function embeddedV4(address: ipaddr.IPv6): ipaddr.IPv4 | undefined {
  const range = address.range();
  const bytes = address.toByteArray();
  if (range === 'ipv4Mapped' || range === 'rfc6145' || range === 'rfc6052') {
    return new ipaddr.IPv4(bytes.slice(12, 16));
  }
  // 6to4: 2002:AABB:CCDD::/48 routes to AA.BB.CC.DD.
  if (range === '6to4') return new ipaddr.IPv4(bytes.slice(2, 6));
  return undefined;
}

function classifyV6(address: ipaddr.IPv6): AddressClass {
  const v4 = embeddedV4(address);
  if (v4) return classifyV4(v4);
  const range = address.range();
  if (range === 'unspecified') return { kind: 'always', what: 'the unspecified address' };
  if (range === 'loopback') return { kind: 'internal', what: 'a loopback address' };
  if (address.toNormalizedString() === AWS_METADATA_V6.toNormalizedString()) {
    return { kind: 'always', what: 'the cloud metadata address' };
  }
  if (range === 'linkLocal') return { kind: 'always', what: 'a link-local address (cloud metadata services live there)' };
  if (range === 'multicast') return { kind: 'always', what: 'a multicast address' };
  if (range === 'uniqueLocal') return { kind: 'internal', what: 'a unique-local (private) address' };
  // ::a.b.c.d (IPv4-compatible, deprecated): ipaddr.js calls it unicast, nothing legitimate uses it.
  const parts = address.parts;
  if (parts.slice(0, 6).every((part) => part === 0)) return { kind: 'always', what: 'an IPv4-compatible IPv6 address (deprecated)' };
  if (range === 'unicast') return { kind: 'public' };
  return { kind: 'always', what: `a special-purpose address (${range})` };
}

export function classify(address: Address): AddressClass {
  return address.kind() === 'ipv4' ? classifyV4(address as ipaddr.IPv4) : classifyV6(address as ipaddr.IPv6);
}

/** An IP literal, as the URL or the resolver gives it (brackets allowed), or undefined. */
export function parseAddress(text: string): Address | undefined {
  const bare = text.startsWith('[') && text.endsWith(']') ? text.slice(1, -1) : text;
  // isValidFourPartDecimal / IPv6: no octal or hex guessing here; WHATWG URL already normalized the URL's host.
  if (ipaddr.IPv4.isValidFourPartDecimal(bare)) return ipaddr.IPv4.parse(bare);
  if (ipaddr.IPv6.isValid(bare)) return ipaddr.IPv6.parse(bare);
  return undefined;
}

/** The text shown for an address: the IPv4 it stands for too, when it is an IPv6 form of one. */
export function describeAddress(address: Address): string {
  const shown = address.toString();
  if (address.kind() === 'ipv6') {
    const v4 = embeddedV4(address as ipaddr.IPv6);
    if (v4) return `${shown} (${v4.toString()})`;
  }
  return shown;
}

/** OUTBOUND_ALLOW, parsed: CIDRs (a bare address is one) and hostnames (lower case, no trailing dot). */
export interface AllowList {
  ranges: [Address, number][];
  hosts: Set<string>;
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

export function normalizeHost(host: string): string {
  return host.toLowerCase().replace(/\.$/, '');
}

/** One entry: an address, a CIDR or a hostname; undefined with the reason when it is none of them. */
export function parseAllowEntry(entry: string): { range: [Address, number] } | { host: string } | { problem: string } {
  if (entry.includes('/')) {
    try {
      const [address, bits] = ipaddr.parseCIDR(entry);
      return { range: [address, bits] };
    } catch {
      return { problem: 'is not a valid CIDR (10.0.0.0/8, fd00::/8)' };
    }
  }
  const address = parseAddress(entry);
  if (address) return { range: [address, address.kind() === 'ipv4' ? 32 : 128] };
  if (entry.includes(':')) return { problem: 'is not a valid IP address' };
  const host = normalizeHost(entry);
  // Digits and dots only: a mistyped address (10.0.0), which a resolver would read as something else.
  if (/^[\d.]+$/.test(host)) return { problem: 'is not a valid IPv4 address (four decimal parts)' };
  if (!HOSTNAME.test(host)) return { problem: 'is not a hostname, an IP address or a CIDR' };
  return { host };
}

export function parseAllowList(entries: readonly string[]): AllowList {
  const list: AllowList = { ranges: [], hosts: new Set() };
  for (const raw of entries) {
    const entry = raw.trim();
    if (!entry) continue;
    const parsed = parseAllowEntry(entry);
    if ('range' in parsed) list.ranges.push(parsed.range);
    else if ('host' in parsed) list.hosts.add(parsed.host);
    else throw new Error(`OUTBOUND_ALLOW: ${JSON.stringify(entry.slice(0, 100))} ${parsed.problem}`);
  }
  return list;
}

function inRange(address: Address, [base, bits]: [Address, number]): boolean {
  // A v4 range also covers the mapped form of its addresses (classify already unwrapped those).
  if (address.kind() === 'ipv6' && base.kind() === 'ipv4') {
    const v4 = embeddedV4(address as ipaddr.IPv6);
    return v4 !== undefined && v4.match(base as ipaddr.IPv4, bits);
  }
  if (address.kind() !== base.kind()) return false;
  return address.kind() === 'ipv4'
    ? (address as ipaddr.IPv4).match(base as ipaddr.IPv4, bits)
    : (address as ipaddr.IPv6).match(base as ipaddr.IPv6, bits);
}

export type Verdict = { allowed: true } | { allowed: false; reason: string };

/**
 * May `address` be called, reached through `host` (the URL's hostname; the address itself for a
 * literal)? The refusal says which address, why, and how to allow it where that is possible.
 */
export function judge(address: Address, host: string, env: string, allow: AllowList): Verdict {
  const shown = describeAddress(address);
  const cls = classify(address);
  if (cls.kind === 'public') return { allowed: true };
  if (cls.kind === 'always') {
    return { allowed: false, reason: `${shown} is ${cls.what}; it is always refused and OUTBOUND_ALLOW cannot allow it` };
  }
  if (env !== 'production') return { allowed: true };
  const name = normalizeHost(host);
  if (allow.hosts.has(name)) return { allowed: true };
  if (allow.ranges.some((range) => inRange(address, range))) return { allowed: true };
  const literal = parseAddress(host) !== undefined;
  // An IPv6 form of an IPv4 address is allowed by its IPv4 address (or a v4 CIDR): suggest that.
  const suggested = (address.kind() === 'ipv6' && embeddedV4(address as ipaddr.IPv6)) || address;
  const how = literal
    ? `set OUTBOUND_ALLOW=${suggested.toString()} (or a CIDR) to allow it`
    : `set OUTBOUND_ALLOW=${name} (or ${suggested.toString()}, or a CIDR) to allow it`;
  return { allowed: false, reason: `${shown} is ${cls.what}; ${how}` };
}
