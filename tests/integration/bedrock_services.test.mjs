// Stability AI's image services on Bedrock through the real binary, against the local Bedrock of
// tests/support/bedrock (SigV4 checked, every body checked against the service's fields): each
// service is a model that declares its task, each task sends its documented body with the
// user's own pictures, its result derives from its source and records its settings in the PNG,
// and what a task needs (a prompt, a search prompt, a mask, a second picture) and each setting a
// service takes (style_preset, grow_mask, style transfer's composition_fidelity and
// change_strength, within Stability's ranges) are checked before anything is sent or queued.

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
    // Stability's own ranges: grow_mask for the masked and search tasks, style transfer's two.
    assert.deepEqual(byId[SERVICES.inpaint].grow_mask, { min: 0, max: 100, default: 5 });
    assert.deepEqual(byId[SERVICES.erase].grow_mask, { min: 0, max: 20, default: 5 });
    assert.deepEqual(byId[SERVICES.search_replace].grow_mask, { min: 0, max: 20, default: 3 });
    assert.equal(byId[SERVICES.sketch].grow_mask, null);
    assert.deepEqual(byId[SERVICES.style_transfer].composition_fidelity, { min: 0, max: 1, default: 0.9 });
    assert.deepEqual(byId[SERVICES.style_transfer].change_strength, { min: 0.1, max: 1, default: 0.9 });
    // The services grow their own masks: no mask_blur; the built-in generator blends with one.
    assert.equal(byId[SERVICES.inpaint].mask_blur, null);
    assert.deepEqual(byId.procedural.mask_blur, { min: 0, max: 64, default: 4 });
    // The seventeen presets, only on the services that take one.
    const presets = ['3d-model', 'analog-film', 'anime', 'cinematic', 'comic-book', 'digital-art', 'enhance',
      'fantasy-art', 'isometric', 'line-art', 'low-poly', 'modeling-compound', 'neon-punk', 'origami', 'photographic',
      'pixel-art', 'tile-texture'];
    for (const name of ['creative', 'inpaint', 'outpaint', 'search_replace', 'search_recolor', 'sketch', 'structure', 'style_guide']) {
      assert.deepEqual(byId[SERVICES[name]].style_presets, presets, name);
    }
    for (const name of ['conservative', 'fast', 'erase', 'remove_background', 'style_transfer']) {
      assert.deepEqual(byId[SERVICES[name]].style_presets, [], name);
    }
  });

  test('every task sends its documented body and derives from its source', async () => {
    const src = PNG(512, 384);
    const cases = [
      [{ model: SERVICES.creative, task: 'upscale', prompt: 'a sharp fox', creativity: 0.4 },
        { image: src, prompt: 'a sharp fox', creativity: 0.4, output_format: 'png' }],
      [{ model: SERVICES.fast, task: 'upscale' }, { image: src, output_format: 'png' }],
      [{ model: SERVICES.inpaint, task: 'inpaint', prompt: 'a hat', mask_image_id: 'MASK' },
        { image: src, prompt: 'a hat', mask: { ...PNG(512, 384), binary: true }, grow_mask: 5, output_format: 'png' }],
      [{ model: SERVICES.inpaint, task: 'inpaint', prompt: 'a hat', mask_image_id: 'MASK', style_preset: 'anime', grow_mask: 40 },
        { image: src, prompt: 'a hat', mask: { ...PNG(512, 384), binary: true }, grow_mask: 40, style_preset: 'anime', output_format: 'png' }],
      [{ model: SERVICES.erase, task: 'erase', mask_image_id: 'MASK' },
        { image: src, mask: { ...PNG(512, 384), binary: true }, grow_mask: 5, output_format: 'png' }],
      [{ model: SERVICES.search_replace, task: 'search_replace', prompt: 'a wolf', search_prompt: 'the fox' },
        { image: src, prompt: 'a wolf', search_prompt: 'the fox', grow_mask: 3, output_format: 'png' }],
      [{ model: SERVICES.search_recolor, task: 'search_recolor', prompt: 'blue fur', search_prompt: 'the fox', grow_mask: 0, style_preset: 'neon-punk' },
        { image: src, prompt: 'blue fur', select_prompt: 'the fox', grow_mask: 0, style_preset: 'neon-punk', output_format: 'png' }],
      [{ model: SERVICES.remove_background, task: 'remove_background' }, { image: src, output_format: 'png' }],
      [{ model: SERVICES.sketch, task: 'sketch', prompt: 'a castle' },
        { image: src, prompt: 'a castle', control_strength: 0.7, output_format: 'png' }],
      [{ model: SERVICES.structure, task: 'structure', prompt: 'a castle', control_strength: 0.3 },
        { image: src, prompt: 'a castle', control_strength: 0.3, output_format: 'png' }],
      [{ model: SERVICES.style_guide, task: 'style_guide', prompt: 'a castle', style_preset: 'origami' },
        { image: src, prompt: 'a castle', fidelity: 0.5, aspect_ratio: '5:4', style_preset: 'origami', output_format: 'png' }],
      [{ model: SERVICES.style_transfer, task: 'style_transfer', style_image_id: 'STYLE' },
        { init_image: src, style_image: PNG(256, 256), style_strength: 1, composition_fidelity: 0.9, change_strength: 0.9, output_format: 'png' }],
      [{ model: SERVICES.style_transfer, task: 'style_transfer', style_image_id: 'STYLE', composition_fidelity: 0.4, change_strength: 0.1, control_strength: 0.6 },
        { init_image: src, style_image: PNG(256, 256), style_strength: 0.6, composition_fidelity: 0.4, change_strength: 0.1, output_format: 'png' }],
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
      // What was sent is what the image records, in the API and in its PNG.
      for (const key of ['style_preset', 'grow_mask', 'composition_fidelity', 'change_strength']) {
        const sent = expected[key] ?? (key === 'style_preset' ? null : 0);
        assert.equal(image[key], sent, `${request.task}: ${key} in the API`);
        assert.equal(recorded[key], sent || undefined, `${request.task}: ${key} in the PNG`);
      }
      assert.equal(image.mask_blur, 0, `${request.task}: no mask blur of RenderMart's`);
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

  test('each setting only where the service takes it, within its range, before anything is sent', async () => {
    const post = (body) => server.api('POST', '/api/v1/generations', { cookie, body: { source_image_id: source.id, ...body } });
    const inpaint = { model: SERVICES.inpaint, task: 'inpaint', prompt: 'a hat', mask_image_id: mask.id };
    const erase = { model: SERVICES.erase, task: 'erase', mask_image_id: mask.id };
    const transfer = { model: SERVICES.style_transfer, task: 'style_transfer', style_image_id: style.id };
    const refusals = [
      [{ ...inpaint, style_preset: 'watercolor' }, 'style_preset', /has no style_preset 'watercolor'; it takes 3d-model, analog-film/],
      [{ ...erase, style_preset: 'anime' }, 'style_preset', /takes no style_preset/],
      [{ ...transfer, style_preset: 'anime' }, 'style_preset', /takes no style_preset/],
      [{ ...inpaint, grow_mask: 101 }, 'grow_mask', /between 0 and 100/],
      [{ ...erase, grow_mask: 21 }, 'grow_mask', /between 0 and 20/],
      [{ ...erase, grow_mask: 2.5 }, 'grow_mask', /integer/],
      [{ model: SERVICES.sketch, task: 'sketch', prompt: 'x', grow_mask: 3 }, 'grow_mask', /does not apply to sketch/],
      [{ ...inpaint, mask_blur: 4 }, 'mask_blur', /grows and blurs the mask's edge itself by grow_mask \(0 to 100 pixels\)/],
      [{ ...transfer, change_strength: 0.05 }, 'change_strength', /between 0.1 and 1/],
      [{ ...transfer, composition_fidelity: 1.2 }, 'composition_fidelity', /between 0 and 1/],
      [{ model: SERVICES.style_guide, task: 'style_guide', prompt: 'x', composition_fidelity: 0.5 }, 'composition_fidelity', /does not apply to style_guide/],
    ];
    for (const [body, field, message] of refusals) {
      const answer = expectError(await post(body), 400, 'invalid_argument', field);
      assert.match(answer.json.error.message, message, field);
    }
    assert.deepEqual(await take(), [], 'nothing reached Bedrock');
    const jobs = expectStatus(await server.api('GET', '/api/v1/generations?limit=100', { cookie }), 200).json.items;
    assert.equal(jobs.filter((j) => j.status === 'queued').length, 0, 'nothing was queued');
  });

  test('the built-in generator keeps its mask blur and takes none of the services\' settings', async () => {
    const body = { model: 'procedural', task: 'inpaint', prompt: 'a sun', source_image_id: source.id, mask_image_id: mask.id };
    expectError(await server.api('POST', '/api/v1/generations', { cookie, body: { ...body, grow_mask: 5 } }), 400, 'invalid_argument', 'grow_mask');
    expectError(await server.api('POST', '/api/v1/generations', { cookie, body: { ...body, style_preset: 'anime' } }), 400, 'invalid_argument', 'style_preset');
    const job = await generate({ ...body, mask_blur: 9 });
    assert.equal(job.images[0].mask_blur, 9);
    assert.equal(job.images[0].grow_mask, 0);
  });
});
