// `rendermart lambda` driven through a local Lambda runtime API with API Gateway events of both
// payload versions: status, headers, multi-value headers, cookies, base64 bodies both ways, stage
// prefixes, an auth round trip, a generation run to completion inside the invocation, the
// deadline, and errors for malformed events and a failed start.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { after, before, describe, test } from 'node:test';

import { backendEnv } from './lib/backends.mjs';
import { CORE, bedrockEnv, startLocalBedrock } from './lib/bedrock.mjs';
import { LambdaRuntimeApi, httpApiEvent, restApiEvent } from './lib/lambda_runtime.mjs';
import { isPng, isWebp, parsePng } from './lib/media.mjs';
import { BIN, DEFAULT_PASSWORD, assertBinary, makeTempDir, uniqueEmail } from './lib/server.mjs';

function lambdaEnv(runtime, overrides) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('RENDERMART_')) env[k] = v;
  return { ...env, AWS_LAMBDA_RUNTIME_API: runtime.endpoint, RENDERMART_LOG_LEVEL: 'warn', ...overrides };
}

function startLambda(runtime, overrides) {
  const child = spawn(BIN, ['lambda'], { env: lambdaEnv(runtime, overrides), stdio: ['ignore', 'pipe', 'pipe'] });
  child.output = '';
  child.stdout.on('data', (d) => { child.output += d; });
  child.stderr.on('data', (d) => { child.output += d; });
  child.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  return child;
}

const json = (answer) => JSON.parse(answer.json.body);

// Signs a new user up through the function; returns the session cookie ("rm_session=...").
async function signUp(runtime, tag) {
  const answer = await runtime.invoke(httpApiEvent('POST', '/api/v1/auth/register', {
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email: uniqueEmail(tag), password: DEFAULT_PASSWORD }),
  }));
  assert.equal(answer.json.statusCode, 201, answer.json.body);
  return answer.json.cookies[0].split(';')[0];
}

describe('rendermart lambda', () => {
  let runtime;
  let child;
  // A model whose answers the tests can hold back, so that a generation outlasts the deadline.
  let bedrock;

  before(async () => {
    assertBinary();
    runtime = await new LambdaRuntimeApi().start();
    bedrock = await startLocalBedrock();
    const dataDir = makeTempDir('lambda');
    // Only the model the tests use: the stand-in lists Titan and Nova Canvas as past their end of
    // life, and naming a retired model stops the runtime at start.
    child = startLambda(runtime, {
      RENDERMART_DATA_DIR: dataDir, ...(await backendEnv(dataDir)), ...bedrockEnv(bedrock, { RENDERMART_BEDROCK_MODELS: CORE }),
    });
  });

  after(async () => {
    child.kill('SIGKILL');
    await child.exited;
    await runtime.stop();
    await bedrock.stop();
  });

  test('answers payload 2.0 and 1.0 events through the API routes', async () => {
    const v2 = await runtime.invoke(httpApiEvent('GET', '/healthz'));
    assert.equal(v2.kind, 'response', child.output);
    assert.equal(v2.json.statusCode, 200);
    assert.equal(v2.json.isBase64Encoded, false);
    assert.ok(v2.json.headers['X-Request-Id']);

    const staged = await runtime.invoke(httpApiEvent('GET', '/api/v1/models', { stage: 'prod' }));
    assert.equal(staged.json.statusCode, 200, staged.json.body);
    assert.ok(json(staged).items.some((m) => m.id === 'procedural'));

    const rest = await runtime.invoke(restApiEvent('GET', '/api/v1/models'));
    assert.equal(rest.json.statusCode, 200);
    assert.deepEqual(rest.json.multiValueHeaders['Content-Type'], ['application/json']);

    const missing = await runtime.invoke(httpApiEvent('GET', '/api/v1/nothing-here'));
    assert.equal(missing.json.statusCode, 404);
    assert.equal(json(missing).error.code, 'not_found');
  });

  test('signs up, signs in and keeps the session through cookies in both formats', async () => {
    const email = uniqueEmail('lambda');
    const register = await runtime.invoke(httpApiEvent('POST', '/api/v1/auth/register', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email, password: DEFAULT_PASSWORD }),
      base64: true,
    }));
    assert.equal(register.json.statusCode, 201, register.json.body);
    assert.equal(register.json.cookies.length, 1);
    assert.match(register.json.cookies[0], /^rm_session=[^;]+;.*HttpOnly/);
    assert.equal(register.json.headers['Set-Cookie'], undefined);
    const session = register.json.cookies[0].split(';')[0];

    const me = await runtime.invoke(httpApiEvent('GET', '/api/v1/auth/me', { cookies: [session, 'theme=dark'] }));
    assert.equal(me.json.statusCode, 200, me.json.body);
    assert.equal(json(me).user.email, email);

    const anonymous = await runtime.invoke(httpApiEvent('GET', '/api/v1/auth/me'));
    assert.equal(anonymous.json.statusCode, 401);

    const login = await runtime.invoke(restApiEvent('POST', '/api/v1/auth/login', {
      multiHeaders: { 'Content-Type': ['application/json'] },
      body: JSON.stringify({ email, password: DEFAULT_PASSWORD }),
    }));
    assert.equal(login.json.statusCode, 200, login.json.body);
    const setCookies = login.json.multiValueHeaders['Set-Cookie'];
    assert.equal(setCookies.length, 1);
    const restSession = setCookies[0].split(';')[0];
    const restMe = await runtime.invoke(restApiEvent('GET', '/api/v1/auth/me', {
      multiHeaders: { Cookie: [restSession] },
    }));
    assert.equal(restMe.json.statusCode, 200, restMe.json.body);
    assert.equal(json(restMe).user.email, email);
  });

  test('runs a generation to the end inside the invocation and serves its files as base64', async () => {
    const session = await signUp(runtime, 'lambda-gen');

    const created = await runtime.invoke(httpApiEvent('POST', '/api/v1/generations', {
      headers: { 'content-type': 'application/json' },
      cookies: [session],
      body: JSON.stringify({ prompt: 'a red fox at sunset over mountains', seed: 7, width: 256, height: 192, count: 2 }),
    }));
    assert.equal(created.json.statusCode, 200, created.json.body);
    const job = json(created);
    assert.equal(job.status, 'succeeded');
    assert.equal(job.images.length, 2);
    assert.equal(created.json.headers.Location, `/api/v1/generations/${job.id}`);

    // The PNG through a REST API: binary, so base64 with isBase64Encoded.
    const file = await runtime.invoke(restApiEvent('GET', job.images[0].file_url, {
      multiHeaders: { Cookie: [session] },
    }));
    assert.equal(file.json.statusCode, 200);
    assert.equal(file.json.isBase64Encoded, true);
    assert.deepEqual(file.json.multiValueHeaders['Content-Type'], ['image/png']);
    const png = Buffer.from(file.json.body, 'base64');
    assert.ok(isPng(png));
    assert.equal(parsePng(png).width, 256);

    const thumbnail = await runtime.invoke(httpApiEvent('GET', `/api/v1/images/${job.images[1].id}/thumbnail`, {
      cookies: [session], query: 'size=256',
    }));
    assert.equal(thumbnail.json.statusCode, 200, thumbnail.json.body);
    assert.equal(thumbnail.json.isBase64Encoded, true);
    assert.ok(isWebp(Buffer.from(thumbnail.json.body, 'base64')));

    // Query strings in both formats: repeated values in 1.0, the raw string in 2.0.
    const page = await runtime.invoke(restApiEvent('GET', '/api/v1/images', {
      multiHeaders: { Cookie: [session] }, query: { limit: ['1'] },
    }));
    assert.equal(page.json.statusCode, 200, page.json.body);
    assert.equal(json(page).items.length, 1);
    assert.ok(json(page).next_cursor);

    // The event stream of a finished job arrives whole.
    const events = await runtime.invoke(httpApiEvent('GET', `/api/v1/generations/${job.id}/events`, { cookies: [session] }));
    assert.equal(events.json.statusCode, 200);
    assert.equal(events.json.headers['Content-Type'], 'text/event-stream');
    assert.match(events.json.body, /event: ?done/);

    // Another user sees nothing of it.
    const otherSession = await signUp(runtime, 'lambda-other');
    const foreign = await runtime.invoke(httpApiEvent('GET', `/api/v1/generations/${job.id}`, { cookies: [otherSession] }));
    assert.equal(foreign.json.statusCode, 404);
  });

  test('answers the OpenAI-compatible endpoint once its job has run inside the invocation', async () => {
    const session = await signUp(runtime, 'lambda-openai');
    const key = await runtime.invoke(httpApiEvent('POST', '/api/v1/keys', {
      headers: { 'content-type': 'application/json' }, cookies: [session],
      body: JSON.stringify({ name: 'lambda' }),
    }));
    assert.equal(key.json.statusCode, 201, key.json.body);
    const bearer = `Bearer ${json(key).secret}`;

    const answer = await runtime.invoke(httpApiEvent('POST', '/v1/images/generations', {
      headers: { 'content-type': 'application/json', authorization: bearer },
      body: JSON.stringify({ model: 'procedural', prompt: 'a lighthouse on a cliff', n: 1, size: '256x192', response_format: 'b64_json' }),
    }));
    assert.equal(answer.json.statusCode, 200, answer.json.body);
    const png = Buffer.from(json(answer).data[0].b64_json, 'base64');
    assert.ok(isPng(png));
    assert.equal(parsePng(png).width, 256);

    await bedrock.command({ delay_ms: 30_000, count: 1 });
    const late = await runtime.invoke(httpApiEvent('POST', '/v1/images/generations', {
      headers: { 'content-type': 'application/json', authorization: bearer },
      body: JSON.stringify({ model: CORE, prompt: 'a sunrise that takes all day' }),
    }), { deadlineMs: Date.now() + 3300 });
    assert.equal(late.json.statusCode, 503, late.json.body);
    assert.match(json(late).error.message, /could not finish before this function's deadline and was canceled/);
    assert.equal(json(late).error.type, 'server_error', 'an error in OpenAI\'s shape');
    const list = await runtime.invoke(httpApiEvent('GET', '/api/v1/generations', { cookies: [session] }));
    assert.deepEqual(json(list).items.map((job) => job.status), ['canceled', 'succeeded']);
  });

  test('refuses cookie-signed-in changes from other origins through API Gateway, as the server does', async () => {
    const session = await signUp(runtime, 'lambda-csrf');
    const body = JSON.stringify({ prompt: 'forged', seed: 1 });
    const forged = await runtime.invoke(httpApiEvent('POST', '/api/v1/generations', {
      headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, cookies: [session], body,
    }));
    assert.equal(forged.json.statusCode, 403, forged.json.body);
    assert.equal(json(forged).error.code, 'cross_site_request');
    assert.equal(forged.json.headers['X-Content-Type-Options'], 'nosniff');
    const bare = await runtime.invoke(httpApiEvent('POST', '/api/v1/generations', {
      headers: { 'content-type': 'text/plain', origin: null }, cookies: [session], body,
    }));
    assert.equal(bare.json.statusCode, 403, bare.json.body);
    const list = await runtime.invoke(httpApiEvent('GET', '/api/v1/generations', { cookies: [session] }));
    assert.equal(list.json.headers['Cache-Control'], 'no-store');
    assert.deepEqual(json(list).items, [], 'nothing was created');
  });

  test('refuses a generation it has no time for, and creates no job', async () => {
    const session = await signUp(runtime, 'lambda-late');
    const late = await runtime.invoke(httpApiEvent('POST', '/api/v1/generations', {
      headers: { 'content-type': 'application/json' }, cookies: [session],
      body: JSON.stringify({ prompt: 'too late', seed: 1 }),
    }), { deadlineMs: Date.now() + 1500 });
    assert.equal(late.json.statusCode, 503, late.json.body);
    assert.equal(json(late).error.code, 'unavailable');
    assert.match(json(late).error.message, /timeout/);
    const list = await runtime.invoke(httpApiEvent('GET', '/api/v1/generations', { cookies: [session] }));
    assert.deepEqual(json(list).items, []);
  });

  test('cancels a generation that cannot finish before the deadline, and says so', async () => {
    const session = await signUp(runtime, 'lambda-deadline');
    // The model answers in 30 s; the function has about 2.3 s for it.
    await bedrock.command({ delay_ms: 30_000, count: 1 });
    const late = await runtime.invoke(httpApiEvent('POST', '/api/v1/generations', {
      headers: { 'content-type': 'application/json' }, cookies: [session],
      body: JSON.stringify({ model: CORE, prompt: 'a sunrise that takes all day', seed: 3 }),
    }), { deadlineMs: Date.now() + 3300 });
    assert.equal(late.json.statusCode, 503, late.json.body);
    assert.match(json(late).error.message, /could not finish before this function's deadline and was canceled/);
    const list = await runtime.invoke(httpApiEvent('GET', '/api/v1/generations', { cookies: [session] }));
    assert.equal(json(list).items.length, 1);
    assert.equal(json(list).items[0].status, 'canceled');
    assert.deepEqual(json(list).items[0].images, []);
    assert.equal(late.json.headers.Location, `/api/v1/generations/${json(list).items[0].id}`);
  });

  test('answers malformed requests with errors and fails events that are no API Gateway events', async () => {
    const badBody = await runtime.invoke({ ...httpApiEvent('POST', '/api/v1/auth/login'), body: '***', isBase64Encoded: true });
    assert.equal(badBody.kind, 'response');
    assert.equal(badBody.json.statusCode, 400);
    assert.equal(json(badBody).error.code, 'invalid_argument');

    const notJson = await runtime.invoke('this is not json');
    assert.equal(notJson.kind, 'error');
    assert.equal(notJson.json.errorType, 'InvalidEvent');
    assert.equal(notJson.headers['lambda-runtime-function-error-type'], 'InvalidEvent');

    const sqs = await runtime.invoke({ Records: [{ eventSource: 'aws:sqs', body: 'x' }] });
    assert.equal(sqs.kind, 'error');
    assert.match(sqs.json.errorMessage, /not an API Gateway proxy event/);

    // The runtime is still serving after those.
    const health = await runtime.invoke(httpApiEvent('GET', '/healthz'));
    assert.equal(health.json.statusCode, 200);
  });
});

test('a runtime that cannot start reports an init error and exits', async () => {
  assertBinary();
  const runtime = await new LambdaRuntimeApi().start();
  try {
    const dataDir = makeTempDir('lambda-init');
    const child = startLambda(runtime, { RENDERMART_DATA_DIR: dataDir, RENDERMART_DEFAULT_MODEL: 'no-such-model' });
    const code = await child.exited;
    assert.equal(code, 1, child.output);
    assert.equal(runtime.initErrors.length, 1);
    assert.equal(runtime.initErrors[0].json.errorType, 'Runtime.InitError');
    assert.match(runtime.initErrors[0].json.errorMessage, /no-such-model/);
  } finally {
    await runtime.stop();
  }
});
