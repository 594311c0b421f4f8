// Runs the real rendermart binary for black-box tests and talks HTTP to it.
//
// Each test file runs in its own Node process (node --test). Every server and temporary directory
// made here is registered, so that a failing or interrupted test still leaves nothing behind: the
// process 'exit' handler SIGKILLs survivors and removes the directories. Server logs (stderr and
// stdout, JSON lines) are kept in memory and written to <repo>/test-output/ when a test fails or a
// server dies unexpectedly (RENDERMART_KEEP_LOGS=1 writes them always).

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterEach, after } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { backendEnv, listFiles } from './backends.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const BIN = process.env.RENDERMART_BIN || path.join(REPO_ROOT, 'build', 'rendermart');
export const OUTPUT_DIR = path.join(REPO_ROOT, 'test-output');
export const DEFAULT_PASSWORD = 'correct horse battery staple';

const LOG_LIMIT = 8 * 1024 * 1024; // keep at most this much of each server's output (the tail)

// ---------------------------------------------------------------------------------------------
// Cleanup registry

const liveProcesses = new Set();
const tempDirs = new Set();
const allServers = [];

function cleanupSync() {
  for (const child of liveProcesses) {
    try { child.kill('SIGKILL'); } catch { /* already gone */ }
  }
  liveProcesses.clear();
  for (const dir of tempDirs) {
    try { fs.rmSync(dir, { recursive: true, force: true }); } catch { /* best effort */ }
  }
  tempDirs.clear();
}

process.on('exit', cleanupSync);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.once(signal, () => {
    saveAllLogs(`interrupted by ${signal}`);
    cleanupSync();
    process.exit(128 + (os.constants.signals[signal] ?? 1));
  });
}

export function makeTempDir(label = 'tmp') {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `rendermart-it-${label}-`));
  tempDirs.add(dir);
  return dir;
}

export function removeTempDir(dir) {
  fs.rmSync(dir, { recursive: true, force: true });
  tempDirs.delete(dir);
}

// When a test fails, or a server died without being asked to, write the logs of this file's
// servers to test-output/. Installed once per test file (each file is its own process) when this
// module loads.
let hooksInstalled = false;
export function installLogHooks() {
  if (hooksInstalled) return;
  hooksInstalled = true;
  afterEach((t) => {
    if (t.passed === false) saveAllLogs(`test failed: ${t.name}`);
  });
  after(() => {
    if (process.env.RENDERMART_KEEP_LOGS === '1') saveAllLogs('RENDERMART_KEEP_LOGS=1');
    for (const server of allServers) {
      if (server.diedUnexpectedly) server.saveLog('the server exited without being asked to');
    }
  });
}

function saveAllLogs(reason) {
  for (const server of allServers) server.saveLog(reason);
}

// Root-level hooks must be registered while the test file loads (not from inside a hook).
installLogHooks();

// ---------------------------------------------------------------------------------------------
// Ports, binary

export function freePort() {
  return new Promise((resolve, reject) => {
    const probe = net.createServer();
    probe.unref();
    probe.on('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

export function assertBinary() {
  if (!fs.existsSync(BIN)) {
    throw new Error(`rendermart binary not found at ${BIN} (build it, or set RENDERMART_BIN)`);
  }
}

// ---------------------------------------------------------------------------------------------
// Server

let serverSeq = 0;

// The server's environment: ours without any RENDERMART_* variable (the test runner's own, like
// RENDERMART_BIN, are no server settings, and a developer's RENDERMART_DATABASE_URL must not point
// the tests at a real database), plus the bind address and the given overrides.
function serverEnv(overrides) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RENDERMART_')) env[k] = v;
  // Every test client comes from 127.0.0.1: the sign-in and sign-up throttles would refuse the
  // tests of everything else. Their own tests set these. So would the limits of one user (tests
  // queue hundreds of jobs and poll them): limits.test.mjs sets them, or passes undefined to get
  // the server's own defaults.
  const merged = {
    ...env,
    RENDERMART_BIND: '127.0.0.1',
    RENDERMART_LOGIN_FAILURES_ALLOWED: '1000',
    RENDERMART_SIGNUPS_ALLOWED: '100000',
    RENDERMART_MAX_JOBS_IN_FLIGHT: '100000',
    RENDERMART_MAX_IMAGES_PER_DAY: '1000000',
    RENDERMART_REQUESTS_PER_MINUTE: '1000000',
    RENDERMART_REQUEST_BURST: '100000',
    ...overrides,
  };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}

export class Server {
  // name: used in log file names. dataDir: reuse a directory (not removed on stop); otherwise a
  // fresh temporary one is made and removed on stop. args: extra command-line flags.
  // role: serve (API + workers), api or worker.
  constructor({ name = 'server', role = 'serve', dataDir, args = [], env = {} } = {}) {
    this.role = role;
    this.name = `${name}-${++serverSeq}`;
    this.ownsDataDir = !dataDir;
    this.dataDir = dataDir ?? makeTempDir(name.replace(/[^a-z0-9-]/gi, '_'));
    this.args = args;
    this.env = env;
    this.child = null;
    this.port = 0;
    this.log = [];
    this.logBytes = 0;
    this.exit = null; // { code, signal } once exited
    this.stopping = false;
    this.savedReasons = new Set();
    allServers.push(this);
  }

  get baseUrl() { return `http://127.0.0.1:${this.port}`; }
  get alive() { return this.child !== null && this.exit === null; }
  get diedUnexpectedly() { return this.exit !== null && !this.stopping; }

  appendLog(chunk) {
    this.log.push(chunk);
    this.logBytes += chunk.length;
    while (this.logBytes > LOG_LIMIT && this.log.length > 1) this.logBytes -= this.log.shift().length;
  }

  logText() { return Buffer.concat(this.log).toString('utf8'); }

  logTail(chars = 4000) {
    const text = this.logText();
    return text.length > chars ? `...${text.slice(-chars)}` : text;
  }

  // Writes the log to test-output/<test file>-<server>-<time>.log (one file per server; a later
  // reason rewrites it with every reason so far).
  saveLog(reason) {
    if (this.log.length === 0 && !this.child) return null;
    if (this.savedReasons.has(reason)) return null;
    this.savedReasons.add(reason);
    fs.mkdirSync(OUTPUT_DIR, { recursive: true });
    this.logFile ??= path.join(OUTPUT_DIR,
      `${path.basename(process.argv[1] ?? 'test', '.mjs')}-${this.name}-${Date.now()}.log`);
    const file = this.logFile;
    const header = [
      ...[...this.savedReasons].map((r) => `# ${r}`),
      `# binary: ${BIN}`,
      `# args: ${JSON.stringify(this.commandArgs ?? [])}`,
      `# data dir: ${this.dataDir}`,
      `# exit: ${JSON.stringify(this.exit)}`,
      '',
    ].join('\n');
    fs.writeFileSync(file, header + this.logText());
    return file;
  }

  // Starts the process on a free port and waits until GET /healthz answers 200.
  async start({ timeoutMs = 30_000 } = {}) {
    assertBinary();
    if (this.alive) throw new Error('server already running');
    let lastError;
    for (let attempt = 1; attempt <= 3; attempt++) {
      this.port = await freePort();
      this.exit = null;
      this.stopping = false;
      this.commandArgs = [this.role, '--port', String(this.port), '--data-dir', this.dataDir, ...this.args];
      this.appendLog(Buffer.from(`\n# start attempt ${attempt}: ${BIN} ${this.commandArgs.join(' ')}\n`));
      const child = spawn(BIN, this.commandArgs, {
        env: serverEnv({ ...(await backendEnv(this.dataDir)), ...this.env }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      this.child = child;
      liveProcesses.add(child);
      child.stdout.on('data', (c) => this.appendLog(c));
      child.stderr.on('data', (c) => this.appendLog(c));
      this.exited = new Promise((resolve) => {
        child.once('exit', (code, signal) => {
          this.exit = { code, signal };
          liveProcesses.delete(child);
          resolve(this.exit);
        });
        child.once('error', (err) => {
          this.appendLog(Buffer.from(`\n# spawn error: ${err.message}\n`));
          this.exit = { code: null, signal: null, error: err.message };
          liveProcesses.delete(child);
          resolve(this.exit);
        });
      });
      try {
        await this.waitHealthy(timeoutMs);
        return this;
      } catch (err) {
        lastError = err;
        if (this.alive) await this.kill();
        const portTaken = /in use|EADDRINUSE|address already/i.test(this.logTail(2000));
        if (!portTaken) break;
      }
    }
    this.saveLog('the server did not become healthy');
    throw lastError;
  }

  async waitHealthy(timeoutMs) {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.exit) {
        throw new Error(`rendermart exited during start-up (${JSON.stringify(this.exit)}); log:\n${this.logTail()}`);
      }
      try {
        const res = await fetch(`${this.baseUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        await res.arrayBuffer();
        if (res.status === 200) return;
      } catch { /* not listening yet */ }
      await sleep(50);
    }
    throw new Error(`rendermart did not answer GET /healthz with 200 within ${timeoutMs} ms; log:\n${this.logTail()}`);
  }

  // SIGTERM, then SIGKILL after timeoutMs. Removes the data dir if this server made it.
  // Returns { code, signal, forced }.
  async stop({ timeoutMs = 20_000, keepDataDir = false } = {}) {
    let forced = false;
    if (this.alive) {
      this.stopping = true;
      this.child.kill('SIGTERM');
      const result = await Promise.race([this.exited, sleep(timeoutMs, 'timeout', { ref: false })]);
      if (result === 'timeout') {
        forced = true;
        this.appendLog(Buffer.from(`\n# did not exit within ${timeoutMs} ms of SIGTERM: SIGKILL\n`));
        this.child.kill('SIGKILL');
        await this.exited;
      }
    }
    if (this.ownsDataDir && !keepDataDir) removeTempDir(this.dataDir);
    return { ...(this.exit ?? {}), forced };
  }

  // SIGKILL, as a crash would.
  async kill() {
    if (!this.alive) return this.exit;
    this.stopping = true;
    this.child.kill('SIGKILL');
    return this.exited;
  }

  // HTTP helpers bound to this server -------------------------------------------------------

  api(method, urlPath, options) { return request(this.baseUrl, method, urlPath, options); }
}

// Runs the binary once (a command such as `providers check`) with exactly `env` (plus PATH);
// returns { code, out } with stdout and stderr together.
export function runBinary(args, env) {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, { env: { PATH: process.env.PATH, ...env } });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    child.stderr.on('data', (d) => { out += d; });
    child.on('exit', (code) => resolve({ code, out }));
  });
}

// Creates an administrator in the data directory before any server runs there; returns the e-mail
// (the password is DEFAULT_PASSWORD).
export async function createAdmin(dataDir) {
  const email = uniqueEmail('admin');
  const created = await runBinary(['user', 'create', '--email', email, '--password', DEFAULT_PASSWORD, '--admin',
    '--data-dir', dataDir, '--log-format', 'text'], await backendEnv(dataDir));
  assert.equal(created.code, 0, created.out);
  return email;
}

// Starts a server; returns it.
export async function startServer(options = {}) {
  const server = new Server(options);
  await server.start();
  return server;
}

// ---------------------------------------------------------------------------------------------
// HTTP

// auth: a cookie string ("rm_session=..."), or { cookie } or { token }.
export function authHeaders(auth) {
  if (!auth) return {};
  if (typeof auth === 'string') return { cookie: auth };
  const headers = {};
  if (auth.cookie) headers.cookie = auth.cookie;
  if (auth.token) headers.authorization = `Bearer ${auth.token}`;
  return headers;
}

// fetch with a timeout. body: JSON-encoded unless raw (then sent as is: string, Buffer, ...).
// A request with the session cookie carries the Origin of baseUrl, as the web app's do in a
// browser (the server refuses cookie-authenticated changes without it); a header given as null
// is not sent.
// Returns { status, headers, body (Buffer), text, json (parsed when the answer is JSON), what }.
export async function request(baseUrl, method, urlPath, {
  body, cookie, token, auth, headers = {}, raw = false, timeoutMs = 20_000,
} = {}) {
  const h = { ...authHeaders(auth), ...headers };
  if (cookie) h.cookie = cookie;
  if (token) h.authorization = `Bearer ${token}`;
  if (h.cookie && !Object.keys(h).some((k) => k.toLowerCase() === 'origin')) h.origin = new URL(baseUrl).origin;
  for (const [name, value] of Object.entries(h)) if (value === null || value === undefined) delete h[name];
  let payload;
  if (body !== undefined) {
    if (raw) {
      payload = body;
    } else {
      payload = JSON.stringify(body);
      if (!Object.keys(h).some((k) => k.toLowerCase() === 'content-type')) h['content-type'] = 'application/json';
    }
  }
  const what = `${method} ${urlPath}`;
  let res;
  for (let attempt = 1; ; attempt++) {
    try {
      res = await fetch(baseUrl + urlPath, {
        method, headers: h, body: payload, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs),
      });
      break;
    } catch (err) {
      // A pooled keep-alive connection that the server closed as idle just as it was reused fails
      // with a reset before any answer: retry an idempotent request once on a fresh connection.
      const code = err.cause?.code ?? '';
      const benign = ['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET'].includes(code);
      if (attempt === 1 && benign && (method === 'GET' || method === 'HEAD')) continue;
      throw new Error(`${what}: request failed: ${err.cause?.message ?? err.message}${code ? ` (${code})` : ''}`, { cause: err });
    }
  }
  let buf;
  try {
    buf = Buffer.from(await res.arrayBuffer());
  } catch (err) {
    throw new Error(`${what}: reading the body failed: ${err.cause?.message ?? err.message}`, { cause: err });
  }
  const contentType = res.headers.get('content-type') ?? '';
  let json;
  if (/\bjson\b/i.test(contentType) && buf.length > 0) {
    try { json = JSON.parse(buf.toString('utf8')); } catch { json = undefined; }
  }
  return { status: res.status, headers: res.headers, body: buf, text: buf.toString('utf8'), json, what, method, path: urlPath };
}

// A short description of a response for assertion messages.
export function describeResponse(res) {
  if (!res) return '(no response)';
  const ct = res.headers?.get?.('content-type') ?? '';
  const text = res.text ?? res.body?.toString('utf8') ?? '';
  const body = /json|text/.test(ct) ? text.slice(0, 600) : `<${res.body?.length ?? 0} bytes ${ct}>`;
  return `${res.what ?? ''} -> ${res.status} ${body}`;
}

export function expectStatus(res, status, note = '') {
  if (res.status !== status) {
    assert.fail(`${note ? `${note}: ` : ''}expected ${status}, got ${describeResponse(res)}`);
  }
  return res;
}

// Asserts an error answer: status, error.code, and (when given) error.field. field === null means
// the error must not carry a field.
export function expectError(res, status, code, field, note = '') {
  const prefix = `${note ? `${note}: ` : ''}`;
  if (res.status !== status) {
    assert.fail(`${prefix}expected ${status} ${code}${field ? ` (field ${field})` : ''}, got ${describeResponse(res)}`);
  }
  assert.ok(res.json && typeof res.json.error === 'object',
    `${prefix}expected a JSON error body {"error":{...}}, got ${describeResponse(res)}`);
  assert.equal(res.json.error.code, code, `${prefix}error.code: ${describeResponse(res)}`);
  assert.equal(typeof res.json.error.message, 'string', `${prefix}error.message: ${describeResponse(res)}`);
  if (field === null) assert.equal(res.json.error.field, undefined, `${prefix}error.field must be absent: ${describeResponse(res)}`);
  else if (field !== undefined) assert.equal(res.json.error.field, field, `${prefix}error.field: ${describeResponse(res)}`);
  return res;
}

// ---------------------------------------------------------------------------------------------
// Domain helpers

export function sessionCookieFrom(res) {
  const cookies = res.headers.getSetCookie();
  const line = cookies.find((c) => c.startsWith('rm_session='));
  if (!line) return null;
  return line.split(';')[0];
}

// Registers a user; returns { cookie, user, setCookie }.
export async function registerUser(server, email, password = DEFAULT_PASSWORD) {
  const res = await server.api('POST', '/api/v1/auth/register', { body: { email, password } });
  expectStatus(res, 201, `register ${email}`);
  const cookie = sessionCookieFrom(res);
  assert.ok(cookie, `register ${email}: no rm_session Set-Cookie in ${JSON.stringify(res.headers.getSetCookie())}`);
  return { cookie, user: res.json.user, setCookie: res.headers.getSetCookie().find((c) => c.startsWith('rm_session=')) };
}

// Registers a user; returns the session cookie ("rm_session=...").
export async function register(server, email, password = DEFAULT_PASSWORD) {
  return (await registerUser(server, email, password)).cookie;
}

// A unique e-mail per call: tests never share users.
let emailSeq = 0;
export function uniqueEmail(tag) {
  return `${tag}-${process.pid}-${Date.now().toString(36)}-${++emailSeq}@example.com`;
}

export async function createGeneration(server, auth, params) {
  const res = await server.api('POST', '/api/v1/generations', { auth, body: params });
  expectStatus(res, 202, 'create generation');
  return res.json;
}

export async function getGeneration(server, auth, id) {
  const res = await server.api('GET', `/api/v1/generations/${id}`, { auth });
  expectStatus(res, 200, `get generation ${id}`);
  return res.json;
}

export const FINAL_STATUSES = ['succeeded', 'failed', 'canceled'];

// Polls until the generation's status is one of `statuses`. Fails at once when it reaches another
// final status, and after timeoutMs.
export async function waitFor(server, auth, id, statuses, { timeoutMs = 90_000, intervalMs = 100 } = {}) {
  const wanted = Array.isArray(statuses) ? statuses : [statuses];
  const deadline = Date.now() + timeoutMs;
  let last;
  for (;;) {
    last = await getGeneration(server, auth, id);
    if (wanted.includes(last.status)) return last;
    if (FINAL_STATUSES.includes(last.status)) {
      assert.fail(`generation ${id} ended ${last.status} while waiting for ${wanted.join('|')}: ${JSON.stringify(last)}`);
    }
    if (Date.now() > deadline) {
      assert.fail(`generation ${id} not ${wanted.join('|')} within ${timeoutMs} ms; last: ${JSON.stringify(last)}`);
    }
    await sleep(intervalMs);
  }
}

// Lists every item of a paginated endpoint by following next_cursor.
export async function listAll(server, auth, urlPath, { limit = 100, maxPages = 100 } = {}) {
  const items = [];
  let cursor = null;
  for (let page = 0; page < maxPages; page++) {
    const sep = urlPath.includes('?') ? '&' : '?';
    const res = await server.api('GET', `${urlPath}${sep}limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { auth });
    expectStatus(res, 200, `list ${urlPath}`);
    items.push(...res.json.items);
    cursor = res.json.next_cursor;
    if (!cursor) return items;
  }
  assert.fail(`${urlPath}: more than ${maxPages} pages`);
}

// ---------------------------------------------------------------------------------------------
// Server-sent events

// Parses a text/event-stream body (a web ReadableStream of bytes) into events:
// { event, data (parsed JSON when it parses), raw, id }.
export async function* parseEventStream(body) {
  const decoder = new TextDecoder('utf-8');
  let buffer = '';
  let event = { event: 'message', dataLines: [], id: undefined };
  const flush = () => {
    if (event.dataLines.length === 0) { event = { event: 'message', dataLines: [], id: undefined }; return null; }
    const raw = event.dataLines.join('\n');
    let data = raw;
    try { data = JSON.parse(raw); } catch { /* not JSON */ }
    const out = { event: event.event, data, raw, id: event.id };
    event = { event: 'message', dataLines: [], id: undefined };
    return out;
  };
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true });
    let nl;
    while ((nl = buffer.search(/\r\n|\r|\n/)) >= 0) {
      const line = buffer.slice(0, nl);
      const sepLen = buffer.startsWith('\r\n', nl) ? 2 : 1;
      // A lone \r at the very end may be the first half of \r\n: wait for more input.
      if (buffer[nl] === '\r' && nl === buffer.length - 1) break;
      buffer = buffer.slice(nl + sepLen);
      if (line === '') {
        const out = flush();
        if (out) yield out;
        continue;
      }
      if (line.startsWith(':')) continue; // comment / keep-alive
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      let value = colon < 0 ? '' : line.slice(colon + 1);
      if (value.startsWith(' ')) value = value.slice(1);
      if (field === 'event') event.event = value;
      else if (field === 'data') event.dataLines.push(value);
      else if (field === 'id') event.id = value;
    }
  }
  const out = flush();
  if (out) yield out;
}

// Opens GET urlPath as an event stream and reads it to its end. onEvent(ev, events) is awaited for
// each event. Fails after timeoutMs with the events seen so far. A non-200 answer is returned
// with its body and no events.
// Returns { status, headers, events, json, text }.
export async function collectEvents(server, auth, urlPath, { timeoutMs = 90_000, onEvent } = {}) {
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => { timedOut = true; controller.abort(); }, timeoutMs);
  const events = [];
  try {
    let res;
    try {
      res = await fetch(server.baseUrl + urlPath, {
        headers: { accept: 'text/event-stream', ...authHeaders(auth) }, signal: controller.signal,
      });
    } catch (err) {
      throw new Error(`GET ${urlPath}: ${timedOut ? `no answer within ${timeoutMs} ms` : err.cause?.message ?? err.message}`);
    }
    if (res.status !== 200) {
      const text = await res.text();
      let json;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: res.status, headers: res.headers, events, text, json, what: `GET ${urlPath}`, body: Buffer.from(text) };
    }
    try {
      for await (const ev of parseEventStream(res.body)) {
        events.push(ev);
        if (onEvent) await onEvent(ev, events);
      }
    } catch (err) {
      if (timedOut) {
        throw new Error(`GET ${urlPath}: the event stream did not end within ${timeoutMs} ms; events so far: ${
          JSON.stringify(events.map((e) => [e.event, e.data?.status ?? e.data?.progress ?? e.raw]))}`);
      }
      throw new Error(`GET ${urlPath}: reading the event stream failed after ${events.length} events: ${err.cause?.message ?? err.message}`);
    }
    return { status: res.status, headers: res.headers, events, what: `GET ${urlPath}` };
  } finally {
    clearTimeout(timer);
  }
}

// Opens GET urlPath as an event stream that stays open (the stream of all of a user's jobs).
// `next(predicate, timeoutMs)` reads on until an event not yet returned satisfies
// predicate(ev, events), and returns it; `close()` ends the connection. A non-200 answer comes
// back with its body and no events. Returns { status, headers, events, json, text, next, close }.
export async function openEvents(server, auth, urlPath) {
  const controller = new AbortController();
  const res = await fetch(server.baseUrl + urlPath, {
    headers: { accept: 'text/event-stream', ...authHeaders(auth) }, signal: controller.signal,
  });
  const events = [];
  let reading = null; // a read still in flight when a wait timed out
  const close = () => { reading?.catch(() => undefined); controller.abort(); };
  if (res.status !== 200) {
    const text = await res.text();
    let json;
    try { json = JSON.parse(text); } catch { /* not JSON */ }
    return { status: res.status, headers: res.headers, events, text, json, body: Buffer.from(text), what: `GET ${urlPath}`, close,
      next: () => { throw new Error(`GET ${urlPath} answered ${res.status}`); } };
  }
  const iterator = parseEventStream(res.body)[Symbol.asyncIterator]();
  let checked = 0;
  async function next(predicate, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      while (checked < events.length) {
        const ev = events[checked++];
        if (predicate(ev, events)) return ev;
      }
      reading ??= iterator.next();
      let timer;
      const timeout = new Promise((resolve) => { timer = setTimeout(resolve, Math.max(0, deadline - Date.now()), 'timeout'); });
      const step = await Promise.race([reading, timeout]);
      clearTimeout(timer);
      if (step === 'timeout') {
        throw new Error(`GET ${urlPath}: no awaited event within ${timeoutMs} ms; events so far: ${
          JSON.stringify(events.map((e) => [e.event, e.data?.status ?? e.data?.progress ?? e.raw.slice(0, 80)]))}`);
      }
      reading = null;
      if (step.done) throw new Error(`GET ${urlPath}: the stream ended; events: ${JSON.stringify(events.map((e) => e.event))}`);
      events.push(step.value);
    }
  }
  return { status: res.status, headers: res.headers, events, what: `GET ${urlPath}`, body: Buffer.alloc(0), next, close };
}

export function generationEvents(server, auth, id, options) {
  return collectEvents(server, auth, `/api/v1/generations/${id}/events`, options);
}

// ---------------------------------------------------------------------------------------------
// Small utilities

// Runs async task functions with at most `concurrency` in flight; returns their results in order.
export async function pool(tasks, concurrency) {
  const results = new Array(tasks.length);
  let next = 0;
  async function worker() {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, tasks.length) }, worker));
  return results;
}

// Every regular file under dir (relative paths), recursively.
export { sleep, listFiles };
