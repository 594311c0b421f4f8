#!/usr/bin/env node
// A local S3 for tests: s3rver (an implementation of the S3 REST protocol, which does not check
// SigV4 on its own) behind a front that recomputes every request's signature with the AWS SDK for
// JavaScript's signer (@smithy/signature-v4) and answers 403 on any difference, as S3 does.
//
//   node tests/support/s3/server.mjs [--bucket NAME] [--region R] [--access-key-id ID]
//                                    [--secret-access-key SECRET] [--session-token TOKEN]
//
// Listens on 127.0.0.1 (free ports), creates the bucket in a temporary directory, then prints one
// JSON line: {"endpoint":"http://127.0.0.1:PORT","bucket":..,"region":..,"access_key_id":..,
// "secret_access_key":..,"directory":..} (directory: where s3rver keeps the objects, for tests that
// look at what is stored without going through S3's listing). Stops (and removes the directory) on SIGTERM, SIGINT or when stdin
// closes. Failure injection: one JSON command per stdin line, each acknowledged by one JSON line
// on stdout ({"ok":true,...}):
//   {"slowdown": N}   the next N requests get 503 SlowDown
//   {"down_ms": M}    stop listening (connections refused) for M ms; acknowledged once down
//   {"up": true}      listen again now
//   {"stats": true}   just report {"requests":..,"denied":..,"slowdown_left":..}

import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';
import S3rver from 's3rver';

const { values: args } = parseArgs({
  options: {
    bucket: { type: 'string', default: 'rendermart-test' },
    region: { type: 'string', default: 'us-east-1' },
    'access-key-id': { type: 'string', default: 'AKIDRENDERMARTTEST' },
    'secret-access-key': { type: 'string', default: 'rendermart/test+secret/key0123456789abcdef' },
    'session-token': { type: 'string', default: '' },
  },
});

const HOST = '127.0.0.1';
// S3 rejects signed requests whose date is further than this from its clock.
const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const PRESIGN_PARAMS = new Set([
  'X-Amz-Algorithm', 'X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires',
  'X-Amz-SignedHeaders', 'X-Amz-Signature', 'X-Amz-Security-Token',
]);

const directory = mkdtempSync(join(tmpdir(), 'rendermart-s3-'));
const state = { requests: 0, denied: 0, slowdownLeft: 0 };

class Denied extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

function errorXml(code, message) {
  const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${escape(message)}</Message></Error>`;
}

// "a=1&b=&a=2" -> [["a","1"],["b",""],["a","2"]], decoded.
function parseQuery(raw) {
  if (!raw) return [];
  return raw.split('&').filter(Boolean).map((pair) => {
    const eq = pair.indexOf('=');
    const name = eq < 0 ? pair : pair.slice(0, eq);
    const value = eq < 0 ? '' : pair.slice(eq + 1);
    return [decodeURIComponent(name), decodeURIComponent(value)];
  });
}

// The signer's query shape: repeated names become arrays.
function queryObject(pairs) {
  const out = {};
  for (const [name, value] of pairs) {
    if (!(name in out)) out[name] = value;
    else if (Array.isArray(out[name])) out[name].push(value);
    else out[name] = [out[name], value];
  }
  return out;
}

function parseAmzDate(text) {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text ?? '');
  if (!m) throw new Denied(403, 'AccessDenied', `unreadable X-Amz-Date '${text}'`);
  return new Date(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6]));
}

function signerFor(region, service, sessionToken) {
  return new SignatureV4({
    credentials: {
      accessKeyId: args['access-key-id'],
      secretAccessKey: args['secret-access-key'],
      ...(sessionToken ? { sessionToken } : {}),
    },
    region,
    service,
    sha256: Sha256,
    uriEscapePath: false, // S3: the path is signed as sent
    applyChecksum: false,
  });
}

function checkScope(keyId, date, region, service, signingDate) {
  if (keyId !== args['access-key-id']) {
    throw new Denied(403, 'InvalidAccessKeyId',
      'The AWS Access Key Id you provided does not exist in our records.');
  }
  if (region !== args.region || service !== 's3') {
    throw new Denied(403, 'SignatureDoesNotMatch', `credential scope ${region}/${service} is not ${args.region}/s3`);
  }
  if (date !== signingDate.toISOString().slice(0, 10).replace(/-/g, '')) {
    throw new Denied(403, 'SignatureDoesNotMatch', 'credential scope date differs from X-Amz-Date');
  }
}

function signedHeadersOf(req, names) {
  const headers = {};
  for (const name of names.split(';')) {
    if (req.headers[name] === undefined) {
      throw new Denied(403, 'SignatureDoesNotMatch', `signed header '${name}' is missing`);
    }
    headers[name] = req.headers[name];
  }
  return headers;
}

// Throws Denied unless the request carries a valid signature (header or presigned URL).
async function verify(req, rawPath, pairs, body) {
  const auth = req.headers.authorization;
  const presigned = pairs.some(([name]) => name === 'X-Amz-Signature');
  if (auth) {
    const m = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/
      .exec(auth);
    if (!m) throw new Denied(403, 'SignatureDoesNotMatch', `malformed Authorization header: ${auth}`);
    const [, keyId, date, region, service, signedHeaders, signature] = m;
    const signingDate = parseAmzDate(req.headers['x-amz-date']);
    checkScope(keyId, date, region, service, signingDate);
    if (Math.abs(Date.now() - signingDate.getTime()) > MAX_CLOCK_SKEW_MS) {
      throw new Denied(403, 'RequestTimeTooSkewed', 'The difference between the request time and the current time is too large.');
    }
    const payloadHash = req.headers['x-amz-content-sha256'];
    if (!payloadHash) throw new Denied(400, 'InvalidRequest', 'Missing required header for this request: x-amz-content-sha256');
    if (payloadHash !== UNSIGNED_PAYLOAD && payloadHash !== createHash('sha256').update(body).digest('hex')) {
      throw new Denied(400, 'XAmzContentSHA256Mismatch', "The provided 'x-amz-content-sha256' header does not match what was computed.");
    }
    const token = req.headers['x-amz-security-token'];
    if ((token ?? '') !== args['session-token']) throw new Denied(403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
    const signed = await signerFor(region, service, token).sign(
      { method: req.method, protocol: 'http:', hostname: HOST, path: rawPath,
        query: queryObject(pairs), headers: signedHeadersOf(req, signedHeaders) },
      { signingDate });
    const expected = /Signature=([0-9a-f]{64})/.exec(signed.headers.authorization)[1];
    if (expected !== signature) {
      throw new Denied(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    }
    return;
  }
  if (presigned) {
    const q = Object.fromEntries(pairs.filter(([name]) => PRESIGN_PARAMS.has(name)));
    if (q['X-Amz-Algorithm'] !== 'AWS4-HMAC-SHA256') throw new Denied(403, 'AccessDenied', 'unsupported X-Amz-Algorithm');
    const [keyId, date, region, service] = (q['X-Amz-Credential'] ?? '').split('/');
    const signingDate = parseAmzDate(q['X-Amz-Date']);
    checkScope(keyId, date, region, service, signingDate);
    const expires = Number(q['X-Amz-Expires']);
    if (!Number.isInteger(expires) || expires < 1 || expires > 604800) {
      throw new Denied(403, 'AuthorizationQueryParametersError', 'X-Amz-Expires must be between 1 and 604800 seconds');
    }
    if (Date.now() > signingDate.getTime() + expires * 1000) throw new Denied(403, 'AccessDenied', 'Request has expired');
    const token = q['X-Amz-Security-Token'];
    if ((token ?? '') !== args['session-token']) throw new Denied(403, 'InvalidToken', 'The provided token is malformed or otherwise invalid.');
    const rest = pairs.filter(([name]) => !PRESIGN_PARAMS.has(name));
    const headers = { ...signedHeadersOf(req, q['X-Amz-SignedHeaders'] ?? 'host'), 'x-amz-content-sha256': UNSIGNED_PAYLOAD };
    const keep = new Set(['x-amz-content-sha256']);
    const presignedRequest = await signerFor(region, service, token).presign(
      { method: req.method, protocol: 'http:', hostname: HOST, path: rawPath, query: queryObject(rest), headers },
      { signingDate, expiresIn: expires, unsignableHeaders: keep, unhoistableHeaders: keep });
    if (presignedRequest.query['X-Amz-Signature'] !== q['X-Amz-Signature']) {
      throw new Denied(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.');
    }
    return;
  }
  throw new Denied(403, 'AccessDenied', 'Anonymous access is not allowed');
}

const s3rver = new S3rver({
  address: HOST,
  port: 0,
  silent: true,
  directory,
  configureBuckets: [{ name: args.bucket, configs: [] }],
});
const backend = await s3rver.run();

function forward(req, res, rawPath, rawQuery, body) {
  // The front has checked the signature; s3rver sees an anonymous request.
  const query = rawQuery.split('&').filter((pair) => pair && !PRESIGN_PARAMS.has(decodeURIComponent(pair.split('=')[0]))).join('&');
  const headers = { ...req.headers, host: `${HOST}:${backend.port}` };
  delete headers.authorization;
  const upstream = http.request(
    { host: HOST, port: backend.port, method: req.method, path: rawPath + (query ? `?${query}` : ''), headers },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    });
  upstream.on('error', (error) => {
    res.writeHead(500, { 'content-type': 'application/xml' });
    res.end(errorXml('InternalError', error.message));
  });
  upstream.end(body);
}

const sockets = new Set();
const front = http.createServer((req, res) => {
  const chunks = [];
  req.on('data', (chunk) => chunks.push(chunk));
  req.on('end', async () => {
    state.requests += 1;
    const body = Buffer.concat(chunks);
    const question = req.url.indexOf('?');
    const rawPath = question < 0 ? req.url : req.url.slice(0, question);
    const rawQuery = question < 0 ? '' : req.url.slice(question + 1);
    const deny = (status, code, message) => {
      state.denied += 1;
      res.writeHead(status, { 'content-type': 'application/xml' });
      res.end(req.method === 'HEAD' ? undefined : errorXml(code, message));
    };
    if (state.slowdownLeft > 0) {
      state.slowdownLeft -= 1;
      deny(503, 'SlowDown', 'Please reduce your request rate.');
      return;
    }
    try {
      await verify(req, rawPath, parseQuery(rawQuery), body);
    } catch (error) {
      if (error instanceof Denied) deny(error.status, error.code, error.message);
      else deny(400, 'InvalidRequest', String(error?.message ?? error));
      return;
    }
    forward(req, res, rawPath, rawQuery, body);
  });
});
front.on('connection', (socket) => {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
});

const listen = (port) => new Promise((resolve, reject) => {
  front.once('error', reject);
  front.listen(port, HOST, () => {
    front.off('error', reject);
    resolve(front.address().port);
  });
});
const port = await listen(0);

let downTimer;
const goDown = () => new Promise((resolve) => {
  front.close(() => resolve());
  for (const socket of sockets) socket.destroy();
});
const goUp = async () => {
  clearTimeout(downTimer);
  if (!front.listening) await listen(port);
};

const reply = (object) => process.stdout.write(`${JSON.stringify(object)}\n`);
const stats = () => ({ requests: state.requests, denied: state.denied, slowdown_left: state.slowdownLeft, listening: front.listening });

let stopping = false;
async function stop() {
  if (stopping) return;
  stopping = true;
  clearTimeout(downTimer);
  for (const socket of sockets) socket.destroy();
  if (front.listening) front.close();
  await s3rver.close().catch(() => {});
  rmSync(directory, { recursive: true, force: true });
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);

const commands = createInterface({ input: process.stdin });
commands.on('line', async (line) => {
  if (!line.trim()) return;
  try {
    const command = JSON.parse(line);
    if (Number.isInteger(command.slowdown)) state.slowdownLeft = command.slowdown;
    if (Number.isInteger(command.down_ms)) {
      await goDown();
      downTimer = setTimeout(() => goUp().catch(() => {}), command.down_ms);
    }
    if (command.up) await goUp();
    reply({ ok: true, ...stats() });
  } catch (error) {
    reply({ ok: false, error: String(error?.message ?? error) });
  }
});
commands.on('close', stop);

reply({
  endpoint: `http://${HOST}:${port}`,
  bucket: args.bucket,
  region: args.region,
  access_key_id: args['access-key-id'],
  secret_access_key: args['secret-access-key'],
  session_token: args['session-token'],
  directory,
});
