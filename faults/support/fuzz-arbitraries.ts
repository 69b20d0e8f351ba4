import fc from 'fast-check';
import { rawHead, type Probe } from './http-probe.js';

/** One route of a service: its method and Hono path pattern (`:param`, `*`). */
export interface RouteSpec {
  method: string;
  path: string;
}

/** Path segments that have broken routers and static-file handlers elsewhere. */
const NASTY_SEGMENTS = [
  'constructor',
  '__proto__',
  'toString',
  'hasOwnProperty',
  '..',
  '%2e%2e%2f%2e%2e%2fetc%2fpasswd',
  '%zz',
  '%00',
  '%ff%fe',
  '\u00ff\u00fe\u00c3\u0028',
  'a'.repeat(3000),
  '',
  'index.html',
  'init.js',
  'a\\b',
];

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS', 'HEAD', 'TRACE', 'PROPFIND', 'M-SEARCH', 'CONNECTX'];

/** Field names the services' request schemas use, so random objects hit the validators' branches. */
const FIELD_NAMES = [
  'message', 'sessionId', 'history', 'role', 'content', 'filters', 'restaurant', 'minRating', 'maxRating', 'from', 'to', 'k',
  'text', 'texts', 'query', 'filter', 'collection', 'input', 'model', 'messages', 'prompt', 'stream', 'workerId', 'url',
  'backend', 'state', 'models', 'queueDepth', 'active', 'capacity', 'version', 'intervalSeconds', '__proto__', 'constructor',
];

/** Strings that are awkward for parsers, validators, logs and HTML. */
const awkwardString = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 40 }),
  fc.constantFrom('', ' ', '\u0000', '\ud800', '\udfff', '<script>alert(1)</script>', '${7*7}', '../../etc/passwd', '\r\nX-Injected: 1', 'NaN', '1e309'),
  fc.integer({ min: 1, max: 6 }).map((power) => 'x'.repeat(10 ** power)),
);

const wrongTypedValue: fc.Arbitrary<unknown> = fc.oneof(
  awkwardString,
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.array(fc.oneof(fc.integer(), awkwardString, fc.constant(null)), { maxLength: 120 }),
  fc.dictionary(fc.constantFrom(...FIELD_NAMES), fc.oneof(fc.integer(), awkwardString, fc.constant(null)), { maxKeys: 6 }),
);

/** JSON objects whose keys are the schemas' field names with values of any (mostly wrong) type. */
const schemaShapedJson = fc.dictionary(fc.constantFrom(...FIELD_NAMES), wrongTypedValue, { maxKeys: 8 }).map((value) => JSON.stringify(value));

function deeplyNested(depth: number, kind: 'array' | 'object'): string {
  return kind === 'array' ? `${'['.repeat(depth)}${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}

/** Request bodies: none, JSON of every kind, wrong types, huge, invalid UTF-8, deep nesting, noise. */
export const bodyArbitrary: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  { weight: 2, arbitrary: fc.constant(undefined) },
  { weight: 3, arbitrary: fc.json({ maxDepth: 4 }).map((text) => Buffer.from(text)) },
  { weight: 5, arbitrary: schemaShapedJson.map((text) => Buffer.from(text)) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom('message', 'text', 'query', 'input', 'prompt'), fc.constantFrom(20_000, 300_000, 1_100_000))
      .map(([field, size]) => Buffer.from(JSON.stringify({ [field]: 'é'.repeat(size / 2) }))),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.constantFrom('message', 'text', 'query', 'texts'), fc.uint8Array({ minLength: 1, maxLength: 64 }))
      .map(([field, bytes]) => Buffer.concat([Buffer.from(`{"${field}":"`), Buffer.from([0xc3, 0x28, 0xff, 0xfe, 0xed, 0xa0, 0x80]), Buffer.from(bytes), Buffer.from('"}')])),
  },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.constantFrom(100, 5_000, 100_000), fc.constantFrom<'array' | 'object'>('array', 'object'))
      .map(([depth, kind]) => Buffer.from(deeplyNested(depth, kind))),
  },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 2048 }).map((bytes) => Buffer.from(bytes)) },
);

/** Headers a hostile or broken client sends: odd content types, auth, ids, forwarding, upgrades. */
export function headersArbitrary(secrets: { validBearer: string[] }): fc.Arbitrary<Record<string, string>> {
  const headerValue = fc.oneof(
    fc.string({ maxLength: 60 }).map((value) => value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '')),
    fc.constantFrom('\u00ff\u00fe\u00c3(', 'x'.repeat(8000), '', ' ', 'null', 'undefined', '-1', '0'),
  );
  // each valid credential as its own constant (the routes behind the checks get exercised too)
  const valid = secrets.validBearer.map((value) => fc.constant(value));
  const entries: [string, fc.Arbitrary<string>][] = [
    ['content-type', fc.constantFrom('application/json', 'application/json; charset=latin1', 'text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/x-ndjson', '*/*', '\u00ff')],
    ['accept', fc.constantFrom('text/event-stream', 'application/json', '*/*', 'text/html', '\u00ff')],
    ['authorization', fc.oneof(headerValue.map((value) => `Bearer ${value}`), headerValue, ...secrets.validBearer.map((value) => fc.constant(`Bearer ${value}`)))],
    ['x-api-key', fc.oneof(headerValue, ...valid)],
    ['x-request-id', fc.oneof(headerValue, fc.constant('a'.repeat(200)), fc.constant('../../\u00ff'))],
    ['x-forwarded-for', fc.oneof(headerValue, fc.ipV4(), fc.ipV6())],
    ['origin', fc.oneof(fc.webUrl(), headerValue, fc.constant('null'))],
    ['cookie', headerValue],
    ['range', fc.constantFrom('bytes=0-1', 'bytes=-1', 'bytes=999999999-', 'bytes=x')],
    ['if-none-match', headerValue],
    ['accept-encoding', fc.constantFrom('gzip', 'br', 'identity;q=0', '*;q=0', '\u00ff')],
    ['x-signature', headerValue],
    ['x-signature-timestamp', fc.oneof(headerValue, fc.integer().map(String))],
    ['x-signature-nonce', headerValue],
    ['x-odd-header', headerValue],
  ];
  const upgrade = fc.record({
    connection: fc.constantFrom('Upgrade', 'keep-alive, Upgrade'),
    upgrade: fc.constantFrom('websocket', 'h2c', 'WebSocket', '\u00ff'),
    'sec-websocket-key': fc.oneof(headerValue, fc.constant('dGhlIHNhbXBsZSBub25jZQ==')),
    'sec-websocket-version': fc.constantFrom('13', '8', '', 'x'),
  }, { requiredKeys: ['connection', 'upgrade'] });
  return fc
    .tuple(
      fc.constantFrom('application/json', undefined),
      fc.array(fc.oneof(...entries.map(([name, value]) => value.map((text): [string, string] => [name, text]))), { maxLength: 4 }),
      fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: upgrade }),
    )
    .map(([contentType, picked, upgradeHeaders]) => ({
      ...(contentType ? { 'content-type': contentType } : {}),
      ...Object.fromEntries(picked),
      ...Object.fromEntries(Object.entries(upgradeHeaders ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string')),
    }));
}

/** A concrete path for a route pattern: parameters and wildcards filled with nasty segments, maybe a query. */
export function pathArbitrary(route: RouteSpec): fc.Arbitrary<string> {
  const segment = fc.oneof(fc.constantFrom(...NASTY_SEGMENTS), fc.string({ minLength: 1, maxLength: 20 }).map((value) => encodeURIComponent(value)));
  const query = fc.oneof(
    { weight: 3, arbitrary: fc.constant('') },
    { weight: 1, arbitrary: fc.constantFrom('?', '?a=1&a=2', '?from=x&to=%zz', '?__proto__[x]=1', '?k=-1', `?q=${'z'.repeat(5000)}`, '?\u00ff=\u00fe') },
  );
  const parts = route.path.split('/');
  return fc.tuple(fc.array(segment, { minLength: parts.length, maxLength: parts.length }), query, fc.oneof({ weight: 6, arbitrary: fc.constant('') }, { weight: 1, arbitrary: fc.constantFrom('/', '//') })).map(([values, search, trailing]) => {
    const filled = parts.map((part, index) => (part.startsWith(':') || part === '*' ? values[index]! : part)).join('/');
    const path = filled === '' ? '/' : filled;
    const shaped = trailing === '/' && !path.endsWith('/') ? `${path}/` : trailing === '//' ? `/${path}` : path;
    return `${shaped}${search}`;
  });
}

/** A request to one of `routes`: its own method most of the time, any method otherwise. */
export function probeArbitrary(routes: RouteSpec[], headers: fc.Arbitrary<Record<string, string>>): fc.Arbitrary<Probe> {
  return fc
    .constantFrom(...routes)
    .chain((route) =>
      fc.record({
        method: fc.oneof({ weight: 3, arbitrary: fc.constant(route.method === 'ALL' ? 'GET' : route.method) }, { weight: 1, arbitrary: fc.constantFrom(...METHODS) }),
        path: pathArbitrary(route),
        headers,
        body: bodyArbitrary,
        chunked: fc.boolean(),
      }),
    )
    .map((probe) => ({ ...probe, body: probe.method === 'GET' || probe.method === 'HEAD' ? (probe.chunked ? probe.body : undefined) : probe.body }));
}

/** How a client goes away mid-request: after the head, or part-way through the declared body. */
export function resetArbitrary(routes: RouteSpec[], headers: fc.Arbitrary<Record<string, string>>): fc.Arbitrary<Buffer> {
  return fc.tuple(probeArbitrary(routes, headers), fc.constantFrom('head-only', 'partial-body', 'partial-head')).map(([probe, how]) => {
    const body = probe.body ?? Buffer.from('{"message":"hello"}');
    const head = rawHead(probe.method, probe.path, { host: '127.0.0.1', ...probe.headers, 'content-length': String(body.length + 100) });
    if (how === 'head-only') return head;
    if (how === 'partial-head') return head.subarray(0, Math.max(1, Math.floor(head.length / 2)));
    return Buffer.concat([head, body.subarray(0, Math.floor(body.length / 2))]);
  });
}
