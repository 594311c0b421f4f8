// End to end: twelve jobs at once in the Jobs view, followed on one connection: a cancel takes
// effect within a second while the others run, the jobs survive navigation and a reload, and
// Create still works beside them.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newBrowser, shot, signUp, startServer } from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await newBrowser();
  browser.page.on('pageerror', (e) => console.error('page error:', e));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

// Big enough for the built-in generator to run for many seconds.
const LONG = { prompt: 'a crowded harbour at dusk', width: 2048, height: 2048, count: 4, steps: 50 };

const rowIds = (page) => page.getByTestId('job-row').evaluateAll((rows) => rows.map((r) => r.dataset.jobId));

test('twelve jobs on one stream: cancel within a second, navigation and reload keep them', async () => {
  const { page } = browser;
  const streams = [];
  page.on('request', (r) => { if (/\/events$/.test(new URL(r.url()).pathname)) streams.push(new URL(r.url()).pathname); });
  await signUp(page, server.url, `jobs-${Date.now()}@example.com`);

  // Twelve jobs, submitted as another tab or a program would: the stream brings them in.
  const ids = await page.evaluate(async (params) => {
    const out = [];
    for (let i = 0; i < 12; i++) {
      const res = await fetch('/api/v1/generations', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...params, seed: i }) });
      if (res.status !== 202) throw new Error(`create: ${res.status} ${await res.text()}`);
      out.push((await res.json()).id);
    }
    return out;
  }, LONG);
  const tray = page.getByTestId('jobs-tray');
  await page.waitForFunction(() => document.querySelector('[data-testid=jobs-tray]')?.getAttribute('data-active') === '12');
  await tray.click();
  await page.getByRole('heading', { name: 'Jobs', exact: true }).waitFor();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=job-row]').length === 12);
  assert.deepEqual(new Set(await rowIds(page)), new Set(ids));

  // Two run (two workers), ten wait in line, their positions shown.
  const running = page.locator('[data-testid=job-row][data-status=running]');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=job-row][data-status=running] [role=progressbar]').length === 2
    && [...document.querySelectorAll('[data-testid=job-row][data-status=running] [role=progressbar]')].some((b) => Number(b.getAttribute('aria-valuenow')) > 0), null, { timeout: 30000 });
  const positions = await page.getByTestId('job-row-position').allTextContents();
  assert.equal(positions.length, 10);
  assert.ok(positions.includes('Next in line') && positions.includes('Position in queue: 10'), positions.join(', '));
  await shot(page, '30-jobs-twelve');

  // Cancel a running job: it is canceled within a second while the other one keeps running.
  const victim = await running.first().getAttribute('data-job-id');
  const other = await running.nth(1).getAttribute('data-job-id');
  const started = Date.now();
  await page.locator(`[data-job-id="${victim}"]`).getByRole('button', { name: 'Cancel' }).click();
  await page.locator(`[data-job-id="${victim}"][data-status=canceled]`).waitFor({ timeout: 5000 });
  const took = Date.now() - started;
  assert.ok(took < 1000, `the cancel took ${took} ms`);
  assert.equal(await page.locator(`[data-job-id="${other}"]`).getAttribute('data-status'), 'running');
  // The job next in line takes the free worker, and the queue moves up.
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=job-row-position]').length === 9, null, { timeout: 10000 });
  assert.ok((await page.getByTestId('job-row-position').allTextContents()).includes('Position in queue: 9'));

  // Away and back, then a reload: the same jobs, still live.
  await page.getByRole('link', { name: 'Gallery', exact: true }).click();
  await page.getByRole('heading', { name: 'Gallery', exact: true }).waitFor();
  // Eleven left, unless one of the running ones has finished meanwhile.
  const active = Number(await tray.getAttribute('data-active'));
  assert.ok(active >= 10 && active <= 11, `the tray counts ${active} jobs`);
  await tray.click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=job-row]').length === 12);
  assert.equal(await page.locator(`[data-job-id="${victim}"]`).getAttribute('data-status'), 'canceled');
  await page.reload();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=job-row]').length === 12);
  assert.deepEqual(new Set(await rowIds(page)), new Set(ids));
  await page.waitForFunction(() => document.querySelectorAll('[data-testid=job-row][data-status=running]').length === 2);

  // One stream per page load, never one per job.
  assert.ok(streams.every((p) => p === '/api/v1/generations/events'), streams.join(', '));
  assert.ok(streams.length <= 4, `${streams.length} streams opened`);

  // Create still works: with the queue cleared from the Jobs view (a job may have finished
  // first), a new image is made there.
  const statuses = () => page.getByTestId('job-row').evaluateAll((rows) => rows.map((r) => r.dataset.status));
  for (const deadline = Date.now() + 20000; ;) {
    const left = page.getByTestId('job-row').getByRole('button', { name: 'Cancel', exact: true });
    for (let i = await left.count(); i > 0; i--) await left.first().click();
    if ((await statuses()).every((s) => s === 'canceled' || s === 'succeeded')) break;
    assert.ok(Date.now() < deadline, `not all ended: ${(await statuses()).join(', ')}`);
    await page.waitForTimeout(200);
  }
  await page.getByRole('link', { name: 'Create', exact: true }).click();
  await page.getByRole('heading', { name: 'Create', exact: true }).waitFor();
  await page.getByLabel('Prompt', { exact: true }).fill('a small green frog on a leaf');
  await page.getByRole('button', { name: /^Generate/ }).click();
  await page.locator('[data-testid="job-view"][data-status="succeeded"]').first().waitFor({ timeout: 60000 });
  assert.equal(await tray.getAttribute('data-active'), '0');
  await shot(page, '31-create-after-jobs');
});
