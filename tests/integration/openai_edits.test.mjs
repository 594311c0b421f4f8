// OpenAI-compatible edits and variations through the real binary, driven by the official
// `openai` npm client unchanged: POST /v1/images/edits (image or image[], a mask whose
// transparent pixels mark the area to edit, or the image's own transparency; prompt, n, size,
// model, response_format) and POST /v1/images/variations, answered in OpenAI's shapes, with the
// pictures filed as the user's uploads and the results linked to them in the gallery.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import OpenAI, { toFile } from 'openai';

import { Server, expectStatus, register, uniqueEmail } from './lib/server.mjs';
import { decodePng, encodePng, solidPng } from './lib/media.mjs';

const W = 64;
const H = 64;

// Opaque everywhere but the left half, which is transparent: the area to edit.
function leftHalfTransparent(colour = [40, 90, 200]) {
  const data = Buffer.alloc(W * H * 4);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) data.set([...colour, x < W / 2 ? 0 : 255], (y * W + x) * 4);
  return encodePng(W, H, 4, data);
}

describe('OpenAI-compatible edits and variations', { timeout: 180_000 }, () => {
  let server;
  let cookie;
  let client;

  const gallery = async () => expectStatus(await server.api('GET', '/api/v1/images?limit=100', { cookie }), 200).json.items;

  before(async () => {
    server = new Server({ name: 'openai-edits' });
    await server.start();
    cookie = await register(server, uniqueEmail('openai-edits'));
    const key = expectStatus(await server.api('POST', '/api/v1/keys', { cookie, body: { name: 'edits' } }), 201);
    client = new OpenAI({ apiKey: key.json.secret, baseURL: `${server.baseUrl}/v1`, maxRetries: 0, timeout: 60_000 });
  });

  after(async () => { await server?.stop(); });

  test('an edit with a mask repaints the transparent area of the mask', async () => {
    const answer = await client.images.edit({
      model: 'procedural',
      image: await toFile(solidPng(W, H, [250, 250, 250]), 'photo.png', { type: 'image/png' }),
      mask: await toFile(leftHalfTransparent(), 'mask.png', { type: 'image/png' }),
      prompt: 'a night sky',
      n: 2,
      response_format: 'b64_json',
    });
    assert.equal(typeof answer.created, 'number');
    assert.equal(answer.data.length, 2);
    const png = decodePng(Buffer.from(answer.data[0].b64_json, 'base64'));
    assert.deepEqual([png.width, png.height], [W, H]);
    const at = (x, y) => [...png.data.subarray((y * W + x) * png.channels, (y * W + x) * png.channels + 3)];
    assert.deepEqual(at(W - 2, 2), [250, 250, 250], 'the opaque part of the mask is kept');
    assert.notDeepEqual(at(2, 2), [250, 250, 250], 'the transparent part is repainted');

    const images = await gallery();
    const results = images.filter((i) => i.task === 'inpaint');
    assert.equal(results.length, 2);
    const source = images.find((i) => i.id === results[0].source_image_id);
    const mask = images.find((i) => i.id === results[0].mask_image_id);
    assert.equal(source.origin, 'uploaded', 'the picture is filed as an upload, the results derived from it');
    assert.equal(mask.origin, 'uploaded');
  });

  test('an edit without a mask uses the image\'s transparency; url answers point at the gallery', async () => {
    const answer = await client.images.edit({
      model: 'procedural',
      image: await toFile(leftHalfTransparent([10, 200, 10]), 'cutout.png', { type: 'image/png' }),
      prompt: 'a forest',
      response_format: 'url',
    });
    assert.equal(answer.data.length, 1);
    assert.match(answer.data[0].url, /\/api\/v1\/images\/[^/]+\/file$/);
    const file = await fetch(answer.data[0].url, { headers: { authorization: `Bearer ${client.apiKey}` } });
    assert.equal(file.status, 200);
  });

  test('a variation needs no prompt', async () => {
    const answer = await client.images.createVariation({
      model: 'procedural',
      image: await toFile(solidPng(W, H, [200, 30, 30]), 'red.png', { type: 'image/png' }),
      n: 1,
    });
    const png = decodePng(Buffer.from(answer.data[0].b64_json, 'base64'));
    assert.deepEqual([png.width, png.height], [W, H]);
    const variation = (await gallery()).find((i) => i.task === 'image_to_image');
    assert.equal(variation.prompt, '');
  });

  test('bad edits are refused in OpenAI\'s error shape and leave nothing behind', async () => {
    const before = (await gallery()).length;
    const picture = async () => toFile(solidPng(W, H, [1, 2, 3]), 'p.png', { type: 'image/png' });
    const refusals = [
      [{ model: 'procedural', image: await picture(), prompt: '' }, 'prompt'],
      [{ model: 'procedural', image: await toFile(Buffer.from('not a picture'), 'p.png', { type: 'image/png' }), prompt: 'x' }, 'image'],
      [{ model: 'procedural', image: await picture(), mask: await toFile(Buffer.from('GIF89a'), 'm.png', { type: 'image/png' }), prompt: 'x' }, 'mask'],
      [{ model: 'procedural', image: await picture(), mask: await toFile(solidPng(W, H, [0, 0, 0]), 'm.png', { type: 'image/png' }), prompt: 'x' }, 'mask'],
      [{ model: 'procedural', image: await picture(), mask: await toFile(solidPng(32, 32, [0, 0, 0, 0]), 'm.png', { type: 'image/png' }), prompt: 'x' }, 'mask'],
      [{ model: 'procedural', image: await picture(), prompt: 'x', size: '128x128' }, 'size'],
      [{ model: 'no-such-model', image: await picture(), prompt: 'x' }, 'model'],
    ];
    for (const [params, param] of refusals) {
      await assert.rejects(client.images.edit(params), (error) => {
        assert.ok(error instanceof OpenAI.BadRequestError, `${param}: ${error}`);
        assert.equal(error.param, param, `${param}: ${error.message}`);
        assert.equal(error.type, 'invalid_request_error');
        return true;
      });
    }
    assert.equal((await gallery()).length, before, 'nothing was filed');
  });
});
