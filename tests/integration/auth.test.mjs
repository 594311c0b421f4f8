// Accounts, sessions, API keys, closed registration, preferences.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DEFAULT_PASSWORD, describeResponse, expectError, expectStatus, registerUser, sessionCookieFrom,
  startServer, uniqueEmail, waitFor,
} from './lib/server.mjs';

describe('accounts and sessions', { timeout: 240_000 }, () => {
  let server;
  before(async () => { server = await startServer({ name: 'auth' }); }, { timeout: 60_000 });
  after(async () => { await server?.stop(); });

  test('register sets a session cookie (HttpOnly, SameSite=Lax, Path=/) and answers the user', { timeout: 20_000 }, async () => {
    const email = uniqueEmail('reg');
    const res = await server.api('POST', '/api/v1/auth/register', { body: { email, password: DEFAULT_PASSWORD } });
    expectStatus(res, 201);
    const { user } = res.json;
    assert.equal(user.email, email);
    assert.equal(typeof user.id, 'string');
    assert.equal(typeof user.is_admin, 'boolean');
    assert.match(user.created_at, /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    assert.equal(res.json.user.password, undefined);
    assert.equal(res.json.user.password_hash, undefined);
    const line = res.headers.getSetCookie().find((c) => c.startsWith('rm_session='));
    assert.ok(line, `Set-Cookie rm_session: ${JSON.stringify(res.headers.getSetCookie())}`);
    const attrs = line.split(';').slice(1).map((a) => a.trim().toLowerCase());
    assert.ok(attrs.includes('httponly'), `HttpOnly in ${line}`);
    assert.ok(attrs.includes('samesite=lax'), `SameSite=Lax in ${line}`);
    assert.ok(attrs.includes('path=/'), `Path=/ in ${line}`);
    assert.ok(line.split(';')[0].length > 'rm_session='.length + 16, 'a long session token');

    const cookie = sessionCookieFrom(res);
    const me = expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie }), 200);
    assert.deepEqual(me.json.user, user);
  });

  test('register validates e-mail and password; a taken e-mail is 409', { timeout: 20_000 }, async () => {
    const email = uniqueEmail('dup');
    await registerUser(server, email);
    expectError(await server.api('POST', '/api/v1/auth/register', { body: { email, password: DEFAULT_PASSWORD } }), 409, 'conflict', 'email');
    expectError(await server.api('POST', '/api/v1/auth/register', { body: { email, password: 'another password' } }), 409, 'conflict', 'email');
    for (const bad of ['not-an-email', '', 'a@', '@example.com']) {
      expectError(await server.api('POST', '/api/v1/auth/register', { body: { email: bad, password: DEFAULT_PASSWORD } }), 400, 'invalid_argument', 'email', `email ${JSON.stringify(bad)}`);
    }
    expectError(await server.api('POST', '/api/v1/auth/register', { body: { email: 42, password: DEFAULT_PASSWORD } }), 400, 'invalid_argument', 'email');
    expectError(await server.api('POST', '/api/v1/auth/register', { body: { password: DEFAULT_PASSWORD } }), 400, 'invalid_argument', 'email');
    for (const bad of ['', 'short77', 'x'.repeat(257)]) {
      expectError(await server.api('POST', '/api/v1/auth/register', { body: { email: uniqueEmail('pw'), password: bad } }), 400, 'invalid_argument', 'password', `password of ${bad.length}`);
    }
    expectError(await server.api('POST', '/api/v1/auth/register', { body: { email: uniqueEmail('pw') } }), 400, 'invalid_argument', 'password');
    // The bounds themselves are allowed.
    await registerUser(server, uniqueEmail('pw8'), '12345678');
    await registerUser(server, uniqueEmail('pw256'), 'p'.repeat(256));
  });

  test('login, me, logout', { timeout: 20_000 }, async () => {
    const email = uniqueEmail('login');
    const { user, cookie: first } = await registerUser(server, email);

    expectError(await server.api('POST', '/api/v1/auth/login', { body: { email, password: 'wrong password!' } }), 401, 'unauthenticated');
    expectError(await server.api('POST', '/api/v1/auth/login', { body: { email: uniqueEmail('nobody'), password: DEFAULT_PASSWORD } }), 401, 'unauthenticated');

    const res = expectStatus(await server.api('POST', '/api/v1/auth/login', { body: { email, password: DEFAULT_PASSWORD } }), 200);
    assert.deepEqual(res.json.user, user);
    const cookie = sessionCookieFrom(res);
    assert.ok(cookie, 'login sets rm_session');
    const line = res.headers.getSetCookie().find((c) => c.startsWith('rm_session='));
    assert.match(line, /;\s*HttpOnly/i);
    assert.match(line, /;\s*SameSite=Lax/i);
    assert.notEqual(cookie, first, 'a new session per login');

    expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie }), 200);
    expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie: first }), 200, 'the registration session still works');

    expectError(await server.api('GET', '/api/v1/auth/me'), 401, 'unauthenticated');
    expectError(await server.api('GET', '/api/v1/auth/me', { cookie: 'rm_session=not-a-session' }), 401, 'unauthenticated');

    const out = await server.api('POST', '/api/v1/auth/logout', { cookie });
    assert.equal(out.status, 204, describeResponse(out));
    const cleared = out.headers.getSetCookie().find((c) => c.startsWith('rm_session='));
    assert.ok(cleared, `logout clears the cookie: ${JSON.stringify(out.headers.getSetCookie())}`);
    assert.ok(/max-age=0\b/i.test(cleared) || /expires=[^;]*19[67]\d/i.test(cleared) || /^rm_session=;/.test(cleared),
      `the cleared cookie expires: ${cleared}`);
    expectError(await server.api('GET', '/api/v1/auth/me', { cookie }), 401, 'unauthenticated', undefined, 'the logged-out session');
    expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie: first }), 200, 'other sessions survive a logout');
  });

  test('API keys: create, list, use via Bearer, revoke', { timeout: 20_000 }, async () => {
    const { cookie, user } = await registerUser(server, uniqueEmail('keys'));
    const created = expectStatus(await server.api('POST', '/api/v1/keys', { cookie, body: { name: 'ci' } }), 201).json;
    assert.equal(created.name, 'ci');
    assert.equal(typeof created.secret, 'string');
    assert.ok(created.secret.length >= 16, 'a long secret');
    assert.ok(created.secret.startsWith(created.prefix), `the prefix ${created.prefix} starts the secret`);
    assert.ok(created.prefix.length < created.secret.length);
    assert.equal(created.last_used_at, null);

    const listed = expectStatus(await server.api('GET', '/api/v1/keys', { cookie }), 200).json;
    const entry = listed.items.find((k) => k.id === created.id);
    assert.ok(entry, 'the key is listed');
    assert.equal(entry.secret, undefined, 'lists never show the secret');
    assert.ok(!JSON.stringify(listed).includes(created.secret), 'the secret appears nowhere in the list');
    assert.equal(entry.prefix, created.prefix);

    const token = created.secret;
    const me = expectStatus(await server.api('GET', '/api/v1/auth/me', { token }), 200, 'Bearer').json;
    assert.equal(me.user.id, user.id);
    const gen = expectStatus(await server.api('POST', '/api/v1/generations', { token, body: { prompt: 'a key-made lighthouse', width: 64, height: 64 } }), 202, 'generation via Bearer').json;
    await waitFor(server, { token }, gen.id, 'succeeded', { timeoutMs: 60_000 });
    const used = expectStatus(await server.api('GET', '/api/v1/keys', { cookie }), 200).json.items.find((k) => k.id === created.id);
    assert.match(used.last_used_at ?? '', /^\d{4}-\d{2}-\d{2}T/, 'last_used_at is set after use');

    expectError(await server.api('GET', '/api/v1/auth/me', { token: `${token}x` }), 401, 'unauthenticated', undefined, 'a wrong secret');
    expectError(await server.api('GET', '/api/v1/auth/me', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } }), 401, 'unauthenticated', undefined, 'Basic auth');

    expectError(await server.api('POST', '/api/v1/keys', { cookie, body: {} }), 400, 'invalid_argument', 'name');
    expectError(await server.api('POST', '/api/v1/keys', { cookie, body: { name: 7 } }), 400, 'invalid_argument', 'name');

    const del = await server.api('DELETE', `/api/v1/keys/${created.id}`, { cookie });
    assert.equal(del.status, 204, describeResponse(del));
    expectError(await server.api('GET', '/api/v1/auth/me', { token }), 401, 'unauthenticated', undefined, 'a revoked key');
    expectError(await server.api('GET', '/api/v1/generations', { token }), 401, 'unauthenticated', undefined, 'a revoked key');
    expectError(await server.api('DELETE', `/api/v1/keys/${created.id}`, { cookie }), 404, 'not_found', undefined, 'deleting twice');
    const after = expectStatus(await server.api('GET', '/api/v1/keys', { cookie }), 200).json;
    assert.ok(!after.items.some((k) => k.id === created.id), 'a revoked key is not listed');
  });

  test('preferences: defaults, update, validation, applied to generations that omit fields', { timeout: 60_000 }, async () => {
    const { cookie } = await registerUser(server, uniqueEmail('prefs'));
    const initial = expectStatus(await server.api('GET', '/api/v1/me/preferences', { cookie }), 200).json;
    assert.deepEqual(Object.keys(initial).sort(), ['height', 'model', 'negative_prompt', 'style', 'theme', 'width']);
    assert.ok(['light', 'dark', 'system'].includes(initial.theme));

    const prefs = { model: 'procedural', style: 'watercolor', width: 640, height: 384, negative_prompt: 'blurry', theme: 'dark' };
    const put = expectStatus(await server.api('PUT', '/api/v1/me/preferences', { cookie, body: prefs }), 200).json;
    assert.deepEqual(put, prefs);
    assert.deepEqual(expectStatus(await server.api('GET', '/api/v1/me/preferences', { cookie }), 200).json, prefs);

    expectError(await server.api('PUT', '/api/v1/me/preferences', { cookie, body: { ...prefs, theme: 'blue' } }), 400, 'invalid_argument', 'theme');
    expectError(await server.api('PUT', '/api/v1/me/preferences', { cookie, body: { ...prefs, width: 'wide' } }), 400, 'invalid_argument', 'width');
    expectError(await server.api('GET', '/api/v1/me/preferences'), 401, 'unauthenticated');

    const gen = expectStatus(await server.api('POST', '/api/v1/generations', { cookie, body: { prompt: 'a quiet harbour' } }), 202).json;
    assert.equal(gen.params.model, 'procedural');
    assert.equal(gen.params.style, 'watercolor', 'style from preferences');
    assert.equal(gen.params.width, 640, 'width from preferences');
    assert.equal(gen.params.height, 384, 'height from preferences');
    assert.equal(gen.params.negative_prompt, 'blurry', 'negative prompt from preferences');
    const done = await waitFor(server, cookie, gen.id, 'succeeded', { timeoutMs: 50_000 });
    assert.equal(done.images[0].width, 640);
    assert.equal(done.images[0].height, 384);
    assert.equal(done.images[0].style, 'watercolor');

    const explicit = expectStatus(await server.api('POST', '/api/v1/generations', {
      cookie, body: { prompt: 'a quiet harbour', style: 'neon', width: 256, height: 256, negative_prompt: '' },
    }), 202).json;
    assert.equal(explicit.params.style, 'neon', 'a request field wins over preferences');
    assert.equal(explicit.params.width, 256);
    assert.equal(explicit.params.height, 256);

    // The other user is unaffected.
    const { cookie: other } = await registerUser(server, uniqueEmail('prefs-other'));
    const theirs = expectStatus(await server.api('GET', '/api/v1/me/preferences', { cookie: other }), 200).json;
    assert.equal(theirs.style, '');
    assert.equal(theirs.width, 0);
  });
});

describe('closed registration', { timeout: 60_000 }, () => {
  let server;
  before(async () => { server = await startServer({ name: 'auth-closed', args: ['--registration', 'closed'] }); }, { timeout: 60_000 });
  after(async () => { await server?.stop(); });

  test('register answers 403 forbidden', { timeout: 10_000 }, async () => {
    const res = await server.api('POST', '/api/v1/auth/register', { body: { email: uniqueEmail('closed'), password: DEFAULT_PASSWORD } });
    expectError(res, 403, 'forbidden');
    assert.equal(sessionCookieFrom(res), null, 'no session cookie');
    expectError(await server.api('POST', '/api/v1/auth/login', { body: { email: uniqueEmail('closed'), password: DEFAULT_PASSWORD } }), 401, 'unauthenticated');
  });
});
