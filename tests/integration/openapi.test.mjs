// The OpenAPI description and the server agree both ways: every operation in openapi.yaml is
// served and answers with statuses and bodies the spec declares; methods the spec does not list
// answer 405 with Allow; unknown paths answer 404.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { after, before, describe, test } from 'node:test';
import {
  BIN, DEFAULT_PASSWORD, collectEvents, describeResponse, expectStatus, makeTempDir, openEvents, runBinary,
  sessionCookieFrom, startServer, uniqueEmail, waitFor,
} from './lib/server.mjs';
import { backendEnv } from './lib/backends.mjs';
import { solidPng } from './lib/media.mjs';
import { TEST_OWNER, startHub } from './lib/hub_server.mjs';
import { SpecValidator, loadSpec, matchPath, matchingPaths, operations } from './lib/openapi.mjs';

const spec = loadSpec();
const validator = new SpecValidator(spec);
const OPS = operations(spec);
const PROBE_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];
// The model library's operations need the local engine; a binary without it answers them 404.
const hasEngine = fs.existsSync(BIN) &&
  /local diffusion engine: libtorch/.test(spawnSync(BIN, ['version'], { encoding: 'utf8' }).stdout);

describe('openapi.yaml and the server agree', { timeout: 240_000 }, () => {
  let server;
  const seen = new Map(); // "METHOD /template" -> Set of statuses
  const problems = [];
  const ids = {};
  let cookie;
  let hub;
  const adminEmail = uniqueEmail('openapi-admin');

  before(async () => {
    hub = await startHub();
    const dataDir = makeTempDir('openapi');
    const admin = await runBinary(['user', 'create', '--email', adminEmail, '--password', DEFAULT_PASSWORD, '--admin',
      '--data-dir', dataDir, '--log-format', 'text'], await backendEnv(dataDir));
    assert.equal(admin.code, 0, admin.out);
    server = await startServer({ name: 'openapi', dataDir, env: { HF_ENDPOINT: hub.url } });
  }, { timeout: 60_000 });
  after(async () => {
    await server?.stop();
    await hub?.close();
  });

  function record(method, urlPath, res) {
    const template = matchPath(spec, urlPath);
    if (!template) {
      problems.push(`${method} ${urlPath} -> ${res.status}: the path is not in the spec`);
      return res;
    }
    const key = `${method} ${template}`;
    if (!seen.has(key)) seen.set(key, new Set());
    seen.get(key).add(res.status);
    for (const p of validator.checkResponse(method, template, res)) {
      problems.push(`${method} ${urlPath} -> ${res.status}: ${p}`);
    }
    return res;
  }

  async function call(method, urlPath, options = {}) {
    return record(method, urlPath, await server.api(method, urlPath, options));
  }

  // schemaOf(event name) names the schema of each event's data.
  async function events(urlPath, auth, schemaOf = (name) => (name === 'progress' ? 'ProgressEvent' : 'Generation')) {
    const stream = await collectEvents(server, auth, urlPath, { timeoutMs: 60_000 });
    record('GET', urlPath, { ...stream, body: stream.body ?? Buffer.alloc(0), json: stream.json });
    for (const ev of stream.events) {
      const schema = schemaOf(ev.event);
      const err = validator.validateSchema(schema, ev.data);
      if (err) problems.push(`GET ${urlPath}: event ${ev.event} data does not match ${schema}: ${err}`);
    }
    return stream;
  }

  test('the spec parses and names the expected operations', () => {
    assert.equal(spec.openapi, '3.0.3');
    const keys = OPS.map((o) => `${o.method} ${o.path}`);
    for (const k of ['GET /healthz', 'GET /readyz', 'GET /metrics', 'POST /api/v1/auth/register', 'POST /api/v1/auth/login',
      'POST /api/v1/auth/logout', 'GET /api/v1/auth/me', 'GET /api/v1/me/preferences', 'PUT /api/v1/me/preferences',
      'GET /api/v1/keys', 'POST /api/v1/keys', 'DELETE /api/v1/keys/{id}', 'GET /api/v1/generations', 'POST /api/v1/generations',
      'GET /api/v1/generations/{id}', 'POST /api/v1/generations/{id}/cancel', 'GET /api/v1/generations/{id}/events',
      'GET /api/v1/generations/events',
      'GET /api/v1/images', 'POST /api/v1/images', 'GET /api/v1/images/{id}', 'PATCH /api/v1/images/{id}', 'DELETE /api/v1/images/{id}',
      'GET /api/v1/images/count', 'GET /api/v1/images/{id}/infotext',
      'GET /api/v1/images/{id}/file', 'HEAD /api/v1/images/{id}/file', 'GET /api/v1/images/{id}/thumbnail', 'GET /api/v1/models',
      'POST /v1/images/generations', 'POST /v1/images/edits', 'POST /v1/images/variations', 'GET /v1/models', 'GET /api/v1/admin/models', 'DELETE /api/v1/admin/models/{name}',
      'POST /api/v1/admin/models/pulls', 'GET /api/v1/admin/models/pulls/{id}', 'POST /api/v1/admin/models/pulls/{id}/cancel',
      'GET /api/v1/admin/models/pulls/{id}/events', 'GET /api/v1/auth/config', 'POST /api/v1/auth/password',
      'POST /api/v1/auth/logout-everywhere', 'POST /api/v1/auth/delete-account', 'GET /api/v1/admin/invitations',
      'POST /api/v1/admin/invitations', 'DELETE /api/v1/admin/invitations/{id}']) {
      assert.ok(keys.includes(k), `${k} is described`);
    }
    // Every schema compiles.
    for (const name of Object.keys(spec.components.schemas)) validator.schemaValidator({ $ref: `#/components/schemas/${name}` });
  });

  test('every operation is served, and every answer conforms to the spec', { timeout: 180_000 }, async () => {
    // Operations endpoints.
    await call('GET', '/healthz');
    const ready = await call('GET', '/readyz');
    assert.equal(ready.status, 200, describeResponse(ready));
    const echoed = await server.api('GET', '/healthz', { headers: { 'x-request-id': 'it-openapi-0123456789' } });
    assert.equal(echoed.headers.get('x-request-id'), 'it-openapi-0123456789', 'a valid X-Request-Id is echoed');

    // Accounts.
    const email = uniqueEmail('openapi');
    const reg = await call('POST', '/api/v1/auth/register', { body: { email, password: DEFAULT_PASSWORD } });
    assert.equal(reg.status, 201, describeResponse(reg));
    cookie = sessionCookieFrom(reg);
    await call('POST', '/api/v1/auth/register', { body: { email, password: DEFAULT_PASSWORD } }); // 409
    await call('POST', '/api/v1/auth/register', { body: { email: 'bad', password: DEFAULT_PASSWORD } }); // 400
    await call('POST', '/api/v1/auth/register', { body: '{', raw: true, headers: { 'content-type': 'application/json' } }); // 400
    const login = await call('POST', '/api/v1/auth/login', { body: { email, password: DEFAULT_PASSWORD } });
    assert.equal(login.status, 200, describeResponse(login));
    const spareSession = sessionCookieFrom(login);
    await call('POST', '/api/v1/auth/login', { body: { email, password: 'wrong password' } }); // 401
    await call('GET', '/api/v1/auth/me', { cookie });
    await call('GET', '/api/v1/auth/me'); // 401

    // Preferences.
    await call('GET', '/api/v1/me/preferences', { cookie });
    const put = await call('PUT', '/api/v1/me/preferences', {
      cookie, body: { model: 'procedural', style: '', width: 0, height: 0, negative_prompt: '', theme: 'light' },
    });
    assert.equal(put.status, 200, describeResponse(put));
    await call('PUT', '/api/v1/me/preferences', { cookie, body: { theme: 'purple' } }); // 400

    // Keys.
    const key = await call('POST', '/api/v1/keys', { cookie, body: { name: 'openapi' } });
    assert.equal(key.status, 201, describeResponse(key));
    const token = key.json.secret;
    ids.key = key.json.id;
    const doomedKey = await call('POST', '/api/v1/keys', { cookie, body: { name: 'doomed' } });
    await call('GET', '/api/v1/keys', { cookie });
    await call('GET', '/api/v1/auth/me', { token });
    await call('DELETE', `/api/v1/keys/${doomedKey.json.id}`, { cookie }); // 204
    await call('DELETE', `/api/v1/keys/${doomedKey.json.id}`, { cookie }); // 404

    // Models.
    const models = await call('GET', '/api/v1/models', { cookie });
    assert.equal(models.status, 200, describeResponse(models));
    const procedural = models.json.items.find((m) => m.id === 'procedural');
    assert.ok(procedural, 'the procedural model is listed');
    assert.equal(procedural.kind, 'demo');
    assert.equal(procedural.family, 'demo');
    assert.equal(procedural.size_bytes, null, 'the demo generator has no model files');
    assert.deepEqual(procedural.sizes, { min: 64, max: 2048, multiple: 8 });
    for (const style of ['watercolor', 'pixel-art', 'neon', 'line-art', 'photographic']) {
      assert.ok(procedural.styles.includes(style), `style ${style}`);
    }

    // Generations.
    const created = await call('POST', '/api/v1/generations', { cookie, body: { prompt: 'a spec-shaped teapot', width: 128, height: 128, count: 2, style: 'neon' } });
    assert.equal(created.status, 202, describeResponse(created));
    ids.generation = created.json.id;
    await call('POST', '/api/v1/generations', { cookie, body: { prompt: 'x', width: 'wide' } }); // 400
    await call('POST', '/api/v1/generations', { body: { prompt: 'x' } }); // 401
    const stream = await events(`/api/v1/generations/${ids.generation}/events`, cookie);
    assert.equal(stream.events.at(-1)?.data?.status, 'succeeded', 'the generation succeeded');
    await call('GET', `/api/v1/generations/${ids.generation}`, { cookie });
    await call('GET', '/api/v1/generations/00000000000000000000000000', { cookie }); // 404
    await call('GET', '/api/v1/generations', { cookie });
    await call('GET', '/api/v1/generations?limit=1', { cookie });
    await call('GET', '/api/v1/generations?cursor=not-a-cursor', { cookie }); // 400
    await call('POST', `/api/v1/generations/${ids.generation}/cancel`, { cookie }); // final already: 200 or 409
    const long = await call('POST', '/api/v1/generations', { cookie, body: { prompt: 'a long spec job', width: 2048, height: 2048, count: 4, steps: 50 } });
    const canceled = await call('POST', `/api/v1/generations/${long.json.id}/cancel`, { cookie });
    assert.equal(canceled.status, 200, describeResponse(canceled));
    await waitFor(server, cookie, long.json.id, 'canceled', { timeoutMs: 60_000 });
    await events(`/api/v1/generations/${long.json.id}/events`, cookie);
    await events('/api/v1/generations/00000000000000000000000000/events', cookie); // 404

    // Images.
    const list = await call('GET', '/api/v1/images', { cookie });
    assert.equal(list.status, 200, describeResponse(list));
    assert.equal(list.json.items.length, 2);
    const [img, doomed] = list.json.items;
    ids.image = img.id;
    await call('GET', '/api/v1/images?limit=1&q=teapot&favorite=false&model=procedural&from=2000-01-01T00:00:00.000Z', { cookie });
    await call('GET', '/api/v1/images?limit=0', { cookie }); // 400
    const count = await call('GET', '/api/v1/images/count?favorite=false&model=procedural', { cookie });
    assert.equal(count.json?.count, 2, describeResponse(count));
    await call('GET', '/api/v1/images/count?favorite=maybe', { cookie }); // 400
    const infotext = await call('GET', `/api/v1/images/${img.id}/infotext`, { cookie });
    assert.equal(infotext.status, 200, describeResponse(infotext));
    await call('GET', `/api/v1/images/${img.id}`, { cookie });
    await call('PATCH', `/api/v1/images/${img.id}`, { cookie, body: { favorite: true, title: 'Teapot', tags: ['spec'] } });
    await call('PATCH', `/api/v1/images/${img.id}`, { cookie, body: { favorite: 'very' } }); // 400
    const file = await call('GET', `/api/v1/images/${img.id}/file`, { cookie });
    assert.equal(file.status, 200, describeResponse(file));
    await call('HEAD', `/api/v1/images/${img.id}/file`, { cookie });
    await call('GET', `/api/v1/images/${img.id}/file`, { cookie, headers: { range: 'bytes=0-99' } }); // 206
    await call('GET', `/api/v1/images/${img.id}/file`, { cookie, headers: { 'if-none-match': file.headers.get('etag') } }); // 304
    await call('GET', `/api/v1/images/${img.id}/file`, { cookie, headers: { range: `bytes=${file.body.length + 10}-${file.body.length + 20}` } }); // 416
    await call('GET', `/api/v1/images/${img.id}/thumbnail`, { cookie });
    await call('GET', `/api/v1/images/${img.id}/thumbnail?size=512`, { cookie });
    await call('GET', `/api/v1/images/${img.id}/thumbnail?size=100`, { cookie }); // 400
    const picture = new FormData();
    picture.append('file', new Blob([solidPng(40, 30, [200, 120, 40])]), 'picture.png');
    await call('POST', '/api/v1/images', { cookie, body: picture, raw: true }); // 201
    await call('POST', '/api/v1/images', { cookie, body: 'not a picture', raw: true, headers: { 'content-type': 'image/png' } }); // 400
    await call('POST', '/api/v1/images', { cookie, body: 'hello', raw: true, headers: { 'content-type': 'text/plain' } }); // 415
    const edit = new FormData();
    edit.append('image', new Blob([solidPng(64, 64, [20, 40, 60])]), 'picture.png');
    edit.append('prompt', 'a teapot');
    edit.append('model', 'procedural');
    await call('POST', '/v1/images/edits', { cookie, body: edit, raw: true }); // 200
    await call('POST', '/v1/images/edits', { cookie, body: 'x', raw: true, headers: { 'content-type': 'image/png' } }); // 415
    const variation = new FormData();
    variation.append('image', new Blob([solidPng(64, 64, [20, 40, 60])]), 'picture.png');
    variation.append('model', 'procedural');
    await call('POST', '/v1/images/variations', { cookie, body: variation, raw: true }); // 200
    await call('POST', '/v1/images/variations', { cookie, body: new FormData(), raw: true }); // 400
    await call('DELETE', `/api/v1/images/${doomed.id}`, { cookie }); // 204
    await call('GET', `/api/v1/images/${doomed.id}`, { cookie }); // 404
    await call('GET', `/api/v1/images/${doomed.id}/file`, { cookie }); // 404

    // The OpenAI-compatible endpoint (after the gallery checks above: it adds an image).
    const openaiModels = await call('GET', '/v1/models', { token });
    assert.equal(openaiModels.status, 200, describeResponse(openaiModels));
    const openaiImages = await call('POST', '/v1/images/generations', { token, body: { model: 'procedural', prompt: 'a spec-shaped kettle', size: '64x64' } });
    assert.equal(openaiImages.status, 200, describeResponse(openaiImages));
    await call('POST', '/v1/images/generations', { token, body: { model: 'procedural', prompt: 'x', response_format: 'url', size: '64x64' } });
    await call('POST', '/v1/images/generations', { token, body: { prompt: 'x', size: 'big' } }); // 400

    // The model library (administrators only; to others it does not exist).
    const adminLogin = await call('POST', '/api/v1/auth/login', { body: { email: adminEmail, password: DEFAULT_PASSWORD } });
    const admin = sessionCookieFrom(adminLogin);
    await call('GET', '/api/v1/admin/models', { cookie }); // 404: not an administrator
    const library = await call('GET', '/api/v1/admin/models', { cookie: admin });
    assert.equal(library.status, hasEngine ? 200 : 404, describeResponse(library));
    if (hasEngine) {
      const source = `${TEST_OWNER}/tiny-sd2`;
      const pull = await call('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source, variant: 'auto' } });
      assert.equal(pull.status, 202, describeResponse(pull));
      await call('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: 'not a repository' } }); // 400
      await events(`/api/v1/admin/models/pulls/${pull.json.id}/events`, admin, () => 'ModelPull');
      const pulled = await call('GET', `/api/v1/admin/models/pulls/${pull.json.id}`, { cookie: admin });
      assert.equal(pulled.json.status, 'succeeded', describeResponse(pulled));
      await call('POST', `/api/v1/admin/models/pulls/${pull.json.id}/cancel`, { cookie: admin }); // final: unchanged
      await call('GET', '/api/v1/admin/models/pulls/nope', { cookie: admin }); // 404
      await call('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source } }); // 409: installed
      await call('GET', '/api/v1/admin/models', { cookie: admin });
      await call('DELETE', '/api/v1/admin/models/tiny-sd2', { cookie: admin }); // 204
      await call('DELETE', '/api/v1/admin/models/tiny-sd2', { cookie: admin }); // 404
    }

    // Invitations (administrators only) and the registration mode.
    await call('GET', '/api/v1/auth/config');
    await call('GET', '/api/v1/admin/invitations', { cookie }); // 404: not an administrator
    const invitation = await call('POST', '/api/v1/admin/invitations', { cookie: admin });
    assert.equal(invitation.status, 201, describeResponse(invitation));
    await call('GET', '/api/v1/admin/invitations', { cookie: admin });
    await call('DELETE', `/api/v1/admin/invitations/${invitation.json.id}`, { cookie: admin }); // 204
    await call('DELETE', `/api/v1/admin/invitations/${invitation.json.id}`, { cookie: admin }); // 404

    // The account's own life: password change, signing out everywhere, deletion (a throw-away user).
    const leaverEmail = uniqueEmail('openapi-leaver');
    const leaver = sessionCookieFrom(await call('POST', '/api/v1/auth/register', { body: { email: leaverEmail, password: DEFAULT_PASSWORD } }));
    await call('POST', '/api/v1/auth/password', { cookie: leaver, body: { current_password: 'wrong password', new_password: 'another secret' } }); // 400: the current password is wrong
    await call('POST', '/api/v1/auth/password', { cookie: leaver, body: { current_password: DEFAULT_PASSWORD } }); // 400
    const changed = await call('POST', '/api/v1/auth/password', { cookie: leaver, body: { current_password: DEFAULT_PASSWORD, new_password: 'another secret' } });
    assert.equal(changed.status, 204, describeResponse(changed));
    await call('POST', '/api/v1/auth/logout-everywhere', { cookie: leaver }); // 204
    await call('POST', '/api/v1/auth/logout-everywhere', { cookie: leaver }); // 401
    const back = sessionCookieFrom(await call('POST', '/api/v1/auth/login', { body: { email: leaverEmail, password: 'another secret' } }));
    await call('POST', '/api/v1/auth/delete-account', { cookie: back, body: { password: DEFAULT_PASSWORD } }); // 400: the password is wrong
    const deleted = await call('POST', '/api/v1/auth/delete-account', { cookie: back, body: { password: 'another secret' } });
    assert.equal(deleted.status, 204, describeResponse(deleted));

    // Usage and limits; the administrators' users (to others they do not exist).
    await call('GET', '/api/v1/me/usage', { cookie });
    await call('GET', '/api/v1/admin/users', { cookie }); // 404: not an administrator
    const users = await call('GET', '/api/v1/admin/users?limit=2', { cookie: admin });
    assert.equal(users.status, 200, describeResponse(users));
    const someone = users.json.items[0].id;
    await call('GET', `/api/v1/admin/users/${someone}`, { cookie: admin });
    await call('GET', '/api/v1/admin/users/nobody', { cookie: admin }); // 404
    await call('PATCH', `/api/v1/admin/users/${someone}`, { cookie: admin, body: { limits: { jobs_in_flight: 0 } } }); // 400
    const throttled = sessionCookieFrom(await call('POST', '/api/v1/auth/register', { body: { email: uniqueEmail('openapi-limits'), password: DEFAULT_PASSWORD } }));
    const throttledId = (await call('GET', '/api/v1/auth/me', { cookie: throttled })).json.user.id;
    const patched = await call('PATCH', `/api/v1/admin/users/${throttledId}`, { cookie: admin, body: { limits: { images_per_day: 1, request_burst: 2, requests_per_minute: 1 } } });
    assert.equal(patched.status, 200, describeResponse(patched));
    // Images per day rather than jobs in flight: the workers may have finished the first job already.
    await call('POST', '/api/v1/generations', { cookie: throttled, body: { prompt: 'one', width: 64, height: 64 } });
    const overQuota = await call('POST', '/api/v1/generations', { cookie: throttled, body: { prompt: 'two', width: 64, height: 64 } });
    assert.equal(overQuota.status, 429, describeResponse(overQuota));
    const overRate = await call('GET', '/api/v1/me/usage', { cookie: throttled });
    assert.equal(overRate.status, 429, describeResponse(overRate));

    // The stream of all of the user's jobs stays open: its snapshot and one job's events, then
    // the client leaves.
    const all = await openEvents(server, cookie, '/api/v1/generations/events');
    const streamed = await call('POST', '/api/v1/generations', { cookie, body: { prompt: 'a streamed teapot', width: 128, height: 128 } });
    await all.next((ev) => ev.event === 'status' && ev.data.id === streamed.json.id && ev.data.status === 'succeeded', 60_000);
    all.close();
    record('GET', '/api/v1/generations/events', all);
    const allSchemas = { snapshot: 'GenerationSnapshot', status: 'Generation', progress: 'ProgressEvent', queue: 'QueuePositions' };
    for (const ev of all.events) {
      const err = validator.validateSchema(allSchemas[ev.event], ev.data);
      if (err) problems.push(`GET /api/v1/generations/events: event ${ev.event} data does not match ${allSchemas[ev.event]}: ${err}`);
    }
    record('GET', '/api/v1/generations/events', await openEvents(server, null, '/api/v1/generations/events')); // 401

    // Metrics, after some traffic.
    const metrics = await call('GET', '/metrics');
    assert.equal(metrics.status, 200);
    for (const name of ['http_requests_total', 'http_request_duration_seconds', 'rendermart_queue_depth',
      'rendermart_job_duration_seconds', 'rendermart_images_generated_total']) {
      assert.match(metrics.text, new RegExp(`^${name}(_bucket|_sum|_count)?(\\{[^}]*\\})? `, 'm'), `metric ${name} has a sample`);
    }
    assert.match(metrics.text, /^rendermart_job_duration_seconds(_bucket|_sum|_count)?\{[^}]*model="procedural"/m, 'job duration labelled by model');
    assert.match(metrics.text, /rendermart_job_failures_total/, 'rendermart_job_failures_total is exposed (at least its HELP/TYPE)');

    // Logout last (a spare session).
    await call('POST', '/api/v1/auth/logout', { cookie: spareSession });

    assert.deepEqual(problems, [], `answers that disagree with the spec:\n  ${problems.join('\n  ')}`);
    const unserved = [];
    for (const op of OPS) {
      if (!hasEngine && op.path.startsWith('/api/v1/admin/models')) continue;
      const statuses = seen.get(`${op.method} ${op.path}`);
      if (!statuses) unserved.push(`${op.method} ${op.path}: never exercised`);
      else if (![...statuses].some((s) => s !== 404 && s !== 405)) unserved.push(`${op.method} ${op.path}: only ${[...statuses]}`);
    }
    assert.deepEqual(unserved, [], 'every operation in the spec is served (not 404/405 with real ids)');
  });

  test('methods the spec does not list answer 405 with Allow; unknown paths 404', { timeout: 60_000 }, async (t) => {
    if (!ids.image || !ids.generation || !ids.key) { t.skip('the previous test failed'); return; }
    const wrong = [];
    for (const template of Object.keys(spec.paths)) {
      const urlPath = template
        .replace('/keys/{id}', `/keys/${ids.key}`)
        .replace('/images/{id}', `/images/${ids.image}`)
        .replace('/generations/{id}', `/generations/${ids.generation}`);
      // A concrete path may match several templates (/admin/models/pulls is also a model name).
      const declared = PROBE_METHODS.filter((m) => matchingPaths(spec, urlPath).some((t) => spec.paths[t][m.toLowerCase()]));
      for (const method of PROBE_METHODS.filter((m) => !declared.includes(m))) {
        const res = await server.api(method, urlPath, { cookie, body: ['POST', 'PUT', 'PATCH'].includes(method) ? {} : undefined });
        const allow = (res.headers.get('allow') ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
        if (res.status !== 405) wrong.push(`${method} ${template}: ${describeResponse(res)}`);
        else if (res.json?.error?.code !== 'method_not_allowed') wrong.push(`${method} ${template}: 405 without error code method_not_allowed: ${res.text.slice(0, 200)}`);
        else if (!declared.every((m) => allow.includes(m))) wrong.push(`${method} ${template}: Allow "${res.headers.get('allow')}" lacks some of ${declared}`);
        else if (allow.some((m) => PROBE_METHODS.includes(m) && !declared.includes(m))) wrong.push(`${method} ${template}: Allow "${res.headers.get('allow')}" lists methods the spec does not`);
        else {
          const err = validator.validateSchema('Error', res.json);
          if (err) wrong.push(`${method} ${template}: 405 body: ${err}`);
        }
      }
    }
    for (const urlPath of ['/api/v1/does-not-exist', '/api/v1/images/' + ids.image + '/nope', `/api/v1/generations/${ids.generation}/events/x`,
      '/api/v1/me', '/api/v1/keys/a/b', '/api/v1/modelz']) {
      assert.equal(matchPath(spec, urlPath), null, `${urlPath} must not be in the spec`);
      const res = await server.api('GET', urlPath, { cookie });
      if (res.status !== 404) wrong.push(`GET ${urlPath}: expected 404, got ${describeResponse(res)}`);
      else if (validator.validateSchema('Error', res.json) || res.json.error.code !== 'not_found') wrong.push(`GET ${urlPath}: 404 body ${res.text.slice(0, 200)}`);
    }
    assert.deepEqual(wrong, [], `the server disagrees with the spec:\n  ${wrong.join('\n  ')}`);
  });

  test('operations that require credentials answer 401 without them', { timeout: 60_000 }, async (t) => {
    if (!ids.image || !ids.generation || !ids.key) { t.skip('an earlier test failed'); return; }
    const wrong = [];
    for (const op of OPS) {
      const security = op.op.security ?? spec.security ?? [];
      const optional = security.length === 0 || security.some((s) => Object.keys(s).length === 0);
      if (optional || op.method === 'HEAD') continue;
      const urlPath = op.path
        .replace('/keys/{id}', `/keys/${ids.key}`)
        .replace('/images/{id}', `/images/${ids.image}`)
        .replace('/generations/{id}', `/generations/${ids.generation}`);
      const res = await server.api(op.method, urlPath, { body: ['POST', 'PUT', 'PATCH'].includes(op.method) ? {} : undefined });
      if (res.status !== 401 || res.json?.error?.code !== 'unauthenticated') wrong.push(`${op.method} ${op.path}: ${describeResponse(res)}`);
      else {
        const problemsHere = validator.checkResponse(op.method, op.path, res);
        if (problemsHere.length) wrong.push(`${op.method} ${op.path}: ${problemsHere.join('; ')}`);
      }
    }
    assert.deepEqual(wrong, [], `operations that need credentials but did not answer 401:\n  ${wrong.join('\n  ')}`);
    expectStatus(await server.api('GET', `/api/v1/images/${ids.image}`, { cookie }), 200, 'the image is still there');
  });
});
