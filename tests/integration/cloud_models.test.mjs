// Cloud models discovered at run time, through the real binary, against the local OpenAI and
// Bedrock of tests/support (which list their models with lifecycle states and shutdown dates as
// the real services shape them): discovery offers the known image models a service lists; a
// retired model is never offered and, when configured, stops the server with an error naming the
// documented replacement; a Legacy or shutting-down model is offered only when configured, with
// its date in /api/v1/models and a warning in the log and in `rendermart providers check`; the
// periodic refresh picks up a model that appears; a listing that fails at start leaves the
// server running and is tried again.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { CORE, NOVA, SD35, TITAN, ULTRA, bedrockEnv, legacyFor, startLocalBedrock } from './lib/bedrock.mjs';
import { startChildServer } from './lib/child_server.mjs';
import { Server, expectStatus, runBinary } from './lib/server.mjs';

const REFRESH = { RENDERMART_CLOUD_REFRESH_SECONDS: '1' };

const dateIn = (days) => new Date(Date.now() + days * 86_400_000).toISOString().slice(0, 10);

async function cloudModels(server, provider) {
  const items = expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items;
  return Object.fromEntries(items.filter((m) => m.provider === provider).map((m) => [m.id, m]));
}

// Waits until the server offers exactly `ids` of `provider` (the refresh runs every second).
async function waitForModels(server, provider, ids, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  let offered = [];
  while (Date.now() < deadline) {
    offered = Object.keys(await cloudModels(server, provider)).sort();
    if (JSON.stringify(offered) === JSON.stringify([...ids].sort())) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  assert.deepEqual(offered, [...ids].sort(), `${provider} models after ${timeoutMs} ms`);
}

async function withServer(name, env, body) {
  const server = new Server({ name, env: { RENDERMART_MAX_ATTEMPTS: '1', ...REFRESH, ...env } });
  await server.start();
  try {
    await body(server);
  } finally {
    await server.stop();
  }
}

describe('OpenAI-compatible models, discovered', { timeout: 300_000 }, () => {
  let fake;
  const env = (extra = {}) => ({ RENDERMART_OPENAI_BASE_URL: fake.base_url, RENDERMART_OPENAI_API_KEY: fake.api_key, ...extra });

  before(async () => { fake = await startChildServer('openai/server.mjs'); });
  after(async () => { await fake?.stop(); });

  test('the known image models the service lists are offered; retired, deprecated and new ones as the rule says', async () => {
    await fake.command({
      listed: {
        // Not listed yet: it appears while the server runs.
        'gpt-image-2.6-sunburst': null,
        // Announced for shutdown: offered only when named.
        'gpt-image-2': { shutdown_date: dateIn(30) },
        // Shut down, though the listing still carries it with its date: never offered.
        'gpt-image-2.5-flare': { shutdown_date: dateIn(-1) },
      },
    });
    try {
      await withServer('openai-discovery', env(), async (server) => {
        const models = await cloudModels(server, 'openai');
        assert.deepEqual(Object.keys(models), ['openai/gpt-image-2.6-flare'],
          'text models, self-hosted models of no known family, gpt-image-1.5 (no family) and the rule\'s exclusions are left out');
        assert.deepEqual(models['openai/gpt-image-2.6-flare'].sizes, { min: 816, max: 3840, multiple: 16 });
        assert.equal(models['openai/gpt-image-2.6-flare'].shutdown_date, null);
        assert.match(server.logText(), /model openai\/gpt-image-2\.5-flare is not offered: the service shut it down on/);

        await fake.command({ listed: { 'gpt-image-2.6-sunburst': { shutdown_date: null } } });
        await waitForModels(server, 'openai', ['openai/gpt-image-2.6-flare', 'openai/gpt-image-2.6-sunburst']);

        const check = await runBinary(['providers', 'check'], env());
        assert.equal(check.code, 0, check.out);
        assert.match(check.out, /usable {6}openai\/gpt-image-2\.6-sunburst: listed by the API for this key/);
        assert.doesNotMatch(check.out, /gpt-image-2: |gpt-image-2\.5-flare|gpt-5/);
      });
    } finally {
      await fake.command({ listed: { 'gpt-image-2.6-sunburst': { shutdown_date: null }, 'gpt-image-2': { shutdown_date: null }, 'gpt-image-2.5-flare': { shutdown_date: null } } });
    }
  });

  test('a model with a shutdown date is offered when named, with its date and a warning', async () => {
    const shutdown = dateIn(30);
    await fake.command({ listed: { 'gpt-image-2': { shutdown_date: shutdown } } });
    try {
      const named = env({ RENDERMART_OPENAI_MODELS: 'gpt-image-2,gpt-image-2.6-flare' });
      await withServer('openai-named', named, async (server) => {
        const models = await cloudModels(server, 'openai');
        assert.deepEqual(Object.keys(models).sort(), ['openai/gpt-image-2', 'openai/gpt-image-2.6-flare']);
        assert.equal(models['openai/gpt-image-2'].shutdown_date, shutdown);
        assert.equal(models['openai/gpt-image-2.6-flare'].shutdown_date, null);
        assert.match(server.logText(), new RegExp(`model openai/gpt-image-2 is deprecated and shuts down on ${shutdown}; it is offered only because RENDERMART_OPENAI_MODELS names it`));
      });
      const check = await runBinary(['providers', 'check'], named);
      assert.equal(check.code, 0, check.out);
      assert.match(check.out, new RegExp(`usable {6}openai/gpt-image-2: listed by the API for this key\\n {2}WARNING {5}model openai/gpt-image-2 is deprecated and shuts down on ${shutdown}`));
    } finally {
      await fake.command({ listed: { 'gpt-image-2': { shutdown_date: null } } });
    }
  });

  test('a retired model named in the configuration is an error naming the replacement', async () => {
    const documented = await runBinary(['providers', 'check'], env({ RENDERMART_OPENAI_MODELS: 'gpt-image-2,gpt-image-1.5' }));
    assert.notEqual(documented.code, 0, documented.out);
    assert.match(documented.out, /RENDERMART_OPENAI_MODELS names 'gpt-image-1\.5', which the service retired on 2026-12-01: use gpt-image-2\.6-sunburst or gpt-image-2\.6-flare instead/);

    await fake.command({ listed: { 'gpt-image-2.5-flare': { shutdown_date: dateIn(-1) } } });
    try {
      const server = new Server({ name: 'openai-retired', env: { ...REFRESH, ...env({ RENDERMART_OPENAI_MODELS: 'gpt-image-2.5-flare' }) } });
      await assert.rejects(server.start(), /RENDERMART_OPENAI_MODELS names 'gpt-image-2\.5-flare', which the service retired on/);
      await server.stop();
    } finally {
      await fake.command({ listed: { 'gpt-image-2.5-flare': { shutdown_date: null } } });
    }
  });

  test('a listing that fails at start leaves the server running, and a later one offers the models', async () => {
    await fake.command({ failed_listings: 1000 });
    try {
      // Even when the default model is one of that API's.
      await withServer('openai-listing-fails', env({ RENDERMART_DEFAULT_MODEL: 'openai/gpt-image-2' }), async (server) => {
        assert.deepEqual(await cloudModels(server, 'openai'), {});
        assert.match(server.logText(), /cannot list the models of the OpenAI-compatible API .*no model of it is offered; trying again at the next refresh/);
        assert.match(server.logText(), /the default model openai\/gpt-image-2 is not offered now/);
        await fake.command({ failed_listings: 0 });
        await waitForModels(server, 'openai', ['openai/gpt-image-2', 'openai/gpt-image-2.5-flare', 'openai/gpt-image-2.6-flare', 'openai/gpt-image-2.6-sunburst']);
      });
    } finally {
      await fake.command({ failed_listings: 0 });
    }
  });
});

describe('Amazon Bedrock models, by the region\'s listing', { timeout: 300_000 }, () => {
  let bedrock;
  const env = (extra = {}) => {
    const base = bedrockEnv(bedrock, extra);
    if (!('RENDERMART_BEDROCK_MODELS' in extra)) delete base.RENDERMART_BEDROCK_MODELS;
    return base;
  };

  before(async () => { bedrock = await startLocalBedrock(); });
  after(async () => { await bedrock?.stop(); });

  test('the defaults are the current models; Legacy ones past their end of life are not offered', async () => {
    await bedrock.command({ lifecycle: { [CORE]: null } });
    try {
      await withServer('bedrock-defaults', env(), async (server) => {
        assert.deepEqual(Object.keys(await cloudModels(server, 'bedrock')).sort(), [SD35, ULTRA].sort(),
          'Nova Canvas and Titan v2 are Legacy and past their end of life; Stable Image Core is not listed in this region yet');
        assert.match(server.logText(), new RegExp(`Bedrock model ${CORE.replace(/\./g, '\\.')} is not offered: us-east-1 does not list it`));
        await bedrock.command({ lifecycle: { [CORE]: { status: 'ACTIVE' } } });
        await waitForModels(server, 'bedrock', [SD35, CORE, ULTRA]);
      });
    } finally {
      await bedrock.command({ lifecycle: { [CORE]: { status: 'ACTIVE' } } });
    }
  });

  test('a Legacy model is offered when named, with its end of life and a warning; one past it stops the server', async () => {
    const legacy = legacyFor(45);
    await bedrock.command({ lifecycle: { [NOVA]: legacy } });
    const eol = legacy.endOfLifeTime.slice(0, 10);
    try {
      const named = env({ RENDERMART_BEDROCK_MODELS: [SD35, NOVA].join(',') });
      await withServer('bedrock-legacy', named, async (server) => {
        const models = await cloudModels(server, 'bedrock');
        assert.deepEqual(Object.keys(models).sort(), [NOVA, SD35].sort());
        assert.equal(models[NOVA].shutdown_date, eol);
        assert.equal(models[SD35].shutdown_date, null);
        assert.match(server.logText(), new RegExp(`model amazon\\.nova-canvas-v1:0 is Legacy and shuts down on ${eol}; it is offered only because RENDERMART_BEDROCK_MODELS names it`));
      });
      await withServer('bedrock-legacy-unnamed', env(), async (server) => {
        assert.equal((await cloudModels(server, 'bedrock'))[NOVA], undefined, 'not offered unless named');
      });
      const check = await runBinary(['providers', 'check'], named);
      assert.equal(check.code, 0, check.out);
      assert.match(check.out, /WARNING {5}model amazon\.nova-canvas-v1:0 is Legacy and shuts down on/);

      const retired = new Server({ name: 'bedrock-retired', env: { ...REFRESH, ...env({ RENDERMART_BEDROCK_MODELS: [SD35, TITAN].join(',') }) } });
      await assert.rejects(retired.start(), /RENDERMART_BEDROCK_MODELS names 'amazon\.titan-image-generator-v2:0', which the service retired on 2026-06-30/);
      await retired.stop();
    } finally {
      await bedrock.command({ lifecycle: { [NOVA]: { status: 'LEGACY', endOfLifeTime: '2026-09-30T00:00:00Z' } } });
    }
  });

  test('a listing that fails at start leaves the server running, and a later one offers the models', async () => {
    await bedrock.command({ failed_listings: 1000 });
    try {
      await withServer('bedrock-listing-fails', env(), async (server) => {
        assert.deepEqual(await cloudModels(server, 'bedrock'), {});
        assert.match(server.logText(), /cannot list the Bedrock image models of us-east-1 .*no Bedrock model is offered; trying again at the next refresh/);
        await bedrock.command({ failed_listings: 0 });
        await waitForModels(server, 'bedrock', [SD35, CORE, ULTRA]);
      });
    } finally {
      await bedrock.command({ failed_listings: 0 });
    }
  });
});
