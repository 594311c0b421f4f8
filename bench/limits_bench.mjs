// The cost of the limit checks per request: a read (GET /api/v1/images?limit=1: authentication,
// the request-rate bucket, the disabled check) and a generation (POST /api/v1/generations: the
// same plus the quota admission, the user's usage counted in the transaction that queues the job),
// each against the same server built without limits, on SQLite and on PostgreSQL.
//
//   node bench/limits_bench.mjs --before /path/to/rendermart-slim-without-limits \
//     [--after build/rendermart-slim] [--runs 3] [--reads 2000] [--generations 400]
//
// Each run starts a fresh `rendermart api` (no workers, so queued jobs stay in flight and each
// admission counts them all) per binary and backend, interleaved run by run; requests are
// sequential on one keep-alive connection with an API key, and each run reports its median and
// p99 latency. The binary with limits gets limits so high that nothing is refused: every check
// runs in full. PostgreSQL is the throw-away cluster of bench/pg_cluster.mjs. Prints Markdown.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: opts } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: path.join(ROOT, 'build', 'rendermart-slim') },
    runs: { type: 'string', default: '3' },
    reads: { type: 'string', default: '2000' },
    generations: { type: 'string', default: '400' },
  },
});
if (!opts.before) throw new Error('--before: a rendermart binary built without limits');
const RUNS = Number(opts.runs);
const READS = Number(opts.reads);
const GENERATIONS = Number(opts.generations);
const HIGH = '1000000000';
const UNLIMITED = {
  RENDERMART_MAX_JOBS_IN_FLIGHT: HIGH, RENDERMART_MAX_IMAGES_PER_DAY: HIGH,
  RENDERMART_REQUESTS_PER_MINUTE: HIGH, RENDERMART_REQUEST_BURST: HIGH,
};

async function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// A throw-away PostgreSQL cluster that hands out empty databases.
async function postgres() {
  const child = spawn(process.execPath, [path.join(ROOT, 'bench', 'pg_cluster.mjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const waiting = [];
  lines.on('line', (line) => waiting.shift()?.(line));
  const next = () => new Promise((resolve) => waiting.push(resolve));
  await next();
  return {
    database: async () => { const url = next(); child.stdin.write('database\n'); return url; },
    stop: () => new Promise((resolve) => { child.on('exit', resolve); child.stdin.end(); }),
  };
}

const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(port, method, urlPath, { body, headers = {} } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent,
      headers: { ...headers, ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}) } }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(payload);
  });
}

async function startServer(bin, env) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rendermart-limits-bench-'));
  const port = await freePort();
  const child = spawn(bin, ['api', '--port', String(port), '--data-dir', dataDir, '--log-format', 'text', '--log-level', 'warn'],
    { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
  for (let i = 0; i < 300; i++) {
    try { if ((await call(port, 'GET', '/healthz')).status === 200) break; } catch { /* not yet */ }
    await sleep(50);
  }
  return {
    port,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.on('exit', resolve));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

function percentile(sorted, p) { return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]; }
const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s[Math.floor(s.length / 2)]; };

async function timed(n, request, expected) {
  const ms = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    const res = await request(i);
    ms.push(Number(process.hrtime.bigint() - t) / 1e6);
    if (res.status !== expected) throw new Error(`expected ${expected}, got ${res.status} ${res.text}`);
  }
  ms.sort((a, b) => a - b);
  return { p50: percentile(ms, 0.5), p99: percentile(ms, 0.99) };
}

async function measure(bin, env) {
  const server = await startServer(bin, env);
  try {
    const { port } = server;
    const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
    const reg = await call(port, 'POST', '/api/v1/auth/register', { body: { email, password: 'correct horse battery staple' } });
    const cookie = reg.headers['set-cookie'][0].split(';')[0];
    const key = JSON.parse((await call(port, 'POST', '/api/v1/keys', { body: { name: 'bench' }, headers: { cookie, origin: `http://127.0.0.1:${port}` } })).text).secret;
    const auth = { authorization: `Bearer ${key}` };
    await timed(200, () => call(port, 'GET', '/api/v1/images?limit=1', { headers: auth }), 200);  // warm-up
    const read = await timed(READS, () => call(port, 'GET', '/api/v1/images?limit=1', { headers: auth }), 200);
    const generation = await timed(GENERATIONS, (i) => call(port, 'POST', '/api/v1/generations',
      { headers: auth, body: { prompt: `a lighthouse ${i}`, width: 64, height: 64, steps: 1 } }), 202);
    return { read, generation };
  } finally {
    await server.stop();
  }
}

const pg = await postgres();
const results = {};  // "backend/request/side" -> [{p50, p99}]
const sides = [['without limits', opts.before, {}], ['with limits', opts.after, UNLIMITED]];
for (let run = 0; run < RUNS; run++) {
  for (const backend of ['SQLite', 'PostgreSQL']) {
    for (const [side, bin, env] of sides) {
      const backendEnv = backend === 'PostgreSQL' ? { RENDERMART_DATABASE_URL: await pg.database() } : {};
      const r = await measure(bin, { ...env, ...backendEnv });
      for (const request of ['read', 'generation']) {
        (results[`${backend}/${request}/${side}`] ??= []).push(r[request]);
      }
      process.stderr.write(`run ${run + 1} ${backend} ${side}: read p50 ${r.read.p50.toFixed(3)} ms, generation p50 ${r.generation.p50.toFixed(3)} ms\n`);
    }
  }
}
await pg.stop();

const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
const fmt = (xs) => `${median(xs).toFixed(3)} (${xs.map((x) => x.toFixed(3)).join(', ')})`;
console.log(`${cpu}, ${os.cpus().length} vCPUs; ${READS} reads then ${GENERATIONS} generations per run, sequential on one keep-alive connection; ${RUNS} runs interleaved, medians of the runs (each run in brackets), milliseconds.\n`);
console.log('| Backend | Request | Server | p50 ms | p99 ms |');
console.log('|---|---|---|---|---|');
for (const backend of ['SQLite', 'PostgreSQL']) {
  for (const [request, label] of [['read', '`GET /api/v1/images?limit=1`'], ['generation', '`POST /api/v1/generations`']]) {
    for (const [side] of sides) {
      const runs = results[`${backend}/${request}/${side}`];
      console.log(`| ${backend} | ${label} | ${side} | ${fmt(runs.map((r) => r.p50))} | ${fmt(runs.map((r) => r.p99))} |`);
    }
  }
}
