// The cost of the limit checks per request: a read (GET /api/v1/images?limit=1: authentication,
// the request-rate bucket, the disabled check) and a generation (POST /api/v1/generations: the
// same plus the quota admission, the user's usage counted in the transaction that queues the job),
// each against the same server built without limits, on SQLite and on PostgreSQL.
//
//   node bench/limits_bench.mjs --before /path/to/rendermart-slim-without-limits \
//     [--after build/rendermart-slim] [--runs 3] [--reads 2000] [--generations 400] \
//     [--labels "without limits,with limits"] [--shared-seconds 10]
//
// --labels names the two binaries in the table: the same script compares any two builds (for
// example request rates counted per process against rates shared through the database).
//
// Then, per binary and run, how many requests two API processes on one PostgreSQL database let
// one user make in --shared-seconds with the default limit (600 a minute, bursts of 120), while
// 8 clients send GET /api/v1/images?limit=1 as fast as they can to both processes in turn. One
// allowance shared by the processes lets 120 + 10 a second through.
//
// Each run starts a fresh `rendermart api` (no workers, so queued jobs stay in flight and each
// admission counts them all) per binary and backend, interleaved run by run; requests are
// sequential on one keep-alive connection with an API key, and each run reports its median and
// p99 latency. Both binaries get limits so high that nothing is refused: every check runs in
// full (a binary without limits ignores them). PostgreSQL is the throw-away cluster of
// bench/pg_cluster.mjs. Prints Markdown.

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
    labels: { type: 'string', default: 'without limits,with limits' },
    'shared-seconds': { type: 'string', default: '10' },
  },
});
if (!opts.before) throw new Error('--before: a rendermart binary built without limits');
const RUNS = Number(opts.runs);
const READS = Number(opts.reads);
const GENERATIONS = Number(opts.generations);
const SHARED_SECONDS = Number(opts['shared-seconds']);
const SHARED_CLIENTS = 8;
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

function call(port, method, urlPath, { body, headers = {}, via = agent } = {}) {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({ host: '127.0.0.1', port, method, path: urlPath, agent: via,
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

// A new user's API key header, registered through the server on `port`.
async function newUserKey(port) {
  const email = `bench-${Date.now()}-${Math.random().toString(36).slice(2)}@example.com`;
  const reg = await call(port, 'POST', '/api/v1/auth/register', { body: { email, password: 'correct horse battery staple' } });
  const cookie = reg.headers['set-cookie'][0].split(';')[0];
  const key = JSON.parse((await call(port, 'POST', '/api/v1/keys', { body: { name: 'bench' }, headers: { cookie, origin: `http://127.0.0.1:${port}` } })).text).secret;
  return { authorization: `Bearer ${key}` };
}

async function measure(bin, env) {
  const server = await startServer(bin, env);
  try {
    const { port } = server;
    const auth = await newUserKey(port);
    await timed(200, () => call(port, 'GET', '/api/v1/images?limit=1', { headers: auth }), 200);  // warm-up
    const read = await timed(READS, () => call(port, 'GET', '/api/v1/images?limit=1', { headers: auth }), 200);
    const generation = await timed(GENERATIONS, (i) => call(port, 'POST', '/api/v1/generations',
      { headers: auth, body: { prompt: `a lighthouse ${i}`, width: 64, height: 64, steps: 1 } }), 202);
    return { read, generation };
  } finally {
    await server.stop();
  }
}

async function sharedRate(bin, databaseUrl) {
  const servers = [];
  for (let i = 0; i < 2; i++) servers.push(await startServer(bin, { RENDERMART_DATABASE_URL: databaseUrl }));
  try {
    const auth = await newUserKey(servers[0].port);
    const via = new http.Agent({ keepAlive: true, maxSockets: SHARED_CLIENTS });
    const counts = { allowed: 0, refused: 0 };
    const end = Date.now() + SHARED_SECONDS * 1000;
    await Promise.all(Array.from({ length: SHARED_CLIENTS }, async (_, client) => {
      for (let i = client; Date.now() < end; i++) {
        const res = await call(servers[i % 2].port, 'GET', '/api/v1/images?limit=1', { headers: auth, via });
        if (res.status === 200) counts.allowed++;
        else if (res.status === 429) counts.refused++;
        else throw new Error(`expected 200 or 429, got ${res.status} ${res.text}`);
      }
    }));
    via.destroy();
    return counts;
  } finally {
    for (const server of servers) await server.stop();
  }
}

const pg = await postgres();
const results = {};  // "backend/request/side" -> [{p50, p99}]
const [beforeLabel, afterLabel] = opts.labels.split(',');
const sides = [[beforeLabel, opts.before, UNLIMITED], [afterLabel, opts.after, UNLIMITED]];
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
const shared = {};  // side -> [{allowed, refused}]
for (let run = 0; run < RUNS; run++) {
  for (const [side, bin] of sides) {
    const counts = await sharedRate(bin, await pg.database());
    (shared[side] ??= []).push(counts);
    process.stderr.write(`run ${run + 1} two processes ${side}: ${counts.allowed} allowed, ${counts.refused} refused\n`);
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

console.log(`\nTwo API processes on one PostgreSQL database, one user, ${SHARED_CLIENTS} clients alternating between them for ${SHARED_SECONDS} s, default limit (600 a minute, bursts of 120: one allowance lets ${120 + 10 * SHARED_SECONDS} through); median of ${RUNS} runs (each run in brackets):\n`);
console.log('| Server | requests allowed | requests refused |');
console.log('|---|---|---|');
const counts = (xs) => `${median(xs)} (${xs.join(', ')})`;
for (const [side] of sides) {
  console.log(`| ${side} | ${counts(shared[side].map((c) => c.allowed))} | ${counts(shared[side].map((c) => c.refused))} |`);
}
