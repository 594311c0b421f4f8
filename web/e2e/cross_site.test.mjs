// End to end: a page on another port of the same host (the same site, so the browser sends the
// session cookie along) tries to act for a signed-in user and to frame the app; none of it has
// any effect. The app itself works without one Content-Security-Policy violation.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { newBrowser, signUp, startServer } from './harness.mjs';

let server;
let victim; // { context, page, close }
let attacker; // a plain Node server on another port of 127.0.0.1
let attackerUrl;

before(async () => {
  // No workers: the victim's job stays queued, so that a forged cancel would show.
  server = await startServer({ env: { RENDERMART_WORKERS: '0' } });
  attacker = http.createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>elsewhere</title><body></body>');
  });
  await new Promise((resolve) => attacker.listen(0, '127.0.0.1', resolve));
  attackerUrl = `http://127.0.0.1:${attacker.address().port}`;
  victim = await newBrowser();
  // Every violation of the page's policy is kept, from the first script on.
  await victim.context.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
  });
});

after(async () => {
  await victim?.close();
  await server?.stop();
  await new Promise((resolve) => attacker?.close(resolve));
});

/** GET through the app's own origin (the page's fetch, with its cookie). */
const api = (page, path) => page.evaluate(async (p) => (await fetch(p)).json(), path);

test('the app loads and works under its CSP with no violation', async () => {
  const { page } = victim;
  const consoleViolations = [];
  page.on('console', (m) => { if (/Content Security Policy/i.test(m.text())) consoleViolations.push(m.text()); });
  await signUp(page, server.url, `victim-${Date.now()}@example.com`);
  // The app's own request for a generation goes through (same origin, JSON).
  const created = await page.evaluate(async () => {
    const res = await fetch('/api/v1/generations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'a quiet harbour', width: 128, height: 128 }) });
    return { status: res.status, body: await res.json() };
  });
  assert.equal(created.status, 202);
  for (const path of ['/', '/gallery', '/settings']) {
    await page.goto(`${server.url}${path}`);
    await page.waitForLoadState('networkidle');
  }
  assert.deepEqual(await page.evaluate(() => window.__cspViolations), []);
  assert.deepEqual(consoleViolations, []);
  assert.ok(await page.evaluate(() => document.documentElement.classList !== undefined), 'the theme script ran');
});

test('a page on another port can neither create, cancel nor sign out for the signed-in user', async () => {
  const { page, context } = victim;
  await page.goto(`${server.url}/`);
  const before = await api(page, '/api/v1/generations');
  const queued = before.items.find((j) => j.status === 'queued');
  assert.ok(queued, 'the victim has a queued job');

  const evil = await context.newPage();
  await evil.goto(attackerUrl);
  const outcomes = await evil.evaluate(async ({ target, jobId }) => {
    const settle = (p) => p.then((r) => `answered ${r.type} ${r.status}`, (e) => `failed ${e.name}`);
    // A form posted as text/plain that spells JSON: {"prompt":"forged","x":"="}
    const sink = document.createElement('iframe');
    sink.name = 'sink';
    document.body.append(sink);
    const form = document.createElement('form');
    Object.assign(form, { method: 'POST', action: `${target}/api/v1/generations`, enctype: 'text/plain', target: 'sink' });
    const field = document.createElement('input');
    Object.assign(field, { name: '{"prompt":"forged","x":"', value: '"}' });
    form.append(field);
    document.body.append(form);
    const posted = new Promise((resolve) => { sink.onload = () => resolve('form posted'); });
    form.submit();
    const body = JSON.stringify({ prompt: 'forged' });
    return Promise.all([
      Promise.race([posted, new Promise((r) => setTimeout(() => r('form: no load event'), 5000))]),
      settle(fetch(`${target}/api/v1/generations`, { method: 'POST', credentials: 'include', headers: { 'content-type': 'text/plain' }, body })),
      settle(fetch(`${target}/api/v1/generations`, { method: 'POST', mode: 'no-cors', credentials: 'include', body: new Blob([body]) })),
      settle(fetch(`${target}/api/v1/generations`, { method: 'POST', mode: 'no-cors', credentials: 'include', headers: { 'content-type': 'text/plain' }, body })),
      settle(fetch(`${target}/api/v1/generations/${jobId}/cancel`, { method: 'POST', mode: 'no-cors', credentials: 'include' })),
      settle(fetch(`${target}/api/v1/auth/logout`, { method: 'POST', mode: 'no-cors', credentials: 'include' })),
    ]);
  }, { target: server.url, jobId: queued.id });
  await evil.close();

  // The requests did reach the server (opaque or failed answers say nothing more)...
  assert.equal(outcomes.length, 6, JSON.stringify(outcomes));
  // ...and none had any effect.
  const now = await api(page, '/api/v1/generations');
  assert.deepEqual(now.items.map((j) => j.id), before.items.map((j) => j.id), `nothing was created: ${JSON.stringify(outcomes)}`);
  assert.equal(now.items.find((j) => j.id === queued.id).status, 'queued', 'nothing was canceled');
  const me = await page.evaluate(async () => (await fetch('/api/v1/auth/me')).status);
  assert.equal(me, 200, 'still signed in');
});

test('another page cannot frame the signed-in app', async () => {
  const { context } = victim;
  const evil = await context.newPage();
  const blocked = [];
  evil.on('console', (m) => { if (/frame-ancestors|X-Frame-Options|refused to/i.test(m.text())) blocked.push(m.text()); });
  await evil.goto(attackerUrl);
  await evil.evaluate((target) => new Promise((resolve) => {
    const frame = document.createElement('iframe');
    frame.src = `${target}/`;
    frame.onload = resolve;
    document.body.append(frame);
    setTimeout(resolve, 5000);
  }), server.url);
  const framed = evil.frames().find((f) => f !== evil.mainFrame());
  assert.ok(framed, 'the frame exists');
  // Blocked: the frame shows Chromium's error page, never the app.
  assert.ok(!framed.url().startsWith(server.url) || (await framed.locator('#root').count().catch(() => 0)) === 0,
    `the app was framed at ${framed.url()}`);
  const rendered = await framed.evaluate(() => document.querySelector('[data-testid="user-email"]') !== null).catch(() => false);
  assert.equal(rendered, false, 'the signed-in app did not render inside the frame');
  assert.ok(blocked.length > 0, 'Chromium reported the refusal');
  await evil.close();
});
