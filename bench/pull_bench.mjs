#!/usr/bin/env node
// Pull throughput and memory of `rendermart models pull`, against the local Hub stand-in
// (tests/integration/lib/hub_server.mjs) on 127.0.0.1:
//   1. a Hub pull of a repository with a large UNet (default 1 GiB of random bytes, sha256 checked
//      as it streams) against curl fetching the same files from the same server in the same run
//      (one curl process, one connection, following the CDN redirects): the limit is the server;
//   2. the peak resident memory (VmHWM) of a URL pull of a multi-GB checkpoint (default 4 GiB):
//      it stays small because the download is streamed to disk.
// Both binaries are measured: rendermart (with the local engine: its start loads libtorch's 500 MB
// of libraries) and rendermart-slim (the same pull code without them).
// Usage: node bench/pull_bench.mjs [--runs 5] [--size-mib 1024] [--big-gib 4]
// Prints a Markdown table with the CPU it ran on. Needs curl and about 3 x big-gib of free disk.

import { spawn, execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { FIXTURES, folderFiles, startHub } from '../tests/integration/lib/hub_server.mjs';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'size-mib': { type: 'string', default: '1024' },
    'big-gib': { type: 'string', default: '4' },
  },
});
const RUNS = Number(args.runs);
const SIZE = Number(args['size-mib']) * 1024 * 1024;
const BIG = Number(args['big-gib']) * 1024 * 1024 * 1024;
const REPO = 'bench/big-sd1';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const mib = (bytes) => bytes / (1024 * 1024);

function randomBytes(size) {
  const out = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += 1 << 30) crypto.randomFillSync(out, at, Math.min(1 << 30, size - at));
  return out;
}

// Runs a command; resolves with its wall time in seconds and its peak resident memory (VmHWM,
// read from /proc while it runs: the last reading before it exits is the peak).
function timed(command, argv, env) {
  return new Promise((resolve, reject) => {
    const started = process.hrtime.bigint();
    const child = spawn(command, argv, { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    let peakKib = 0;
    child.stderr.on('data', (d) => { stderr += d; });
    const poll = setInterval(() => {
      try {
        const match = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
        if (match) peakKib = Math.max(peakKib, Number(match[1]));
      } catch { /* exited */ }
    }, 20);
    child.on('exit', (code) => {
      clearInterval(poll);
      const seconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (code !== 0) reject(new Error(`${command} ${argv.join(' ')} exited ${code}: ${stderr.slice(-2000)}`));
      else resolve({ seconds, peakMib: peakKib / 1024 });
    });
  });
}

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'rendermart-pull-bench-'));
process.on('exit', () => fs.rmSync(work, { recursive: true, force: true }));

// A repository the pull accepts (tiny-sd1's files) whose UNet weights are SIZE random bytes.
const files = folderFiles(path.join(FIXTURES, 'diffusion', 'tiny-sd1'));
files['unet/diffusion_pytorch_model.safetensors'] = randomBytes(SIZE);
const bigFile = path.join(work, 'big.safetensors');
{
  // A safetensors header (the pull checks that the file is one), then random bytes.
  const json = Buffer.from(JSON.stringify({ __metadata__: { bench: 'random bytes' } }).padEnd(64, ' '));
  const header = Buffer.alloc(8);
  header.writeBigUInt64LE(BigInt(json.length));
  const fd = fs.openSync(bigFile, 'w');
  fs.writeSync(fd, Buffer.concat([header, json]));
  const chunk = randomBytes(64 * 1024 * 1024);
  for (let written = 72; written < BIG; written += chunk.length) fs.writeSync(fd, chunk, 0, Math.min(chunk.length, BIG - written));
  fs.closeSync(fd);
}
const hub = await startHub({ repos: { [REPO]: { files, license: 'bench' } }, files: { 'big.safetensors': bigFile } });
const commit = hub.repo(REPO).commit;
const wanted = Object.keys(files).filter((f) => !f.startsWith('golden/'));
const totalBytes = wanted.reduce((sum, f) => sum + files[f].length, 0);

const BINS = ['rendermart', 'rendermart-slim'].map((name) => path.join(REPO_ROOT, 'build', name));
const pullSeconds = new Map(BINS.map((bin) => [bin, []]));
const curlSeconds = [];
// Interleaved, so that a slower moment of a shared machine hits every contender alike.
for (let run = 0; run < RUNS; run++) {
  for (const bin of BINS) {
    const data = path.join(work, `pull-${run}`);
    pullSeconds.get(bin).push((await timed(bin, ['models', 'pull', REPO, '--data-dir', data, '--log-format', 'text'], { HF_ENDPOINT: hub.url })).seconds);
    fs.rmSync(data, { recursive: true, force: true });
  }
  const out = path.join(work, `curl-${run}`);
  const curlArgs = ['-sS', '-f', '-L', '--create-dirs'];
  for (const f of wanted) curlArgs.push('-o', path.join(out, f), `${hub.url}/${REPO}/resolve/${commit}/${f}`);
  curlSeconds.push((await timed('curl', curlArgs, {})).seconds);
  fs.rmSync(out, { recursive: true, force: true });
}

const big = new Map();
for (const bin of BINS) {
  const data = path.join(work, 'big-pull');
  big.set(bin, await timed(bin, ['models', 'pull', `${hub.url}/files/big.safetensors`, '--name', 'big', '--data-dir', data, '--log-format', 'text'], {}));
  fs.rmSync(data, { recursive: true, force: true });
}
const bigCurl = await timed('curl', ['-sS', '-f', '-o', path.join(work, 'big-curl'), `${hub.url}/files/big.safetensors`], {});
await hub.close();

const cpu = execFileSync('lscpu', { encoding: 'utf8' }).match(/Model name:\s+(.*)/)?.[1] ?? 'unknown CPU';
console.log(`CPU: ${cpu}, ${os.cpus().length} cores; ${RUNS} runs, medians; server: the Node stand-in on 127.0.0.1\n`);
console.log('| What | Bytes | Binary | rendermart models pull | curl, same files | of curl\'s throughput | peak RSS (curl) |');
console.log('|---|---|---|---|---|---|---|');
const rate = (bytes, s) => `${s.toFixed(2)} s (${(mib(bytes) / s).toFixed(0)} MiB/s)`;
for (const bin of BINS) {
  const a = median(pullSeconds.get(bin));
  const b = median(curlSeconds);
  console.log(`| Hub pull, ${wanted.length} files, sha256 checked (median of ${RUNS}) | ${mib(totalBytes).toFixed(0)} MiB | ${path.basename(bin)} | ${rate(totalBytes, a)} | ${rate(totalBytes, b)} | ${(b / a * 100).toFixed(0)}% | |`);
}
for (const bin of BINS) {
  const a = big.get(bin);
  console.log(`| URL pull, one checkpoint (1 run) | ${mib(BIG).toFixed(0)} MiB | ${path.basename(bin)} | ${rate(BIG, a.seconds)} | ${rate(BIG, bigCurl.seconds)} | ${(bigCurl.seconds / a.seconds * 100).toFixed(0)}% | ${a.peakMib.toFixed(1)} MiB (${bigCurl.peakMib.toFixed(1)} MiB) |`);
}
for (const bin of BINS) console.log(`\nRuns (s), ${path.basename(bin)}: ${pullSeconds.get(bin).map((s) => s.toFixed(2)).join(' ')}`);
console.log(`Runs (s), curl: ${curlSeconds.map((s) => s.toFixed(2)).join(' ')}`);
