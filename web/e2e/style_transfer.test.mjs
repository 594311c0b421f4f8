// End to end: a style transfer with Stability AI's service on Bedrock, against the local Bedrock of
// tests/support/bedrock (SigV4 and every body checked): the style picture is chosen from the user's
// own pictures by its thumbnail, with the keyboard; the service's settings show with their ranges;
// the body that reaches Bedrock carries both pictures and the settings; the Edit view passes axe-core.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { bedrockEnv, startLocalBedrock } from '../../tests/integration/lib/bedrock.mjs';
import { generateThroughApi, newBrowser, shot, signUp, startServer } from './harness.mjs';

const TRANSFER = 'stability.stable-style-transfer-v1:0';
const AXE_SOURCE = fs.readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

let bedrock;
let server;
let browser;

before(async () => {
  bedrock = await startLocalBedrock();
  server = await startServer({ env: bedrockEnv(bedrock, { RENDERMART_BEDROCK_MODELS: TRANSFER }) });
  browser = await newBrowser();
  browser.page.on('pageerror', (e) => console.error('page error:', e));
});

after(async () => {
  await browser?.close();
  await server?.stop();
  await bedrock?.stop();
});

test('pick a style picture by its thumbnail with the keyboard and restyle a picture through the local Bedrock', async () => {
  const { context, page } = browser;
  await signUp(page, server.url, `stylist-${Date.now()}@example.com`);
  // Three pictures of the user's own, of sizes that tell them apart in what Bedrock receives.
  const make = async (prompt, width, height) => (await generateThroughApi(context, server.url, {
    model: 'procedural', prompt, width, height, count: 1, steps: 1, seed: 3,
  })).images[0];
  const waves = await make('blue waves at night', 128, 128);
  const desert = await make('a desert at noon', 192, 128);
  const source = await make('a red fox in a field', 256, 192);
  await bedrock.command({ take: true });

  await page.goto(`${server.url}/edit/${source.id}`);
  await page.getByRole('heading', { name: 'Edit', exact: true }).waitFor();
  await page.getByRole('radio', { name: 'Style transfer' }).check();
  const pictures = page.getByRole('group', { name: 'Style picture' });
  await pictures.getByRole('radio', { name: 'a desert at noon' }).waitFor({ state: 'attached' });
  // The source itself is not offered; the others show as thumbnails, newest first.
  assert.deepEqual(await pictures.getByRole('radio').evaluateAll((radios) => radios.map((r) => r.getAttribute('aria-label'))),
    ['a desert at noon', 'blue waves at night']);
  const loaded = await pictures.locator('img').evaluateAll((imgs) => imgs.map((i) => i.complete && i.naturalWidth > 0));
  assert.deepEqual(loaded, [true, true], 'the thumbnails load');

  // The service's settings, from the model's ranges; no style preset for style transfer.
  assert.equal(await page.getByLabel('Style strength (1.00)').getAttribute('max'), '1');
  assert.equal(await page.getByLabel('Change strength (0.90)').getAttribute('min'), '0.1');
  assert.equal(await page.getByLabel('Style preset').count(), 0);

  // Keyboard only: Tab reaches the group at its first picture, Space picks it, the arrow key moves on.
  await page.getByRole('radio', { name: 'Style transfer' }).focus();
  let focused = '';
  for (let i = 0; i < 10 && focused !== 'a desert at noon'; i++) {
    await page.keyboard.press('Tab');
    focused = await page.evaluate(() => document.activeElement?.getAttribute('aria-label') ?? '');
  }
  assert.equal(focused, 'a desert at noon', 'Tab reaches the style pictures');
  await page.keyboard.press('Space');
  await page.keyboard.press('ArrowRight');
  assert.equal(await pictures.getByRole('radio', { name: 'blue waves at night' }).isChecked(), true);
  await page.getByLabel('Composition fidelity (0.90)').fill('0.5');
  await shot(page, '45-edit-style-transfer');

  await page.evaluate(AXE_SOURCE);
  const result = await page.evaluate(() => window.axe.run(document, { resultTypes: ['violations'] }));
  const serious = result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.id}: ${v.help}`);
  assert.deepEqual(serious, [], 'the Edit view with the style picker passes axe-core');

  await page.getByRole('button', { name: 'Style transfer' }).click();
  await page.getByRole('link', { name: 'Open result 1' }).waitFor({ timeout: 60000 });
  const [call] = (await bedrock.command({ take: true })).invocations;
  assert.equal(call.model, TRANSFER);
  assert.deepEqual(call.body.init_image.png, { width: 256, height: 192, channels: 3 });
  assert.deepEqual(call.body.style_image.png, { width: waves.width, height: waves.height, channels: 3 });
  assert.equal(call.body.style_strength, 1);
  assert.equal(call.body.composition_fidelity, 0.5);
  assert.equal(call.body.change_strength, 0.9);
  assert.equal(desert.width, 192, 'the other picture was not sent');
});
