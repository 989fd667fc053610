/**
 * The outbound guard (src/outbound, issue 12) against real HTTP stand-in servers on 127.0.0.1:
 * what passes, what is refused and why (SSRF: metadata, internal ranges, every literal form of
 * an address, redirects, names that resolve to refused addresses), the bounds on a call (time,
 * size, redirects), where keys may go, the per-caller budget, and that no error text, log line
 * or metric carries a secret. The module is the unit here; the gateway's own routes that use it
 * are tested end to end by their own suites.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import pino from 'pino';
import { Registry } from 'prom-client';
import { errorAnswer, AppError } from '../src/lib/errors';
import {
  MAX_ERROR_TEXT,
  OutboundError,
  createOutbound,
  redactSecrets,
  type OutboundOptions,
  type OutboundRequest,
  type OutboundResponse,
  type OutboundSettings,
} from '../src/outbound';
import { SlidingWindowBudget } from '../src/outbound/budget';

/* ------------------------------------------------------------------ stand-in servers */

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
}

interface StandIn {
  port: number;
  origin: string;
  seen: Seen[];
  /** TCP connections accepted, whether or not a request followed. */
  connections: number;
  close(): Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

const servers: StandIn[] = [];

async function standIn(handler: Handler): Promise<StandIn> {
  const seen: Seen[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  const stand: StandIn = {
    port: 0,
    origin: '',
    seen,
    connections: 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  server.on('connection', () => stand.connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stand.port = (server.address() as AddressInfo).port;
  stand.origin = `http://127.0.0.1:${stand.port}`;
  servers.push(stand);
  return stand;
}

/* ------------------------------------------------------------------ the module under test */

const KEY = 'sk-test-Zq8uXw3vK1mN5pR7tY9aB2cD4eF6gH';

interface Captured {
  lines: Record<string, unknown>[];
  text(): string;
}

function capturedLogger(): { logger: pino.Logger; log: Captured } {
  const raw: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      raw.push(...chunk.toString('utf8').split('\n').filter(Boolean));
      callback();
    },
  });
  const logger = pino({ level: 'info' }, stream);
  return {
    logger,
    log: {
      get lines() {
        return raw.map((line) => JSON.parse(line) as Record<string, unknown>);
      },
      text: () => raw.join('\n'),
    },
  };
}

const closers: (() => Promise<void>)[] = [];

function outbound(settings: Partial<OutboundSettings> = {}, options: OutboundOptions = {}) {
  const { logger, log } = capturedLogger();
  const made = createOutbound({ env: 'test', allow: [], timeoutMs: 2000, callsPerMinute: 30, ...settings }, logger, options);
  closers.push(made.close);
  return { ...made, log };
}

afterAll(async () => {
  await Promise.all(closers.map((close) => close()));
  await Promise.all(servers.map((server) => server.close()));
});

/** The OutboundError a call fails with (the test fails if it does not). */
async function failure(call: Promise<OutboundResponse>): Promise<OutboundError> {
  try {
    const res = await call;
    throw new Error(`expected a failure, got HTTP ${res.status}`);
  } catch (err) {
    if (!(err instanceof OutboundError)) throw err;
    return err;
  }
}

const get = (url: string, extra: Partial<OutboundRequest> = {}): OutboundRequest => ({ url, method: 'GET', ...extra });

/* ------------------------------------------------------------------ tests */

describe('calls that pass', () => {
  it('a 2xx answer: status, headers, text and the URL that answered', async () => {
    const server = await standIn((_req, res) => {
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('X-Thing', 'yes');
      res.end('{"data":[{"id":"gpt-4o"}]}');
    });
    const { client } = outbound();
    const res = await client.request(get(`${server.origin}/v1/models`, { headers: { Authorization: `Bearer ${KEY}` } }));
    expect({ status: res.status, text: res.text, type: res.headers['content-type'], thing: res.headers['x-thing'], url: res.url }).toEqual({
      status: 200,
      text: '{"data":[{"id":"gpt-4o"}]}',
      type: 'application/json',
      thing: 'yes',
      url: `${server.origin}/v1/models`,
    });
    expect(server.seen.map((seen) => [seen.method, seen.url, seen.headers.authorization])).toEqual([
      ['GET', '/v1/models', `Bearer ${KEY}`],
    ]);
  });

  it('a non-2xx answer is returned, not thrown', async () => {
    const server = await standIn((_req, res) => {
      res.statusCode = 401;
      res.end('{"error":{"message":"Incorrect API key provided"}}');
    });
    const res = await outbound().client.request(get(`${server.origin}/v1/models`));
    expect({ status: res.status, text: res.text }).toEqual({ status: 401, text: '{"error":{"message":"Incorrect API key provided"}}' });
  });

  it('POST carries its body and headers', async () => {
    const server = await standIn((_req, res) => res.end('ok'));
    const body = JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 16 });
    const res = await outbound().client.request({
      url: `${server.origin}/v1/chat/completions`,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': KEY },
      body,
    });
    expect(res.status).toBe(200);
    expect(server.seen.map((seen) => [seen.method, seen.body, seen.headers['content-type'], seen.headers['x-api-key']])).toEqual([
      ['POST', body, 'application/json', KEY],
    ]);
  });
});

describe('bounds on one call', () => {
  it('a server that never answers: kind timeout once timeoutMs is up, not when the server would answer', async () => {
    const server = await standIn((_req, res) => setTimeout(() => res.end('late'), 10_000).unref());
    const { client } = outbound({ timeoutMs: 600 });
    const started = Date.now();
    const err = await failure(client.request(get(`${server.origin}/slow?key=${KEY}`, { secrets: [KEY] })));
    const elapsed = Date.now() - started;
    expect({ kind: err.kind, message: err.message }).toEqual({
      kind: 'timeout',
      message: `The call to 127.0.0.1:${server.port} timed out after 600 ms`,
    });
    expect(elapsed).toBeGreaterThanOrEqual(550);
    // Far below the server's 10 s: the bound is the timeout, with room for a loaded CI machine.
    expect(elapsed).toBeLessThan(600 + 4000);
  });

  it('a body that trickles in: the same timeout covers the body, not only the headers', async () => {
    const server = await standIn((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const timer = setInterval(() => res.write('x'), 100);
      res.on('close', () => clearInterval(timer));
    });
    const { client } = outbound({ timeoutMs: 700 });
    const started = Date.now();
    const err = await failure(client.request(get(`${server.origin}/trickle`)));
    expect(err.kind).toBe('timeout');
    expect(Date.now() - started).toBeLessThan(700 + 4000);
  });

  it('a name whose lookup never answers: the same timeout covers the lookup', async () => {
    const resolve = () => new Promise<{ address: string; family: number }[]>(() => undefined);
    const { client } = outbound({ timeoutMs: 400 }, { resolve });
    const started = Date.now();
    const err = await failure(client.request(get('http://hanging-dns.test/v1/models')));
    expect({ kind: err.kind, message: err.message }).toEqual({
      kind: 'timeout',
      message: 'The call to hanging-dns.test timed out after 400 ms',
    });
    expect(Date.now() - started).toBeLessThan(400 + 4000);
  });

  it('a body over the cap, streamed without Content-Length: too_large, counted while streaming', async () => {
    const server = await standIn((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < 20; i++) res.write(Buffer.alloc(64 * 1024, 0x61));
      res.end();
    });
    const err = await failure(outbound().client.request(get(`${server.origin}/big`)));
    expect({ kind: err.kind, message: err.message }).toEqual({
      kind: 'too_large',
      message: `The response from 127.0.0.1:${server.port} is larger than 1048576 bytes`,
    });
  });

  it('a declared Content-Length over a configured cap: too_large; a body at the cap passes', async () => {
    const server = await standIn((req, res) => res.end(Buffer.alloc(req.url === '/exact' ? 1000 : 1001, 0x62)));
    const { client } = outbound({ maxResponseBytes: 1000 });
    expect((await failure(client.request(get(`${server.origin}/over`)))).kind).toBe('too_large');
    expect((await client.request(get(`${server.origin}/exact`))).text).toHaveLength(1000);
  });

  it('nothing listening: kind network, naming the host and the cause', async () => {
    const server = await standIn((_req, res) => res.end());
    await server.close();
    const err = await failure(outbound().client.request(get(`${server.origin}/v1/models?key=${KEY}`, { secrets: [KEY] })));
    expect(err.kind).toBe('network');
    expect(err.message).toMatch(new RegExp(`^Could not reach 127\\.0\\.0\\.1:${server.port}: .*ECONNREFUSED`));
    expect(err.message).not.toContain(KEY);
  });
});

describe('URLs refused before any connection (bad_url)', () => {
  it.each([
    ['not a URL at all', 'api.openai.com/v1'],
    ['ftp:', 'ftp://127.0.0.1/models'],
    ['file:', 'file:///etc/passwd'],
    ['javascript:', 'javascript:alert(1)'],
    ['userinfo', `http://user:${KEY}@127.0.0.1:1/v1`],
    ['a user without password', 'http://admin@127.0.0.1:1/v1'],
  ])('%s', async (_what, url) => {
    const err = await failure(outbound().client.request(get(url, { secrets: [KEY] })));
    expect(err.kind).toBe('bad_url');
    expect(err.message).toMatch(
      /^The URL (is not a valid absolute http\(s\) URL|must use http or https, not [a-z]+:|must not contain credentials)/,
    );
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain('passwd');
  });
});

describe('always refused, in every environment and whatever OUTBOUND_ALLOW says', () => {
  const forms: [string, string, string][] = [
    [
      'the metadata address',
      'http://169.254.169.254/latest/meta-data/',
      '169.254.169.254 is a link-local address (cloud metadata services live there)',
    ],
    [
      'metadata as a decimal number',
      'http://2852039166/latest/meta-data/',
      '169.254.169.254 is a link-local address (cloud metadata services live there)',
    ],
    [
      'metadata in hex and octal parts',
      'http://0xa9.0376.169.254/',
      '169.254.169.254 is a link-local address (cloud metadata services live there)',
    ],
    [
      'metadata as IPv4-mapped IPv6',
      'http://[::ffff:169.254.169.254]/',
      '::ffff:a9fe:a9fe (169.254.169.254) is a link-local address (cloud metadata services live there)',
    ],
    [
      'metadata through NAT64',
      'http://[64:ff9b::a9fe:a9fe]/',
      '64:ff9b::a9fe:a9fe (169.254.169.254) is a link-local address (cloud metadata services live there)',
    ],
    [
      'metadata through 6to4',
      'http://[2002:a9fe:a9fe::1]/',
      '2002:a9fe:a9fe::1 (169.254.169.254) is a link-local address (cloud metadata services live there)',
    ],
    ['AWS metadata over IPv6', 'http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254 is the cloud metadata address'],
    ['IPv6 link-local', 'http://[fe80::1]/', 'fe80::1 is a link-local address (cloud metadata services live there)'],
    ['0.0.0.0', 'http://0.0.0.0/', '0.0.0.0 is the unspecified address'],
    ['0 (0.0.0.0 written short)', 'http://0/', '0.0.0.0 is the unspecified address'],
    ['::', 'http://[::]/', ':: is the unspecified address'],
    ['IPv4 multicast', 'http://224.0.0.1/', '224.0.0.1 is a multicast address'],
    ['IPv6 multicast', 'http://[ff02::1]/', 'ff02::1 is a multicast address'],
    ['broadcast', 'http://255.255.255.255/', '255.255.255.255 is the broadcast address'],
    ['reserved (Oracle Cloud metadata, 192.0.0.192)', 'http://192.0.0.192/', '192.0.0.192 is a reserved address'],
    ['IPv4-compatible IPv6 (deprecated)', 'http://[::a9fe:a9fe]/', '::a9fe:a9fe is an IPv4-compatible IPv6 address (deprecated)'],
  ];

  it.each(forms)('%s: refused in development, with the address and why', async (_what, url, reason) => {
    const { client, log } = outbound({ env: 'development' });
    const err = await failure(client.request(get(url)));
    expect({ kind: err.kind, tail: err.message.split(': ').slice(1).join(': ') }).toEqual({
      kind: 'refused',
      tail: `${reason}; it is always refused and OUTBOUND_ALLOW cannot allow it`,
    });
    expect(log.lines.filter((line) => line.msg === 'outbound call refused')).toHaveLength(1);
  });

  it('production with OUTBOUND_ALLOW=0.0.0.0/0,::/0 and a name that resolves to the metadata address: still refused', async () => {
    const resolve = async (hostname: string) => (hostname === 'metadata.test' ? [{ address: '169.254.169.254', family: 4 }] : []);
    const { client } = outbound({ env: 'production', allow: ['0.0.0.0/0', '::/0', 'metadata.test'] }, { resolve });
    for (const url of [
      'http://0.0.0.0/',
      'http://224.0.0.251/',
      'http://[ff02::1]/',
      'http://169.254.169.254/',
      'http://metadata.test/latest/meta-data/',
    ]) {
      const err = await failure(client.request(get(url)));
      expect({ url, kind: err.kind, always: err.message.endsWith('it is always refused and OUTBOUND_ALLOW cannot allow it') }).toEqual({
        url,
        kind: 'refused',
        always: true,
      });
    }
    const err = await failure(client.request(get('http://metadata.test/latest/meta-data/')));
    expect({ message: err.message, address: err.address }).toEqual({
      message:
        'Refused to connect to metadata.test: 169.254.169.254 is a link-local address (cloud metadata services live there); it is always refused and OUTBOUND_ALLOW cannot allow it',
      address: '169.254.169.254',
    });
  });
});

describe('production: loopback and private ranges refused unless OUTBOUND_ALLOW lists them', () => {
  it.each([
    [
      'IPv4 loopback',
      'http://127.0.0.1:PORT/v1/models',
      '127.0.0.1 is a loopback address; set OUTBOUND_ALLOW=127.0.0.1 (or a CIDR) to allow it',
    ],
    [
      'loopback elsewhere in 127/8',
      'http://127.1.2.3:PORT/',
      '127.1.2.3 is a loopback address; set OUTBOUND_ALLOW=127.1.2.3 (or a CIDR) to allow it',
    ],
    [
      'loopback as a decimal number',
      'http://2130706433:PORT/',
      '127.0.0.1 is a loopback address; set OUTBOUND_ALLOW=127.0.0.1 (or a CIDR) to allow it',
    ],
    ['loopback in hex', 'http://0x7f000001:PORT/', '127.0.0.1 is a loopback address; set OUTBOUND_ALLOW=127.0.0.1 (or a CIDR) to allow it'],
    ['IPv6 loopback', 'http://[::1]:PORT/', '::1 is a loopback address; set OUTBOUND_ALLOW=::1 (or a CIDR) to allow it'],
    [
      'loopback as IPv4-mapped IPv6',
      'http://[::ffff:127.0.0.1]:PORT/',
      '::ffff:7f00:1 (127.0.0.1) is a loopback address; set OUTBOUND_ALLOW=127.0.0.1 (or a CIDR) to allow it',
    ],
    [
      'loopback percent-encoded',
      'http://%31%32%37.0.0.1:PORT/',
      '127.0.0.1 is a loopback address; set OUTBOUND_ALLOW=127.0.0.1 (or a CIDR) to allow it',
    ],
    [
      'loopback in full-width digits',
      'http://\uff11\uff12\uff17.0.0.1:PORT/',
      '127.0.0.1 is a loopback address; set OUTBOUND_ALLOW=127.0.0.1 (or a CIDR) to allow it',
    ],
    [
      'loopback with a trailing dot',
      'http://127.0.0.1.:PORT/',
      '127.0.0.1 is a loopback address; set OUTBOUND_ALLOW=127.0.0.1 (or a CIDR) to allow it',
    ],
    [
      'loopback through SIIT (::ffff:0:0:0/96)',
      'http://[::ffff:0:7f00:1]:PORT/',
      '::ffff:0:7f00:1 (127.0.0.1) is a loopback address; set OUTBOUND_ALLOW=127.0.0.1 (or a CIDR) to allow it',
    ],
    ['10/8', 'http://10.1.2.3/', '10.1.2.3 is a private address; set OUTBOUND_ALLOW=10.1.2.3 (or a CIDR) to allow it'],
    ['172.16/12', 'http://172.31.255.1/', '172.31.255.1 is a private address; set OUTBOUND_ALLOW=172.31.255.1 (or a CIDR) to allow it'],
    [
      '192.168/16',
      'http://192.168.1.10:11434/',
      '192.168.1.10 is a private address; set OUTBOUND_ALLOW=192.168.1.10 (or a CIDR) to allow it',
    ],
    [
      'CGNAT 100.64/10 (Alibaba metadata is 100.100.100.200)',
      'http://100.100.100.200/',
      '100.100.100.200 is a carrier-grade NAT (shared) address; set OUTBOUND_ALLOW=100.100.100.200 (or a CIDR) to allow it',
    ],
    [
      'fc00::/7',
      'http://[fd12:3456::1]/',
      'fd12:3456::1 is a unique-local (private) address; set OUTBOUND_ALLOW=fd12:3456::1 (or a CIDR) to allow it',
    ],
  ])('%s', async (_what, template, reason) => {
    const server = await standIn((_req, res) => res.end('reached'));
    const url = template.replace('PORT', String(server.port));
    const { client, log } = outbound({ env: 'production' });
    const err = await failure(client.request(get(`${url}?api_key=${KEY}`, { secrets: [KEY] })));
    expect({ kind: err.kind, message: err.message }).toEqual({
      kind: 'refused',
      message: `Refused to connect to ${new URL(url).host}: ${reason}`,
    });
    expect(server.connections).toBe(0);
    const refusals = log.lines.filter((line) => line.msg === 'outbound call refused');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({ level: 40, host: new URL(url).host, reason: err.message });
    expect(log.text()).not.toContain(KEY);
    expect(log.text()).not.toContain('api_key');
  });

  it('the same loopback call passes in development and test', async () => {
    const server = await standIn((_req, res) => res.end('reached'));
    for (const env of ['development', 'test'] as const) {
      expect((await outbound({ env }).client.request(get(`${server.origin}/`))).text).toBe('reached');
    }
  });

  it('a name that resolves to loopback (localhost) is refused at connect time, in the lookup the socket uses', async () => {
    const server = await standIn((_req, res) => res.end('reached'));
    const { client } = outbound({ env: 'production' });
    const err = await failure(client.request(get(`http://localhost:${server.port}/v1/models`)));
    expect(err.kind).toBe('refused');
    expect(err.message).toMatch(
      /^Refused to connect to localhost: (127\.0\.0\.1|::1) is a loopback address; set OUTBOUND_ALLOW=localhost \(or (127\.0\.0\.1|::1), or a CIDR\) to allow it$/,
    );
    expect(server.connections).toBe(0);
  });

  it('DNS rebinding: the address the check saw is the address connected to, and a later answer is checked again', async () => {
    const server = await standIn((_req, res) => res.end('reached'));
    // A name that is "public" on the first resolution and internal on the next (rebinding).
    // The first answer is the test machine's loopback standing in for a public address in
    // development; in production both answers must be judged where they are used.
    const answers = ['127.0.0.1', '10.9.8.7'];
    const asked: string[] = [];
    const resolve = async (hostname: string) => {
      asked.push(hostname);
      return [{ address: answers[Math.min(asked.length - 1, answers.length - 1)]!, family: 4 }];
    };
    const dev = outbound({ env: 'development' }, { resolve });
    expect((await dev.client.request(get(`http://rebind.test:${server.port}/`))).text).toBe('reached');
    expect(server.connections).toBe(1);

    asked.length = 0;
    const prod = outbound({ env: 'production', allow: ['127.0.0.1'] }, { resolve });
    // First resolution: 127.0.0.1, allowed by address: connects to exactly that address.
    expect((await prod.client.request(get(`http://rebind.test:${server.port}/first`))).text).toBe('reached');
    // Keep-alive would reuse the checked connection; a fresh agent resolves again and sees 10.9.8.7.
    const fresh = outbound({ env: 'production', allow: ['127.0.0.1'] }, { resolve });
    const err = await failure(fresh.client.request(get(`http://rebind.test:${server.port}/second`)));
    expect({ kind: err.kind, address: err.address, message: err.message }).toEqual({
      kind: 'refused',
      address: '10.9.8.7',
      message:
        'Refused to connect to rebind.test: 10.9.8.7 is a private address; set OUTBOUND_ALLOW=rebind.test (or 10.9.8.7, or a CIDR) to allow it',
    });
    expect(server.seen.map((seen) => seen.url)).toEqual(['/', '/first']);
  });

  it('a name with one public and one refused address is refused as a whole', async () => {
    const resolve = async () => [
      { address: '93.184.216.34', family: 4 },
      { address: '169.254.169.254', family: 4 },
    ];
    const err = await failure(outbound({ env: 'production' }, { resolve }).client.request(get('http://mixed.test/')));
    expect({ kind: err.kind, address: err.address }).toEqual({ kind: 'refused', address: '169.254.169.254' });
  });

  it('OUTBOUND_ALLOW with a CIDR (127.0.0.0/8) lets loopback through in production', async () => {
    const server = await standIn((_req, res) => res.end('reached'));
    const { client } = outbound({ env: 'production', allow: ['10.0.0.0/8', '127.0.0.0/8'] });
    expect((await client.request(get(`${server.origin}/v1/models`))).text).toBe('reached');
    expect((await client.request(get(`http://[::ffff:127.0.0.1]:${server.port}/mapped`))).text).toBe('reached');
    // Only what the CIDR holds: other private ranges stay refused.
    expect((await failure(client.request(get('http://192.168.0.1/')))).kind).toBe('refused');
  });

  it('OUTBOUND_ALLOW with a hostname (localhost) allows what that name resolves to, not the bare address', async () => {
    const server = await standIn((_req, res) => res.end('reached'));
    const { client } = outbound({ env: 'production', allow: ['LOCALHOST.'] });
    expect((await client.request(get(`http://localhost:${server.port}/v1/models`))).text).toBe('reached');
    const err = await failure(client.request(get(`${server.origin}/v1/models`)));
    expect(err.message).toBe(
      `Refused to connect to 127.0.0.1:${server.port}: 127.0.0.1 is a loopback address; set OUTBOUND_ALLOW=127.0.0.1 (or a CIDR) to allow it`,
    );
  });
});

describe('redirects', () => {
  it('a redirect to http://169.254.169.254/latest/meta-data/ is refused, and no connection is made', async () => {
    const server = await standIn((_req, res) => {
      res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/iam/security-credentials/' });
      res.end();
    });
    const { client, log } = outbound({ env: 'development' });
    const err = await failure(client.request(get(`${server.origin}/v1/models`, { headers: { authorization: `Bearer ${KEY}` } })));
    expect({ kind: err.kind, address: err.address, message: err.message }).toEqual({
      kind: 'refused',
      address: '169.254.169.254',
      message:
        'Refused to connect to 169.254.169.254: 169.254.169.254 is a link-local address (cloud metadata services live there); it is always refused and OUTBOUND_ALLOW cannot allow it',
    });
    expect(log.text()).not.toContain('security-credentials');
  });

  it('a redirect to a name that resolves to a refused address is refused at connect time', async () => {
    const server = await standIn((_req, res) => {
      res.writeHead(307, { location: 'http://internal.test/admin' });
      res.end();
    });
    const resolve = async (hostname: string) => [{ address: hostname === 'internal.test' ? '10.0.0.5' : '127.0.0.1', family: 4 }];
    const { client } = outbound({ env: 'production', allow: ['api.test'] }, { resolve });
    const err = await failure(client.request(get(`http://api.test:${server.port}/v1/models`)));
    expect({ kind: err.kind, address: err.address }).toEqual({ kind: 'refused', address: '10.0.0.5' });
    expect(server.seen).toHaveLength(1);
  });

  it('at most 3 redirects: 3 are followed, a 4th is refused with kind redirect', async () => {
    const server = await standIn((req, res) => {
      const n = Number(/\/hop\/(\d+)/.exec(req.url ?? '')?.[1] ?? 0);
      const limit = Number(new URL(req.url ?? '/', 'http://x').searchParams.get('limit'));
      if (n < limit) {
        res.writeHead(n % 2 === 0 ? 302 : 308, { location: `/hop/${n + 1}?limit=${limit}` });
        res.end();
      } else res.end(`arrived after ${n}`);
    });
    const { client } = outbound();
    const three = await client.request(get(`${server.origin}/hop/0?limit=3`));
    expect({ text: three.text, url: three.url }).toEqual({ text: 'arrived after 3', url: `${server.origin}/hop/3?limit=3` });
    const err = await failure(client.request(get(`${server.origin}/hop/0?limit=4`)));
    expect({ kind: err.kind, message: err.message }).toEqual({
      kind: 'redirect',
      message: `Too many redirects from 127.0.0.1:${server.port} (at most 3 are followed)`,
    });
  });

  it('a redirect to another scheme (file:, ftp:) is refused with kind redirect', async () => {
    const server = await standIn((req, res) => {
      res.writeHead(302, { location: req.url === '/file' ? 'file:///etc/passwd' : 'ftp://127.0.0.1/x' });
      res.end();
    });
    const { client } = outbound();
    for (const path of ['/file', '/ftp']) {
      const err = await failure(client.request(get(`${server.origin}${path}`)));
      expect({ kind: err.kind, message: err.message }).toEqual({
        kind: 'redirect',
        message: `The redirect target must use http or https, not ${path === '/file' ? 'file:' : 'ftp:'}`,
      });
    }
  });

  it('a cross-origin redirect does not carry the key: credential headers and any header holding a secret are dropped', async () => {
    const elsewhere = await standIn((_req, res) => res.end('elsewhere'));
    const origin = await standIn((req, res) => {
      if (req.url === '/same') {
        res.writeHead(307, { location: '/same-target' });
        res.end();
      } else if (req.url === '/same-target') {
        res.writeHead(307, { location: `${elsewhere.origin}/collect` });
        res.end();
      } else res.end('?');
    });
    const headers = {
      Authorization: `Bearer ${KEY}`,
      'x-api-key': KEY,
      'x-goog-api-key': KEY,
      'api-key': KEY,
      'X-Custom-Auth': `Token ${KEY}`,
      'anthropic-version': '2023-06-01',
      'content-type': 'application/json',
    };
    const res = await outbound().client.request({ url: `${origin.origin}/same`, method: 'POST', headers, body: '{"a":1}', secrets: [KEY] });
    expect(res.text).toBe('elsewhere');
    // Same origin: the key goes along.
    expect(origin.seen.map((seen) => [seen.url, seen.headers.authorization, seen.headers['x-api-key']])).toEqual([
      ['/same', `Bearer ${KEY}`, KEY],
      ['/same-target', `Bearer ${KEY}`, KEY],
    ]);
    // Another port is another origin: nothing of the key arrives there; harmless headers and the 307's body do.
    expect(elsewhere.seen).toHaveLength(1);
    const seen = elsewhere.seen[0]!;
    expect(JSON.stringify(seen.headers)).not.toContain(KEY);
    expect(seen.headers['anthropic-version']).toBe('2023-06-01');
    expect({ method: seen.method, body: seen.body }).toEqual({ method: 'POST', body: '{"a":1}' });
  });

  it('303 (and 301/302 after a POST) continue as GET without the body', async () => {
    const target = await standIn((_req, res) => res.end('done'));
    const origin = await standIn((_req, res) => {
      res.writeHead(303, { location: `${target.origin}/result` });
      res.end();
    });
    const res = await outbound().client.request({
      url: `${origin.origin}/submit`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"secret":"payload"}',
    });
    expect(res.text).toBe('done');
    expect(target.seen.map((seen) => [seen.method, seen.body, seen.headers['content-type']])).toEqual([['GET', '', undefined]]);
  });
});

describe('per-caller budget (PROVIDER_CALLS_PER_MINUTE)', () => {
  it('the N+1th operation within a minute throws RATE_LIMITED with retryAfterSeconds; other callers are not affected', () => {
    const { budget } = outbound({ callsPerMinute: 3 });
    for (let i = 0; i < 3; i++) budget.take('sub:alice');
    let thrown: unknown;
    try {
      budget.take('sub:alice');
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(AppError);
    const err = thrown as AppError;
    expect(err.code).toBe('RATE_LIMITED');
    expect(err.details.retryAfterSeconds).toBeGreaterThanOrEqual(59);
    expect(err.details.retryAfterSeconds).toBeLessThanOrEqual(60);
    expect(() => budget.take('sub:bob', 3)).not.toThrow();
  });

  it('its answers: REST 429 {"detail": "Too Many Requests"} with Retry-After, GraphQL code RATE_LIMITED', () => {
    const { budget } = outbound({ callsPerMinute: 1 });
    budget.take('sub:carol');
    let err: AppError | undefined;
    try {
      budget.take('sub:carol');
    } catch (thrown) {
      err = thrown as AppError;
    }
    const rest = errorAnswer(err!, 'rest');
    expect({ status: rest.status, body: rest.body, retryAfter: rest.headers['Retry-After'] }).toEqual({
      status: 429,
      body: { detail: 'Too Many Requests' },
      retryAfter: String(err!.details.retryAfterSeconds),
    });
    const graphql = errorAnswer(err!, 'graphql').body as { errors: { extensions: { code: string } }[] };
    expect(graphql.errors[0]!.extensions.code).toBe('RATE_LIMITED');
  });

  it('a sliding window: calls leave it a minute after they were made, and Retry-After says when the next one may go', () => {
    let now = 1_000_000;
    const budget = new SlidingWindowBudget(2, () => now);
    budget.take('k');
    now += 20_000;
    budget.take('k');
    now += 10_000;
    expect(() => budget.take('k')).toThrow(
      expect.objectContaining({ code: 'RATE_LIMITED', details: expect.objectContaining({ retryAfterSeconds: 30 }) }),
    );
    now += 30_000;
    expect(() => budget.take('k')).not.toThrow();
    // A batch larger than what is left is refused whole (nothing of it counted).
    expect(() => budget.take('k', 2)).toThrow(expect.objectContaining({ code: 'RATE_LIMITED' }));
    now += 60_000;
    expect(() => budget.take('k', 2)).not.toThrow();
  });

  it('0 turns the budget off', () => {
    const { budget } = outbound({ callsPerMinute: 0 });
    for (let i = 0; i < 1000; i++) budget.take('sub:dave');
  });
});

describe('secrets: redaction and error texts', () => {
  it('redactSecrets hides the given secrets and key-looking tokens, and cuts long texts', () => {
    expect(redactSecrets(`Incorrect API key provided: ${KEY}. You can find your key at ...`, [KEY])).toBe(
      'Incorrect API key provided: [redacted]. You can find your key at ...',
    );
    expect(redactSecrets('bad key sk-ant-api03-abcdefghijk and sk-proj-ZZZZZZZZZZZZ', [])).toBe('bad key [redacted] and [redacted]');
    expect(redactSecrets('header was Authorization: Bearer abc.def.ghi', [])).toBe('header was Authorization: Bearer [redacted]');
    expect(redactSecrets('google key AIzaSyA-1234567890abcdefghijklmnop rejected', [])).toBe('google key [redacted] rejected');
    expect(redactSecrets('GET /v1/models?key=my-gemini-key&alt=json failed', [])).toBe('GET /v1/models?key=[redacted]&alt=json failed');
    expect(redactSecrets('short secret xyz here', ['xyz'])).toBe('short secret [redacted] here');
    const long = redactSecrets(`${'a'.repeat(290)} ${KEY} ${'b'.repeat(500)}`, [KEY]);
    expect(long.length).toBeLessThanOrEqual(MAX_ERROR_TEXT + 1);
    expect(long.endsWith('…')).toBe(true);
    // A secret that straddles the cut is not left half-visible either.
    const straddle = redactSecrets(`${'a'.repeat(MAX_ERROR_TEXT - 10)}${KEY}`, [KEY]);
    expect(straddle).not.toContain(KEY.slice(0, 10));
  });

  it('no error message ever contains a secret passed in secrets, whatever failed and wherever the key was', async () => {
    const slow = await standIn((_req, res) => setTimeout(() => res.end(), 5000).unref());
    const big = await standIn((_req, res) => res.end(Buffer.alloc(2 * 1024 * 1024)));
    const redirecting = await standIn((_req, res) => {
      res.writeHead(302, { location: `http://169.254.169.254/?key=${KEY}` });
      res.end();
    });
    // Names resolve nowhere (as an unknown name does), without asking the machine's DNS.
    const resolve = async (hostname: string) => {
      // A name holding the key that resolves to an internal address: refused, and logged without it.
      if (hostname.endsWith('.internal.test')) return [{ address: '10.1.1.1', family: 4 }];
      throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    };
    const { client, log } = outbound({ env: 'production', allow: ['127.0.0.1'], timeoutMs: 500 }, { resolve });
    const calls: OutboundRequest[] = [
      get(`http://u:${KEY}@127.0.0.1/`),
      get(`ftp://${KEY}.example/`),
      get(`http://${KEY.toLowerCase()}.invalid/v1?key=${KEY}`),
      get(`http://10.0.0.1/v1?key=${KEY}`),
      get(`http://${KEY.toLowerCase()}.internal.test/v1`),
      get(`${slow.origin}/v1?key=${KEY}`),
      get(`${big.origin}/v1?key=${KEY}`),
      get(`${redirecting.origin}/v1?key=${KEY}`),
      get(`http://127.0.0.1:1/v1?key=${KEY}`),
    ];
    const kinds: string[] = [];
    for (const call of calls) {
      const err = await failure(
        client.request({ ...call, headers: { authorization: `Bearer ${KEY}` }, secrets: [KEY, KEY.toLowerCase()] }),
      );
      kinds.push(err.kind);
      expect(err.message).not.toContain(KEY);
      expect(err.message.toLowerCase()).not.toContain(KEY.toLowerCase());
      expect(err.message).not.toContain('?key=');
    }
    expect(kinds).toEqual(['bad_url', 'bad_url', 'network', 'refused', 'refused', 'timeout', 'too_large', 'refused', 'network']);
    expect(log.lines.filter((line) => line.msg === 'outbound call refused')).toHaveLength(3);
    expect(log.text().toLowerCase()).not.toContain(KEY.toLowerCase());
  });
});

describe('metrics', () => {
  it('outbound_requests_total counts outcomes by provider on the given registry; no URL, host or key in a label', async () => {
    const server = await standIn((_req, res) => res.end('ok'));
    const registry = new Registry();
    const events: string[] = [];
    const { client } = outbound(
      { env: 'production', allow: ['127.0.0.1'] },
      { registry, onOutcome: (event) => events.push(`${event.provider}:${event.outcome}`) },
    );
    await client.request(get(`${server.origin}/v1/models?key=${KEY}`, { provider: 'openai' }));
    await failure(client.request(get(`http://169.254.169.254/?key=${KEY}`, { provider: 'openai' })));
    await failure(client.request(get('http://10.0.0.1/', { provider: 'https://evil.example/?q=1' })));
    const text = await registry.metrics();
    expect(text).toContain('outbound_requests_total{provider="openai",outcome="ok"} 1');
    expect(text).toContain('outbound_requests_total{provider="openai",outcome="refused"} 1');
    expect(text).toContain('outbound_requests_total{provider="other",outcome="refused"} 1');
    expect(text).not.toContain(KEY);
    expect(text).not.toContain('127.0.0.1');
    expect(text).not.toContain('evil');
    expect(events).toEqual(['openai:ok', 'openai:refused', 'other:refused']);
    // A second client on the same registry (a gateway rebuilt in one process) counts into the same series.
    const again = outbound({ env: 'production' }, { registry });
    await failure(again.client.request(get(`${server.origin}/`, { provider: 'openai' })));
    expect(await registry.metrics()).toContain('outbound_requests_total{provider="openai",outcome="refused"} 2');
  });
});
