// The Amazon Bedrock provider through the real binary, against the local Bedrock of
// tests/support/bedrock (which checks every request's SigV4 signature with the AWS SDK for
// JavaScript's signer and every body against the model's documented schema): text to image on
// each model, the image tasks (variation, inpainting, outpainting, background removal) on the
// user's own images, validation before anything is paid for, and the documented failures:
// throttling then success, throttling and 5xx that do not end, content filters (a 400 and inside
// a 200), access denied, model not enabled, timeout, rejected credentials; and
// `rendermart providers check`. Titan Image Generator v2 and Nova Canvas are past their end of
// life today, so the local Bedrock lists them as Legacy with an end of life still to come: the
// state in which they were last offered (configured by name), and the one these tests exercise.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { CORE, NOVA, SD35, TITAN, ULTRA, bedrockEnv, legacyFor, startLocalBedrock } from './lib/bedrock.mjs';
import { decodePng, parsePng } from './lib/media.mjs';
import {
  Server, createGeneration, expectError, expectStatus, register, runBinary, uniqueEmail, waitFor,
} from './lib/server.mjs';

// The fraction of a stored PNG that RenderMart's mask rule calls "repaint" (luma at least half).
async function repaintFraction(server, cookie, image) {
  const file = await server.api('GET', image.file_url, { cookie });
  const png = decodePng(file.body);
  let white = 0;
  for (let i = 0; i < png.width * png.height; i++) {
    const [r, g, b] = png.data.subarray(i * png.channels, i * png.channels + 3);
    if (299 * r + 587 * g + 114 * b >= 127500) white += 1;
  }
  return white / (png.width * png.height);
}

describe('Amazon Bedrock provider', { timeout: 300_000 }, () => {
  let bedrock;
  let server;
  let cookie;

  const take = async () => (await bedrock.command({ take: true })).invocations;

  async function generate(params, status = 'succeeded') {
    const job = await createGeneration(server, cookie, params);
    return waitFor(server, cookie, job.id, status, { timeoutMs: 60_000 });
  }

  async function failure(params) {
    const job = await createGeneration(server, cookie, params);
    return (await waitFor(server, cookie, job.id, 'failed', { timeoutMs: 60_000 })).error;
  }

  before(async () => {
    bedrock = await startLocalBedrock();
    await bedrock.command({ lifecycle: { [NOVA]: legacyFor(90), [TITAN]: legacyFor(90) } });
    server = new Server({ name: 'bedrock', env: bedrockEnv(bedrock) });
    await server.start();
    cookie = await register(server, uniqueEmail('bedrock'));
  });

  after(async () => {
    await server?.stop();
    await bedrock?.stop();
  });

  // Each test sees only its own invocations.
  beforeEach(async () => { await take(); });

  test('the configured models are listed with their documented capabilities', async () => {
    const models = expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items;
    const byId = Object.fromEntries(models.map((m) => [m.id, m]));
    for (const id of [SD35, CORE, ULTRA, NOVA, TITAN]) {
      assert.equal(byId[id]?.provider, 'bedrock', `${id} is offered`);
      assert.equal(byId[id].kind, 'cloud');
    }
    assert.equal(byId[TITAN].fixed_sizes.length, 25);
    assert.deepEqual(byId[TITAN].cfg_scale, { min: 1.1, max: 10, default: 8 });
    assert.equal(byId[TITAN].max_prompt_length, 512);
    assert.equal(byId[TITAN].max_count, 5);
    assert.deepEqual(byId[NOVA].sizes, { min: 320, max: 4096, multiple: 16 });
    assert.equal(byId[NOVA].max_pixels, 4194303);
    assert.equal(byId[NOVA].max_aspect_ratio, 4);
    assert.deepEqual(byId[NOVA].qualities, ['standard', 'premium']);
    assert.ok(byId[NOVA].styles.includes('PHOTOREALISM'));
    assert.deepEqual(byId[NOVA].tasks, ['text_to_image', 'image_to_image', 'inpaint', 'outpaint', 'remove_background']);
    assert.deepEqual(byId[SD35].tasks, ['text_to_image', 'image_to_image']);
    assert.deepEqual(byId[CORE].tasks, ['text_to_image']);
    assert.equal(byId[CORE].cfg_scale, null);
    assert.equal(byId[CORE].max_prompt_length, 10000);
  });

  test('text to image on every model sends the documented body, one call per image', async () => {
    const nova = await generate({
      model: NOVA, prompt: 'a lighthouse at dawn', negative_prompt: 'fog', width: 1024, height: 576,
      cfg_scale: 7.5, seed: 1000, count: 2, quality: 'premium', style: 'PHOTOREALISM',
    });
    assert.deepEqual(nova.images.map((i) => [i.width, i.height, i.seed]), [[1024, 576, 1000], [1024, 576, 1001]]);
    assert.equal(nova.images[0].quality, 'premium');
    const novaCalls = await take();
    assert.equal(novaCalls.length, 2);
    assert.deepEqual(novaCalls[0], {
      model: NOVA,
      body: {
        taskType: 'TEXT_IMAGE',
        textToImageParams: { text: 'a lighthouse at dawn', negativeText: 'fog', style: 'PHOTOREALISM' },
        imageGenerationConfig: { numberOfImages: 1, cfgScale: 7.5, seed: 1000, quality: 'premium', width: 1024, height: 576 },
      },
    });
    assert.equal(novaCalls[1].body.imageGenerationConfig.seed, 1001);

    const titan = await generate({ model: TITAN, prompt: 'a red fox', width: 768, height: 1152, seed: 7 });
    assert.equal(titan.params.quality, 'standard', 'the first quality is the default');
    const [titanCall] = await take();
    assert.deepEqual(titanCall.body, {
      taskType: 'TEXT_IMAGE',
      textToImageParams: { text: 'a red fox' },
      imageGenerationConfig: { numberOfImages: 1, cfgScale: 8, seed: 7, quality: 'standard', width: 768, height: 1152 },
    });

    for (const model of [SD35, CORE, ULTRA]) {
      const job = await generate({ model, prompt: 'a castle', negative_prompt: 'people', width: 1344, height: 768, seed: 4294967294 });
      assert.deepEqual(job.images.map((i) => [i.width, i.height]), [[1344, 768]]);
      const [call] = await take();
      assert.deepEqual(call, {
        model,
        body: { prompt: 'a castle', negative_prompt: 'people', seed: 4294967294, output_format: 'png', aspect_ratio: '16:9' },
      });
    }
    const png = parsePng((await server.api('GET', titan.images[0].file_url, { cookie })).body);
    assert.deepEqual([png.width, png.height], [768, 1152]);
    assert.match(png.text.parameters, /Model: Amazon Titan Image Generator G1 v2/);
  });

  test('requests a model cannot take are refused before anything is sent to Bedrock', async () => {
    const cases = [
      [{ model: TITAN, prompt: 'x', width: 1000, height: 1000 }, 'width'],
      [{ model: TITAN, prompt: 'x'.repeat(513) }, 'prompt'],
      [{ model: TITAN, prompt: 'x', count: 6 }, 'count'],
      [{ model: TITAN, prompt: 'x', cfg_scale: 11 }, 'cfg_scale'],
      [{ model: TITAN, prompt: 'x', style: 'PHOTOREALISM' }, 'style'],
      [{ model: NOVA, prompt: 'x', width: 2048, height: 2048 }, 'width'],
      [{ model: NOVA, prompt: 'x', width: 4096, height: 512 }, 'width'],
      [{ model: NOVA, prompt: 'x', width: 1000, height: 1008 }, 'width'],
      [{ model: NOVA, prompt: 'x', seed: 858993459, count: 2 }, 'seed'],
      [{ model: NOVA, prompt: 'x', quality: 'ultra' }, 'quality'],
      [{ model: CORE, prompt: 'x', width: 1000, height: 1000 }, 'width'],
      [{ model: CORE, prompt: 'x', steps: 30 }, 'steps'],
      [{ model: CORE, prompt: 'x', task: 'inpaint' }, 'task'],
      [{ model: SD35, prompt: 'x', task: 'image_to_image' }, 'source_image_id'],
    ];
    for (const [body, field] of cases) {
      expectError(await server.api('POST', '/api/v1/generations', { cookie, body }), 400, 'invalid_argument', field, JSON.stringify(body));
    }
    assert.deepEqual(await take(), [], 'nothing reached Bedrock');
  });

  test('throttling and a 503 are retried with backoff, then the image is made', async () => {
    await bedrock.command({ script: [
      { status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' },
      { status: 503, type: 'ServiceUnavailableException', message: 'Service Unavailable' },
    ] });
    await generate({ model: NOVA, prompt: 'a patient heron', width: 512, height: 512, seed: 5 });
    assert.equal((await take()).length, 3, 'two refused calls, then the one that worked');
  });

  test('throttling and 5xx that do not end fail the job with a clear error', async () => {
    const throttle = { status: 429, type: 'ThrottlingException', message: 'Too many requests, please wait before trying again.' };
    await bedrock.command({ script: [throttle, throttle, throttle, throttle] });
    const throttled = await failure({ model: CORE, prompt: 'a busy harbour' });
    assert.equal(throttled.code, 'rate_limited');
    assert.match(throttled.message, /stability\.stable-image-core-v1:1.*us-east-1.*ThrottlingException/);
    assert.equal((await take()).length, 4, 'four attempts with backoff');

    const broken = { status: 500, type: 'InternalServerException', message: 'Internal server error' };
    await bedrock.command({ script: [broken, broken, broken, broken] });
    const failed = await failure({ model: CORE, prompt: 'a quiet harbour' });
    assert.equal(failed.code, 'provider_error');
    assert.match(failed.message, /HTTP 500 InternalServerException/);
    assert.equal((await take()).length, 4);
  });

  test('content filters: a refused prompt (400) and a blocked image inside a 200 are not retried', async () => {
    const refused = await failure({ model: NOVA, prompt: 'something forbidden', width: 512, height: 512 });
    assert.equal(refused.code, 'content_filtered');
    assert.match(refused.message, /blocked by our content filters/);
    const blocked = await failure({ model: TITAN, prompt: 'an unlucky picture', width: 512, height: 512 });
    assert.equal(blocked.code, 'content_filtered');
    assert.match(blocked.message, /All of the generated images have been blocked/);
    const stability = await failure({ model: ULTRA, prompt: 'an unlucky picture' });
    assert.equal(stability.code, 'content_filtered');
    assert.match(stability.message, /Filter reason: output image/);
    assert.equal((await take()).length, 3, 'one call each');
  });

  test('access denied and a model not enabled are configuration errors naming the model and region', async () => {
    await bedrock.command({ access: { [TITAN]: 'not_enabled', [SD35]: 'denied' } });
    try {
      const disabled = await failure({ model: TITAN, prompt: 'a fox', width: 512, height: 512 });
      assert.equal(disabled.code, 'provider_misconfigured');
      assert.match(disabled.message, /amazon\.titan-image-generator-v2:0' in us-east-1 denied access .*don't have access to the model.*Model access/);
      const denied = await failure({ model: SD35, prompt: 'a fox' });
      assert.equal(denied.code, 'provider_misconfigured');
      assert.match(denied.message, /not authorized to perform: bedrock:InvokeModel.*IAM policy/);
    } finally {
      await bedrock.command({ access: { [TITAN]: 'enabled', [SD35]: 'enabled' } });
    }
  });

  test('an invocation that takes too long fails as a timeout and is not sent again', async () => {
    const impatient = new Server({ name: 'bedrock-timeout', env: bedrockEnv(bedrock, { RENDERMART_BEDROCK_TIMEOUT_SECONDS: '1' }) });
    await impatient.start();
    try {
      const owner = await register(impatient, uniqueEmail('bedrock-timeout'));
      await bedrock.command({ delay_ms: 5000, count: 1 });
      const job = await createGeneration(impatient, owner, { model: CORE, prompt: 'a slow sunrise' });
      const timedOut = (await waitFor(impatient, owner, job.id, 'failed', { timeoutMs: 60_000 })).error;
      assert.equal(timedOut.code, 'provider_error');
      assert.match(timedOut.message, /did not answer in time/);
    } finally {
      await impatient.stop();
    }
    assert.equal((await take()).length, 1);
  });

  test('canceling a job abandons its Bedrock invocation without waiting for the answer', async () => {
    // A 3 s lease: the worker hears of the cancel request within a second (a third of it).
    const quick = new Server({ name: 'bedrock-cancel', env: bedrockEnv(bedrock, { RENDERMART_LEASE_SECONDS: '3' }) });
    await quick.start();
    try {
      const owner = await register(quick, uniqueEmail('bedrock-cancel'));
      await take();
      await bedrock.command({ delay_ms: 30_000, count: 1 });
      const job = await createGeneration(quick, owner, { model: CORE, prompt: 'a sunrise that never comes' });
      // The invocation is in flight once the local Bedrock has it (it answers 30 s later).
      const inFlightBy = Date.now() + 30_000;
      while ((await take()).length === 0) {
        assert.ok(Date.now() < inFlightBy, 'the invocation never reached the local Bedrock');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expectStatus(await quick.api('POST', `/api/v1/generations/${job.id}/cancel`, { cookie: owner }), 200, 'cancel');
      const canceled = await waitFor(quick, owner, job.id, 'canceled', { timeoutMs: 10_000 });
      assert.deepEqual(canceled.images, []);
    } finally {
      await quick.stop();
    }
  });

  test('image tasks work on the user\'s own images and send the documented bodies', async () => {
    const source = (await generate({ model: NOVA, prompt: 'a blue vase', width: 512, height: 512, seed: 11 })).images[0];
    const mask = (await generate({ model: 'procedural', prompt: 'white clouds in a black sky', width: 512, height: 512, seed: 3 })).images[0];
    await take();

    const variation = await generate({ model: NOVA, task: 'image_to_image', source_image_id: source.id, prompt: 'a green vase', strength: 0.25, seed: 9 });
    assert.equal(variation.params.task, 'image_to_image');
    assert.equal(variation.images[0].source_image_id, source.id);
    assert.deepEqual([variation.images[0].width, variation.images[0].height], [512, 512]);
    const [variationCall] = await take();
    assert.deepEqual(variationCall.body, {
      taskType: 'IMAGE_VARIATION',
      imageVariationParams: { text: 'a green vase', images: [{ png: { width: 512, height: 512, channels: 3 } }], similarityStrength: 0.8 },
      imageGenerationConfig: { numberOfImages: 1, cfgScale: 6.5, seed: 9, quality: 'standard', width: 512, height: 512 },
    });

    const repaint = await repaintFraction(server, cookie, mask);
    assert.ok(repaint > 0.05 && repaint < 0.95, `the mask has both parts (${repaint})`);
    for (const task of ['inpaint', 'outpaint']) {
      const job = await generate({ model: NOVA, task, source_image_id: source.id, mask_image_id: mask.id, prompt: 'a golden vase', seed: 2 });
      assert.equal(job.images[0].mask_image_id, mask.id);
      const [call] = await take();
      const params = call.body[task === 'inpaint' ? 'inPaintingParams' : 'outPaintingParams'];
      assert.equal(call.body.taskType, task === 'inpaint' ? 'INPAINTING' : 'OUTPAINTING');
      assert.equal(params.text, 'a golden vase');
      assert.equal(params.maskImage.binary, true, 'the mask is pure black and white');
      // Inpainting repaints the black part of Bedrock's mask, outpainting the white part.
      const sentRepaint = task === 'inpaint' ? params.maskImage.black_fraction : 1 - params.maskImage.black_fraction;
      assert.ok(Math.abs(sentRepaint - repaint) < 1e-9, `${task}: the repainted part is the mask's white part`);
      assert.deepEqual(call.body.imageGenerationConfig, { numberOfImages: 1, cfgScale: 6.5, seed: 2, quality: 'standard' });
    }

    const cutout = await generate({ model: TITAN, task: 'remove_background', source_image_id: source.id });
    const [cutoutCall] = await take();
    assert.deepEqual(cutoutCall.body, { taskType: 'BACKGROUND_REMOVAL', backgroundRemovalParams: { image: { png: { width: 512, height: 512, channels: 3 } } } });
    const cutoutPng = decodePng((await server.api('GET', cutout.images[0].file_url, { cookie })).body);
    assert.equal(cutoutPng.channels, 4, 'the result keeps its transparency');
    assert.equal(cutoutPng.data[3], 0, 'the removed background is transparent');
    assert.equal(cutoutPng.data[cutoutPng.data.length - 1], 255);
    expectStatus(await server.api('GET', `/api/v1/images/${cutout.images[0].id}/thumbnail`, { cookie }), 200);

    const square = (await generate({ model: CORE, prompt: 'a square garden', width: 1024, height: 1024, seed: 1 })).images[0];
    await take();
    await generate({ model: SD35, task: 'image_to_image', source_image_id: square.id, prompt: 'a winter garden', strength: 0.7, seed: 3 });
    const [sdCall] = await take();
    assert.deepEqual(sdCall.body, {
      prompt: 'a winter garden', seed: 3, output_format: 'png', mode: 'image-to-image',
      image: { png: { width: 1024, height: 1024, channels: 3 } }, strength: 0.7,
    });
  });

  test('image tasks refuse images that are not the user\'s or do not fit, before queueing', async () => {
    const source = (await generate({ model: 'procedural', prompt: 'a plain field', width: 512, height: 512, seed: 1 })).images[0];
    const small = (await generate({ model: 'procedural', prompt: 'a small field', width: 256, height: 256, seed: 1 })).images[0];
    const other = await register(server, uniqueEmail('bedrock-other'));
    const post = (auth, body) => server.api('POST', '/api/v1/generations', { cookie: auth, body });

    expectError(await post(other, { model: NOVA, task: 'remove_background', source_image_id: source.id }), 404, 'not_found');
    expectError(await post(cookie, { model: NOVA, task: 'inpaint', prompt: 'x', source_image_id: source.id, mask_image_id: 'nope' }), 404, 'not_found');
    expectError(await post(cookie, { model: NOVA, task: 'inpaint', prompt: 'x', source_image_id: source.id }), 400, 'invalid_argument', 'mask_image_id');
    expectError(await post(cookie, { model: NOVA, task: 'inpaint', prompt: 'x', source_image_id: source.id, mask_image_id: small.id }), 400, 'invalid_argument', 'mask_image_id');
    expectError(await post(cookie, { model: NOVA, task: 'image_to_image', prompt: 'x', source_image_id: small.id }), 400, 'invalid_argument', 'source_image_id');
    expectError(await post(cookie, { model: NOVA, task: 'image_to_image', prompt: 'x', source_image_id: source.id, width: 1024, height: 1024 }), 400, 'invalid_argument', 'width');
    expectError(await post(cookie, { model: NOVA, task: 'image_to_image', prompt: 'x', source_image_id: source.id, strength: 1.5 }), 400, 'invalid_argument', 'strength');
    expectError(await post(cookie, { model: NOVA, task: 'remove_background', prompt: 'x', source_image_id: source.id }), 400, 'invalid_argument', 'prompt');
    expectError(await post(cookie, { model: NOVA, prompt: 'x', strength: 0.5 }), 400, 'invalid_argument', 'strength');
    expectError(await post(cookie, { model: NOVA, prompt: 'x', task: 'upscale' }), 400, 'invalid_argument', 'task');
    assert.deepEqual(await take(), [], 'nothing reached Bedrock');
  });

  test('a server with the wrong secret key is refused by the signature check', async () => {
    const wrong = new Server({ name: 'bedrock-wrong-key', env: bedrockEnv(bedrock, { AWS_SECRET_ACCESS_KEY: 'not-the-secret' }) });
    await wrong.start();
    try {
      // The listing at start is refused: the server runs, offers no Bedrock model and says why.
      const models = expectStatus(await wrong.api('GET', '/api/v1/models'), 200).json.items;
      assert.deepEqual(models.filter((m) => m.provider === 'bedrock'), []);
      assert.match(wrong.logText(), /cannot list the Bedrock image models of us-east-1 .*refused ListFoundationModels \(HTTP 403 InvalidSignatureException\).*no Bedrock model is offered/);
      const owner = await register(wrong, uniqueEmail('bedrock-wrong'));
      expectError(await wrong.api('POST', '/api/v1/generations', { cookie: owner, body: { model: CORE, prompt: 'a locked door' } }),
        400, 'invalid_argument', 'model');
    } finally {
      await wrong.stop();
    }
    assert.deepEqual(await take(), [], 'an unsigned or badly signed request is never run');
  });

  test('rendermart providers check reports what is usable', async () => {
    const check = (env) => runBinary(['providers', 'check'], bedrockEnv(bedrock, env));
    const ok = await check({});
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /usable {6}stability\.sd3-5-large-v1:0: access granted \(ACTIVE\)/);
    assert.match(ok.out, /usable {6}amazon\.nova-canvas-v1:0: access granted \(LEGACY, end of life \d{4}-\d{2}-\d{2}\)\n {2}WARNING {5}model amazon\.nova-canvas-v1:0 is Legacy and shuts down on \d{4}-\d{2}-\d{2}; it is offered only because RENDERMART_BEDROCK_MODELS names it/);
    assert.match(ok.out, /usable {6}amazon\.titan-image-generator-v2:0: access granted \(LEGACY, end of life/);
    await bedrock.command({ access: { [NOVA]: 'not_enabled' } });
    try {
      const bad = await check({});
      assert.equal(bad.code, 1, bad.out);
      assert.match(bad.out, /NOT USABLE {2}amazon\.nova-canvas-v1:0: .*don't have access to the model/);
    } finally {
      await bedrock.command({ access: { [NOVA]: 'enabled' } });
    }
    assert.deepEqual(await take(), [], 'the probes are refused as invalid: no image is made');
  });
});
