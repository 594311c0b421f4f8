// Starts the real `rendermart serve` on a free port with a temp data dir, and Debian's chromium
// through playwright-core (no browser download).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const WEB_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const SHOTS_DIR = process.env.RENDERMART_WEB_SHOTS ?? path.resolve(WEB_DIR, '..', 'test-output', 'web');
const BIN = path.resolve(WEB_DIR, process.env.RENDERMART_BIN ?? '../build/rendermart');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Whether the binary has the local diffusion engine (a build without libtorch has no model library). */
export const hasLocalEngine = () => fs.existsSync(BIN)
  && /local diffusion engine: libtorch/.test(spawnSync(BIN, ['version'], { encoding: 'utf8' }).stdout);

async function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => resolve(port)); });
  });
}

/** `env`: further variables for the server (e.g. HF_ENDPOINT for a local Hub). */
export async function startServer({ env: extraEnv = {} } = {}) {
  if (!fs.existsSync(BIN)) throw new Error(`rendermart binary not found at ${BIN} (set RENDERMART_BIN)`);
  const dist = path.join(WEB_DIR, 'dist');
  if (!fs.existsSync(path.join(dist, 'index.html'))) throw new Error(`${dist} has no build: run \`npm run build\` first`);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'rm-web-e2e-'));
  const port = await freePort();
  // A clean environment: the server rejects unknown RENDERMART_* variables (RENDERMART_BIN among them).
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dataDir, LANG: 'C.UTF-8', ...extraEnv };
  const proc = spawn(BIN, ['serve', '--port', String(port), '--data-dir', dataDir, '--web-dir', dist], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  proc.stdout.on('data', (d) => { log += d; });
  proc.stderr.on('data', (d) => { log += d; });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`rendermart exited (${proc.exitCode}):\n${log}`);
    try {
      const r = await fetch(`${url}/healthz`);
      if (r.ok) break;
    } catch { /* not yet */ }
    if (Date.now() > deadline) { proc.kill('SIGKILL'); throw new Error(`rendermart did not become healthy:\n${log}`); }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    dataDir,
    log: () => log,
    /** `rendermart user create` on the same data directory: the way an administrator is made. */
    async createUser(email, password, { admin = false } = {}) {
      const args = ['user', 'create', '--email', email, '--password', password, '--data-dir', dataDir, ...(admin ? ['--admin'] : [])];
      await new Promise((resolve, reject) => {
        const p = spawn(BIN, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        p.stdout.on('data', (d) => { out += d; });
        p.stderr.on('data', (d) => { out += d; });
        p.once('error', reject);
        p.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`rendermart user create exited ${code}:\n${out}`))));
      });
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM');
        await Promise.race([new Promise((r) => proc.once('exit', r)), new Promise((r) => setTimeout(r, 5000))]);
        if (proc.exitCode === null) proc.kill('SIGKILL');
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh browser profile (its own user-data-dir), i.e. a separate person. `phone`: a touch screen
 * without hover, as a phone's browser reports it.
 */
export async function newBrowser({ width = 1360, height = 900, colorScheme = 'light', phone = false } = {}) {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'rm-web-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-dev-shm-usage'],
    viewport: { width, height },
    colorScheme,
    acceptDownloads: true,
    ...(phone ? { hasTouch: true, isMobile: true } : {}),
  });
  const page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(15000);
  return {
    context,
    page,
    async close() {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

export const PASSWORD = 'correct horse battery';

/**
 * A generation made through the API as the signed-in browser `context` (the app's own Origin, which
 * the server asks of cookie-authenticated changes); resolves with it once it succeeded.
 */
export async function generateThroughApi(context, url, params) {
  const created = await context.request.post(`${url}/api/v1/generations`, { data: params, headers: { origin: url } });
  if (created.status() !== 202) throw new Error(`POST /api/v1/generations: ${created.status()} ${await created.text()}`);
  const { id } = await created.json();
  for (let t = 0; t < 600; t++) {
    const g = await (await context.request.get(`${url}/api/v1/generations/${id}`)).json();
    if (g.status === 'succeeded') return g;
    if (!['queued', 'running'].includes(g.status)) throw new Error(`generation ${id}: ${g.status} ${JSON.stringify(g.error)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`generation ${id} did not finish within a minute`);
}

/** Fills the sign-in or register form and waits for Create, where a signed-in user lands. */
async function submitAuthForm(page, url, path, email, button) {
  await page.goto(`${url}/${path}`);
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: button }).click();
  await page.getByRole('heading', { name: 'Create', exact: true }).waitFor();
}

export const signUp = (page, url, email) => submitAuthForm(page, url, 'register', email, 'Create account');
export const signIn = (page, url, email) => submitAuthForm(page, url, 'login', email, 'Sign in');

export async function shot(page, name) {
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  await page.evaluate(() => window.scrollTo(0, 0));
  // Colour transitions (a nav link that just became current) finish first; endless animations do not count.
  await page.evaluate(() => Promise.all(document.getAnimations().filter((a) => a instanceof CSSTransition).map((a) => a.finished.catch(() => undefined))));
  await page.screenshot({ path: path.join(SHOTS_DIR, `${name}.png`), fullPage: true });
}
