// End to end: the built web app in Debian's chromium against the real `rendermart serve`.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { PASSWORD, newBrowser, shot, signIn, signUp, startServer } from './harness.mjs';

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

let server;
let alice; // { context, page, close }
const aliceEmail = `alice-${Date.now()}@example.com`;
let keptImageId = null;

before(async () => {
  server = await startServer();
  alice = await newBrowser();
  alice.page.on('pageerror', (e) => console.error('page error:', e));
});

after(async () => {
  await alice?.close();
  await server?.stop();
});


/** The error text tied to a control by aria-describedby: "next to its field". */
async function fieldError(page, control) {
  await control.and(page.locator('[aria-invalid="true"]')).waitFor();
  const ids = (await control.getAttribute('aria-describedby') ?? '').split(' ').filter(Boolean);
  for (const id of ids) {
    const el = page.locator(`[id="${id}"][data-field-error]`);
    if (await el.count()) return (await el.textContent()) ?? '';
  }
  return '';
}

test('sign up, generate with live progress, see it in the gallery, open, download, delete', async () => {
  const { page } = alice;
  await page.goto(`${server.url}/`);
  await page.waitForURL(/\/login$/);
  // It promises nothing an installation with only the demo generator cannot do.
  const pitch = await page.locator('body').textContent();
  assert.doesNotMatch(pitch, /render live|works offline/i);
  assert.match(pitch, /pick one of the models this server offers/);
  await shot(page, '01-sign-in');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.waitForURL(/\/register$/);
  await shot(page, '02-sign-up');
  await signUp(page, server.url, aliceEmail);
  assert.equal(await page.getByTestId('user-email').textContent(), aliceEmail);
  await shot(page, '03-create-empty');

  // The model picker shows capabilities from GET /api/v1/models, and calls the built-in
  // generator what it is, with its whole description.
  assert.match(await page.getByTestId('model-caps').textContent(), /up to 4 images/);
  assert.equal(await page.getByLabel('Model', { exact: true }).locator('option:checked').textContent(), 'Procedural (built-in) (demo, not AI)');
  const description = page.getByTestId('model-description');
  assert.equal(await description.getByTestId('model-kind').textContent(), 'Demo generator · not AI');
  assert.match(await description.textContent(), /Not a neural model: .+ negative prompt words remove elements and colours\./);
  // Only the demo generator: everyone is told how a model is added; a user has nothing to install.
  const note = page.getByTestId('no-ai-model');
  assert.match(await note.textContent(), /rendermart models pull stabilityai\/sd-turbo.*RENDERMART_BEDROCK_REGION.*RENDERMART_OPENAI_API_KEY/s);
  assert.equal(await note.getByRole('button').count(), 0);
  assert.equal(await page.getByRole('link', { name: 'Models', exact: true }).count(), 0);

  await page.getByLabel('Prompt', { exact: true }).fill('a red fox at sunset over snowy mountains, orange sky');
  await page.getByRole('button', { name: '16:9', exact: true }).click();
  await page.getByLabel('Style').selectOption('watercolor');
  await page.getByLabel('Number of images').selectOption('2');
  await page.getByRole('button', { name: 'Advanced settings' }).click();
  await page.getByRole('spinbutton', { name: /^Steps/ }).fill('50');
  await page.getByRole('button', { name: /Generate 2 images/ }).click();

  const job = page.getByTestId('job-view').first();
  await job.waitFor();
  const bar = job.getByRole('progressbar', { name: 'Generation progress' });
  await page.waitForFunction(() => {
    const b = document.querySelector('[role=progressbar]');
    return b && b.getAttribute('aria-valuenow') === '100';
  }, null, { timeout: 30000 });
  assert.equal(await bar.getAttribute('aria-valuenow'), '100');
  await job.locator('[data-status="succeeded"]').or(page.locator('[data-testid="job-view"][data-status="succeeded"]')).first().waitFor();
  const results = job.getByRole('list', { name: 'Generated images' }).getByRole('link');
  await results.nth(1).waitFor();
  assert.equal(await results.count(), 2);
  await page.waitForFunction(() => [...document.querySelectorAll('[aria-label="Generated images"] img')].every((i) => i.complete && i.naturalWidth > 0));
  assert.equal(await page.getByTestId('result-model').first().textContent(), 'Procedural (built-in)Demo · not AI');
  await shot(page, '04-create-done');

  // Gallery: both images.
  await page.getByRole('link', { name: 'Gallery' }).click();
  await page.getByTestId('gallery-item').nth(1).waitFor();
  assert.equal(await page.getByTestId('gallery-item').count(), 2);
  await page.waitForFunction(() => [...document.querySelectorAll('[data-testid=gallery-item] img')].every((i) => i.complete && i.naturalWidth > 0));
  const tileBadges = page.getByTestId('gallery-item').getByTestId('model-kind');
  await tileBadges.nth(1).waitFor();
  assert.deepEqual(await tileBadges.allTextContents(), ['Demo · not AI', 'Demo · not AI']);
  await shot(page, '05-gallery');

  // Search finds them; a word not in the prompt finds nothing.
  await page.getByLabel('Search prompts').fill('zebra');
  await page.getByText('No images match').waitFor();
  await page.getByLabel('Search prompts').fill('fox');
  await page.getByTestId('gallery-item').nth(1).waitFor();

  // Image page: every parameter, download the PNG.
  await page.getByTestId('gallery-item').first().getByRole('link').first().click();
  await page.waitForURL(/\/images\/[^/]+$/);
  const imageId = page.url().split('/').pop();
  const params = page.getByTestId('image-params');
  await params.waitFor();
  await params.getByTestId('model-kind').waitFor(); // the model list arrives after the image
  const paramsText = await params.textContent();
  for (const want of ['ModelProcedural (built-in)Demo generator · not AI', 'Watercolor', 'Seed', 'Steps50', 'CFG scale7']) assert.ok(paramsText.includes(want), `parameters show ${want}: ${paramsText}`);
  assert.match(paramsText, /Size\d+×\d+ \(16:9\)/);
  await page.waitForFunction(() => { const i = document.querySelector('main img'); return i && i.complete && i.naturalWidth > 0; });
  await shot(page, '06-image');

  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('link', { name: 'Download PNG' }).click()]);
  const file = await download.path();
  const bytes = fs.readFileSync(file);
  assert.ok(bytes.subarray(0, 8).equals(PNG_SIGNATURE), 'the download is a PNG');
  assert.match(download.suggestedFilename(), /\.png$/);
  const viaApi = Buffer.from(await (await alice.context.request.get(`${server.url}/api/v1/images/${imageId}/file`)).body());
  assert.ok(bytes.equals(viaApi), 'the downloaded bytes are the stored original');
  assert.ok(bytes.includes(Buffer.from('a red fox at sunset')), 'the PNG carries its prompt');

  // Favorite toggles.
  await page.getByRole('button', { name: 'Add to favorites' }).click();
  await page.getByRole('button', { name: 'Remove from favorites' }).waitFor();

  // "Same seed" prefills Create with this image's parameters and seed.
  const seedText = (await params.textContent()).match(/Seed(\d+)/)[1];
  await page.getByRole('button', { name: 'Same seed' }).click();
  await page.getByRole('heading', { name: 'Create', exact: true }).waitFor();
  assert.equal(await page.getByLabel('Prompt', { exact: true }).inputValue(), 'a red fox at sunset over snowy mountains, orange sky');
  assert.equal(await page.getByLabel('Style').inputValue(), 'watercolor');
  assert.equal(await page.getByLabel('Seed value').inputValue(), seedText);
  assert.equal(await page.getByLabel('Width').inputValue(), '640');
  await page.goBack();
  await page.getByRole('button', { name: 'Remove from favorites' }).waitFor();

  // Delete it: back to the gallery with one image left.
  await page.getByRole('button', { name: 'Delete image' }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.waitForURL(/\/gallery$/);
  await page.getByTestId('gallery-item').first().waitFor();
  assert.equal(await page.getByTestId('gallery-item').count(), 1);
  const gone = await alice.context.request.get(`${server.url}/api/v1/images/${imageId}`);
  assert.equal(gone.status(), 404);
  keptImageId = (await (await alice.context.request.get(`${server.url}/api/v1/images`)).json()).items[0].id;
});

test('a validation error is shown next to its field: the prompt\'s as it is typed, the size\'s from the API', async () => {
  const { page } = alice;
  await page.goto(`${server.url}/`);
  const prompt = page.getByLabel('Prompt', { exact: true });
  await prompt.fill('x'.repeat(2001));
  assert.equal(await page.getByRole('button', { name: /Generate/ }).isDisabled(), true);
  const promptErr = await fieldError(page, prompt);
  assert.match(promptErr, /prompt|2000|long/i, `prompt error: ${promptErr}`);
  await shot(page, '07-create-validation');

  await prompt.fill('a lighthouse on a cliff at night');
  const width = page.getByLabel('Width');
  await width.fill('13');
  await page.getByRole('button', { name: /Generate/ }).click();
  const widthErr = await fieldError(page, width);
  assert.match(widthErr, /13x|between|multiple/i, `width error: ${widthErr}`);
});

test('preferences change the Create defaults', async () => {
  const { page } = alice;
  await page.goto(`${server.url}/settings`);
  await page.getByLabel('Default style').selectOption('neon');
  await page.getByLabel('Use the model’s default size').uncheck();
  await page.getByRole('button', { name: '9:16', exact: true }).click();
  const w = await page.getByLabel('Width').inputValue();
  const h = await page.getByLabel('Height').inputValue();
  assert.ok(Number(h) > Number(w), `portrait size ${w}x${h}`);
  await page.getByLabel('Default negative prompt').fill('blurry, text');
  await page.getByRole('radio', { name: 'dark' }).check({ force: true });
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await page.getByText('Saved', { exact: true }).waitFor();
  await page.getByRole('button', { name: 'Create key' }).waitFor();
  await page.getByLabel('Key name').fill('e2e script');
  await page.getByRole('button', { name: 'Create key' }).click();
  const secret = await page.getByTestId('key-secret').inputValue();
  assert.ok(secret.length >= 16);
  await page.getByRole('list', { name: 'API keys' }).getByText('e2e script').waitFor();
  await shot(page, '08-settings-dark');
  // The key works for programs.
  const viaKey = await fetch(`${server.url}/api/v1/images`, { headers: { authorization: `Bearer ${secret}` } });
  assert.equal(viaKey.status, 200);

  await page.goto(`${server.url}/`); // a fresh load reads the stored preferences
  await page.getByLabel('Style').and(page.locator('select')).waitFor();
  assert.equal(await page.getByLabel('Style').inputValue(), 'neon');
  assert.equal(await page.getByLabel('Width').inputValue(), w);
  assert.equal(await page.getByLabel('Height').inputValue(), h);
  assert.equal(await page.getByLabel('Negative prompt', { exact: true }).inputValue(), 'blurry, text');
  assert.ok(await page.evaluate(() => document.documentElement.classList.contains('dark')), 'dark theme applied');
  await shot(page, '09-create-dark');

  // Back to light for the remaining screenshots.
  await page.goto(`${server.url}/settings`);
  await page.getByRole('radio', { name: 'light' }).check({ force: true });
  await page.getByRole('button', { name: 'Save preferences' }).click();
  await page.getByText('Saved', { exact: true }).waitFor();
});

test('sign-in errors are clear; a second user sees none of the first user\'s images', async () => {
  const { page } = alice;
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(/\/login$/);
  await page.getByLabel('E-mail').fill(aliceEmail);
  await page.getByLabel('Password').fill('not the password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'Wrong e-mail or password' }).waitFor();
  await shot(page, '10-sign-in-wrong-password');

  await page.goto(`${server.url}/register`);
  await page.getByLabel('E-mail').fill(aliceEmail);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  const emailErr = await fieldError(page, page.getByLabel('E-mail'));
  assert.match(emailErr, /already exists/);

  const bob = await newBrowser({ width: 390, height: 844 });
  try {
    await signUp(bob.page, server.url, `bob-${Date.now()}@example.com`);
    await shot(bob.page, '11-phone-create');
    await bob.page.getByRole('link', { name: 'Gallery' }).click();
    await bob.page.getByText('No images yet').waitFor();
    assert.equal(await bob.page.getByTestId('gallery-item').count(), 0);
    await shot(bob.page, '12-phone-gallery-empty');
    const list = await (await bob.context.request.get(`${server.url}/api/v1/images`)).json();
    assert.deepEqual(list.items, []);
    await bob.page.goto(`${server.url}/images/${keptImageId}`);
    await bob.page.getByText('Image not found').waitFor();
  } finally {
    await bob.close();
  }
});

test('a running generation shows live progress and can be canceled', async () => {
  const { page } = alice;
  await signIn(page, server.url, aliceEmail);
  // Big enough for the built-in generator to take a few seconds.
  await page.getByLabel('Prompt', { exact: true }).fill('a vast desert under a starry night sky');
  await page.getByLabel('Width').fill('2048');
  await page.getByLabel('Height').fill('2048');
  await page.getByLabel('Number of images').selectOption('4');
  await page.getByRole('button', { name: 'Advanced settings' }).click();
  await page.getByRole('spinbutton', { name: /^Steps/ }).fill('50');
  await page.getByRole('button', { name: /Generate 4 images/ }).click();
  const job = page.getByTestId('job-view').first();
  await page.waitForFunction(() => {
    const v = Number(document.querySelector('[role=progressbar]')?.getAttribute('aria-valuenow'));
    return v > 0 && v < 100;
  }, null, { timeout: 30000 });
  await shot(page, '14-create-running');
  await job.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('[data-testid="job-view"][data-status="canceled"]').waitFor({ timeout: 30000 });
  await page.getByText('This generation was canceled.').waitFor();
  assert.equal(await job.getByRole('button', { name: 'Cancel' }).count(), 0);
});

test('multi-select delete empties the gallery', async () => {
  const { page } = alice;
  await page.goto(`${server.url}/`);
  await page.getByRole('heading', { name: 'Create', exact: true }).waitFor();
  await page.getByRole('button', { name: '1:1', exact: true }).click();
  // One more image, so that two are selected.
  await page.getByLabel('Prompt', { exact: true }).fill('a city skyline at night with stars');
  // Waited for by its id: the results of earlier jobs may be on the page too.
  const [created] = await Promise.all([
    page.waitForResponse((r) => r.request().method() === 'POST' && new URL(r.url()).pathname === '/api/v1/generations'),
    page.getByRole('button', { name: /Generate/ }).click(),
  ]);
  const { id } = await created.json();
  for (let t = 0; (await (await page.request.get(`${server.url}/api/v1/generations/${id}`)).json()).status !== 'succeeded'; t++) {
    assert.ok(t < 300, `generation ${id} did not succeed`);
    await page.waitForTimeout(100);
  }
  await page.getByRole('link', { name: 'Gallery' }).click();
  await page.getByTestId('gallery-item').nth(1).waitFor();
  assert.equal(await page.getByTestId('gallery-item').count(), 2);
  await page.getByRole('checkbox', { name: /Select image: a city skyline/ }).check();
  await page.getByRole('checkbox', { name: /Select image: a red fox/ }).check();
  await page.getByText('2 selected').waitFor();
  await shot(page, '13-gallery-selection');
  await page.getByRole('button', { name: 'Delete selected' }).click();
  await page.getByRole('button', { name: 'Delete', exact: true }).click();
  await page.getByText('No images yet').waitFor();
  const list = await (await alice.context.request.get(`${server.url}/api/v1/images`)).json();
  assert.deepEqual(list.items, []);
});

test('the gallery loads further pages as it scrolls (next_cursor)', async () => {
  const carol = await newBrowser();
  try {
    await signUp(carol.page, server.url, `carol-${Date.now()}@example.com`);
    const req = carol.context.request;
    // Playwright's request client shares the page's cookie but not its Origin: it sends the app's,
    // as the app's own requests carry it.
    const origin = { origin: server.url };
    const ids = [];
    for (let i = 0; i < 9; i++) {
      const r = await req.post(`${server.url}/api/v1/generations`, { data: { prompt: `tiny test picture number ${i} of a forest`, width: 64, height: 64, count: 4, steps: 1 }, headers: origin });
      assert.equal(r.status(), 202);
      ids.push((await r.json()).id);
    }
    for (const id of ids) {
      for (let t = 0; ; t++) {
        const g = await (await req.get(`${server.url}/api/v1/generations/${id}`)).json();
        if (g.status === 'succeeded') break;
        assert.ok(['queued', 'running'].includes(g.status) && t < 300, `generation ${id}: ${g.status}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    const { page } = carol;
    await page.getByRole('link', { name: 'Gallery' }).click();
    await page.getByTestId('gallery-item').nth(29).waitFor();
    for (let i = 0; i < 20 && (await page.getByTestId('gallery-item').count()) < 36; i++) {
      await page.mouse.wheel(0, 4000);
      await page.waitForTimeout(150);
    }
    await page.getByTestId('gallery-item').nth(35).waitFor();
    assert.equal(await page.getByTestId('gallery-item').count(), 36);
    await page.getByRole('button', { name: 'Load more' }).waitFor({ state: 'detached' });
  } finally {
    await carol.close();
  }
});
