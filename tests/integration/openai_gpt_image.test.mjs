// The gpt-image-2 family's newer parameters in both directions, through the real binary:
//   - the OpenAI-compatible provider against the local server of tests/support/openai: background
//     and moderation sent as the reference documents them, streamed partial images shown as the
//     job's live previews, inpainting as /v1/images/edits with a mask whose transparent pixels
//     mark the area, and the settings a model does not take refused before anything is sent;
//   - RenderMart's own OpenAI-compatible endpoint with the official `openai` client:
//     output_format jpeg and webp decoded as such, background, size auto, and the echoed fields.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import OpenAI, { toFile } from 'openai';

import { startChildServer } from './lib/child_server.mjs';
import { decodePng, isPng, isWebp, solidPng } from './lib/media.mjs';
import {
  Server, createGeneration, expectError, expectStatus, generationEvents, register, uniqueEmail, waitFor,
} from './lib/server.mjs';

describe('gpt-image-2 family', { timeout: 300_000 }, () => {
  let fake;
  let server;
  let cookie;
  let apiKey;

  const take = async () => (await fake.command({ take: true })).requests;
  const generate = async (params) => {
    const job = await createGeneration(server, cookie, params);
    return waitFor(server, cookie, job.id, 'succeeded', { timeoutMs: 60_000 });
  };

  before(async () => {
    fake = await startChildServer('openai/server.mjs');
    server = new Server({
      name: 'openai-gpt-image',
      env: {
        RENDERMART_OPENAI_BASE_URL: fake.base_url,
        RENDERMART_OPENAI_API_KEY: fake.api_key,
        RENDERMART_OPENAI_MODELS: 'gpt-image-2,gpt-image-2.6-flare',
        RENDERMART_MAX_ATTEMPTS: '1',
      },
    });
    await server.start();
    cookie = await register(server, uniqueEmail('gpt-image'));
    apiKey = expectStatus(await server.api('POST', '/api/v1/keys', { cookie, body: { name: 'client' } }), 201).json.secret;
  });

  after(async () => {
    await server?.stop();
    await fake?.stop();
  });

  beforeEach(async () => {
    await take();
    await fake.command({ stream_delay_ms: 0 });
  });

  test('the models declare their backgrounds, moderation levels and inpainting', async () => {
    const models = expectStatus(await server.api('GET', '/api/v1/models', { cookie }), 200).json.items;
    const gpt = models.find((m) => m.id === 'openai/gpt-image-2');
    assert.deepEqual(gpt.backgrounds, ['auto', 'opaque']);
    assert.deepEqual(gpt.moderations, ['auto', 'low']);
    assert.deepEqual(gpt.tasks, ['text_to_image', 'inpaint']);
  });

  test('a generation sends background and moderation, streams, and shows partial images as previews', async () => {
    await fake.command({ stream_delay_ms: 400 });
    const job = await createGeneration(server, cookie, {
      model: 'openai/gpt-image-2', prompt: 'a glass fox', width: 1024, height: 1024, background: 'opaque', moderation: 'low',
    });
    const { events } = await generationEvents(server, cookie, job.id, { timeoutMs: 60_000 });
    const previews = events.filter((e) => e.data?.preview);
    assert.ok(previews.length >= 1, `a partial image reached the job's events: ${JSON.stringify(events.map((e) => e.event))}`);
    assert.match(previews[0].data.preview, /^data:image\/webp;base64,/);
    const done = await waitFor(server, cookie, job.id, 'succeeded');
    assert.equal(done.params.background, 'opaque');
    assert.equal(done.params.moderation, 'low');
    const [sent] = await take();
    assert.deepEqual(sent, {
      model: 'gpt-image-2', prompt: 'a glass fox', n: 1, size: '1024x1024', quality: 'auto',
      background: 'opaque', moderation: 'low', stream: true, partial_images: 2,
    });
  });

  test('inpainting is an edit whose mask is transparent where the picture is repainted', async () => {
    const source = (await generate({ model: 'procedural', prompt: 'a quiet harbour', width: 1024, height: 1024, seed: 2 })).images[0];
    const mask = (await generate({ model: 'procedural', prompt: 'white clouds in a black sky', width: 1024, height: 1024, seed: 3 })).images[0];
    const maskPng = decodePng((await server.api('GET', mask.file_url, { cookie })).body);
    let white = 0;
    for (let i = 0; i < maskPng.width * maskPng.height; i++) {
      const [r, g, b] = maskPng.data.subarray(i * maskPng.channels, i * maskPng.channels + 3);
      if (299 * r + 587 * g + 114 * b >= 127500) white += 1;
    }
    await take();
    const job = await generate({ model: 'openai/gpt-image-2', task: 'inpaint', source_image_id: source.id, mask_image_id: mask.id, prompt: 'a red boat' });
    assert.equal(job.images[0].source_image_id, source.id);
    const [sent] = await take();
    assert.equal(sent.endpoint, 'edits');
    assert.equal(sent.prompt, 'a red boat');
    assert.deepEqual(sent.image, { width: 1024, height: 1024 });
    assert.equal(sent.mask.transparent, white, 'the transparent pixels are the mask\'s white ones');
  });

  test('settings a model does not take are refused before anything is sent', async () => {
    const post = (body) => server.api('POST', '/api/v1/generations', { cookie, body });
    expectError(await post({ model: 'openai/gpt-image-2', prompt: 'x', background: 'transparent' }), 400, 'invalid_argument', 'background');
    expectError(await post({ model: 'openai/gpt-image-2', prompt: 'x', moderation: 'none' }), 400, 'invalid_argument', 'moderation');
    expectError(await post({ model: 'procedural', prompt: 'x', moderation: 'low' }), 400, 'invalid_argument', 'moderation');
    assert.deepEqual(await take(), []);
  });

  describe('RenderMart\'s endpoint with the official openai client', () => {
    const client = () => new OpenAI({ apiKey, baseURL: `${server.baseUrl}/v1`, maxRetries: 0, timeout: 60_000 });

    test('output_format jpeg and webp come back in that format, with the echoed settings', async () => {
      const jpeg = await client().images.generate({ model: 'procedural', prompt: 'a red kite', size: '256x192', output_format: 'jpeg', output_compression: 80, quality: 'auto', background: 'opaque' });
      const jpegBytes = Buffer.from(jpeg.data[0].b64_json, 'base64');
      assert.deepEqual([...jpegBytes.subarray(0, 3)], [0xff, 0xd8, 0xff], 'a JPEG');
      assert.equal(jpeg.output_format, 'jpeg');
      assert.equal(jpeg.size, '256x192');
      assert.equal(jpeg.quality, 'auto');
      assert.equal(jpeg.background, 'opaque');
      assert.equal(typeof jpeg.created, 'number');

      const webp = await client().images.generate({ model: 'procedural', prompt: 'a red kite', size: '256x192', output_format: 'webp' });
      assert.ok(isWebp(Buffer.from(webp.data[0].b64_json, 'base64')), 'a WebP');
      assert.equal(webp.output_format, 'webp');

      const png = await client().images.generate({ model: 'procedural', prompt: 'a red kite', size: '128x128' });
      assert.ok(isPng(Buffer.from(png.data[0].b64_json, 'base64')));
      assert.equal(png.output_format, 'png');
    });

    test('size auto takes the model\'s default size; a cloud model gets the newer fields', async () => {
      const auto = await client().images.generate({ model: 'procedural', prompt: 'a tin robot', size: 'auto' });
      assert.match(auto.size, /^\d+x\d+$/);
      const gpt = await client().images.generate({ model: 'openai/gpt-image-2', prompt: 'a tin robot', size: 'auto', background: 'opaque', moderation: 'low', quality: 'low' });
      assert.equal(gpt.size, '1024x1024');
      assert.equal(gpt.background, 'opaque');
      assert.equal(gpt.quality, 'low');
      const [sent] = await take();
      assert.equal(sent.background, 'opaque');
      assert.equal(sent.moderation, 'low');
    });

    test('edits and variations take the newer fields too', async () => {
      const picture = () => toFile(solidPng(128, 96, [200, 30, 30]), 'red.png', { type: 'image/png' });
      const variation = await client().images.createVariation({ model: 'procedural', image: await picture(), output_format: 'webp', output_compression: 60 });
      assert.ok(isWebp(Buffer.from(variation.data[0].b64_json, 'base64')), 'a WebP');
      assert.equal(variation.output_format, 'webp');
      assert.equal(variation.size, '128x96');
      const edit = await client().images.edit({ model: 'procedural', image: await picture(), prompt: 'a blue sky', output_format: 'jpeg', background: 'opaque' });
      assert.deepEqual([...Buffer.from(edit.data[0].b64_json, 'base64').subarray(0, 2)], [0xff, 0xd8]);
      assert.equal(edit.background, 'opaque');
    });

    test('impossible combinations are refused in OpenAI\'s error shape', async () => {
      const refuse = async (params, param) => {
        await assert.rejects(client().images.generate({ model: 'procedural', prompt: 'x', ...params }), (error) => {
          assert.equal(error.status, 400);
          assert.equal(error.param, param);
          return true;
        });
      };
      await refuse({ output_format: 'gif' }, 'output_format');
      await refuse({ output_format: 'jpeg', background: 'transparent' }, 'background');
      await refuse({ output_compression: 101 }, 'output_compression');
      await refuse({ background: 'transparent' }, 'background');
      await refuse({ output_format: 'webp', response_format: 'url' }, 'output_format');
    });
  });
});
