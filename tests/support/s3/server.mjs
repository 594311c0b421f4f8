#!/usr/bin/env node
// A local S3 for tests: s3rver (an implementation of the S3 REST protocol, which does not check
// SigV4 on its own) behind a front that recomputes every request's signature with the AWS SDK for
// JavaScript's signer (@smithy/signature-v4, see ../sigv4/verify.mjs) and answers 403 on any
// difference, as S3 does.
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

import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import S3rver from 's3rver';

import { reply, serveCommands } from '../control.mjs';
import { Denied, PRESIGN_PARAMS, parseQuery, sigv4Verifier } from '../sigv4/verify.mjs';

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

const directory = mkdtempSync(join(tmpdir(), 'rendermart-s3-'));
const state = { requests: 0, denied: 0, slowdownLeft: 0 };

function errorXml(code, message) {
  const escape = (s) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code>` +
    `<Message>${escape(message)}</Message></Error>`;
}

const verify = sigv4Verifier({
  service: 's3',
  region: args.region,
  accessKeyId: args['access-key-id'],
  secretAccessKey: args['secret-access-key'],
  sessionToken: args['session-token'],
  s3: true,
});

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
serveCommands(async (command) => {
  if (Number.isInteger(command.slowdown)) state.slowdownLeft = command.slowdown;
  if (Number.isInteger(command.down_ms)) {
    await goDown();
    downTimer = setTimeout(() => goUp().catch(() => {}), command.down_ms);
  }
  if (command.up) await goUp();
  return stats();
}, stop);

reply({
  endpoint: `http://${HOST}:${port}`,
  bucket: args.bucket,
  region: args.region,
  access_key_id: args['access-key-id'],
  secret_access_key: args['secret-access-key'],
  session_token: args['session-token'],
  directory,
});
