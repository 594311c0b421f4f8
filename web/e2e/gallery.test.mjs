// End to end: the gallery on a phone (each tile's checkbox and favourite shown without hover and
// used by touch) and its count; a tile's keyboard focus ring; the image page's title and tags,
// previous and next in the gallery's order and filter, and "Copy parameters"; the built app
// served compressed.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import zlib from 'node:zlib';
import { generateThroughApi, newBrowser, shot, signIn, signUp, startServer } from './harness.mjs';

const email = `gallery-${Date.now()}@example.com`;
// Made in this order: the gallery shows them newest first.
const PROMPTS = ['a red kite over the dunes', 'a green tram in the rain', 'a yellow lantern at night'];
let server;
let ids; // newest first

before(async () => {
  server = await startServer();
  const browser = await newBrowser();
  try {
    await signUp(browser.page, server.url, email);
    for (const prompt of PROMPTS) await generateThroughApi(browser.context, server.url, { prompt, width: 64, height: 64, count: 1 });
    ids = (await (await browser.context.request.get(`${server.url}/api/v1/images`)).json()).items.map((i) => i.id);
    assert.equal(ids.length, 3);
  } finally {
    await browser.close();
  }
});

after(async () => {
  await server?.stop();
});

const imageOf = async (context, id) => (await context.request.get(`${server.url}/api/v1/images/${id}`)).json();

test('on a phone, a tile\'s checkbox and favourite show without hover and work by touch; the count follows the filter', async () => {
  const browser = await newBrowser({ width: 390, height: 844, phone: true });
  const { page } = browser;
  try {
    await signIn(page, server.url, email);
    await page.getByRole('link', { name: 'Gallery', exact: true }).click();
    const count = page.getByTestId('gallery-count');
    await count.getByText('3 images in all.').waitFor();
    assert.equal(await page.evaluate(() => window.matchMedia('(hover: none)').matches), true, 'the phone reports no hover');

    const tile = page.getByTestId('gallery-item').first();
    const checkbox = tile.getByRole('checkbox', { name: `Select image: ${PROMPTS[2]}` });
    const favorite = tile.getByRole('button', { name: `Add to favorites: ${PROMPTS[2]}` });
    assert.equal(await checkbox.evaluate((el) => getComputedStyle(el.closest('label')).opacity), '1', 'the checkbox shows without hover');
    assert.equal(await favorite.evaluate((el) => getComputedStyle(el).opacity), '1', 'the favourite shows without hover');
    await shot(page, '41-gallery-phone');

    await checkbox.tap();
    await page.getByText('1 selected', { exact: true }).waitFor();
    assert.equal(await checkbox.isChecked(), true);
    await page.waitForFunction(() => document.querySelector('[data-testid="live-polite"]')?.textContent === '1 image selected');

    await favorite.tap();
    const unfavorite = tile.getByRole('button', { name: `Remove from favorites: ${PROMPTS[2]}` });
    await unfavorite.waitFor();
    assert.equal(await unfavorite.getAttribute('aria-pressed'), 'true');
    assert.equal((await imageOf(browser.context, ids[0])).favorite, true);

    await page.getByLabel('Favorites only').check();
    await count.getByText('1 image matches the filters.').waitFor();
    assert.equal(await page.getByTestId('gallery-item').count(), 1);
    await page.getByLabel('Favorites only').uncheck();
    await unfavorite.tap();
    await tile.getByRole('button', { name: `Add to favorites: ${PROMPTS[2]}` }).waitFor();
    assert.equal((await imageOf(browser.context, ids[0])).favorite, false);
  } finally {
    await browser.close();
  }
});

test('a tile shows its whole focus ring; the image page edits title and tags, steps through the gallery\'s order and filter, and copies every parameter', async () => {
  const browser = await newBrowser();
  const { page, context } = browser;
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: server.url });
  try {
    await signIn(page, server.url, email);
    await page.getByRole('link', { name: 'Gallery', exact: true }).click();
    // The keyboard reaches the first tile with a whole focus ring: no box around it clips it.
    await page.getByTestId('gallery-count').waitFor();
    for (let i = 0; i < 40 && !(await page.evaluate(() => Boolean(document.activeElement?.closest('[data-testid="gallery-item"]')))); i++) {
      await page.keyboard.press('Tab');
    }
    const ring = await page.evaluate(() => {
      const el = document.activeElement;
      const style = getComputedStyle(el);
      const clippedBy = [];
      for (let a = el.parentElement; a && a.tagName !== 'MAIN'; a = a.parentElement) {
        if (getComputedStyle(a).overflow !== 'visible') clippedBy.push(a.tagName);
      }
      return { label: el.getAttribute('aria-label') ?? el.textContent, focusVisible: el.matches(':focus-visible'), outline: `${style.outlineStyle} ${style.outlineWidth}`, clippedBy };
    });
    assert.equal(ring.focusVisible, true, JSON.stringify(ring));
    assert.match(ring.outline, /^solid [2-9]/, JSON.stringify(ring));
    assert.deepEqual(ring.clippedBy, [], JSON.stringify(ring));
    await page.getByRole('link', { name: PROMPTS[2], exact: true }).click();
    const prompt = page.getByTestId('image-prompt');
    await prompt.getByText(PROMPTS[2]).waitFor();
    const order = page.getByRole('navigation', { name: 'Gallery order' });
    assert.equal(await order.getByRole('link', { name: '← Previous' }).count(), 0, 'the newest has no previous');
    await order.getByRole('link', { name: 'Next →' }).click();
    await prompt.getByText(PROMPTS[1]).waitFor();
    assert.ok(page.url().endsWith(`/images/${ids[1]}`));
    await order.getByRole('link', { name: 'Next →' }).click();
    await prompt.getByText(PROMPTS[0]).waitFor();
    assert.equal(await order.getByRole('link', { name: 'Next →' }).count(), 0, 'the oldest has no next');
    await order.getByRole('link', { name: '← Previous' }).click();
    await prompt.getByText(PROMPTS[1]).waitFor();

    await page.getByLabel('Title', { exact: true }).fill('Tram, rainy evening');
    await page.getByLabel('Tags', { exact: true }).fill('city, rain, city');
    await page.getByRole('button', { name: 'Save title and tags' }).click();
    await page.getByRole('heading', { name: 'Tram, rainy evening' }).waitFor();
    await page.getByTestId('image-params').getByText('city, rain', { exact: true }).waitFor();
    const saved = await imageOf(context, ids[1]);
    assert.deepEqual([saved.title, saved.tags], ['Tram, rainy evening', ['city', 'rain']]);
    await page.waitForFunction(() => document.querySelector('[data-testid="live-polite"]')?.textContent === 'Title and tags saved');
    await shot(page, '42-image-page-labels');

    await page.reload();
    await prompt.getByText(PROMPTS[1]).waitFor();
    await order.getByRole('link', { name: 'Next →' }).waitFor();

    await page.getByRole('button', { name: 'Copy parameters' }).click();
    await page.getByRole('button', { name: '✓ Copied' }).waitFor();
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const infotext = (await (await context.request.get(`${server.url}/api/v1/images/${ids[1]}/infotext`)).json()).infotext;
    assert.equal(copied, infotext);
    assert.match(copied, new RegExp(`^${PROMPTS[1]}\\n.*Seed: \\d+, Size: 64x64, Model: `, 's'));

    // Filtered by the new tag, the gallery holds one image: the image page has no neighbours.
    await page.goto(`${server.url}/gallery`);
    await page.getByLabel('Search prompts').fill('city');
    await page.getByTestId('gallery-count').getByText('1 image matches the filters.').waitFor();
    await page.getByRole('link', { name: PROMPTS[1], exact: true }).click();
    await prompt.getByText(PROMPTS[1]).waitFor();
    assert.equal(await order.getByRole('link').count(), 0);
  } finally {
    await browser.close();
  }
});

/** GET without fetch(), which would decode the body and hide Content-Encoding. */
function get(urlPath, acceptEncoding) {
  return new Promise((resolve, reject) => {
    const headers = acceptEncoding ? { 'accept-encoding': acceptEncoding } : {};
    http.get(`${server.url}${urlPath}`, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

test('the built app is served precompressed, with Vary, and hashed assets cached for a year', async () => {
  const page = await get('/', 'gzip, deflate, br');
  assert.equal(page.headers['content-encoding'], 'br');
  assert.equal(page.headers['cache-control'], 'no-cache');
  const html = zlib.brotliDecompressSync(page.body).toString();
  const script = html.match(/src="(\/assets\/[^"]+\.js)"/)?.[1];
  assert.ok(script, `no script in ${html.slice(0, 300)}`);

  const plain = await get(script);
  assert.equal(plain.headers['content-encoding'], undefined);
  const br = await get(script, 'gzip, deflate, br');
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
  assert.equal(br.headers.vary, 'Accept-Encoding');
  assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
  assert.deepEqual(zlib.brotliDecompressSync(br.body), plain.body);
  const gz = await get(script, 'gzip');
  assert.equal(gz.headers['content-encoding'], 'gzip');
  assert.deepEqual(zlib.gunzipSync(gz.body), plain.body);
  assert.ok(br.body.length * 3 < plain.body.length, `${br.body.length} bytes of brotli for ${plain.body.length}`);
});
