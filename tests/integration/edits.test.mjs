// Every editing task through the real binary and the built-in generator (no model installed),
// on both backends: image_to_image (strength), inpaint and outpaint with a mask, background
// removal and upscaling, each from an uploaded picture. Each result links to its source
// ("derived from": source_image_id), records its edit parameters in its PNG's infotext, and looks
// like what the task does.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  Server, createGeneration, expectError, expectStatus, register, uniqueEmail, waitFor,
} from './lib/server.mjs';
import { decodePng, encodePng, parsePng } from './lib/media.mjs';

const W = 96;
const H = 64;

// A mid-grey disc on a plain white backdrop.
function discPicture() {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const inside = (x - W / 2) ** 2 + (y - H / 2) ** 2 < 20 ** 2;
      data.set(inside ? [90, 60, 160] : [250, 250, 250], (y * W + x) * 3);
    }
  }
  return encodePng(W, H, 3, data);
}

// White over the left half (repaint), black elsewhere (keep).
function leftHalfMask() {
  const data = Buffer.alloc(W * H * 3);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.fill(x < W / 2 ? 255 : 0, (y * W + x) * 3, (y * W + x) * 3 + 3);
  return encodePng(W, H, 3, data);
}

function pixel(png, x, y) {
  const i = (y * png.width + x) * png.channels;
  return [...png.data.subarray(i, i + png.channels)];
}

describe('editing tasks with the built-in generator', { timeout: 180_000 }, () => {
  let server;
  let cookie;
  let source;
  let mask;

  async function uploadPng(png) {
    return expectStatus(await server.api('POST', '/api/v1/images', {
      cookie, body: png, raw: true, headers: { 'content-type': 'image/png' },
    }), 201).json;
  }

  // Runs the task; returns the image, its decoded PNG and its infotext.
  async function run(params) {
    const job = await createGeneration(server, cookie, { model: 'procedural', seed: 5, ...params });
    const done = await waitFor(server, cookie, job.id, 'succeeded');
    const image = done.images[0];
    assert.equal(image.source_image_id, source.id, `${params.task}: derived from its source`);
    assert.equal(image.origin, 'generated');
    const file = expectStatus(await server.api('GET', image.file_url, { cookie }), 200).body;
    return { image, png: decodePng(file), infotext: parsePng(file).text.parameters };
  }

  before(async () => {
    server = new Server({ name: 'edits' });
    await server.start();
    cookie = await register(server, uniqueEmail('edits'));
    source = await uploadPng(discPicture());
    mask = await uploadPng(leftHalfMask());
  });

  after(async () => { await server?.stop(); });

  test('the built-in model offers every task and says it is no model', async () => {
    const models = expectStatus(await server.api('GET', '/api/v1/models', { cookie }), 200).json.items;
    const demo = models.find((m) => m.id === 'procedural');
    assert.deepEqual([...demo.tasks].sort(),
      ['image_to_image', 'inpaint', 'outpaint', 'remove_background', 'text_to_image', 'upscale']);
    assert.match(demo.description, /not a neural model/i);
    assert.match(demo.description, /pixel arithmetic/);
  });

  test('image_to_image moves toward the prompt by strength', async () => {
    const light = await run({ task: 'image_to_image', prompt: 'a night sky', source_image_id: source.id, strength: 0.2 });
    const heavy = await run({ task: 'image_to_image', prompt: 'a night sky', source_image_id: source.id, strength: 0.9 });
    assert.match(light.infotext, /Denoising strength: 0\.2/);
    assert.deepEqual([light.png.width, light.png.height], [W, H]);
    const drift = (r) => Math.abs(pixel(r.png, 2, 2)[0] - 250);
    assert.ok(drift(light) < drift(heavy), `strength 0.2 stays nearer the source than 0.9 (${drift(light)} vs ${drift(heavy)})`);
    assert.ok(drift(light) <= 0.2 * 255 + 1);
  });

  test('inpaint repaints the white of the mask, outpaint the rest', async () => {
    const inpaint = await run({ task: 'inpaint', prompt: 'a night sky', source_image_id: source.id, mask_image_id: mask.id });
    assert.deepEqual(pixel(inpaint.png, W - 2, 2), [250, 250, 250], 'inpaint keeps what the mask leaves black');
    assert.notDeepEqual(pixel(inpaint.png, 2, 2), [250, 250, 250], 'inpaint repaints the white');
    assert.equal(inpaint.image.mask_image_id, mask.id);
    const outpaint = await run({ task: 'outpaint', prompt: 'a night sky', source_image_id: source.id, mask_image_id: mask.id });
    assert.deepEqual(pixel(outpaint.png, 2, 2), [250, 250, 250], 'outpaint keeps the white of the mask');
    assert.notDeepEqual(pixel(outpaint.png, W - 2, 2), [250, 250, 250], 'outpaint repaints the rest');
  });

  test('remove_background clears the plain backdrop and keeps the subject', async () => {
    const cut = await run({ task: 'remove_background', source_image_id: source.id });
    assert.equal(cut.png.channels, 4);
    assert.equal(pixel(cut.png, 1, 1)[3], 0, 'the backdrop is transparent');
    assert.deepEqual(pixel(cut.png, W / 2, H / 2), [90, 60, 160, 255], 'the subject is untouched');
  });

  test('upscale doubles the size, and says so in its infotext', async () => {
    const big = await run({ task: 'upscale', source_image_id: source.id });
    assert.deepEqual([big.image.width, big.image.height, big.png.width, big.png.height], [2 * W, 2 * H, 2 * W, 2 * H]);
    assert.match(big.infotext, /Postprocess upscale by: 2/);
    assert.deepEqual(pixel(big.png, W, H).slice(0, 3), [90, 60, 160], 'the centre is still the disc');
    const res = await server.api('POST', '/api/v1/generations', {
      cookie, body: { model: 'procedural', task: 'upscale', source_image_id: source.id, prompt: 'sharper' },
    });
    expectError(res, 400, 'invalid_argument', 'prompt');
  });

  test('outpaint by margins makes the larger canvas and its mask itself', async () => {
    const job = await createGeneration(server, cookie, {
      model: 'procedural', task: 'outpaint', prompt: 'a night sky', source_image_id: source.id,
      outpaint: { left: 32, top: 8, bottom: 8 },
    });
    const done = await waitFor(server, cookie, job.id, 'succeeded');
    const image = done.images[0];
    assert.deepEqual([image.width, image.height], [W + 32, H + 16]);
    const file = expectStatus(await server.api('GET', image.file_url, { cookie }), 200).body;
    const png = decodePng(file);
    assert.deepEqual(pixel(png, 32 + 10, 8 + 10), [250, 250, 250], 'the picture is kept where it was (past the mask blur)');
    assert.notDeepEqual(pixel(png, 2, 2), [250, 250, 250], 'the new margin is painted');
    const canvas = expectStatus(await server.api('GET', `/api/v1/images/${image.source_image_id}`, { cookie }), 200).json;
    assert.equal(canvas.origin, 'uploaded');
    assert.equal(canvas.title, `Outpaint canvas of ${source.id}`);
    const bad = [
      [{ outpaint: { left: -8 } }, 'outpaint.left'],
      [{ outpaint: { middle: 8 } }, 'outpaint'],
      [{ outpaint: {} }, 'outpaint'],
      [{ outpaint: { left: 8 }, mask_image_id: mask.id }, 'mask_image_id'],
      [{ outpaint: { left: 8 }, task: 'inpaint' }, 'outpaint'],
      [{ outpaint: { left: 4 } }, 'source_image_id'], // 100 wide: not a multiple of 8
    ];
    const count = (await server.api('GET', '/api/v1/images?limit=100', { cookie })).json.items.length;
    for (const [extra, field] of bad) {
      const res = await server.api('POST', '/api/v1/generations', {
        cookie, body: { model: 'procedural', task: 'outpaint', prompt: 'x', source_image_id: source.id, ...extra },
      });
      expectError(res, 400, 'invalid_argument', field, JSON.stringify(extra));
    }
    assert.equal((await server.api('GET', '/api/v1/images?limit=100', { cookie })).json.items.length, count,
      'a refused outpaint files no canvas');
  });

  test('a mask can come with the request instead of being a stored image', async () => {
    const inline = await run({
      task: 'inpaint', prompt: 'a night sky', source_image_id: source.id,
      mask: `data:image/png;base64,${leftHalfMask().toString('base64')}`,
    });
    assert.deepEqual(pixel(inline.png, W - 2, 2), [250, 250, 250]);
    assert.notDeepEqual(pixel(inline.png, 2, 2), [250, 250, 250]);
    const filed = expectStatus(await server.api('GET', `/api/v1/images/${inline.image.mask_image_id}`, { cookie }), 200).json;
    assert.equal(filed.origin, 'uploaded');

    const count = (await server.api('GET', '/api/v1/images?limit=100', { cookie })).json.items.length;
    const small = encodePng(8, 8, 3, Buffer.alloc(8 * 8 * 3, 255));
    for (const [extra, field] of [
      [{ mask: 'not base64!' }, 'mask'],
      [{ mask: Buffer.from('GIF89a').toString('base64') }, 'mask'],
      [{ mask: small.toString('base64') }, 'mask_image_id'], // not the source's size
      [{ mask: small.toString('base64'), mask_image_id: mask.id }, 'mask_image_id'],
      [{ mask: small.toString('base64'), outpaint: { left: 8 } }, 'mask'],
    ]) {
      const res = await server.api('POST', '/api/v1/generations', {
        cookie, body: { model: 'procedural', task: 'inpaint', prompt: 'x', source_image_id: source.id, ...extra },
      });
      expectError(res, 400, 'invalid_argument', field, JSON.stringify(extra).slice(0, 80));
    }
    assert.equal((await server.api('GET', '/api/v1/images?limit=100', { cookie })).json.items.length, count,
      'a refused request files no mask and keeps the source');
    expectStatus(await server.api('GET', `/api/v1/images/${source.id}`, { cookie }), 200);
  });

  test('an upload cannot be requested as a task', async () => {
    const res = await server.api('POST', '/api/v1/generations', {
      cookie, body: { model: 'procedural', task: 'upload', prompt: 'x' },
    });
    expectError(res, 400, 'invalid_argument', 'task');
  });
});
