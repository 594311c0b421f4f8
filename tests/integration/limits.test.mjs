// Quotas and rate limits through the real binary, on both backends: jobs in flight, images per UTC
// day, stored bytes and the request rate each refuse with 429, their code, a message naming the
// limit, Retry-After and RateLimit-* headers, and store or queue nothing; they reset; per-user
// limits set by an administrator replace the defaults; /api/v1/me/usage; the administrators'
// /api/v1/admin/users (404 to everyone else; disabling an account stops its sessions and keys at
// once); the OpenAI-compatible endpoint refuses in OpenAI's error shape; two API processes on one
// database cannot let more jobs in than the limit together, and share each user's request rate.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DEFAULT_PASSWORD, Server, createAdmin, createGeneration, expectError, expectStatus, listAll, makeTempDir,
  register, removeTempDir, sessionCookieFrom, sleep, uniqueEmail, waitFor,
} from './lib/server.mjs';

const SMALL = { prompt: 'a quiet lake at dawn', width: 64, height: 64, steps: 1 };
// The server's own defaults (the test harness raises them for the other tests).
const DEFAULT_LIMITS = {
  RENDERMART_MAX_JOBS_IN_FLIGHT: undefined, RENDERMART_MAX_IMAGES_PER_DAY: undefined,
  RENDERMART_REQUESTS_PER_MINUTE: undefined, RENDERMART_REQUEST_BURST: undefined,
};

async function login(server, email, password = DEFAULT_PASSWORD) {
  return server.api('POST', '/api/v1/auth/login', { body: { email, password } });
}

async function me(server, cookie) {
  return expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie }), 200).json.user;
}

// A 429 with its code, a message naming the limit, and the limit's headers.
function expectRefusal(res, code, { limit, words, retry = true }) {
  expectError(res, 429, code);
  const message = res.json.error.message;
  for (const word of words) assert.match(message, new RegExp(word), `the message names the limit: ${message}`);
  assert.equal(res.headers.get('ratelimit-limit'), String(limit));
  assert.equal(res.headers.get('ratelimit-remaining'), '0');
  if (retry) {
    const after = Number(res.headers.get('retry-after'));
    assert.ok(Number.isInteger(after) && after >= 1, `Retry-After: ${res.headers.get('retry-after')}`);
    assert.equal(res.headers.get('ratelimit-reset'), res.headers.get('retry-after'));
  } else {
    assert.equal(res.headers.get('retry-after'), null, 'no wait helps: no Retry-After');
  }
  return res;
}

describe('quotas and rate limits', { timeout: 300_000 }, () => {
  let dataDir;
  let api;   // no workers: jobs stay queued
  let admin;

  const setLimits = async (userId, limits) =>
    expectStatus(await api.api('PATCH', `/api/v1/admin/users/${userId}`, { cookie: admin, body: { limits } }), 200).json;
  const usage = async (server, cookie) => expectStatus(await server.api('GET', '/api/v1/me/usage', { cookie }), 200).json;
  const generations = async (server, cookie) => listAll(server, cookie, '/api/v1/generations');

  before(async () => {
    dataDir = makeTempDir('limits');
    const adminEmail = await createAdmin(dataDir);
    api = new Server({ name: 'limits-api', role: 'api', dataDir, env: { ...DEFAULT_LIMITS, RENDERMART_MAX_JOBS_IN_FLIGHT: '3' } });
    await api.start();
    admin = sessionCookieFrom(expectStatus(await login(api, adminEmail), 200));
  });

  after(async () => {
    await api?.stop({ keepDataDir: true });
    if (dataDir) removeTempDir(dataDir);
  });

  test('jobs in flight: the default setting refuses the 4th queued job, queues nothing, and frees a place when one ends', async () => {
    const cookie = await register(api, uniqueEmail('inflight'));
    const jobs = [];
    for (let i = 0; i < 3; i++) jobs.push(await createGeneration(api, cookie, { ...SMALL, seed: i }));
    const refused = await api.api('POST', '/api/v1/generations', { cookie, body: { ...SMALL, seed: 9 } });
    expectRefusal(refused, 'quota_exceeded', { limit: 3, words: ['3 generations queued or running', 'jobs in flight'] });
    assert.equal((await generations(api, cookie)).length, 3, 'the refused generation was not queued');

    const report = await usage(api, cookie);
    assert.deepEqual(report.jobs_in_flight, { limit: 3, resets_at: null, used: 3 });

    expectStatus(await api.api('POST', `/api/v1/generations/${jobs[0].id}/cancel`, { cookie }), 200);
    await createGeneration(api, cookie, { ...SMALL, seed: 10 });
    assert.equal((await generations(api, cookie)).length, 4);
  });

  test('images per day: a per-user limit counts the images asked for today (UTC), gives back canceled ones, and says when it resets', async () => {
    const cookie = await register(api, uniqueEmail('daily'));
    const user = await me(api, cookie);
    await setLimits(user.id, { images_per_day: 4 });
    const first = await createGeneration(api, cookie, { ...SMALL, count: 3 });

    const refused = await api.api('POST', '/api/v1/generations', { cookie, body: { ...SMALL, count: 2 } });
    expectRefusal(refused, 'quota_exceeded', { limit: 4, words: ['4 images per day', '3 used today'] });
    const midnight = new Date();
    midnight.setUTCHours(24, 0, 0, 0);
    assert.match(refused.json.error.message, new RegExp(midnight.toISOString().slice(0, 19)), 'names the reset time');
    const untilMidnight = (midnight.getTime() - Date.now()) / 1000;
    assert.ok(Math.abs(Number(refused.headers.get('retry-after')) - untilMidnight) < 60, 'Retry-After runs to the next UTC midnight');
    assert.equal((await generations(api, cookie)).length, 1);

    const report = await usage(api, cookie);
    assert.equal(report.images_per_day.used, 3);
    assert.equal(report.images_per_day.limit, 4);
    assert.equal(Date.parse(report.images_per_day.resets_at), midnight.getTime());

    await createGeneration(api, cookie, { ...SMALL, count: 1 });
    expectStatus(await api.api('POST', `/api/v1/generations/${first.id}/cancel`, { cookie }), 200);
    await createGeneration(api, cookie, { ...SMALL, count: 3 });
    assert.equal((await usage(api, cookie)).images_per_day.used, 4);
  });

  test('request rate: a burst over the per-user limit is refused with rate_limited until the bucket refills; keys share the user\'s bucket', async () => {
    const cookie = await register(api, uniqueEmail('rate'));
    const user = await me(api, cookie);
    await setLimits(user.id, { requests_per_minute: 60, request_burst: 4 });
    await sleep(200);  // the request above, at the default rate of 10 a second, has refilled

    const key = expectStatus(await api.api('POST', '/api/v1/keys', { cookie, body: { name: 'rate' } }), 201).json.secret;
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await api.api('GET', '/api/v1/images', { token: key })).status);
    assert.deepEqual(statuses, [200, 200, 200]);
    const refused = expectRefusal(await api.api('GET', '/api/v1/images', { cookie }), 'rate_limited',
      { limit: 60, words: ['60 a minute', 'bursts of up to 4'] });

    // OpenAI's shape on its endpoint, with the same headers.
    const openai = await api.api('POST', '/v1/images/generations', { token: key, body: { prompt: 'a cat' } });
    assert.equal(openai.status, 429);
    assert.equal(openai.json.error.code, 'rate_limited');
    assert.equal(openai.json.error.param, null);
    assert.equal(typeof openai.json.error.type, 'string');
    assert.ok(Number(openai.headers.get('retry-after')) >= 1);
    assert.equal(openai.headers.get('ratelimit-limit'), '60');
    const seen = expectStatus(await api.api('GET', `/api/v1/admin/users/${user.id}`, { cookie: admin }), 200).json;
    assert.equal(seen.usage.jobs_in_flight.used, 0, 'nothing was queued');

    await sleep(Number(refused.headers.get('retry-after')) * 1000 + 200);
    expectStatus(await api.api('GET', '/api/v1/images', { cookie }), 200, 'the limit resets');
  });

  test('the OpenAI-compatible endpoint refuses a generation over a quota in OpenAI\'s shape and queues nothing', async () => {
    const cookie = await register(api, uniqueEmail('openai-quota'));
    const key = expectStatus(await api.api('POST', '/api/v1/keys', { cookie, body: { name: 'quota' } }), 201).json.secret;
    const user = await me(api, cookie);
    await setLimits(user.id, { jobs_in_flight: 1 });
    await createGeneration(api, cookie, SMALL);
    const refused = await api.api('POST', '/v1/images/generations', { token: key, body: { prompt: 'a cat', size: '64x64' } });
    assert.equal(refused.status, 429);
    assert.equal(refused.json.error.code, 'quota_exceeded');
    assert.match(refused.json.error.message, /jobs in flight/);
    assert.equal(refused.headers.get('ratelimit-limit'), '1');
    assert.ok(Number(refused.headers.get('retry-after')) >= 1);
    assert.equal((await generations(api, cookie)).length, 1);
  });

  test('administrators: users listed with usage and limits, paged; one user; limits set and reset to the default; bad limits refused', async () => {
    const cookie = await register(api, uniqueEmail('listed'));
    const user = await me(api, cookie);
    await createGeneration(api, cookie, { ...SMALL, count: 2 });

    const page = expectStatus(await api.api('GET', '/api/v1/admin/users?limit=1', { cookie: admin }), 200).json;
    assert.equal(page.items.length, 1);
    assert.equal(page.items[0].id, user.id, 'newest first');
    assert.ok(page.next_cursor);
    const next = expectStatus(await api.api('GET', `/api/v1/admin/users?limit=100&cursor=${encodeURIComponent(page.next_cursor)}`, { cookie: admin }), 200).json;
    assert.ok(!next.items.some((u) => u.id === user.id), 'the next page goes on after the cursor');
    assert.ok(next.items.some((u) => u.is_admin), 'the administrator is listed');

    const one = expectStatus(await api.api('GET', `/api/v1/admin/users/${user.id}`, { cookie: admin }), 200).json;
    assert.equal(one.email, user.email);
    assert.equal(one.disabled, false);
    assert.deepEqual(one.limits, { images_per_day: null, jobs_in_flight: null, request_burst: null, requests_per_minute: null, stored_bytes: null });
    assert.deepEqual(one.usage.jobs_in_flight, { limit: 3, resets_at: null, used: 1 });
    assert.equal(one.usage.images_per_day.used, 2);
    assert.equal(one.usage.images_per_day.limit, 500);
    assert.equal(one.usage.stored_bytes.limit, 5 * 1024 ** 3);
    assert.deepEqual(one.usage.requests, { burst: 120, per_minute: 600 });

    const changed = await setLimits(user.id, { jobs_in_flight: 7, stored_bytes: 1_000_000 });
    assert.equal(changed.limits.jobs_in_flight, 7);
    assert.equal(changed.usage.jobs_in_flight.limit, 7);
    assert.equal(changed.usage.stored_bytes.limit, 1_000_000);
    const reset = await setLimits(user.id, { jobs_in_flight: null });
    assert.equal(reset.limits.jobs_in_flight, null, 'null goes back to the default');
    assert.equal(reset.usage.jobs_in_flight.limit, 3);
    assert.equal(reset.limits.stored_bytes, 1_000_000, 'limits left out stay');
    assert.equal((await usage(api, cookie)).stored_bytes.limit, 1_000_000, 'the user sees their own limit');

    expectError(await api.api('PATCH', `/api/v1/admin/users/${user.id}`, { cookie: admin, body: { limits: { jobs_in_flight: 0 } } }), 400, 'invalid_argument', 'jobs_in_flight');
    expectError(await api.api('PATCH', `/api/v1/admin/users/${user.id}`, { cookie: admin, body: { limits: { speed: 3 } } }), 400, 'invalid_argument', 'limits.speed');
    expectError(await api.api('GET', '/api/v1/admin/users/nobody', { cookie: admin }), 404, 'not_found');
    const self = await me(api, admin);
    expectError(await api.api('PATCH', `/api/v1/admin/users/${self.id}`, { cookie: admin, body: { disabled: true } }), 400, 'invalid_argument', 'disabled');
  });

  test('to everyone but administrators the admin user routes do not exist', async () => {
    const cookie = await register(api, uniqueEmail('nosy'));
    const user = await me(api, cookie);
    for (const [method, path, body] of [
      ['GET', '/api/v1/admin/users'],
      ['GET', `/api/v1/admin/users/${user.id}`],
      ['PATCH', `/api/v1/admin/users/${user.id}`, { limits: { jobs_in_flight: 1000 } }],
    ]) {
      expectError(await api.api(method, path, { cookie, body }), 404, 'not_found', undefined, `${method} ${path}`);
    }
    expectError(await api.api('GET', '/api/v1/admin/users'), 401, 'unauthenticated');
  });

  test('a disabled account: its session and API key stop working at once, sign-in says it is disabled; enabled again, both work', async () => {
    const email = uniqueEmail('disabled');
    const cookie = await register(api, email);
    const key = expectStatus(await api.api('POST', '/api/v1/keys', { cookie, body: { name: 'k' } }), 201).json.secret;
    const user = await me(api, cookie);

    const disabled = expectStatus(await api.api('PATCH', `/api/v1/admin/users/${user.id}`, { cookie: admin, body: { disabled: true } }), 200).json;
    assert.equal(disabled.disabled, true);
    for (const auth of [{ cookie }, { token: key }]) {
      const res = expectError(await api.api('GET', '/api/v1/images', auth), 401, 'unauthenticated');
      assert.match(res.json.error.message, /disabled/);
    }
    const openai = await api.api('GET', '/v1/models', { token: key });
    assert.equal(openai.status, 401);
    const refused = expectError(await login(api, email), 403, 'forbidden');
    assert.match(refused.json.error.message, /disabled/);
    expectError(await login(api, email, 'a wrong password entirely'), 401, 'unauthenticated', undefined, 'a wrong password tells nothing');

    expectStatus(await api.api('PATCH', `/api/v1/admin/users/${user.id}`, { cookie: admin, body: { disabled: false } }), 200);
    expectStatus(await api.api('GET', '/api/v1/images', { cookie }), 200);
    expectStatus(await api.api('GET', '/api/v1/images', { token: key }), 200);
    expectStatus(await login(api, email), 200);
  });
});

describe('stored bytes', { timeout: 300_000 }, () => {
  let server;
  let admin;

  before(async () => {
    const dataDir = makeTempDir('stored');
    const adminEmail = await createAdmin(dataDir);
    server = new Server({ name: 'stored', dataDir, args: ['--workers', '1'], env: DEFAULT_LIMITS });
    await server.start();
    admin = sessionCookieFrom(expectStatus(await login(server, adminEmail), 200));
  });

  after(async () => { await server?.stop(); });

  test('images and thumbnails count; over the limit generations are refused without Retry-After until images are deleted', async () => {
    const cookie = await register(server, uniqueEmail('bytes'));
    const user = await me(server, cookie);
    const job = await createGeneration(server, cookie, SMALL);
    const done = await waitFor(server, cookie, job.id, 'succeeded');
    const image = done.images[0];

    const report = expectStatus(await server.api('GET', '/api/v1/me/usage', { cookie }), 200).json;
    assert.ok(report.stored_bytes.used > image.bytes, `thumbnails count too: ${report.stored_bytes.used} > ${image.bytes}`);

    expectStatus(await server.api('PATCH', `/api/v1/admin/users/${user.id}`, { cookie: admin, body: { limits: { stored_bytes: report.stored_bytes.used } } }), 200);
    const refused = await server.api('POST', '/api/v1/generations', { cookie, body: SMALL });
    expectRefusal(refused, 'quota_exceeded', { limit: report.stored_bytes.used, words: ['stored bytes', 'delete images'], retry: false });
    assert.equal((await listAll(server, cookie, '/api/v1/generations')).length, 1, 'nothing queued');

    expectStatus(await server.api('DELETE', `/api/v1/images/${image.id}`, { cookie }), 204);
    assert.equal(expectStatus(await server.api('GET', '/api/v1/me/usage', { cookie }), 200).json.stored_bytes.used, 0);
    await createGeneration(server, cookie, SMALL);
  });
});

describe('two API processes on one database', { timeout: 300_000 }, () => {
  const dataDir = makeTempDir('limits-race');
  const apis = [];

  before(async () => {
    for (let i = 0; i < 2; i++) {
      apis.push(new Server({ name: `race${i}`, role: 'api', dataDir, env: { ...DEFAULT_LIMITS, RENDERMART_MAX_JOBS_IN_FLIGHT: '5' } }));
    }
    await apis[0].start();
    await apis[1].start();
  });

  after(async () => {
    for (const server of apis) await server.stop({ keepDataDir: true });
    removeTempDir(dataDir);
  });

  test('40 generations at once through both processes, ten times over: exactly the limit of 5 is queued each time', async () => {
    for (let round = 0; round < 10; round++) {
      const cookie = await register(apis[round % 2], uniqueEmail(`race${round}`));
      const statuses = await Promise.all(Array.from({ length: 40 }, async (_, i) =>
        (await apis[i % 2].api('POST', '/api/v1/generations', { cookie, body: { ...SMALL, seed: i } })).status));
      assert.equal(statuses.filter((s) => s === 202).length, 5, `round ${round}: ${JSON.stringify(statuses)}`);
      assert.equal(statuses.filter((s) => s === 429).length, 35);
      assert.equal((await listAll(apis[1], cookie, '/api/v1/generations')).length, 5);
    }
  });
});

describe('request rates shared by two API processes on one database', { timeout: 300_000 }, () => {
  const dataDir = makeTempDir('limits-rates');
  const apis = [];
  // 6 a minute (one each 10 s, so nothing refills during the test), 5 at once.
  const RATES = { ...DEFAULT_LIMITS, RENDERMART_REQUESTS_PER_MINUTE: '6', RENDERMART_REQUEST_BURST: '5' };
  // Two exchanges with the database: each process has sent its requests and read the other's.
  const EXCHANGED_MS = 1200;

  before(async () => {
    for (let i = 0; i < 2; i++) apis.push(new Server({ name: `rates${i}`, role: 'api', dataDir, env: RATES }));
    await apis[0].start();
    await apis[1].start();
  });

  after(async () => {
    for (const server of apis) await server.stop({ keepDataDir: true });
    removeTempDir(dataDir);
  });

  const images = async (server, cookie) => (await server.api('GET', '/api/v1/images', { cookie })).status;

  test('a burst spent on one process is spent on the other', async () => {
    const cookie = await register(apis[0], uniqueEmail('rates-one'));
    for (let i = 0; i < 5; i++) assert.equal(await images(apis[0], cookie), 200, `request ${i}`);
    assert.equal(await images(apis[0], cookie), 429);
    await sleep(EXCHANGED_MS);
    expectRefusal(await apis[1].api('GET', '/api/v1/images', { cookie }), 'rate_limited',
      { limit: 6, words: ['6 a minute', 'bursts of up to 5'] });
  });

  test('requests split between the processes add up to one burst', async () => {
    const cookie = await register(apis[1], uniqueEmail('rates-split'));
    for (let i = 0; i < 3; i++) assert.equal(await images(apis[0], cookie), 200);
    await sleep(EXCHANGED_MS);
    assert.equal(await images(apis[1], cookie), 200);
    assert.equal(await images(apis[1], cookie), 200);
    assert.equal(await images(apis[1], cookie), 429, 'the fifth and last was the second here');
    await sleep(EXCHANGED_MS);
    assert.equal(await images(apis[0], cookie), 429, 'and the first process knows it');
  });
});
