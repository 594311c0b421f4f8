// End to end: every main screen passes axe-core (no serious or critical violations) in the light
// and the dark theme; errors show where the user acts (beside Generate, below the sticky header,
// the first invalid field focused, Generate disabled while the form cannot be sent); the app
// shell's live region tells of jobs that finish (politely) and fail (at once).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { PASSWORD, generateThroughApi, newBrowser, shot, signIn, startServer } from './harness.mjs';

const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const adminEmail = `a11y-${Date.now()}@example.com`;
let server;

before(async () => {
  server = await startServer();
  await server.createUser(adminEmail, PASSWORD, { admin: true });
});

after(async () => {
  await server?.stop();
});

/** The serious and critical axe violations of the page as it is now, one line each. */
async function violations(page) {
  // Evaluated by the browser's devtools protocol, which the page's Content-Security-Policy does not govern.
  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help}: ${v.nodes.slice(0, 4).map((n) => `${n.target.join(' ')} ${n.failureSummary?.split('\n')[1] ?? ''}`).join(' | ')}`);
}

/** A generated image of the signed-in user, made through the API as the app would. */
const generatedImage = async (context) => (await generateThroughApi(context, server.url, { prompt: 'a lighthouse on a cliff at dusk', width: 64, height: 64, count: 1, steps: 1 })).images[0].id;

for (const colorScheme of ['light', 'dark']) {
  test(`every main screen has no serious or critical accessibility violations (${colorScheme} theme)`, async () => {
    const browser = await newBrowser({ colorScheme });
    const { page } = browser;
    try {
      const found = [];
      const check = async (name, url, ready) => {
        await page.goto(`${server.url}${url}`);
        await ready();
        assert.equal(await page.evaluate(() => document.documentElement.classList.contains('dark')), colorScheme === 'dark', `${name}: theme`);
        // Colour transitions (hover, theme) end before contrast is measured.
        await page.evaluate(() => Promise.all(document.getAnimations().map((a) => a.finished.catch(() => undefined))));
        for (const v of await violations(page)) found.push(`${name}: ${v}`);
      };
      await check('sign-in', '/login', () => page.getByRole('button', { name: 'Sign in' }).waitFor());
      await signIn(page, server.url, adminEmail);
      const imageId = await generatedImage(browser.context);
      const heading = (name) => () => page.getByRole('heading', { name, exact: true }).waitFor();
      await check('Create', '/', heading('Create'));
      await check('Edit', `/edit/${imageId}`, () => page.getByRole('form', { name: 'Edit image' }).waitFor());
      await check('Upload', '/edit', heading('Edit a picture'));
      await check('Gallery', '/gallery', () => page.getByTestId('gallery-count').waitFor());
      await check('image page', `/images/${imageId}`, () => page.getByTestId('image-prompt').waitFor());
      await check('Jobs', '/jobs', heading('Jobs'));
      await check('Models', '/models', heading('Models'));
      await check('Settings (keys, preferences)', '/settings', () => page.getByRole('form', { name: 'Preferences' }).waitFor());
      await check('Users', '/users', heading('Users'));
      assert.deepEqual(found, [], `accessibility violations:\n  ${found.join('\n  ')}`);
    } finally {
      await browser.close();
    }
  });
}

test('a form error shows beside Generate below the sticky header; the first invalid field gets focus; Generate waits for a valid form', async () => {
  const browser = await newBrowser({ width: 1366, height: 900 });
  const { page } = browser;
  try {
    await signIn(page, server.url, adminEmail);
    const prompt = page.getByLabel('Prompt', { exact: true });
    const generate = page.getByRole('button', { name: /Generate/ });
    const unavailable = (route) => (route.request().method() === 'POST'
      ? route.fulfill({ status: 503, contentType: 'application/json', body: JSON.stringify({ error: { code: 'unavailable', message: 'The queue is not taking work right now: try again in a minute.' } }) })
      : route.continue());
    await page.route('**/api/v1/generations', unavailable);
    await prompt.fill('a lighthouse on a cliff at night');
    await generate.click();
    const formError = page.locator('[data-form-error]');
    await formError.getByText('try again in a minute').waitFor();
    const geometry = await page.evaluate(() => {
      const header = document.querySelector('header').getBoundingClientRect();
      const error = document.querySelector('[data-form-error]');
      const box = error.getBoundingClientRect();
      return { headerBottom: header.bottom, top: box.top, bottom: box.bottom, height: window.innerHeight, next: error.nextElementSibling?.textContent ?? '' };
    });
    assert.ok(geometry.top >= geometry.headerBottom, `the error's top ${geometry.top} is under the header's bottom ${geometry.headerBottom}`);
    assert.ok(geometry.bottom <= geometry.height, `the error's bottom ${geometry.bottom} is below the window (${geometry.height})`);
    assert.match(geometry.next, /Generate/, 'the error is right before the Generate button');
    await shot(page, '40-create-form-error');
    assert.deepEqual(await violations(page), [], 'the error beside Generate is legible');
    await page.unroute('**/api/v1/generations', unavailable);

    await prompt.fill('x'.repeat(2001));
    assert.equal(await generate.isDisabled(), true, 'Generate is disabled while the prompt is over its limit');
    const reason = page.getByTestId('generate-blocked');
    assert.match(await reason.textContent(), /longer than the 2000 characters/);
    assert.equal(await generate.getAttribute('aria-describedby'), await reason.getAttribute('id'));
    assert.deepEqual(await violations(page), [], 'the reason and the field\'s error are legible');
    await prompt.fill('a lighthouse');
    assert.equal(await generate.isDisabled(), false);

    await prompt.fill('');
    await page.getByLabel('Width').fill('333');
    await generate.click();
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'prompt');
    await prompt.fill('a lighthouse on a cliff at night');
    await generate.click();
    // The server refuses the width (not a multiple of 8): the focus moves to it.
    await page.waitForFunction(() => document.activeElement?.getAttribute('name') === 'width');
    const box = await page.getByLabel('Width').boundingBox();
    const headerBottom = await page.evaluate(() => document.querySelector('header').getBoundingClientRect().bottom);
    assert.ok(box.y >= headerBottom, 'the focused field is not under the header');
  } finally {
    await browser.close();
  }
});

test('the live region says when a job finishes (politely) and when one fails (at once)', async () => {
  const browser = await newBrowser();
  const { page } = browser;
  try {
    await signIn(page, server.url, adminEmail);
    const polite = page.locator('[aria-live="polite"][data-testid="live-polite"]');
    const assertive = page.locator('[aria-live="assertive"][data-testid="live-assertive"]');
    await page.getByLabel('Prompt', { exact: true }).fill('a paper boat on a pond');
    await page.getByRole('button', { name: /Generate/ }).click();
    await page.locator('main [data-testid="job-view"][data-status="succeeded"]').first().waitFor({ timeout: 30000 });
    await page.waitForFunction((el) => /Generation finished: “a paper boat on a pond”/.test(el.textContent), await polite.elementHandle());

    // On any page: a job started elsewhere (here through the API) is told of when it ends.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Gallery' }).click();
    await page.getByTestId('gallery-count').waitFor();
    const elsewhere = await browser.context.request.post(`${server.url}/api/v1/generations`,
      { data: { prompt: 'a kite over a beach', width: 1024, height: 1024 }, headers: { origin: server.url } });
    assert.equal(elsewhere.status(), 202);
    await page.waitForFunction((el) => /Generation finished: “a kite over a beach”/.test(el.textContent), await polite.elementHandle(), { timeout: 30000 });

    // A job fails for real: an edit whose source is deleted while the edit waits behind big jobs.
    const origin = { origin: server.url };
    const source = await generatedImage(browser.context);
    for (let i = 0; i < 6; i++) {
      const busy = await browser.context.request.post(`${server.url}/api/v1/generations`, { data: { prompt: `a busy harbour ${i}`, width: 2048, height: 2048, count: 4 }, headers: origin });
      assert.equal(busy.status(), 202);
    }
    await page.goto(`${server.url}/edit/${source}`);
    await page.route('**/api/v1/generations', async (route) => {
      if (route.request().method() !== 'POST') { await route.continue(); return; }
      const queued = await route.fetch();
      assert.equal((await browser.context.request.delete(`${server.url}/api/v1/images/${source}`, { headers: origin })).status(), 204);
      await route.fulfill({ response: queued });
    });
    await page.getByRole('button', { name: 'Image to image', exact: true }).click();
    await page.locator('main [data-testid="job-view"][data-status="failed"]').first().waitFor({ timeout: 60000 });
    await page.waitForFunction((el) => /Generation failed: “a lighthouse on a cliff at dusk”/.test(el.textContent), await assertive.elementHandle());
    assert.doesNotMatch(await polite.textContent(), /failed/);
  } finally {
    await browser.close();
  }
});
