// A burst of ~3000 malformed requests, over raw TCP and fetch, with bounded concurrency and time.
// Each HTTP-level answer must carry the expected status (and error code / field where the API
// defines one); afterwards the server still runs and a user's images are all intact.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createGeneration, expectStatus, listAll, pool, register, startServer, uniqueEmail, waitFor,
} from './lib/server.mjs';
import { sha256 } from './lib/media.mjs';
import { buildRequest, rawExchange } from './lib/rawhttp.mjs';

const TOTAL = 3000;
const CONCURRENCY = 32;
const BURST_BUDGET_MS = 60_000;
const MiB = 1024 * 1024;

// The one mapping from error code to status (see openapi.yaml).
const STATUS_OF_CODE = {
  invalid_argument: 400, invalid_json: 400, unauthenticated: 401, forbidden: 403, not_found: 404,
  method_not_allowed: 405, conflict: 409, payload_too_large: 413, unsupported_media_type: 415,
  range_not_satisfiable: 416,
  internal: 500, unavailable: 503,
};
// Statuses the API's codes map to; others (431, 414, 505, ...) come from the HTTP layer and may carry any code.
const MAPPED_STATUSES = new Set(Object.values(STATUS_OF_CODE));

// What the server answered, for the test's diagnostics: "raw 400", "fetch 401", "raw closed", ...
const tally = new Map();
const count = (key) => tally.set(key, (tally.get(key) ?? 0) + 1);

function mulberry32(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('malformed requests', { timeout: 240_000 }, () => {
  let server;
  let cookie;
  let token;
  let model;
  let images = [];     // the user's images before the burst, with file hashes
  let imageId;
  let generationId;
  let keyId;

  before(async () => {
    server = await startServer({ name: 'malformed' });
    cookie = await register(server, uniqueEmail('malformed'));
    token = expectStatus(await server.api('POST', '/api/v1/keys', { cookie, body: { name: 'burst' } }), 201).json.secret;
    keyId = expectStatus(await server.api('POST', '/api/v1/keys', { cookie, body: { name: 'spare' } }), 201).json.id;
    const models = expectStatus(await server.api('GET', '/api/v1/models', { cookie }), 200).json.items;
    model = models.find((m) => m.id === 'procedural');
    assert.ok(model, `the procedural model is listed: ${models.map((m) => m.id)}`);
    const gen = await createGeneration(server, cookie, { prompt: 'precious images that must survive', width: 128, height: 128, count: 3, seed: 5 });
    generationId = gen.id;
    const done = await waitFor(server, cookie, gen.id, 'succeeded', { timeoutMs: 60_000 });
    for (const img of done.images) {
      const file = expectStatus(await server.api('GET', img.file_url, { cookie }), 200);
      images.push({ id: img.id, hash: sha256(file.body) });
    }
    imageId = images[0].id;
  }, { timeout: 120_000 });

  after(async () => { await server?.stop(); });

  test(`~${TOTAL} malformed requests get the right answers, and the server survives`, { timeout: 180_000 }, async (t) => {
    const cases = buildCases({ cookie, token, model, imageId, generationId, keyId, port: server.port });
    const tasks = schedule(cases, TOTAL, mulberry32(20261125));
    const failures = new Map(); // case name -> { count, first problem }
    let failed = 0;
    const fail = (name, problem) => {
      failed++;
      const entry = failures.get(name) ?? { count: 0, first: problem };
      entry.count++;
      failures.set(name, entry);
    };
    const counts = new Map();
    const started = Date.now();
    const deadline = started + BURST_BUDGET_MS;
    let skipped = 0;

    await pool(tasks.map((c) => async () => {
      if (Date.now() > deadline) { skipped++; return; }
      counts.set(c.name, (counts.get(c.name) ?? 0) + 1);
      try {
        const problem = c.kind === 'raw' ? await runRaw(server.port, c) : await runFetch(server, c);
        if (problem) fail(c.name, problem);
      } catch (err) {
        fail(c.name, err.message);
      }
    }), CONCURRENCY);
    const elapsed = Date.now() - started;
    t.diagnostic(`${tasks.length} requests (${cases.length} cases) in ${elapsed} ms; answers: ${
      [...tally].sort().map(([k, v]) => `${k}: ${v}`).join(', ')}`);

    const report = [...failures].slice(0, 60)
      .map(([name, { count, first }]) => `${name} (${count}/${counts.get(name)}): ${first}`).join('\n  ');
    assert.equal(skipped, 0, `the burst did not finish within ${BURST_BUDGET_MS} ms (${skipped} of ${tasks.length} requests not sent)`);
    assert.ok(elapsed < BURST_BUDGET_MS, `the burst took ${elapsed} ms`);
    assert.equal(failed, 0,
      `${failed} of ${tasks.length} requests were answered wrongly, in ${failures.size} of ${cases.length} cases:\n  ${report}`);
    assert.ok(tasks.length >= TOTAL * 0.9, `${tasks.length} requests sent`);

    // The server survived.
    assert.ok(server.alive, `the server process exited: ${JSON.stringify(server.exit)}`);
    const health = expectStatus(await server.api('GET', '/healthz'), 200, 'healthz after the burst');
    assert.deepEqual(health.json, { status: 'ok' });
    const listed = await listAll(server, cookie, '/api/v1/images');
    assert.deepEqual(listed.map((i) => i.id).sort(), images.map((i) => i.id).sort(), 'the images listed are exactly those before the burst');
    for (const img of images) {
      const file = expectStatus(await server.api('GET', `/api/v1/images/${img.id}/file`, { cookie }), 200, `file ${img.id} after the burst`);
      assert.equal(sha256(file.body), img.hash, `file ${img.id} unchanged`);
    }
    const gens = await listAll(server, cookie, '/api/v1/generations');
    assert.deepEqual(gens.map((g) => g.id), [generationId], 'no malformed request created a generation');
  });
});

// Round-robin over the cases until `total` (respecting each case's `max`), then shuffled.
function schedule(cases, total, random) {
  const tasks = [];
  const used = new Map();
  while (tasks.length < total) {
    let added = 0;
    for (const c of cases) {
      if (tasks.length >= total) break;
      const n = used.get(c) ?? 0;
      if (n >= (c.max ?? Infinity)) continue;
      used.set(c, n + 1);
      tasks.push(c);
      added++;
    }
    if (added === 0) break;
  }
  for (let i = tasks.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [tasks[i], tasks[j]] = [tasks[j], tasks[i]];
  }
  return tasks;
}

function checkErrorBody(json, expect) {
  if (!json || typeof json.error !== 'object' || json.error === null) return `not a JSON error body: ${JSON.stringify(json)?.slice(0, 200)}`;
  const { code, field, message } = json.error;
  if (typeof message !== 'string') return `error.message missing: ${JSON.stringify(json)}`;
  const codes = expect.code === undefined ? undefined : [].concat(expect.code);
  if (codes && !codes.includes(code)) return `error.code ${code}, expected ${codes.join('|')} (${JSON.stringify(json).slice(0, 300)})`;
  if (expect.field !== undefined && field !== expect.field) return `error.field ${JSON.stringify(field)}, expected ${expect.field} (${JSON.stringify(json).slice(0, 300)})`;
  return null;
}

async function runFetch(server, c) {
  const res = await server.api(c.method, c.path, {
    body: c.body, raw: c.raw, headers: c.headers, auth: c.auth, timeoutMs: 15_000,
  });
  const { expect } = c;
  count(`fetch ${res.status}`);
  const got = `${res.status} ${res.text.slice(0, 300)}`;
  if (res.status !== expect.status) return `status ${res.status}, expected ${expect.status}: ${got}`;
  if (!res.headers.get('x-request-id')) return 'no X-Request-Id header';
  if (res.status >= 400) {
    if (!/^application\/json/.test(res.headers.get('content-type') ?? '')) return `error answer is not application/json: ${res.headers.get('content-type')}: ${got}`;
    const problem = checkErrorBody(res.json, expect);
    if (problem) return problem;
    if (MAPPED_STATUSES.has(res.status) && STATUS_OF_CODE[res.json.error.code] !== undefined && STATUS_OF_CODE[res.json.error.code] !== res.status) {
      return `code ${res.json.error.code} with status ${res.status}`;
    }
  }
  if (expect.allow) {
    const allow = (res.headers.get('allow') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
    if (allow.length === 0) return '405 without an Allow header';
    for (const m of expect.allow) if (!allow.includes(m)) return `Allow: ${allow.join(', ')} lacks ${m}`;
    for (const m of allow) if (m === c.method) return `Allow: ${allow.join(', ')} includes the refused method ${c.method}`;
  }
  return null;
}

async function runRaw(port, c) {
  const bytes = typeof c.bytes === 'function' ? c.bytes() : c.bytes;
  const r = await rawExchange(port, bytes, { timeoutMs: c.timeoutMs ?? 10_000 });
  const { expect } = c;
  count(r.response ? `raw ${r.response.status}` : `raw ${r.closed ? 'closed without an answer' : 'no answer'}`);
  if (!r.response) {
    if (r.closed && r.data.length === 0 && expect.allowClose) return null;
    return `no HTTP answer (closed=${r.closed}, timedOut=${r.timedOut}, error=${r.error}, got ${r.data.length} bytes: ${JSON.stringify(r.data.toString('latin1').slice(0, 120))})`;
  }
  const res = r.response;
  if (res.status < 0) return res.reason;
  if (c.forbidBody && c.forbidBody.test(res.body.toString('latin1'))) return `the answer leaks: ${res.body.toString('latin1').slice(0, 200)}`;
  if (!expect.statuses.includes(res.status)) {
    return `status ${res.status}, expected ${expect.statuses.join('|')}: ${JSON.stringify(res.body.toString('latin1').slice(0, 200))}`;
  }
  if (!res.header('x-request-id')) return `no X-Request-Id header on the ${res.status} answer`;
  const ct = res.header('content-type') ?? '';
  if (res.status < 400) return null;
  if (/json/.test(ct) && res.body.length > 0) {
    let json;
    try { json = JSON.parse(res.body.toString('utf8')); } catch { return `invalid JSON body: ${res.body.toString('latin1').slice(0, 200)}`; }
    const problem = checkErrorBody(json, expect);
    if (problem) return problem;
    const code = json.error.code;
    if (MAPPED_STATUSES.has(res.status) && STATUS_OF_CODE[code] !== undefined && STATUS_OF_CODE[code] !== res.status) return `code ${code} with status ${res.status}`;
  } else if (expect.code !== undefined) {
    return `expected a JSON error ${[].concat(expect.code).join('|')}, got content-type ${JSON.stringify(ct)}`;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------

function buildCases({ cookie, token, model, imageId, generationId, keyId, port }) {
  const cases = [];
  const host = `127.0.0.1:${port}`;
  const auth = { cookie };
  const fetchCase = (name, method, path, body, expect, extra = {}) => cases.push({
    kind: 'fetch', name, method, path, body, expect, auth: 'auth' in extra ? extra.auth : auth, ...extra,
  });
  const rawCase = (name, bytes, expect, extra = {}) => cases.push({ kind: 'raw', name, bytes, expect, ...extra });
  const bad = (field) => ({ status: 400, code: 'invalid_argument', field });
  const badJson = { status: 400, code: 'invalid_json' };

  // --- raw TCP: garbage ------------------------------------------------------------------------
  const random = mulberry32(42);
  for (let i = 0; i < 24; i++) {
    const len = 1 + Math.floor(random() * (i < 12 ? 64 : 4000));
    const junk = Buffer.alloc(len);
    for (let k = 0; k < len; k++) {
      let b;
      do { b = Math.floor(random() * 256); } while (b === 0x0d || b === 0x0a);
      junk[k] = b;
    }
    rawCase(`garbage #${i} (${len} bytes)`, Buffer.concat([junk, Buffer.from('\r\n\r\n')]), { statuses: [400], allowClose: true });
  }
  rawCase('TLS ClientHello on the plain port', Buffer.concat([Buffer.from(`16030100a5010000a10303${'00'.repeat(64)}`, 'hex'), Buffer.from('\r\n\r\n')]),
    { statuses: [400], allowClose: true });

  // --- raw TCP: request lines and framing ------------------------------------------------------
  const line = (name, text, statuses = [400], extra = {}) => rawCase(name, Buffer.from(text, 'latin1'), { statuses, allowClose: true }, extra);
  line('request line without target', 'GET\r\nHost: x\r\n\r\n');
  line('request line without version', `GET /api/v1/models\r\nHost: ${host}\r\n\r\n`);
  line('request line with extra token', `GET /api/v1/models HTTP/1.1 extra\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  line('unknown HTTP version', `GET /api/v1/models HTTP/9.9\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, [400, 505]);
  line('bad protocol name', `GET /api/v1/models HTTX/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  line('double space in request line', `GET  /api/v1/models HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  line('leading space in request line', ` GET /api/v1/models HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  line('NUL in method', `G\u0000T /api/v1/models HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
  line('control bytes in target', `GET /api/v1/\u0001\u007f HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, [400, 404]);
  line('target not starting with /', `GET api/v1/models HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, [400, 404]);
  line('unknown method', `BREW /api/v1/models HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, [400, 405, 501]);
  line('header without colon', `GET /api/v1/models HTTP/1.1\r\nHost ${host}\r\nConnection: close\r\n\r\n`);
  line('header with space before colon', `GET /api/v1/models HTTP/1.1\r\nHost : ${host}\r\nConnection: close\r\n\r\n`);
  // RFC 9112: reject obs-fold with 400, or unfold it and serve the request.
  line('obsolete line folding', `GET /api/v1/models HTTP/1.1\r\nHost: ${host}\r\nX-A: a\r\n  folded\r\nConnection: close\r\n\r\n`, [400, 200, 401]);
  line('path traversal', `GET /api/v1/images/../../../etc/passwd HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, [200, 400, 404],
    { forbidBody: /root:[^:]*:0:0:/ });
  line('encoded path traversal', `GET /api/v1/%2e%2e/%2e%2e/%2e%2e/etc/passwd HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`, [200, 400, 404],
    { forbidBody: /root:[^:]*:0:0:/ });
  line('NUL in header value', `GET /api/v1/models HTTP/1.1\r\nHost: ${host}\r\nX-A: a\u0000b\r\nConnection: close\r\n\r\n`);
  line('non-numeric Content-Length', `POST /api/v1/auth/login HTTP/1.1\r\nHost: ${host}\r\nContent-Length: abc\r\nConnection: close\r\n\r\n`);
  line('negative Content-Length', `POST /api/v1/auth/login HTTP/1.1\r\nHost: ${host}\r\nContent-Length: -1\r\nConnection: close\r\n\r\n`);
  line('conflicting Content-Lengths', `POST /api/v1/auth/login HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 2\r\nContent-Length: 3\r\nConnection: close\r\n\r\n{}x`);
  line('Content-Length and Transfer-Encoding', `POST /api/v1/auth/login HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`);
  line('bad chunk size', `POST /api/v1/auth/login HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nZZ\r\nabc\r\n0\r\n\r\n`);
  line('chunk longer than its size', `POST /api/v1/auth/login HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\nabcdef\r\n0\r\n\r\n`);
  line('huge chunk size', `POST /api/v1/auth/login HTTP/1.1\r\nHost: ${host}\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc\r\n0\r\n\r\n`, [400, 413]);

  // --- raw TCP: huge headers -------------------------------------------------------------------
  // Up to 64 KiB of headers a server may accept (then the request is served: 200); beyond, it must refuse.
  const huge = [400, 413, 414, 431];
  rawCase('one 64 KiB header', () => buildRequest('GET', '/api/v1/models', { Host: host, Cookie: cookie, 'X-Big': 'a'.repeat(64 * 1024), Connection: 'close' }),
    { statuses: [...huge, 200], allowClose: true }, { max: 60 });
  rawCase('one 512 KiB header', () => buildRequest('GET', '/api/v1/models', { Host: host, 'X-Big': 'b'.repeat(512 * 1024), Connection: 'close' }),
    { statuses: huge, allowClose: true }, { max: 15 });
  rawCase('4000 headers', () => buildRequest('GET', '/api/v1/models', [['Host', host], ['Cookie', cookie], ...Array.from({ length: 4000 }, (_, i) => [`X-H${i}`, 'v']), ['Connection', 'close']]),
    { statuses: [...huge, 200], allowClose: true }, { max: 30 });
  rawCase('100 KiB request target', () => buildRequest('GET', `/api/v1/images?q=${'q'.repeat(100 * 1024)}`, { Host: host, Connection: 'close' }),
    { statuses: huge, allowClose: true }, { max: 30 });
  rawCase('64 KiB cookie', () => buildRequest('GET', '/api/v1/auth/me', { Host: host, Cookie: `rm_session=${'c'.repeat(64 * 1024)}`, Connection: 'close' }),
    { statuses: [...huge, 401], allowClose: true }, { max: 30 });

  // --- raw TCP: bodies over 1 MiB -> 413 -------------------------------------------------------
  const tooLarge = { statuses: [413], code: 'payload_too_large' };
  const bigJson = (size) => Buffer.from(`{"prompt":"${'p'.repeat(size - 13)}"}`); // exactly `size` bytes
  rawCase('body of 1 MiB + 1 (Content-Length)', () => buildRequest('POST', '/api/v1/generations',
    { Host: host, Cookie: cookie, 'Content-Type': 'application/json', 'Content-Length': MiB + 1, Connection: 'close' }, bigJson(MiB + 1)),
  tooLarge, { max: 25, timeoutMs: 20_000 });
  rawCase('body of 3 MiB to register (no credentials needed)', () => buildRequest('POST', '/api/v1/auth/register',
    { Host: host, 'Content-Type': 'application/json', 'Content-Length': 3 * MiB, Connection: 'close' }, bigJson(3 * MiB)),
  tooLarge, { max: 10, timeoutMs: 20_000 });
  rawCase('chunked body over 1 MiB', () => {
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    const parts = [Buffer.from(`POST /api/v1/generations HTTP/1.1\r\nHost: ${host}\r\nCookie: ${cookie}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n`)];
    for (let i = 0; i < 20; i++) parts.push(Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n'));
    parts.push(Buffer.from('0\r\n\r\n'));
    return Buffer.concat(parts);
  }, tooLarge, { max: 10, timeoutMs: 20_000 });
  rawCase('PATCH image with 2 MiB', () => buildRequest('PATCH', `/api/v1/images/${imageId}`,
    { Host: host, Cookie: cookie, 'Content-Type': 'application/json', 'Content-Length': 2 * MiB, Connection: 'close' },
    Buffer.from(`{"title":"${'t'.repeat(2 * MiB - 12)}"}`)),
  tooLarge, { max: 10, timeoutMs: 20_000 });

  // --- fetch: bodies that are not JSON ---------------------------------------------------------
  const notJson = ['{', '{"prompt":', 'nul', '[1,2', '{"prompt":"x",}', "{'prompt':'x'}", '{"prompt":"x"} trailing',
    '{"prompt":"x"', '{"prompt":"x" "width":64}', '{"prompt":"a","width":01}', '<xml/>', 'prompt=x', '\u0000', '{"prompt":"\\x41"}',
    '{"prompt":"tab\tinside"}', '{"prompt":"x","count":+1}'];
  for (const text of notJson) {
    fetchCase(`POST /generations body ${JSON.stringify(text)}`, 'POST', '/api/v1/generations', text, badJson,
      { raw: true, headers: { 'content-type': 'application/json' } });
  }
  fetchCase('POST /generations with an empty body', 'POST', '/api/v1/generations', '', badJson, { raw: true, headers: { 'content-type': 'application/json' } });
  for (const [method, path] of [['PUT', '/api/v1/me/preferences'], ['PATCH', `/api/v1/images/${imageId}`], ['POST', '/api/v1/keys'],
    ['POST', '/api/v1/auth/login'], ['POST', '/api/v1/auth/register']]) {
    for (const text of ['{', '{"a":1,}', 'null x']) {
      fetchCase(`${method} ${path.replace(imageId, '{id}')} body ${JSON.stringify(text)}`, method, path, text, badJson,
        { raw: true, headers: { 'content-type': 'application/json' } });
    }
  }
  for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'image/png']) {
    fetchCase(`POST /generations with Content-Type ${type}`, 'POST', '/api/v1/generations', '{"prompt":"a fox"}',
      { status: 415, code: 'unsupported_media_type' }, { raw: true, headers: { 'content-type': type } });
  }
  fetchCase('unknown member in a generation', 'POST', '/api/v1/generations', { prompt: 'a fox', colour: 'red' }, bad('colour'));
  fetchCase('unknown member in a PATCH', 'PATCH', `/api/v1/images/${imageId}`, { favourite: true }, bad('favourite'));
  for (const text of ['[]', '"text"', '42', 'null', 'true', '[{"prompt":"x"}]']) {
    fetchCase(`POST /generations JSON that is not an object: ${text}`, 'POST', '/api/v1/generations', text,
      { status: 400, code: ['invalid_json', 'invalid_argument'] }, { raw: true, headers: { 'content-type': 'application/json' } });
  }

  // --- fetch: invalid UTF-8 inside JSON strings -> invalid_json --------------------------------
  const badUtf8 = {
    'byte FF': [0xff], 'byte FE': [0xfe], 'overlong slash C0 AF': [0xc0, 0xaf], 'overlong E0 80 80': [0xe0, 0x80, 0x80],
    'UTF-16 surrogate ED A0 80': [0xed, 0xa0, 0x80], 'above U+10FFFF F4 90 80 80': [0xf4, 0x90, 0x80, 0x80],
    'lone continuation 80': [0x80], 'truncated C3': [0xc3], 'truncated F0 9F 98': [0xf0, 0x9f, 0x98], 'byte F8': [0xf8, 0x88, 0x80, 0x80, 0x80],
  };
  const withBytes = (before, bytes, afterText) => Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(afterText)]);
  for (const [label, bytes] of Object.entries(badUtf8)) {
    fetchCase(`prompt with invalid UTF-8 (${label})`, 'POST', '/api/v1/generations', withBytes('{"prompt":"a fox ', bytes, ' at dusk"}'), badJson,
      { raw: true, headers: { 'content-type': 'application/json' } });
    fetchCase(`negative_prompt with invalid UTF-8 (${label})`, 'POST', '/api/v1/generations', withBytes('{"prompt":"ok","negative_prompt":"', bytes, '"}'), badJson,
      { raw: true, headers: { 'content-type': 'application/json' } });
    fetchCase(`member name with invalid UTF-8 (${label})`, 'POST', '/api/v1/generations', withBytes('{"prompt":"ok","', bytes, '":1}'), badJson,
      { raw: true, headers: { 'content-type': 'application/json' } });
  }
  fetchCase('title with invalid UTF-8', 'PATCH', `/api/v1/images/${imageId}`, withBytes('{"title":"', [0xc3, 0x28], '"}'), badJson,
    { raw: true, headers: { 'content-type': 'application/json' } });
  fetchCase('tag with invalid UTF-8', 'PATCH', `/api/v1/images/${imageId}`, withBytes('{"tags":["', [0xff, 0xfe], '"]}'), badJson,
    { raw: true, headers: { 'content-type': 'application/json' } });
  fetchCase('e-mail with invalid UTF-8', 'POST', '/api/v1/auth/register', withBytes('{"email":"a', [0xe2, 0x28, 0xa1], '@example.com","password":"longenough"}'), badJson,
    { raw: true, headers: { 'content-type': 'application/json' }, auth: null });

  // --- fetch: wrong JSON types for every field of a generation ---------------------------------
  const wrongTypes = {
    prompt: [5, true, [], {}, null, ['a fox']],
    negative_prompt: [5, true, [], {}],
    model: [5, true, [], {}],
    style: [5, true, [], {}],
    width: ['512', 512.5, true, [], {}],
    height: ['512', 512.5, false, [], {}],
    steps: ['20', 1.5, true, [], {}],
    cfg_scale: ['7', true, [], {}],
    seed: ['7', 1.5, true, [], -1, 4294967296, 1e20],
    count: ['2', 1.5, true, [], 0, 5, -1],
  };
  for (const [field, values] of Object.entries(wrongTypes)) {
    for (const value of values) {
      fetchCase(`generation ${field}=${JSON.stringify(value)}`, 'POST', '/api/v1/generations',
        { prompt: 'a fox', width: 64, height: 64, ...{ [field]: value } }, bad(field));
    }
  }
  fetchCase('generation without prompt', 'POST', '/api/v1/generations', { width: 64, height: 64 }, bad('prompt'));
  fetchCase('generation with an empty prompt', 'POST', '/api/v1/generations', { prompt: '' }, bad('prompt'));
  fetchCase(`generation with a prompt of ${model.max_prompt_length + 1} characters`, 'POST', '/api/v1/generations',
    { prompt: 'x'.repeat(model.max_prompt_length + 1) }, bad('prompt'));
  fetchCase('generation with a prompt far over the limit', 'POST', '/api/v1/generations', { prompt: 'y'.repeat(200_000) }, bad('prompt'));
  for (const id of ['no-such-model', 'PROCEDURAL', '../etc/passwd', 'x'.repeat(300)]) {
    fetchCase(`generation with model ${JSON.stringify(id.slice(0, 20))}`, 'POST', '/api/v1/generations', { prompt: 'a fox', model: id }, bad('model'));
  }

  // --- fetch: out-of-range sizes and parameters, from the model's capabilities -----------------
  const { min, max, multiple } = model.sizes;
  const badSizes = [min - multiple, max + multiple, 0x7fffffff, -min, 4 * max];
  if (multiple > 1) badSizes.push(min + 1, max - 1);
  for (const v of badSizes) {
    fetchCase(`generation width ${v}`, 'POST', '/api/v1/generations', { prompt: 'a fox', width: v, height: min }, bad('width'));
    fetchCase(`generation height ${v}`, 'POST', '/api/v1/generations', { prompt: 'a fox', width: min, height: v }, bad('height'));
  }
  if (model.steps) {
    fetchCase(`generation steps ${model.steps.max + 1}`, 'POST', '/api/v1/generations', { prompt: 'a fox', steps: model.steps.max + 1 }, bad('steps'));
    if (model.steps.min > 0) fetchCase(`generation steps ${model.steps.min - 1}`, 'POST', '/api/v1/generations', { prompt: 'a fox', steps: model.steps.min - 1 }, bad('steps'));
    fetchCase('generation steps -5', 'POST', '/api/v1/generations', { prompt: 'a fox', steps: -5 }, bad('steps'));
  }
  if (model.cfg_scale) {
    fetchCase(`generation cfg_scale ${model.cfg_scale.max + 1}`, 'POST', '/api/v1/generations', { prompt: 'a fox', cfg_scale: model.cfg_scale.max + 1 }, bad('cfg_scale'));
    fetchCase(`generation cfg_scale ${model.cfg_scale.min - 1}`, 'POST', '/api/v1/generations', { prompt: 'a fox', cfg_scale: model.cfg_scale.min - 1 }, bad('cfg_scale'));
  }
  fetchCase(`generation count ${model.max_count + 1}`, 'POST', '/api/v1/generations', { prompt: 'a fox', count: model.max_count + 1 }, bad('count'));

  // --- fetch: other bodies with wrong fields ---------------------------------------------------
  const img = `/api/v1/images/${imageId}`;
  for (const [body, field] of [[{ favorite: 'yes' }, 'favorite'], [{ favorite: 1 }, 'favorite'], [{ title: 5 }, 'title'],
    [{ title: 'x'.repeat(201) }, 'title'], [{ tags: 'a' }, 'tags'], [{ tags: [1] }, 'tags'], [{ tags: ['x'.repeat(51)] }, 'tags'],
    [{ tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'tags']]) {
    fetchCase(`PATCH image ${JSON.stringify(body).slice(0, 40)}`, 'PATCH', img, body, bad(field));
  }
  const prefs = { model: 'procedural', style: 'neon', width: 512, height: 512, negative_prompt: '', theme: 'dark' };
  for (const [patch, field] of [[{ model: 5 }, 'model'], [{ style: 5 }, 'style'], [{ width: '640' }, 'width'], [{ width: -1 }, 'width'],
    [{ height: 1.5 }, 'height'], [{ negative_prompt: [] }, 'negative_prompt'], [{ theme: 'blue' }, 'theme'], [{ theme: 5 }, 'theme']]) {
    fetchCase(`PUT preferences ${JSON.stringify(patch)}`, 'PUT', '/api/v1/me/preferences', { ...prefs, ...patch }, bad(field));
  }
  for (const [body, field] of [[{ email: 'nope', password: 'longenough' }, 'email'], [{ email: 5, password: 'longenough' }, 'email'],
    [{ email: 'ok@example.com', password: 'short' }, 'password'], [{ email: 'ok@example.com', password: 12345678 }, 'password'],
    [{ email: 'ok@example.com', password: 'z'.repeat(257) }, 'password']]) {
    fetchCase(`register ${JSON.stringify(body).slice(0, 50)}`, 'POST', '/api/v1/auth/register', body, bad(field), { auth: null });
  }
  fetchCase('login with a numeric email', 'POST', '/api/v1/auth/login', { email: 5, password: 'longenough' }, bad('email'), { auth: null });
  fetchCase('key with a numeric name', 'POST', '/api/v1/keys', { name: 5 }, bad('name'));
  fetchCase('key without name', 'POST', '/api/v1/keys', {}, bad('name'));

  // --- fetch: query parameters -----------------------------------------------------------------
  for (const list of ['/api/v1/generations', '/api/v1/images']) {
    for (const cursor of ['!!!', 'abc', 'AAAA', '%00', Buffer.from('{"id":1}').toString('base64url'), 'c'.repeat(1000), '%FF%FE']) {
      fetchCase(`${list} cursor=${cursor.slice(0, 12)}`, 'GET', `${list}?cursor=${cursor}`, undefined, bad('cursor'));
    }
    for (const limit of ['0', '101', '-1', 'abc', '1.5', '99999999999999999999']) {
      fetchCase(`${list} limit=${limit}`, 'GET', `${list}?limit=${limit}`, undefined, bad('limit'));
    }
  }
  fetchCase('images favorite=maybe', 'GET', '/api/v1/images?favorite=maybe', undefined, bad('favorite'));
  fetchCase('images from=yesterday', 'GET', '/api/v1/images?from=yesterday', undefined, bad('from'));
  fetchCase('images to=2026-13-45', 'GET', '/api/v1/images?to=2026-13-45', undefined, bad('to'));
  for (const size of ['300', 'abc', '0', '-256', '1024']) {
    fetchCase(`thumbnail size=${size}`, 'GET', `${img}/thumbnail?size=${size}`, undefined, bad('size'));
  }

  // --- fetch: unknown routes and resources -----------------------------------------------------
  const notFound = { status: 404, code: 'not_found' };
  for (const [method, path] of [['GET', '/api/v1/nope'], ['POST', '/api/v1/nope'], ['GET', '/api/v1/'], ['GET', '/api/v1/generations/x/y/z'],
    ['GET', '/api/v1/imagesx'], ['GET', `${img}/nope`], ['GET', `/api/v1/generations/${generationId}/cancel/extra`],
    ['DELETE', '/api/v1/nope/1']]) {
    fetchCase(`unknown route ${method} ${path.replace(imageId, '{id}').replace(generationId, '{id}')}`, method, path, undefined, notFound);
  }
  const missingId = '01ARZ3NDEKTSV4RRFFQ69G5FAV';
  for (const [method, path, body] of [['GET', `/api/v1/generations/${missingId}`], ['POST', `/api/v1/generations/${missingId}/cancel`],
    ['GET', `/api/v1/generations/${missingId}/events`], ['GET', `/api/v1/images/${missingId}`], ['GET', `/api/v1/images/${missingId}/file`],
    ['GET', `/api/v1/images/${missingId}/thumbnail?size=256`], ['PATCH', `/api/v1/images/${missingId}`, { favorite: true }],
    ['DELETE', `/api/v1/images/${missingId}`], ['DELETE', `/api/v1/keys/${missingId}`], ['GET', '/api/v1/images/not-an-id'],
    ['GET', `/api/v1/images/${'z'.repeat(500)}`]]) {
    fetchCase(`missing resource ${method} ${path.replace(missingId, '{missing}').slice(0, 60)}`, method, path, body, notFound);
  }

  // --- fetch: wrong methods -> 405 + Allow -----------------------------------------------------
  const gen = `/api/v1/generations/${generationId}`;
  for (const [method, path, allow] of [
    ['PUT', '/api/v1/generations', ['GET', 'POST']], ['DELETE', '/api/v1/generations', ['GET', 'POST']],
    ['PATCH', '/api/v1/models', ['GET']], ['DELETE', '/api/v1/models', ['GET']], ['POST', '/api/v1/models', ['GET']],
    ['GET', '/api/v1/auth/login', ['POST']], ['GET', '/api/v1/auth/register', ['POST']], ['DELETE', '/api/v1/auth/logout', ['POST']],
    ['PUT', '/api/v1/auth/me', ['GET']], ['POST', '/api/v1/me/preferences', ['GET', 'PUT']], ['DELETE', '/api/v1/me/preferences', ['GET', 'PUT']],
    ['PUT', '/api/v1/keys', ['GET', 'POST']], ['GET', `/api/v1/keys/${keyId}`, ['DELETE']], ['PATCH', `/api/v1/keys/${keyId}`, ['DELETE']],
    ['PUT', '/api/v1/images', ['GET', 'POST']], ['DELETE', '/api/v1/images', ['GET', 'POST']], ['PUT', img, ['GET', 'PATCH', 'DELETE']],
    ['POST', img, ['GET', 'PATCH', 'DELETE']], ['POST', `${img}/file`, ['GET']], ['DELETE', `${img}/file`, ['GET']],
    ['PUT', `${img}/thumbnail`, ['GET']], ['DELETE', gen, ['GET']], ['PATCH', gen, ['GET']], ['GET', `${gen}/cancel`, ['POST']],
    ['POST', `${gen}/events`, ['GET']],
  ]) {
    fetchCase(`wrong method ${method} ${path.replace(imageId, '{id}').replace(generationId, '{id}').replace(keyId, '{id}')}`, method, path,
      method === 'GET' || method === 'DELETE' ? undefined : {}, { status: 405, code: 'method_not_allowed', allow });
  }

  // --- fetch: missing or bad credentials -> 401 ------------------------------------------------
  const unauth = { status: 401, code: 'unauthenticated' };
  const credentials = {
    none: {},
    'garbage cookie': { cookie: 'rm_session=garbage' },
    'empty cookie': { cookie: 'rm_session=' },
    'cookie of another name': { cookie: 'session=whatever' },
    'garbage bearer': { headers: { authorization: 'Bearer garbage-token' } },
    'empty bearer': { headers: { authorization: 'Bearer ' } },
    'bearer without token': { headers: { authorization: 'Bearer' } },
    'basic auth': { headers: { authorization: `Basic ${Buffer.from('user:pass').toString('base64')}` } },
    'bearer with a cookie value': { headers: { authorization: `Bearer ${cookie.split('=')[1]}` } },
    'cookie with a key secret': { cookie: `rm_session=${token}` },
  };
  for (const [label, cred] of Object.entries(credentials)) {
    for (const [method, path, body] of [['GET', '/api/v1/generations'], ['GET', '/api/v1/images'], ['GET', '/api/v1/keys'],
      ['GET', '/api/v1/auth/me'], ['GET', '/api/v1/me/preferences'], ['POST', '/api/v1/generations', { prompt: 'a fox' }],
      ['GET', img], ['GET', `${img}/file`], ['DELETE', img], ['POST', '/api/v1/keys', { name: 'x' }]]) {
      fetchCase(`${label}: ${method} ${path.replace(imageId, '{id}')}`, method, path, body, unauth,
        { auth: cred.cookie ? { cookie: cred.cookie } : null, headers: cred.headers });
    }
  }
  return cases;
}
