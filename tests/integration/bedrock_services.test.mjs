// Stability AI's image services on Bedrock through the real binary, against the local Bedrock of
// tests/support/bedrock (SigV4 checked, every body checked against the service's fields): each
// service is a model that declares its task, each task sends its documented body with the
// user's own pictures, its result derives from its source and records its settings in the PNG,
// and what a task needs (a prompt, a search prompt, a mask, a second picture) is checked before
// anything is sent.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { SD35, bedrockEnv, startLocalBedrock } from './lib/bedrock.mjs';
import { decodePng, parsePng } from './lib/media.mjs';
import {
  Server, createGeneration, expectError, expectStatus, register, uniqueEmail, waitFor,
} from './lib/server.mjs';

const SERVICES = {
  creative: 'stability.stable-creative-upscale-v1:0',
  conservative: 'stability.stable-conservative-upscale-v1:0',
  fast: 'stability.stable-fast-upscale-v1:0',
  inpaint: 'stability.stable-image-inpaint-v1:0',
  outpaint: 'stability.stable-outpaint-v1:0',
  erase: 'stability.stable-image-erase-object-v1:0',
  search_replace: 'stability.stable-image-search-replace-v1:0',
  search_recolor: 'stability.stable-image-search-recolor-v1:0',
  remove_background: 'stability.stable-image-remove-background-v1:0',
  sketch: 'stability.stable-image-control-sketch-v1:0',
  structure: 'stability.stable-image-control-structure-v1:0',
  style_guide: 'stability.stable-image-style-guide-v1:0',
  style_transfer: 'stability.stable-style-transfer-v1:0',
};
const PNG = (width, height, channels = 3) => ({ png: { width, height, channels } });

describe('Stability AI image services on Bedrock', { timeout: 300_000 }, () => {
  let bedrock;
  let server;
  let cookie;
  let source;
  let mask;
  let style;

  const take = async () => (await bedrock.command({ take: true })).invocations;
  const generate = async (params) => {
    const job = await createGeneration(server, cookie, params);
    return waitFor(server, cookie, job.id, 'succeeded', { timeoutMs: 60_000 });
  };
  const pngParams = async (image) => {
    const file = await server.api('GET', image.file_url, { cookie });
    return JSON.parse(parsePng(file.body).text.rendermart);
  };

  before(async () => {
    bedrock = await startLocalBedrock();
    server = new Server({
      name: 'bedrock-services',
      env: bedrockEnv(bedrock, { RENDERMART_BEDROCK_MODELS: [SD35, ...Object.values(SERVICES)].join(',') }),
    });
    await server.start();
    cookie = await register(server, uniqueEmail('services'));
    source = (await generate({ model: 'procedural', prompt: 'a red fox in a field', width: 512, height: 384, seed: 1 })).images[0];
    mask = (await generate({ model: 'procedural', prompt: 'white clouds in a black sky', width: 512, height: 384, seed: 3 })).images[0];
    style = (await generate({ model: 'procedural', prompt: 'blue waves', width: 256, height: 256, seed: 5 })).images[0];
  });

  after(async () => {
    await server?.stop();
    await bedrock?.stop();
  });

  beforeEach(async () => { await take(); });

  test('each service is a model with its task and settings', async () => {
    const models = expectStatus(await server.api('GET', '/api/v1/models', { cookie }), 200).json.items;
    const byId = Object.fromEntries(models.map((m) => [m.id, m]));
    for (const [name, id] of Object.entries(SERVICES)) {
      const task = ['creative', 'conservative', 'fast'].includes(name) ? 'upscale' : name;
      assert.deepEqual(byId[id]?.tasks, [task], id);
    }
    assert.deepEqual(byId[SERVICES.creative].creativity, { min: 0.1, max: 0.5, default: 0.3 });
    assert.equal(byId[SERVICES.fast].creativity, null);
    assert.deepEqual(byId[SERVICES.sketch].control_strength, { min: 0, max: 1, default: 0.7 });
  });

  test('every task sends its documented body and derives from its source', async () => {
    const src = PNG(512, 384);
    const cases = [
      [{ model: SERVICES.creative, task: 'upscale', prompt: 'a sharp fox', creativity: 0.4 },
        { image: src, prompt: 'a sharp fox', creativity: 0.4, output_format: 'png' }],
      [{ model: SERVICES.fast, task: 'upscale' }, { image: src, output_format: 'png' }],
      [{ model: SERVICES.inpaint, task: 'inpaint', prompt: 'a hat', mask_image_id: 'MASK' },
        { image: src, prompt: 'a hat', mask: { ...PNG(512, 384), binary: true }, output_format: 'png' }],
      [{ model: SERVICES.erase, task: 'erase', mask_image_id: 'MASK' },
        { image: src, mask: { ...PNG(512, 384), binary: true }, output_format: 'png' }],
      [{ model: SERVICES.search_replace, task: 'search_replace', prompt: 'a wolf', search_prompt: 'the fox' },
        { image: src, prompt: 'a wolf', search_prompt: 'the fox', output_format: 'png' }],
      [{ model: SERVICES.search_recolor, task: 'search_recolor', prompt: 'blue fur', search_prompt: 'the fox' },
        { image: src, prompt: 'blue fur', select_prompt: 'the fox', output_format: 'png' }],
      [{ model: SERVICES.remove_background, task: 'remove_background' }, { image: src, output_format: 'png' }],
      [{ model: SERVICES.sketch, task: 'sketch', prompt: 'a castle' },
        { image: src, prompt: 'a castle', control_strength: 0.7, output_format: 'png' }],
      [{ model: SERVICES.structure, task: 'structure', prompt: 'a castle', control_strength: 0.3 },
        { image: src, prompt: 'a castle', control_strength: 0.3, output_format: 'png' }],
      [{ model: SERVICES.style_guide, task: 'style_guide', prompt: 'a castle' },
        { image: src, prompt: 'a castle', fidelity: 0.5, aspect_ratio: '5:4', output_format: 'png' }],
      [{ model: SERVICES.style_transfer, task: 'style_transfer', style_image_id: 'STYLE' },
        { init_image: src, style_image: PNG(256, 256), style_strength: 1, output_format: 'png' }],
    ];
    for (const [request, expected] of cases) {
      const params = { ...request, source_image_id: source.id, seed: 7 };
      if (params.mask_image_id) params.mask_image_id = mask.id;
      if (params.style_image_id) params.style_image_id = style.id;
      const job = await generate(params);
      const [call] = await take();
      const seeded = request.model === SERVICES.fast || request.task === 'remove_background' ? {} : { seed: 7 };
      if (call.body.mask) {
        assert.ok(call.body.mask.black_fraction > 0 && call.body.mask.black_fraction < 1, 'the mask has both parts');
        delete call.body.mask.black_fraction;
      }
      assert.deepEqual(call.body, { ...expected, ...seeded }, request.model);
      const image = job.images[0];
      assert.equal(image.source_image_id, source.id, `${request.task}: derives from its source`);
      const recorded = await pngParams(image);
      assert.equal(recorded.task, request.task);
      if (request.search_prompt) assert.equal(recorded.search_prompt, request.search_prompt);
      if (request.style_image_id) assert.equal(recorded.style_image_id, style.id);
      if (request.creativity) assert.equal(recorded.creativity, request.creativity);
    }
  });

  test('results have the size the service makes', async () => {
    const fast = await generate({ model: SERVICES.fast, task: 'upscale', source_image_id: source.id });
    assert.deepEqual([fast.images[0].width, fast.images[0].height], [2048, 1536]);
    const cutout = await generate({ model: SERVICES.remove_background, task: 'remove_background', source_image_id: source.id });
    const png = decodePng((await server.api('GET', cutout.images[0].file_url, { cookie })).body);
    assert.equal(png.channels, 4, 'the background is transparent');
  });

  test('outpaint sends the kept picture and the margins the mask adds', async () => {
    const canvas = expectStatus(await server.api('POST', '/api/v1/generations', {
      cookie,
      body: { model: SERVICES.outpaint, task: 'outpaint', source_image_id: source.id, prompt: 'more field', outpaint: { left: 64, right: 0, top: 32, bottom: 0 }, seed: 4 },
    }), 202).json;
    const job = await waitFor(server, cookie, canvas.id, 'succeeded', { timeoutMs: 60_000 });
    const [call] = await take();
    assert.deepEqual(call.body, {
      image: PNG(512, 384), left: 64, right: 0, up: 32, down: 0, prompt: 'more field', creativity: 0.5, seed: 4, output_format: 'png',
    });
    assert.deepEqual([job.images[0].width, job.images[0].height], [576, 416]);
  });

  test('what a task needs is checked before anything is sent', async () => {
    const post = (body) => server.api('POST', '/api/v1/generations', { cookie, body: { source_image_id: source.id, ...body } });
    expectError(await post({ model: SERVICES.search_replace, task: 'search_replace', prompt: 'a wolf' }), 400, 'invalid_argument', 'search_prompt');
    expectError(await post({ model: SERVICES.style_transfer, task: 'style_transfer' }), 400, 'invalid_argument', 'style_image_id');
    expectError(await post({ model: SERVICES.erase, task: 'erase' }), 400, 'invalid_argument', 'mask_image_id');
    expectError(await post({ model: SERVICES.creative, task: 'upscale' }), 400, 'invalid_argument', 'prompt');
    expectError(await post({ model: SERVICES.fast, task: 'upscale', prompt: 'x' }), 400, 'invalid_argument', 'prompt');
    expectError(await post({ model: SERVICES.creative, task: 'upscale', prompt: 'x', creativity: 0.9 }), 400, 'invalid_argument', 'creativity');
    expectError(await post({ model: SERVICES.sketch, task: 'sketch', prompt: 'x', search_prompt: 'y' }), 400, 'invalid_argument', 'search_prompt');
    expectError(await post({ model: SERVICES.sketch, task: 'structure', prompt: 'x' }), 400, 'invalid_argument', 'task');
    expectError(await post({ model: SERVICES.sketch, task: 'sketch', prompt: 'x', style_image_id: 'nope' }), 404, 'not_found');
    assert.deepEqual(await take(), [], 'nothing reached Bedrock');
  });
});
