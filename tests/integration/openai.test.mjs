// OpenAI's image API in both directions, through the real binary:
//   - the OpenAI-compatible provider against the local server of tests/support/openai, which
//     checks the key and each model's documented parameters: what RenderMart sends, both answer
//     formats, retries on 429, content policy refusals, a rejected key, validation before sending;
//   - RenderMart's own OpenAI-compatible endpoint (/v1/images/generations, /v1/models) with the
//     official `openai` npm package as the client: both response formats, the images in the
//     user's gallery, and OpenAI-shaped errors for bad input.

import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import OpenAI from 'openai';

import { startChildServer } from './lib/child_server.mjs';
import { decodePng, isPng } from './lib/media.mjs';
import {
  Server, createGeneration, expectError, expectStatus, register, runBinary, uniqueEmail, waitFor,
} from './lib/server.mjs';

const MODELS = 'gpt-image-2,local-styled,local-sdxl=512x512 768x512/4';

// A self-hosted model with fixed sizes, qualities and styles, described by a families file.
const FAMILIES = join(mkdtempSync(join(tmpdir(), 'rendermart-openai-')), 'families.json');
writeFileSync(FAMILIES, JSON.stringify({
  families: [{
    name: 'local-styled', match: '^local-styled$', sizes: ['1024x1024', '1792x1024'], max_images: 1,
    max_prompt_length: 4000, qualities: ['standard', 'hd'], styles: ['vivid', 'natural'], response_format: true,
  }],
}));

function openaiEnv(fake, extra = {}) {
  return {
    RENDERMART_OPENAI_BASE_URL: fake.base_url,
    RENDERMART_OPENAI_API_KEY: fake.api_key,
    RENDERMART_OPENAI_MODELS: MODELS,
    RENDERMART_OPENAI_FAMILIES_FILE: FAMILIES,
    RENDERMART_MAX_ATTEMPTS: '1',
    ...extra,
  };
}

describe('OpenAI', { timeout: 300_000 }, () => {
  let fake;
  let server;
  let cookie;
  let apiKey;

  const take = async () => (await fake.command({ take: true })).requests;

  async function generate(params, status = 'succeeded') {
    const job = await createGeneration(server, cookie, params);
    return waitFor(server, cookie, job.id, status, { timeoutMs: 60_000 });
  }

  before(async () => {
    fake = await startChildServer('openai/server.mjs');
    server = new Server({ name: 'openai', env: openaiEnv(fake) });
    await server.start();
    cookie = await register(server, uniqueEmail('openai'));
    const key = expectStatus(await server.api('POST', '/api/v1/keys', { cookie, body: { name: 'openai client' } }), 201);
    apiKey = key.json.secret;
  });

  after(async () => {
    await server?.stop();
    await fake?.stop();
  });

  // Each test sees only its own requests.
  beforeEach(async () => { await take(); });

  describe('the OpenAI-compatible provider', () => {
    test('the configured models are offered with their documented sizes, counts, qualities and styles', async () => {
      const models = expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items;
      const byId = Object.fromEntries(models.map((m) => [m.id, m]));
      assert.deepEqual(Object.keys(byId).filter((id) => id.startsWith('openai/')).sort(),
        ['openai/gpt-image-2', 'openai/local-sdxl', 'openai/local-styled'], 'exactly the named models');
      const gpt = byId['openai/gpt-image-2'];
      assert.deepEqual(gpt.sizes, { min: 816, max: 3840, multiple: 16 });
      assert.deepEqual(gpt.fixed_sizes, []);
      assert.equal(gpt.max_pixels, 8294400);
      assert.equal(gpt.max_aspect_ratio, 3);
      assert.equal(gpt.max_count, 10);
      assert.deepEqual(gpt.qualities, ['auto', 'low', 'medium', 'high']);
      assert.equal(gpt.shutdown_date, null);
      assert.equal(gpt.provider, 'openai');
      assert.deepEqual(byId['openai/local-styled'].fixed_sizes, [{ width: 1024, height: 1024 }, { width: 1792, height: 1024 }]);
      assert.equal(byId['openai/local-styled'].max_count, 1);
      assert.deepEqual(byId['openai/local-styled'].qualities, ['standard', 'hd']);
      assert.deepEqual(byId['openai/local-styled'].styles, ['vivid', 'natural']);
      assert.equal(byId['openai/local-styled'].negative_prompt, false);
      assert.deepEqual(byId['openai/local-sdxl'].fixed_sizes, [{ width: 512, height: 512 }, { width: 768, height: 512 }]);
      assert.equal(byId['openai/local-sdxl'].max_count, 4);
    });

    test('generations send the documented request and store what comes back, b64_json or url', async () => {
      const styled = await generate({ model: 'openai/local-styled', prompt: 'a paper boat', width: 1792, height: 1024, quality: 'hd', style: 'natural' });
      assert.deepEqual(styled.images.map((i) => [i.width, i.height]), [[1792, 1024]]);
      assert.deepEqual(await take(), [{ model: 'local-styled', prompt: 'a paper boat', n: 1, size: '1792x1024', quality: 'hd', style: 'natural', response_format: 'b64_json' }]);

      await generate({ model: 'openai/gpt-image-2', prompt: 'a glass fox', width: 1024, height: 1536, quality: 'low' });
      const [gpt] = await take();
      assert.equal(gpt.response_format, undefined, 'gpt-image models always answer base64 and refuse response_format');
      assert.equal(gpt.quality, 'low');

      await fake.command({ url_answers: 1 });
      const local = await generate({ model: 'openai/local-sdxl', prompt: 'two robots', width: 768, height: 512, count: 2 });
      assert.equal(local.images.length, 2);
      assert.deepEqual((await take()).map((r) => [r.model, r.n, r.size]), [['local-sdxl', 2, '768x512']]);
      const file = await server.api('GET', local.images[1].file_url, { cookie });
      assert.ok(isPng(file.body));
      assert.deepEqual([decodePng(file.body).width, decodePng(file.body).height], [768, 512]);
    });

    test('a 429 is retried; content policy refusals and a rejected key fail clearly', async () => {
      await fake.command({ script: [{ status: 429, message: 'Rate limit reached for images per minute' }] });
      await generate({ model: 'openai/local-sdxl', prompt: 'a calm lake', width: 512, height: 512 });
      assert.equal((await take()).length, 2);

      const refused = (await generate({ model: 'openai/local-styled', prompt: 'something forbidden', width: 1024, height: 1024 }, 'failed')).error;
      assert.equal(refused.code, 'content_filtered');
      assert.match(refused.message, /safety system/);
      assert.equal((await take()).length, 1);

      // A rejected key is seen when the models are listed at start: the server starts, offers none
      // of that API's models and says why.
      const wrong = new Server({ name: 'openai-wrong-key', env: openaiEnv(fake, { RENDERMART_OPENAI_API_KEY: 'sk-wrong' }) });
      await wrong.start();
      try {
        const models = expectStatus(await wrong.api('GET', '/api/v1/models'), 200).json.items;
        assert.deepEqual(models.filter((m) => m.provider === 'openai'), []);
        assert.match(wrong.logText(), /cannot list the models of the OpenAI-compatible API .*Incorrect API key.*RENDERMART_OPENAI_API_KEY.*no model of it is offered/);
        const owner = await register(wrong, uniqueEmail('openai-wrong'));
        expectError(await wrong.api('POST', '/api/v1/generations', { cookie: owner, body: { model: 'openai/local-sdxl', prompt: 'a key', width: 512, height: 512 } }),
          400, 'invalid_argument', 'model');
      } finally {
        await wrong.stop();
      }
    });

    test('rendermart providers check lists the configured models the API offers for the key', async () => {
      const check = (env) => runBinary(['providers', 'check'], openaiEnv(fake, env));
      const ok = await check({});
      assert.equal(ok.code, 0, ok.out);
      assert.match(ok.out, /usable {6}openai\/gpt-image-2: listed by the API for this key/);
      assert.match(ok.out, /usable {6}openai\/local-styled: listed by the API for this key/);
      const wrongKey = await check({ RENDERMART_OPENAI_API_KEY: 'sk-wrong' });
      assert.equal(wrongKey.code, 1, wrongKey.out);
      assert.match(wrongKey.out, /NOT USABLE {2}openai\/gpt-image-2: .*Incorrect API key/);
    });

    test('requests the model cannot take are refused before anything is sent', async () => {
      for (const [body, field] of [
        [{ model: 'openai/local-styled', prompt: 'x', count: 2 }, 'count'],
        [{ model: 'openai/local-styled', prompt: 'x', width: 512, height: 512 }, 'width'],
        [{ model: 'openai/local-styled', prompt: 'x', negative_prompt: 'y' }, 'negative_prompt'],
        [{ model: 'openai/local-styled', prompt: 'x', quality: 'low' }, 'quality'],
        [{ model: 'openai/gpt-image-2', prompt: 'x', style: 'vivid' }, 'style'],
        [{ model: 'openai/gpt-image-2', prompt: 'x', width: 512, height: 512 }, 'width'],
        [{ model: 'openai/gpt-image-2', prompt: 'x', width: 1000, height: 1024 }, 'width'],
        [{ model: 'openai/gpt-image-2', prompt: 'x', width: 3840, height: 1024 }, 'width'],
      ]) {
        expectError(await server.api('POST', '/api/v1/generations', { cookie, body }), 400, 'invalid_argument', field, JSON.stringify(body));
      }
      assert.deepEqual(await take(), []);
    });
  });

  describe('RenderMart as an OpenAI images API, with the official openai client', () => {
    const client = () => new OpenAI({ apiKey, baseURL: `${server.baseUrl}/v1`, maxRetries: 0, timeout: 60_000 });

    test('b64_json: the images come back in the answer and are in the gallery', async () => {
      const before = (await server.api('GET', '/api/v1/images?limit=100', { cookie })).json.items.length;
      const answer = await client().images.generate({
        model: 'procedural', prompt: 'a lighthouse on a cliff', n: 2, size: '256x192', response_format: 'b64_json', user: 'tester-1',
      });
      assert.equal(typeof answer.created, 'number');
      assert.equal(answer.data.length, 2);
      const pngs = answer.data.map((d) => Buffer.from(d.b64_json, 'base64'));
      for (const png of pngs) assert.deepEqual([decodePng(png).width, decodePng(png).height], [256, 192]);
      const gallery = (await server.api('GET', '/api/v1/images?limit=100', { cookie })).json.items;
      assert.equal(gallery.length, before + 2);
      const stored = await Promise.all(gallery.slice(0, 2).map((image) => server.api('GET', image.file_url, { cookie })));
      assert.deepEqual(stored.map((s) => s.body.toString('base64')).sort(), pngs.map((p) => p.toString('base64')).sort(),
        'the answer holds the very files of the gallery');
    });

    test('url: each image is the file in the API, fetched with the same key', async () => {
      const answer = await client().images.generate({ model: 'procedural', prompt: 'a red kite', size: '128x128', response_format: 'url' });
      assert.equal(answer.data.length, 1);
      const { url } = answer.data[0];
      assert.match(url, new RegExp(`^${server.baseUrl}/api/v1/images/[^/]+/file$`));
      const file = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
      assert.equal(file.status, 200);
      assert.ok(isPng(Buffer.from(await file.arrayBuffer())));
      assert.equal((await fetch(url)).status, 401, 'without the key the file stays private');
    });

    test('a cloud model through RenderMart: client -> RenderMart -> the OpenAI-compatible provider', async () => {
      const answer = await client().images.generate({ model: 'openai/local-styled', prompt: 'a tin robot', size: '1024x1024', quality: 'standard', style: 'vivid' });
      assert.deepEqual([decodePng(Buffer.from(answer.data[0].b64_json, 'base64')).width], [1024]);
      assert.deepEqual((await take()).map((r) => [r.model, r.quality, r.style]), [['local-styled', 'standard', 'vivid']]);
    });

    test('a failed generation answers an OpenAI-shaped error', async () => {
      await assert.rejects(
        client().images.generate({ model: 'openai/local-styled', prompt: 'something forbidden', size: '1024x1024' }),
        (error) => {
          assert.ok(error instanceof OpenAI.APIError, String(error));
          assert.equal(error.status, 422);
          assert.equal(error.code, 'content_filtered');
          assert.match(error.message, /safety system/);
          return true;
        });
      await take();
    });

    test('bad input gets OpenAI-shaped errors', async () => {
      const cases = [
        [{ model: 'procedural', prompt: 'x', size: '100x100' }, 'size'],
        [{ model: 'procedural', prompt: 'x', size: 'large' }, 'size'],
        [{ model: 'dall-e-9', prompt: 'x' }, 'model'],
        [{ model: 'procedural', prompt: 'x', n: 11 }, 'n'],
        [{ model: 'procedural', prompt: 'x', response_format: 'gif' }, 'response_format'],
        [{ model: 'procedural' }, 'prompt'],
      ];
      for (const [params, param] of cases) {
        await assert.rejects(client().images.generate(params), (error) => {
          assert.ok(error instanceof OpenAI.BadRequestError, `${JSON.stringify(params)}: ${error}`);
          assert.equal(error.status, 400);
          assert.equal(error.param, param, JSON.stringify(params));
          assert.equal(error.type, 'invalid_request_error');
          assert.equal(error.code, 'invalid_argument');
          return true;
        });
      }
      const stranger = new OpenAI({ apiKey: 'rm_not_a_key', baseURL: `${server.baseUrl}/v1`, maxRetries: 0 });
      await assert.rejects(stranger.images.generate({ model: 'procedural', prompt: 'x' }), (error) => {
        assert.ok(error instanceof OpenAI.AuthenticationError, String(error));
        assert.equal(error.code, 'unauthenticated');
        return true;
      });
    });

    test('GET /v1/models lists the image models', async () => {
      const ids = [];
      for await (const model of client().models.list()) ids.push(model.id);
      assert.ok(ids.includes('procedural'));
      assert.ok(ids.includes('openai/gpt-image-2'));
    });
  });
});
