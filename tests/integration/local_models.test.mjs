// The local diffusion engine through the real binary: tiny random-weight Stable Diffusion models
// (tests/fixtures/diffusion, and tiny-sd1 with a 9-channel inpainting UNet from
// tests/fixtures/diffusion-xl) listed as `local` models, generated through the API with progress
// events that carry previews, canceled between steps, decoded with TAESD, inpainting and outpainting with either
// kind of model, made by `rendermart generate`, and capped at an instruction set. Skipped when the
// binary was built without libtorch.

import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BIN, REPO_ROOT, createGeneration, expectError, expectStatus, generationEvents, makeTempDir,
  register, startServer, uniqueEmail, waitFor,
} from './lib/server.mjs';
import { decodePng, encodePng, isWebp, loraHash, parsePng, pngPixels, sha256 } from './lib/media.mjs';
import { SpecValidator } from './lib/openapi.mjs';

const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures');
const hasEngine = fs.existsSync(BIN) &&
  /local diffusion engine: libtorch/.test(spawnSync(BIN, ['version'], { encoding: 'utf8' }).stdout);

// A kohya LoRA for tiny-sd1 (its metadata says sd_v1).
const LORA = path.join(FIXTURES, 'diffusion-xl', 'tiny-sd1-lora', 'tiny-sd1-lora.safetensors');

// A models folder: the two tiny models, an inpainting one, tiny-sd1 once more as a single-file
// checkpoint, a shared TAESD decoder, a LoRA, and a broken model.
const CHECKPOINT_SOURCE = 'https://example.com/tiny-sd1.safetensors';
function modelsDir() {
  const dir = makeTempDir('models');
  for (const model of ['tiny-sd1', 'tiny-sd2']) {
    fs.symlinkSync(path.join(FIXTURES, 'diffusion', model), path.join(dir, model));
  }
  fs.symlinkSync(path.join(FIXTURES, 'diffusion-xl', 'tiny-sd1-inpaint'), path.join(dir, 'tiny-sd1-inpaint'));
  fs.symlinkSync(path.join(FIXTURES, 'single-file', 'tiny-sd1.safetensors'), path.join(dir, 'tiny-sd1-checkpoint.safetensors'));
  const settings = JSON.parse(fs.readFileSync(path.join(FIXTURES, 'single-file', 'tiny-sd1.rendermart.json'), 'utf8'));
  fs.writeFileSync(path.join(dir, 'tiny-sd1-checkpoint.rendermart.json'),
    JSON.stringify({ ...settings, source: CHECKPOINT_SOURCE, license: 'creativeml-openrail-m' }));
  fs.symlinkSync(path.join(FIXTURES, 'diffusion-extra', 'tiny-taesd'), path.join(dir, 'taesd'));
  fs.mkdirSync(path.join(dir, 'loras'));
  fs.symlinkSync(LORA, path.join(dir, 'loras', 'tiny-sd1-lora.safetensors'));
  fs.mkdirSync(path.join(dir, 'broken'));
  fs.copyFileSync(path.join(FIXTURES, 'diffusion', 'tiny-sd1', 'model_index.json'),
    path.join(dir, 'broken', 'model_index.json'));
  return dir;
}

function decodePreview(url) {
  const match = /^data:image\/webp;base64,([A-Za-z0-9+/]+=*)$/.exec(url);
  assert.ok(match, `a WebP data URL: ${url.slice(0, 60)}`);
  const bytes = Buffer.from(match[1], 'base64');
  assert.ok(isWebp(bytes), 'the preview is a WebP image');
  return bytes;
}

describe('local diffusion models', { skip: !hasEngine && 'built without libtorch', timeout: 600_000 }, () => {
  let server;
  let cookie;
  let models;
  before(async () => {
    models = modelsDir();
    server = await startServer({
      name: 'local-models',
      args: ['--workers', '1'],
      env: { RENDERMART_MODELS_DIR: models, RENDERMART_DIFFUSION_DECODER: 'taesd', RENDERMART_DIFFUSION_THREADS: '2' },
    });
    cookie = await register(server, uniqueEmail('local'));
  }, { timeout: 60_000 });
  after(async () => { await server?.stop(); });

  test('GET /models lists each usable model folder as a local model; a broken one is skipped', async () => {
    const list = expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items;
    const ids = list.map((m) => m.id);
    assert.ok(ids.includes('procedural'));
    assert.ok(!ids.includes('broken'), `broken model listed: ${ids}`);
    const validator = new SpecValidator();
    for (const id of ['tiny-sd1', 'tiny-sd2']) {
      const model = list.find((m) => m.id === id);
      assert.equal(validator.validateSchema('Model', model), null, `${id} matches the OpenAPI file`);
      assert.ok(model, `${id} in ${ids}`);
      assert.equal(model.kind, 'local');
      assert.equal(model.provider, 'local');
      assert.equal(model.family, id === 'tiny-sd1' ? 'sd1' : 'sd2', 'the text encoder tells the family');
      const weights = ['text_encoder/model.safetensors', 'unet/diffusion_pytorch_model.safetensors',
        'vae/diffusion_pytorch_model.safetensors'].map((f) => path.join(FIXTURES, 'diffusion', id, f));
      assert.ok(model.size_bytes > 0.9 * weights.reduce((sum, f) => sum + fs.statSync(f).size, 0), 'the weights on disk');
      assert.equal(model.source, null);
      assert.deepEqual(model.default_size, { width: 64, height: 64 });
      assert.equal(model.negative_prompt, true);
    }
    assert.match(server.logText(), /skipped: .*broken/);
  });

  test('a single-file checkpoint is a model that makes the same pictures as its diffusers folder', { timeout: 300_000 }, async () => {
    const list = expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items;
    const model = list.find((m) => m.id === 'tiny-sd1-checkpoint');
    assert.ok(model, `listed: ${list.map((m) => m.id)}`);
    assert.equal(new SpecValidator().validateSchema('Model', model), null, 'matches the OpenAPI file');
    assert.equal(model.kind, 'local');
    assert.equal(model.family, 'sd1');
    const fileSize = fs.statSync(path.join(FIXTURES, 'single-file', 'tiny-sd1.safetensors')).size;
    assert.ok(model.size_bytes > 0.99 * fileSize && model.size_bytes <= fileSize, `the tensors of the file: ${model.size_bytes}`);
    assert.equal(model.source, CHECKPOINT_SOURCE);
    assert.equal(model.license, 'creativeml-openrail-m');

    const request = { prompt: 'a castle on a hill', negative_prompt: 'fog', seed: 21, width: 64, height: 64, steps: 3, cfg_scale: 6 };
    const pixels = [];
    for (const id of ['tiny-sd1', 'tiny-sd1-checkpoint']) {
      const done = await waitFor(server, cookie, (await createGeneration(server, cookie, { ...request, model: id })).id,
        'succeeded', { timeoutMs: 200_000 });
      const file = expectStatus(await server.api('GET', `/api/v1/images/${done.images[0].id}/file`, { cookie }), 200);
      assert.match(parsePng(file.body).text.parameters, new RegExp(`Model: ${id}`));
      pixels.push(sha256(pngPixels(file.body)));
    }
    assert.equal(pixels[1], pixels[0], 'the same weights, the same picture');
  });

  test('a generation streams progress with previews, then stores a PNG of the requested size', { timeout: 300_000 }, async () => {
    const gen = await createGeneration(server, cookie, {
      model: 'tiny-sd2', prompt: 'a lighthouse at dusk', negative_prompt: 'blurry', seed: 11,
      width: 64, height: 64, steps: 6, cfg_scale: 5,
    });
    const stream = await generationEvents(server, cookie, gen.id, { timeoutMs: 280_000 });
    expectStatus(stream, 200);
    const progress = stream.events.filter((e) => e.event === 'progress');
    assert.ok(progress.length >= 1, `progress events: ${stream.events.map((e) => e.event)}`);
    const previews = progress.filter((e) => e.data.preview);
    assert.ok(previews.length >= 1, 'at least one progress event carries a preview');
    const validator = new SpecValidator();
    for (const e of progress) {
      assert.equal(validator.validateSchema('ProgressEvent', e.data), null, 'a progress event matches the OpenAPI file');
    }
    for (const e of previews) decodePreview(e.data.preview);
    // Stages only move forward: loading the model (when it was not in memory), generating, saving.
    const order = ['loading_model', 'generating', 'saving'];
    const stages = progress.map((e) => order.indexOf(e.data.stage));
    assert.deepEqual(stages, [...stages].sort(), `stages: ${progress.map((e) => e.data.stage)}`);
    assert.deepEqual([progress.at(-1).data.stage, progress.at(-1).data.progress], ['saving', 1]);
    assert.ok(progress.some((e) => e.data.stage === 'generating'));
    const models = expectStatus(await server.api('GET', '/api/v1/models', { cookie }), 200).json;
    const loaded = Object.fromEntries(models.items.map((m) => [m.id, m.loaded]));
    assert.equal(loaded['tiny-sd2'], true, 'the model just used is in memory');
    assert.equal(loaded.procedural, null, 'only local models say whether they are loaded');
    const done = stream.events.at(-1);
    assert.equal(done.event, 'done');
    assert.equal(done.data.status, 'succeeded', JSON.stringify(done.data.error));
    const image = done.data.images[0];
    const file = expectStatus(await server.api('GET', `/api/v1/images/${image.id}/file`, { cookie }), 200);
    const png = parsePng(file.body);
    assert.equal(png.width, 64);
    assert.equal(png.height, 64);
    assert.match(png.text.parameters, /Seed: 11/);

    // The same seed makes the same picture.
    const again = await createGeneration(server, cookie, {
      model: 'tiny-sd2', prompt: 'a lighthouse at dusk', negative_prompt: 'blurry', seed: 11,
      width: 64, height: 64, steps: 6, cfg_scale: 5,
    });
    const second = await waitFor(server, cookie, again.id, 'succeeded', { timeoutMs: 200_000 });
    const file2 = expectStatus(await server.api('GET', `/api/v1/images/${second.images[0].id}/file`, { cookie }), 200);
    assert.equal(sha256(pngPixels(file2.body)), sha256(pngPixels(file.body)));
  });

  test('image_to_image starts from one of the user\'s images and keeps its size', { timeout: 300_000 }, async () => {
    const base = { model: 'tiny-sd1', prompt: 'a red barn', seed: 4, steps: 4, cfg_scale: 4 };
    const source = (await waitFor(server, cookie, (await createGeneration(server, cookie, {
      ...base, width: 96, height: 64,
    })).id, 'succeeded', { timeoutMs: 200_000 })).images[0];
    const varied = await waitFor(server, cookie, (await createGeneration(server, cookie, {
      ...base, task: 'image_to_image', source_image_id: source.id, strength: 0.5,
    })).id, 'succeeded', { timeoutMs: 200_000 });
    const result = varied.images[0];
    assert.equal(result.task, 'image_to_image');
    assert.equal(result.source_image_id, source.id);
    const files = await Promise.all([source, result].map(async (image) =>
      expectStatus(await server.api('GET', `/api/v1/images/${image.id}/file`, { cookie }), 200).body));
    assert.deepEqual([parsePng(files[1]).width, parsePng(files[1]).height], [96, 64]);
    assert.notEqual(sha256(pngPixels(files[1])), sha256(pngPixels(files[0])));

    // Another user cannot start from it.
    const other = await register(server, uniqueEmail('local-other'));
    expectError(await server.api('POST', '/api/v1/generations', {
      cookie: other, body: { ...base, task: 'image_to_image', source_image_id: source.id },
    }), 404, 'not_found');
  });

  test('inpaint with a 4-channel model and with a 9-channel inpainting model keeps the source beyond the blurred mask', { timeout: 300_000 }, async () => {
    const list = expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items;
    const tasks = Object.fromEntries(list.map((m) => [m.id, m.tasks]));
    assert.deepEqual(tasks['tiny-sd1-inpaint'], ['inpaint', 'outpaint']);
    assert.deepEqual(tasks['tiny-sd1'], ['text_to_image', 'image_to_image', 'inpaint', 'outpaint', 'upscale']);

    const base = { prompt: 'a bowl of ripe peaches', seed: 11, steps: 4, cfg_scale: 5 };
    const source = (await waitFor(server, cookie, (await createGeneration(server, cookie, {
      ...base, model: 'tiny-sd1', width: 64, height: 64,
    })).id, 'succeeded', { timeoutMs: 200_000 })).images[0];
    const fileOf = async (image) => decodePng(
      expectStatus(await server.api('GET', `/api/v1/images/${image.id}/file`, { cookie }), 200).body);
    const original = await fileOf(source);
    // White (repaint) on the left half.
    const maskPixels = Buffer.alloc(64 * 64 * 3);
    for (let y = 0; y < 64; y++) maskPixels.fill(255, y * 64 * 3, (y * 64 + 32) * 3);
    const mask = `data:image/png;base64,${encodePng(64, 64, 3, maskPixels).toString('base64')}`;
    // Whether every pixel of columns [from, to) of two decoded pictures is the same.
    const sameColumns = (a, b, from, to) => {
      for (let y = 0; y < 64; y++) {
        for (let x = from; x < to; x++) {
          for (let c = 0; c < 3; c++) {
            if (a.data[(y * 64 + x) * a.channels + c] !== b.data[(y * 64 + x) * b.channels + c]) return false;
          }
        }
      }
      return true;
    };
    for (const model of ['tiny-sd1', 'tiny-sd1-inpaint']) {
      const done = await waitFor(server, cookie, (await createGeneration(server, cookie, {
        ...base, model, task: 'inpaint', source_image_id: source.id, mask, mask_blur: 6, strength: 0.75,
      })).id, 'succeeded', { timeoutMs: 200_000 });
      assert.equal(new SpecValidator().validateSchema('Generation', done), null, 'matches the OpenAPI file');
      const image = done.images[0];
      assert.equal(image.task, 'inpaint');
      assert.equal(image.source_image_id, source.id);
      assert.equal(image.mask_blur, 6);
      assert.equal(image.strength, 0.75);
      const file = expectStatus(await server.api('GET', `/api/v1/images/${image.id}/file`, { cookie }), 200).body;
      const parameters = parsePng(file).text.parameters;
      assert.match(parameters, /Mask blur: 6/, model);
      assert.match(parameters, /Denoising strength: 0\.75/, model);
      const result = decodePng(file);
      // A blur of 6 pixels reaches int(2.5 * 6 + 0.5) = 15 pixels past the mask's edge.
      assert.ok(sameColumns(result, original, 32 + 15, 64), `${model} keeps the source right of the mask`);
      assert.ok(!sameColumns(result, original, 0, 32 - 15), `${model} repaints the left half`);
    }
    expectError(await server.api('POST', '/api/v1/generations', {
      cookie, body: { ...base, model: 'tiny-sd1-inpaint' },
    }), 400, 'invalid_argument', 'task');
    expectError(await server.api('POST', '/api/v1/generations', {
      cookie, body: { ...base, model: 'tiny-sd1', task: 'image_to_image', source_image_id: source.id, mask_blur: 4 },
    }), 400, 'invalid_argument', 'mask_blur');
  });

  test('outpaint extends a picture through inpainting, with a 4-channel and a 9-channel model', { timeout: 300_000 }, async () => {
    const base = { prompt: 'a bowl of ripe peaches', seed: 12, steps: 4, cfg_scale: 5 };
    const source = (await waitFor(server, cookie, (await createGeneration(server, cookie, {
      ...base, model: 'tiny-sd1', width: 64, height: 64,
    })).id, 'succeeded', { timeoutMs: 200_000 })).images[0];
    const fileOf = async (id) => decodePng(expectStatus(await server.api('GET', `/api/v1/images/${id}/file`, { cookie }), 200).body);
    const original = await fileOf(source.id);
    for (const model of ['tiny-sd1', 'tiny-sd1-inpaint']) {
      const done = await waitFor(server, cookie, (await createGeneration(server, cookie, {
        ...base, model, task: 'outpaint', source_image_id: source.id, outpaint: { right: 32 },
      })).id, 'succeeded', { timeoutMs: 200_000 });
      const image = done.images[0];
      assert.equal(image.task, 'outpaint');
      assert.deepEqual([image.width, image.height], [96, 64], model);
      assert.equal(image.mask_blur, 4, 'the default blur');
      const result = await fileOf(image.id);
      const canvas = await fileOf(image.source_image_id);
      assert.deepEqual([canvas.width, canvas.height], [96, 64], 'derived from the larger canvas');
      // The source's columns, but for the blur's reach (int(2.5 * 4 + 0.5) = 10 pixels) from the
      // new side, are kept; the added columns are painted, not the canvas's stretched edge.
      let kept = true;
      let painted = false;
      for (let y = 0; y < 64; y++) {
        for (let c = 0; c < 3; c++) {
          for (let x = 0; x < 64 - 10; x++) {
            if (result.data[(y * 96 + x) * result.channels + c] !== original.data[(y * 64 + x) * original.channels + c]) kept = false;
          }
          for (let x = 64; x < 96; x++) {
            if (result.data[(y * 96 + x) * result.channels + c] !== canvas.data[(y * 96 + x) * canvas.channels + c]) painted = true;
          }
        }
      }
      assert.ok(kept, `${model} keeps the source`);
      assert.ok(painted, `${model} paints the new columns`);
    }
  });

  test('upscale doubles a picture through its latents', { timeout: 300_000 }, async () => {
    const source = (await waitFor(server, cookie, (await createGeneration(server, cookie, {
      model: 'tiny-sd1', prompt: 'a lighthouse at dusk', seed: 8, steps: 4, cfg_scale: 5, width: 64, height: 64,
    })).id, 'succeeded', { timeoutMs: 200_000 })).images[0];
    const done = await waitFor(server, cookie, (await createGeneration(server, cookie, {
      model: 'tiny-sd1', task: 'upscale', source_image_id: source.id, steps: 4,
    })).id, 'succeeded', { timeoutMs: 200_000 });
    const image = done.images[0];
    assert.equal(image.task, 'upscale');
    assert.equal(image.source_image_id, source.id);
    const png = parsePng(expectStatus(await server.api('GET', `/api/v1/images/${image.id}/file`, { cookie }), 200).body);
    assert.deepEqual([png.width, png.height], [128, 128]);
  });

  test('a running local generation is canceled between steps', { timeout: 300_000 }, async () => {
    const gen = await createGeneration(server, cookie, {
      model: 'tiny-sd1', prompt: 'a long job', seed: 1, width: 128, height: 128, steps: 100, count: 4,
    });
    let canceled = false;
    const stream = await generationEvents(server, cookie, gen.id, {
      timeoutMs: 280_000,
      onEvent: async (ev) => {
        if (ev.event === 'progress' && !canceled) {
          canceled = true;
          expectStatus(await server.api('POST', `/api/v1/generations/${gen.id}/cancel`, { cookie }), 200);
        }
      },
    });
    const done = stream.events.at(-1);
    assert.equal(done.event, 'done');
    assert.equal(done.data.status, 'canceled');
    assert.ok(done.data.progress < 0.5, `stopped early: progress ${done.data.progress}`);
    assert.deepEqual(done.data.images, []);
  });

  test('LoRAs of the models folder merge per generation, from the loras field or <lora:...> in the prompt', { timeout: 300_000 }, async () => {
    const hash = loraHash(LORA);
    const list = expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items;
    const loras = Object.fromEntries(list.map((m) => [m.id, m.loras]));
    assert.deepEqual(loras['tiny-sd1'], [{ name: 'tiny-sd1-lora', hash }]);
    assert.deepEqual(loras['tiny-sd2'], [], 'a LoRA made for SD 1.x is not offered to an SD 2.x model');
    assert.deepEqual(loras.procedural, []);

    const request = { model: 'tiny-sd1', negative_prompt: 'fog', seed: 5, width: 64, height: 64, steps: 3, cfg_scale: 6 };
    const make = async (body) => {
      const done = await waitFor(server, cookie, (await createGeneration(server, cookie, { ...request, ...body })).id,
        'succeeded', { timeoutMs: 200_000 });
      const file = expectStatus(await server.api('GET', `/api/v1/images/${done.images[0].id}/file`, { cookie }), 200);
      return { done, png: parsePng(file.body), pixels: sha256(pngPixels(file.body)) };
    };
    const plain = await make({ prompt: 'a castle on a hill' });
    const tagged = await make({ prompt: 'a castle on a hill <lora:tiny-sd1-lora:0.8>' });
    const field = await make({ prompt: 'a castle on a hill', loras: [{ name: 'tiny-sd1-lora', weight: 0.8 }] });
    assert.notEqual(tagged.pixels, plain.pixels, 'the LoRA changes the picture');
    assert.equal(field.pixels, tagged.pixels, 'the tag and the field merge the same LoRA, and the tag is not read as text');
    assert.equal(plain.pixels, (await make({ prompt: 'a castle on a hill' })).pixels, 'and back to the base model');
    assert.deepEqual(tagged.done.params.loras, [{ name: 'tiny-sd1-lora', weight: 0.8, hash }]);
    assert.deepEqual(tagged.done.images[0].loras, [{ name: 'tiny-sd1-lora', weight: 0.8, hash }]);
    assert.equal(new SpecValidator().validateSchema('Generation', tagged.done), null, 'matches the OpenAPI file');
    const parameters = tagged.png.text.parameters;
    assert.match(parameters, /^a castle on a hill <lora:tiny-sd1-lora:0\.8>\n/, 'the prompt as written');
    assert.match(parameters, new RegExp(`Lora hashes: "tiny-sd1-lora: ${hash}"`));

    for (const [body, message] of [
      [{ model: 'tiny-sd2', prompt: 'x <lora:tiny-sd1-lora>' }, /has no LoRA named tiny-sd1-lora/],
      [{ model: 'procedural', prompt: 'x', loras: [{ name: 'tiny-sd1-lora' }] }, /takes no LoRAs/],
      [{ model: 'tiny-sd1', prompt: 'x', loras: [{ name: 'tiny-sd1-lora', weight: 5 }] }, /between -4 and 4/],
      [{ model: 'tiny-sd1', prompt: 'x <lora:tiny-sd1-lora>', loras: [{ name: 'tiny-sd1-lora' }] }, /named twice/],
      [{ model: 'tiny-sd1', prompt: 'x <lora:tiny-sd1-lora:strong>' }, /weight must be a number/],
    ]) {
      const res = await server.api('POST', '/api/v1/generations', { cookie, body });
      const field = body.loras ? 'loras' : /strong/.test(body.prompt) ? 'prompt' : 'loras';
      expectError(res, 400, 'invalid_argument', field);
      assert.match(res.json.error.message, message);
    }
  });

  test('requests outside a local model\'s capabilities are refused before they are queued', async () => {
    expectError(await server.api('POST', '/api/v1/generations', {
      cookie, body: { model: 'tiny-sd1', prompt: 'x', width: 1024, height: 64 },
    }), 400, 'invalid_argument', 'width');
    expectError(await server.api('POST', '/api/v1/generations', {
      cookie, body: { model: 'tiny-sd1', prompt: 'x', steps: 101 },
    }), 400, 'invalid_argument', 'steps');
  });

  test('rendermart generate makes a PNG with a local model', { timeout: 300_000 }, () => {
    const out = path.join(makeTempDir('generate'), 'out.png');
    const env = { ...process.env };
    for (const k of Object.keys(env)) if (k.startsWith('RENDERMART_')) delete env[k];
    const stdout = execFileSync(BIN, ['generate', 'a red fox', '-m', 'tiny-sd1', '--models-dir', models,
      '--size', '72x64', '--steps', '3', '--seed', '5', '-o', out], { env, encoding: 'utf8', timeout: 280_000 });
    assert.match(stdout, /72x64, seed 5/);
    const png = parsePng(fs.readFileSync(out));
    assert.equal(png.width, 72);
    assert.equal(png.height, 64);
  });

  test('RENDERMART_CPU_ISA caps the engine, which then refuses bfloat16; an unknown level is named', { timeout: 300_000 }, () => {
    const generate = (settings) => {
      const env = { ...process.env };
      for (const k of Object.keys(env)) if (k.startsWith('RENDERMART_')) delete env[k];
      const out = path.join(makeTempDir('isa'), 'out.png');
      const run = spawnSync(BIN, ['generate', 'a red fox', '-m', 'tiny-sd2', '--models-dir', models,
        '--size', '64x64', '--steps', '2', '--seed', '3', '-o', out],
      { env: { ...env, RENDERMART_LOG_FORMAT: 'text', ...settings }, encoding: 'utf8', timeout: 280_000 });
      return { ...run, made: fs.existsSync(out) };
    };
    // Every CPU has the portable level.
    const portable = generate({ RENDERMART_CPU_ISA: 'portable' });
    assert.equal(portable.status, 0, portable.stderr);
    assert.ok(portable.made);
    assert.match(portable.stderr, /local engine: threads=\d+ isa=portable \(cpu: \w+\) aten=default/);

    const bf16 = generate({ RENDERMART_CPU_ISA: 'portable', RENDERMART_DIFFUSION_DTYPE: 'bfloat16' });
    assert.notEqual(bf16.status, 0);
    assert.ok(!bf16.made);
    assert.match(bf16.stderr, /bfloat16 needs a CPU with AVX-512 BF16, and this engine runs portable/);

    const unknown = generate({ RENDERMART_CPU_ISA: 'avx9' });
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /RENDERMART_CPU_ISA must be auto, avx512_bf16, avx512, avx2 or portable/);
  });
});
