// Where the servers under test keep their data. By default each server uses SQLite and files in
// its data directory. With RENDERMART_TEST_BACKEND=postgres-s3 the same tests run against a real
// PostgreSQL (a throw-away cluster) and S3 (s3rver behind a SigV4-checking front), both started
// once per test process and stopped with it; each data directory gets its own database and its
// own key prefix, so a restarted server finds its data again.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after } from 'node:test';

import { Sha256 } from '@aws-crypto/sha256-js';
import { SignatureV4 } from '@smithy/signature-v4';

import { startChildServer } from './child_server.mjs';
import { startPostgres } from './postgres.mjs';

export const BACKEND = process.env.RENDERMART_TEST_BACKEND || 'sqlite-files';
if (!['sqlite-files', 'postgres-s3'].includes(BACKEND)) {
  throw new Error(`RENDERMART_TEST_BACKEND must be sqlite-files or postgres-s3, not ${BACKEND}`);
}

// Starts the S3 test server: { endpoint, bucket, region, access_key_id, secret_access_key,
// command(json) -> reply, stop() }.
export function startS3() {
  return startChildServer('s3/server.mjs');
}

let shared = null;

async function sharedBackends() {
  shared ??= (async () => {
    const [pg, s3] = await Promise.all([startPostgres(), startS3()]);
    return { pg, s3, byDataDir: new Map(), prefixes: 0 };
  })();
  return shared;
}

// Once every test of the file has run (servers are stopped in the files' own hooks first), the
// backends go too: their processes would otherwise keep the test process alive.
after(async () => {
  if (!shared) return;
  const { pg, s3 } = await shared;
  await s3.stop();
  await pg.stop();
});

function storageUrl(s3, prefix) {
  return `s3://${s3.bucket}/${prefix}?region=${s3.region}&endpoint=${encodeURIComponent(s3.endpoint)}&path_style=true`;
}

// The environment that points a server at its backends (nothing for SQLite and files).
export async function backendEnv(dataDir) {
  if (BACKEND === 'sqlite-files') return {};
  const backends = await sharedBackends();
  let place = backends.byDataDir.get(dataDir);
  if (!place) {
    place = { databaseUrl: backends.pg.createDatabase(), prefix: `t${++backends.prefixes}` };
    backends.byDataDir.set(dataDir, place);
  }
  return {
    RENDERMART_DATABASE_URL: place.databaseUrl,
    RENDERMART_STORAGE_URL: storageUrl(backends.s3, place.prefix),
    AWS_ACCESS_KEY_ID: backends.s3.access_key_id,
    AWS_SECRET_ACCESS_KEY: backends.s3.secret_access_key,
    AWS_REGION: backends.s3.region,
    AWS_EC2_METADATA_DISABLED: 'true',
  };
}

function signer(s3) {
  return new SignatureV4({
    service: 's3',
    region: s3.region,
    credentials: { accessKeyId: s3.access_key_id, secretAccessKey: s3.secret_access_key },
    sha256: Sha256,
    uriEscapePath: false,
  });
}

async function s3Request(s3, method, key, query = {}) {
  const url = new URL(s3.endpoint);
  const request = {
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    port: Number(url.port),
    path: `/${s3.bucket}${key ? `/${key}` : ''}`,
    query,
    headers: { host: url.host, 'x-amz-content-sha256': 'UNSIGNED-PAYLOAD' },
  };
  const signed = await signer(s3).sign(request);
  const search = new URLSearchParams(query).toString();
  const res = await fetch(`${s3.endpoint}${request.path.split('/').map(encodeURIComponent).join('/')}${search ? `?${search}` : ''}`,
    { method, headers: signed.headers, signal: AbortSignal.timeout(10_000) });
  const body = Buffer.from(await res.arrayBuffer());
  if (res.status !== 200) throw new Error(`S3 ${method} ${key}: ${res.status} ${body.toString()}`);
  return body;
}

// The keys of every stored object of this data directory's server, relative to its storage root.
export async function storedKeys(dataDir) {
  if (BACKEND === 'sqlite-files') return listFiles(path.join(dataDir, 'blobs'));
  // s3rver 3.7 cannot list more than 1,000 keys (a truncated listing answers 500) nor split a
  // listing by delimiter, so the keys come from the directory where it keeps each object as
  // "<bucket>/<key>._S3rver_object"; the objects themselves are still read through S3.
  const { s3, byDataDir } = await sharedBackends();
  const suffix = '._S3rver_object';
  return listFiles(path.join(s3.directory, s3.bucket, byDataDir.get(dataDir).prefix))
    .filter((rel) => rel.endsWith(suffix))
    .map((rel) => rel.slice(0, -suffix.length));
}

// Every stored object of this data directory's server: [{ rel, bytes }].
export async function storedBlobs(dataDir) {
  const keys = await storedKeys(dataDir);
  if (BACKEND === 'sqlite-files') {
    return keys.map((rel) => ({ rel, bytes: fs.readFileSync(path.join(dataDir, 'blobs', rel)) }));
  }
  const { s3, byDataDir } = await sharedBackends();
  const prefix = byDataDir.get(dataDir).prefix;
  const out = [];
  for (const rel of keys) out.push({ rel, bytes: await s3Request(s3, 'GET', `${prefix}/${rel}`) });
  return out;
}

// Relative paths of the files under `dir` (none when it does not exist), sorted.
export function listFiles(dir) {
  const out = [];
  const walk = (d) => {
    if (!fs.existsSync(d)) return;
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (entry.isFile()) out.push(path.relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

// The PostgreSQL cluster and S3 server (postgres-s3 only), for tests that restart or break them.
export async function backendControls() {
  if (BACKEND !== 'postgres-s3') throw new Error('only with RENDERMART_TEST_BACKEND=postgres-s3');
  return sharedBackends();
}

// Runs one SQL statement on the database of this data directory's server (SQLite through the
// sqlite3 shell, PostgreSQL through psql); returns its rows as arrays of text. For tests that
// look at what the API cannot show (rows left behind) or set up what it cannot (an expired row).
export async function sqlRows(dataDir, sql) {
  const out = BACKEND === 'sqlite-files'
    ? execFileSync('sqlite3', ['-separator', '\t', path.join(dataDir, 'rendermart.db'), sql], { encoding: 'utf8' })
    : execFileSync('psql', [(await backendEnv(dataDir)).RENDERMART_DATABASE_URL, '-AtF', '\t', '-c', sql],
      { encoding: 'utf8' });
  return out.split('\n').filter((line) => line !== '').map((line) => line.split('\t'));
}
