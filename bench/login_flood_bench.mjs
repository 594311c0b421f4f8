#!/usr/bin/env node
// Read latency under a wrong-password login flood, and what the sign-in throttle lets an attacker
// try, on 127.0.0.1:
//   1. GET /api/v1/images (wrk, 4 connections, one thread) while 0, 8 and 64 connections flood
//      POST /api/v1/auth/login with a wrong password (a second wrk), for three servers: the binary
//      from before the password pool (--before), the current one with its defaults (the flood,
//      from one address, is soon answered 429 by the throttle), and the current one with the
//      throttle out of reach (an attacker spread over many addresses and accounts: only the
//      password pool protects the reads). Medians of --runs runs; the server's peak RSS.
//   2. The password checks one attacker gets on one account in a minute, retrying each 429 after
//      its Retry-After.
// Usage: node bench/login_flood_bench.mjs --before PATH [--after build/rendermart] [--runs 3]
//        [--seconds 8] [--floods 0,8,64] [--throttle-minutes 1]
// Prints Markdown tables with the CPU it ran on. Needs wrk.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    before: { type: 'string' },
    after: { type: 'string', default: path.join(REPO_ROOT, 'build', 'rendermart') },
    runs: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '8' },
    floods: { type: 'string', default: '0,8,64' },
    'throttle-minutes': { type: 'string', default: '1' },
  },
});
if (!args.before) throw new Error('--before PATH: the binary to compare with (built from the commit before the password pool)');
const RUNS = Number(args.runs);
const SECONDS = Number(args.seconds);
const FLOODS = args.floods.split(',').map(Number);
const PASSWORD = 'correct horse battery staple';
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The per-user request rate limit would refuse the reads themselves.
const NO_REQUEST_LIMIT = { RENDERMART_REQUESTS_PER_MINUTE: '100000000', RENDERMART_REQUEST_BURST: '100000000' };
const SERVERS = [
  { name: 'before (hashing on the HTTP threads)', bin: args.before, env: {} },
  { name: 'after, defaults (throttled)', bin: args.after, env: NO_REQUEST_LIMIT },
  {
    name: 'after, throttle out of reach (pool only)',
    bin: args.after,
    env: { ...NO_REQUEST_LIMIT, RENDERMART_LOGIN_FAILURES_ALLOWED: '100000000' },
  },
];

function freePort() {
  return new Promise((resolve) => {
    const server = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startServer(bin, env) {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'login-flood-'));
  const port = await freePort();
  const child = spawn(bin, ['serve', '--port', String(port), '--data-dir', dataDir, '--workers', '0'], {
    env: { PATH: process.env.PATH, RENDERMART_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 300; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).status === 200) break;
    } catch { /* not yet */ }
    await sleep(50);
  }
  return {
    base,
    port,
    child,
    peakRssMib: () => Number(/VmHWM:\s+(\d+)/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'))[1]) / 1024,
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function register(base, email) {
  const res = await fetch(`${base}/api/v1/auth/register`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password: PASSWORD }),
  });
  if (res.status !== 201) throw new Error(`register ${email}: ${res.status} ${await res.text()}`);
  return res.headers.getSetCookie().find((c) => c.startsWith('rm_session=')).split(';')[0];
}

function script(lines) {
  const file = path.join(os.tmpdir(), `login-flood-${process.pid}-${Math.random().toString(36).slice(2)}.lua`);
  fs.writeFileSync(file, lines.join('\n'));
  return file;
}

function wrk(argv) {
  return new Promise((resolve, reject) => {
    const child = spawn('wrk', argv, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`wrk ${argv.join(' ')}: exit ${code}\n${out}`))));
  });
}

// wrk --latency prints "50%  1.23ms"; units us, ms or s.
function percentile(out, p) {
  const match = new RegExp(`^\\s+${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(out);
  if (!match) throw new Error(`no ${p}% line in:\n${out}`);
  return Number(match[1]) * { us: 0.001, ms: 1, s: 1000 }[match[2]];
}
const requests = (out) => Number(/(\d+) requests in/.exec(out)[1]);

async function readLatency(server, floodConnections) {
  const cookie = await register(server.base, `reader-${Date.now()}@example.com`);
  const victim = `victim-${Date.now()}@example.com`;
  await register(server.base, victim);
  const reads = script([`wrk.headers["Cookie"] = "${cookie}"`]);
  const flood = script([
    'wrk.method = "POST"',
    'wrk.headers["Content-Type"] = "application/json"',
    `wrk.body = '{"email":"${victim}","password":"not the password"}'`,
  ]);
  const flooding = floodConnections > 0
    ? wrk(['-t1', `-c${floodConnections}`, `-d${SECONDS + 3}s`, '--timeout', '30s', '-s', flood, `${server.base}/api/v1/auth/login`])
    : Promise.resolve('');
  await sleep(floodConnections > 0 ? 1000 : 0);
  const out = await wrk(['-t1', '-c4', `-d${SECONDS}s`, '--latency', '--timeout', '30s', '-s', reads, `${server.base}/api/v1/images`]);
  const floodOut = await flooding;
  fs.rmSync(reads);
  fs.rmSync(flood);
  return {
    p50: percentile(out, 50),
    p99: percentile(out, 99),
    readsPerSecond: requests(out) / SECONDS,
    loginsPerSecond: floodOut ? requests(floodOut) / (SECONDS + 3) : 0,
  };
}

// Wrong passwords on one account for `minutes`, each 429 waited out as told: how many were checked.
async function throttledGuesses(server, minutes) {
  const victim = `throttled-${Date.now()}@example.com`;
  await register(server.base, victim);
  const end = Date.now() + minutes * 60_000;
  let checked = 0;
  let refused = 0;
  while (Date.now() < end) {
    const res = await fetch(`${server.base}/api/v1/auth/login`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email: victim, password: 'a guess' }),
    });
    await res.arrayBuffer();
    if (res.status === 401) {
      checked++;
    } else if (res.status === 429) {
      refused++;
      await sleep(Math.min(Number(res.headers.get('retry-after')) * 1000, Math.max(0, end - Date.now())));
    } else {
      throw new Error(`unexpected ${res.status}`);
    }
  }
  return { checked, refused };
}

const cpu = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? 'unknown CPU';
console.log(`\n${cpu}, ${os.cpus().length} vCPUs; GET /api/v1/images with wrk -t1 -c4 for ${SECONDS} s while wrk -t1 -cN floods wrong-password logins; medians of ${RUNS} runs\n`);
console.log('| server | login connections | GET p50 ms | GET p99 ms | GETs/s | login answers/s | server peak RSS MiB |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
const runsOf = [];
for (const floods of FLOODS) {
  // Interleaved run by run, so that every server sees the same machine.
  const results = SERVERS.map(() => ({ runs: [], peak: 0 }));
  for (let run = 0; run < RUNS; run++) {
    for (const [i, config] of SERVERS.entries()) {
      const server = await startServer(config.bin, config.env);
      try {
        results[i].runs.push(await readLatency(server, floods));
        results[i].peak = Math.max(results[i].peak, server.peakRssMib());
      } finally {
        await server.stop();
      }
    }
  }
  for (const [i, config] of SERVERS.entries()) {
    const { runs, peak } = results[i];
    const m = (key) => median(runs.map((r) => r[key]));
    // wrk prints zero latencies when no read was answered in the whole run.
    const latency = (key) => (m('readsPerSecond') > 0 ? m(key).toFixed(2) : `none answered in ${SECONDS} s`);
    console.log(`| ${config.name} | ${floods} | ${latency('p50')} | ${latency('p99')} | ${m('readsPerSecond').toFixed(0)} | ${m('loginsPerSecond').toFixed(0)} | ${peak.toFixed(0)} |`);
    runsOf.push(`${config.name}, ${floods} login connections: p99 ${runs.map((r) => (r.readsPerSecond > 0 ? r.p99.toFixed(2) : '-')).join(' ')} ms`);
  }
}
console.log(`\nRuns:\n${runsOf.map((line) => `- ${line}`).join('\n')}`);

const minutes = Number(args['throttle-minutes']);
if (minutes > 0) {
  const server = await startServer(args.after, {});
  try {
    const { checked, refused } = await throttledGuesses(server, minutes);
    console.log(`\nOne attacker, one account, ${minutes} min, every 429 waited out: ${checked} passwords checked, ${refused} tries refused (429).`);
  } finally {
    await server.stop();
  }
}
