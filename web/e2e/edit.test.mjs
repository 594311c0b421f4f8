// End to end: upload a picture, paint a mask on it, inpaint it with the demo generator, and find the
// result in the gallery linked to the upload it came from.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { newBrowser, shot, signUp, startServer } from './harness.mjs';

let server;
let browser;
let uploadId = null;

before(async () => {
  server = await startServer();
  browser = await newBrowser();
  browser.page.on('pageerror', (e) => console.error('page error:', e));
});

after(async () => {
  await browser?.close();
  await server?.stop();
});

/** A 256x192 PNG made by the browser: a sky-blue backdrop with a dark green square in its middle. */
async function picture(page) {
  const dataUrl = await page.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 256;
    c.height = 192;
    const ctx = c.getContext('2d');
    ctx.fillStyle = '#7dd3fc';
    ctx.fillRect(0, 0, 256, 192);
    ctx.fillStyle = '#166534';
    ctx.fillRect(96, 64, 64, 64);
    return c.toDataURL('image/png');
  });
  return Buffer.from(dataUrl.split(',')[1], 'base64');
}

/** The RGBA of pixel (x, y) of each image file, read in the page. */
function pixels(page, urls, x, y) {
  return page.evaluate(async ({ urls, x, y }) => Promise.all(urls.map(async (url) => {
    const bitmap = await createImageBitmap(await (await fetch(url)).blob());
    const c = new OffscreenCanvas(bitmap.width, bitmap.height);
    const ctx = c.getContext('2d');
    ctx.drawImage(bitmap, 0, 0);
    return [...ctx.getImageData(x, y, 1, 1).data];
  })), { urls, x, y });
}

test('upload, paint a mask, inpaint with the demo generator, see the result linked to its source', async () => {
  const { page } = browser;
  await signUp(page, server.url, `painter-${Date.now()}@example.com`);

  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Edit' }).click();
  await page.getByRole('heading', { name: 'Edit a picture' }).waitFor();
  await shot(page, '40-edit-upload');
  await page.getByLabel('Picture to upload').setInputFiles({ name: 'square.png', mimeType: 'image/png', buffer: await picture(page) });
  await page.waitForURL(/\/edit\/[^/]+$/);
  uploadId = page.url().split('/').pop();
  await page.getByRole('heading', { name: 'Edit', exact: true }).waitFor();
  assert.match(await page.locator('main').textContent(), /square · 256×192/);

  // Only what the demo generator does is offered, and it is labelled as not AI.
  await page.getByRole('radio', { name: 'Inpaint' }).check();
  assert.equal(await page.getByLabel('Model', { exact: true }).locator('option:checked').textContent(), 'Procedural (built-in) (demo, not AI)');
  await page.getByLabel('Prompt', { exact: true }).fill('a red sun at sunset');

  // Paint over the square's middle: a stroke with the mouse, one undone and redone from the keyboard.
  const canvas = page.getByTestId('mask-canvas');
  const box = await canvas.boundingBox();
  const at = (x, y) => [box.x + (x / 256) * box.width, box.y + (y / 192) * box.height];
  await page.mouse.move(...at(110, 96));
  await page.mouse.down();
  await page.mouse.move(...at(128, 96), { steps: 4 });
  await page.mouse.move(...at(146, 96), { steps: 4 });
  await page.mouse.up();
  assert.equal(await page.getByRole('button', { name: 'Undo' }).isEnabled(), true);
  await canvas.press('Control+z');
  assert.equal(await page.getByRole('button', { name: 'Undo' }).isEnabled(), false);
  await canvas.press('Control+y');
  await shot(page, '41-edit-mask');

  await page.getByRole('button', { name: 'Inpaint', exact: true }).click();
  await page.locator('[data-testid="job-view"][data-status="succeeded"]').waitFor({ timeout: 30000 });
  await page.getByTestId('before-after').waitFor();
  await shot(page, '42-edit-result');

  // The result: newest in the gallery; its page names the task and links to the upload.
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Gallery' }).click();
  await page.getByTestId('gallery-item').first().getByRole('link').first().click();
  await page.waitForURL(/\/images\/[^/]+$/);
  const resultId = page.url().split('/').pop();
  const params = page.getByTestId('image-params');
  await params.getByText('Inpaint', { exact: true }).waitFor();
  const derived = page.getByTestId('derived-from');
  assert.equal(await derived.getAttribute('href'), `/images/${uploadId}`);
  assert.equal(await derived.textContent(), 'square');
  await shot(page, '43-edit-derived');

  // The mask went up at the picture's size; the painted middle changed and the far corner did not.
  const result = await page.evaluate(async (id) => (await fetch(`/api/v1/images/${id}`)).json(), resultId);
  assert.equal(result.task, 'inpaint');
  assert.equal(result.source_image_id, uploadId);
  const mask = await page.evaluate(async (id) => (await fetch(`/api/v1/images/${id}`)).json(), result.mask_image_id);
  assert.deepEqual([mask.width, mask.height], [256, 192]);
  const files = [`/api/v1/images/${uploadId}/file`, `/api/v1/images/${resultId}/file`, `/api/v1/images/${result.mask_image_id}/file`];
  const [srcMiddle, outMiddle, maskMiddle] = await pixels(page, files, 128, 96);
  const [srcCorner, outCorner, maskCorner] = await pixels(page, files, 8, 8);
  assert.deepEqual(maskMiddle.slice(0, 3), [255, 255, 255]);
  assert.deepEqual(maskCorner.slice(0, 3), [0, 0, 0]);
  assert.notDeepEqual(outMiddle, srcMiddle);
  assert.deepEqual(outCorner, srcCorner);

  await derived.click();
  await page.waitForURL(new RegExp(`/images/${uploadId}$`));
  await page.getByTestId('image-params').getByText('Uploaded').waitFor();
});

/** Runs the chosen edit on the open edit view and opens its first result's page. */
async function runEdit(page, choice, button) {
  await page.getByRole('radio', { name: choice }).check();
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.locator('[data-testid="job-view"][data-status="succeeded"]').waitFor({ timeout: 30000 });
  await page.getByRole('link', { name: 'Open result 1' }).click();
  await page.waitForURL(/\/images\/[^/]+$/);
}

test('outpaint extends the upload on the chosen side; upscale doubles the result', async () => {
  const { page } = browser;
  assert.ok(uploadId, 'the first test uploaded a picture');
  await page.goto(`${server.url}/edit/${uploadId}`);
  await page.getByRole('radio', { name: 'Outpaint' }).check();
  await page.getByRole('checkbox', { name: 'Left' }).check();
  await page.getByLabel('Pixels on each side').selectOption('64');
  assert.equal(await page.getByTestId('outpaint-size').textContent(), '256×192 becomes 384×192');
  await page.getByLabel('Prompt', { exact: true }).fill('a forest');
  await runEdit(page, 'Outpaint', 'Outpaint');
  const params = page.getByTestId('image-params');
  await params.getByText('Outpaint', { exact: true }).waitFor();
  assert.match(await params.textContent(), /384×192/);
  // The server filed the larger canvas it outpainted; the result derives from it.
  assert.match(await page.getByTestId('derived-from').textContent(), /^Outpaint canvas of /);

  await page.getByRole('main').getByRole('link', { name: 'Edit', exact: true }).click();
  await page.getByRole('heading', { name: 'Edit', exact: true }).waitFor();
  await runEdit(page, 'Upscale 2×', 'Upscale 2×');
  await params.getByText('Upscale 2×', { exact: true }).waitFor();
  assert.match(await params.textContent(), /768×384/);
});
