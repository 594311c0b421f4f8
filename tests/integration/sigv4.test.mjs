// Cross-check of the aws module's SigV4 signer against the AWS SDK for JavaScript's
// (@smithy/signature-v4): a few hundred random requests, both must produce the same signature.
// Our signer runs in the test-only executable tests/support/sigv4_tool.cpp, whose path is
// $SIGV4_TOOL (default <repo>/build/tests/sigv4_tool). The random sequence is reproducible:
// SIGV4_SEED=<n> replays a run (the seed is printed on failure).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const tool = process.env.SIGV4_TOOL || join(repo, 'build', 'tests', 'sigv4_tool');
const seed = Number(process.env.SIGV4_SEED ?? Date.now() % 2 ** 31);
const CASES = 400;
const TOOL_TIMEOUT_MS = 30_000;
const MAX_PRESIGN_EXPIRY = 604800;

// mulberry32: small, seedable, good enough to pick test inputs.
function rng(state) {
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// AWS's URI encoding (RFC 3986 unreserved kept): what goes on the wire.
const awsEncode = (s) =>
  encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

function generator(random) {
  const int = (n) => Math.floor(random() * n);
  const pick = (list) => list[int(list.length)];
  const chars = [
    ...'abcXYZ019-._~', ' ', '  ', '/', '+', '%', '%2F', '=', '&', '?', '#', ':', '@', '!', '$',
    "'", '(', ')', '*', ',', ';', '[', ']', '"', '<', '>', '\\', '^', '`', '{', '|', '}',
    'ü', 'é', '€', '漢字', '🖼', '\u00a0',
  ];
  const text = (max) => Array.from({ length: int(max + 1) }, () => pick(chars)).join('');
  const segment = () => pick([text(6), text(3), '', '.', '..', 'model', 'stability.sd3-5-large-v1:0']);
  const path = () => {
    const segments = Array.from({ length: 1 + int(4) }, segment);
    // Empty, '.' and '..' segments on purpose; an empty path means '/' to both signers.
    if (random() < 0.03) return '';
    return `/${segments.join('/')}${random() < 0.2 ? '/' : ''}`;
  };
  const headerNames = ['Content-Type', 'x-amz-meta-Owner', 'X-Custom-Header', 'x-amz-acl',
    'Content-MD5', 'Range', 'x-amz-storage-class', 'If-None-Match', 'x-amz-target', 'Accept'];
  const headerValue = () =>
    pick(['', ' ', '\t']) + text(4).replace(/[\r\n]/g, '') + pick(['  ', '\t ', ' ']) + text(3) + pick(['', ' ', '\t']);
  const query = () => {
    const keys = ['a', 'A', 'b', 'x-id', 'list-type', 'prefix', 'uploads', 'partNumber', text(3), text(2)];
    const pairs = [];
    const n = int(5);
    for (let i = 0; i < n; i++) {
      const key = pick(keys);
      if (key === '' || key.startsWith('X-Amz-')) continue;
      pairs.push([key, random() < 0.25 ? '' : text(5)]);
      if (random() < 0.2) pairs.push([key, text(3)]); // repeated key
    }
    return pairs;
  };
  return { int, pick, text, path, headerNames, headerValue, query };
}

function smithyQuery(pairs) {
  const out = {};
  for (const [k, v] of pairs) {
    if (!(k in out)) out[k] = v;
    else out[k] = [].concat(out[k], v);
  }
  return out;
}

function makeCase(g, random, index) {
  const s3 = random() < 0.5;
  const presign = random() < 0.35;
  const region = g.pick(['us-east-1', 'eu-west-3', 'ap-southeast-2']);
  const service = s3 ? 's3' : g.pick(['bedrock', 'sts', 'execute-api']);
  const host = s3 ? `bucket-${index}.s3.${region}.amazonaws.com` : `${service}.${region}.amazonaws.com`;
  const headers = { host };
  const used = new Set(['host']);
  for (let i = g.int(4); i > 0; i--) {
    const name = g.pick(g.headerNames);
    // Presigned URLs: the JS signer hoists x-amz-* headers into the query; ours signs headers as given.
    if (used.has(name.toLowerCase()) || (presign && name.toLowerCase().startsWith('x-amz-'))) continue;
    used.add(name.toLowerCase());
    headers[name] = g.headerValue();
  }
  return {
    s3,
    presign,
    method: g.pick(['GET', 'PUT', 'POST', 'DELETE', 'HEAD', 'PATCH']),
    path: g.path(),
    query: g.query(),
    headers,
    body: presign ? '' : g.pick(['', 'hello', '{"prompt":"a cat ü"}', g.text(40)]),
    unsignedPayload: s3 && !presign && random() < 0.2,
    region,
    service,
    accessKeyId: `AKID${g.int(1e6)}`,
    secretAccessKey: g.pick(['wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', `secret+/${g.text(8)}`]),
    sessionToken: random() < 0.4 ? `token/${g.text(12)}==` : '',
    time: 1420070400 + g.int(20 * 365 * 86400), // 2015..2035
    expires: 1 + g.int(MAX_PRESIGN_EXPIRY),
  };
}

async function smithySign(c) {
  const signer = new SignatureV4({
    credentials: { accessKeyId: c.accessKeyId, secretAccessKey: c.secretAccessKey, ...(c.sessionToken ? { sessionToken: c.sessionToken } : {}) },
    region: c.region,
    service: c.service,
    sha256: Sha256,
    uriEscapePath: !c.s3,
    applyChecksum: c.s3,
  });
  const wirePath = c.path.split('/').map(awsEncode).join('/');
  const request = { method: c.method, protocol: 'https:', hostname: c.headers.host, path: wirePath, query: smithyQuery(c.query), headers: { ...c.headers } };
  const signingDate = new Date(c.time * 1000);
  if (c.presign) {
    const keep = new Set(['x-amz-content-sha256']);
    if (c.s3) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
    const signed = await signer.presign(request, { signingDate, expiresIn: c.expires, unsignableHeaders: keep, unhoistableHeaders: keep });
    return signed.query;
  }
  if (c.unsignedPayload) request.headers['x-amz-content-sha256'] = 'UNSIGNED-PAYLOAD';
  else request.body = c.body;
  const signed = await signer.sign(request, { signingDate });
  return signed.headers.authorization;
}

function toolInput(c) {
  const input = {
    method: c.method, path: c.path, query: c.query, headers: Object.entries(c.headers),
    region: c.region, service: c.service, s3: c.s3, access_key_id: c.accessKeyId,
    secret_access_key: c.secretAccessKey, session_token: c.sessionToken, time: c.time,
  };
  if (c.presign) {
    input.presign_expires = c.expires;
    input.payload_hash = c.s3 ? 'UNSIGNED-PAYLOAD' : createHash('sha256').update('').digest('hex');
  } else if (c.unsignedPayload) {
    input.payload_hash = 'UNSIGNED-PAYLOAD';
  } else {
    input.body = c.body;
  }
  return input;
}

function parseQueryString(query) {
  const out = {};
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const k = decodeURIComponent(pair.slice(0, eq));
    const v = decodeURIComponent(pair.slice(eq + 1));
    out[k] = k in out ? [].concat(out[k], v) : v;
  }
  for (const k of Object.keys(out)) if (Array.isArray(out[k])) out[k].sort();
  return out;
}

// Runs the tool over every input (one line each) and returns its answers in order.
async function runTool(inputs) {
  const child = spawn(tool, [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), TOOL_TIMEOUT_MS);
  try {
    const lines = createInterface({ input: child.stdout });
    child.stdin.end(inputs.map((i) => JSON.stringify(i)).join('\n') + '\n');
    const answers = [];
    for await (const line of lines) answers.push(JSON.parse(line));
    return answers;
  } finally {
    clearTimeout(timer);
    child.kill();
  }
}

test('our SigV4 signatures equal @smithy/signature-v4 for random requests', async (t) => {
  assert.ok(existsSync(tool), `sigv4_tool not found at ${tool}: build the sigv4_tool target or set SIGV4_TOOL`);
  const random = rng(seed);
  const g = generator(random);
  const cases = Array.from({ length: CASES }, (_, i) => makeCase(g, random, i));
  const answers = await runTool(cases.map(toolInput));
  assert.equal(answers.length, cases.length);
  let presigned = 0;
  for (const [i, c] of cases.entries()) {
    const ours = answers[i];
    const context = `seed ${seed}, case ${i}: ${JSON.stringify(toolInput(c))}`;
    assert.equal(ours.error, undefined, context);
    const theirs = await smithySign(c);
    if (c.presign) {
      presigned += 1;
      const mine = parseQueryString(ours.query);
      const expected = Object.fromEntries(Object.entries(theirs).map(([k, v]) => [k, Array.isArray(v) ? [...v].sort() : v]));
      assert.deepEqual(mine, expected, context);
    } else {
      assert.equal(ours.authorization, theirs, context);
    }
  }
  t.diagnostic(`seed ${seed}: ${cases.length} requests, ${presigned} presigned`);
  assert.ok(presigned > CASES / 5);
});

test('both signers refuse presigned URLs beyond 7 days', async () => {
  assert.ok(existsSync(tool), `sigv4_tool not found at ${tool}`);
  const base = {
    method: 'GET', path: '/k', query: [], headers: [['host', 'b.s3.amazonaws.com']], region: 'us-east-1',
    service: 's3', s3: true, access_key_id: 'AKID', secret_access_key: 's', time: 1700000000,
    payload_hash: 'UNSIGNED-PAYLOAD',
  };
  const [tooLong, longest] = await runTool([
    { ...base, presign_expires: MAX_PRESIGN_EXPIRY + 1 },
    { ...base, presign_expires: MAX_PRESIGN_EXPIRY },
  ]);
  assert.match(tooLong.error ?? '', /604800/);
  assert.ok(longest.query.includes('X-Amz-Expires=604800'));
  const signer = new SignatureV4({ credentials: { accessKeyId: 'AKID', secretAccessKey: 's' }, region: 'us-east-1', service: 's3', sha256: Sha256 });
  await assert.rejects(signer.presign({ method: 'GET', protocol: 'https:', hostname: 'b', path: '/k', query: {}, headers: { host: 'b' } }, { expiresIn: MAX_PRESIGN_EXPIRY + 1 }));
});
