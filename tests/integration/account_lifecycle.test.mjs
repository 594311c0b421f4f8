// What users can do to their own account, through the real binary on both backends: change the
// password (needs the current one; the other sessions end, this one and the API keys stay), sign
// out everywhere (every session ends, this one too; API keys stay), delete the account (needs the
// password; its rows and stored files all go, other users' stay); expired sessions are purged;
// the data folder is created 0700 and the database files 0600.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';

import {
  DEFAULT_PASSWORD, Server, createGeneration, expectError, expectStatus, makeTempDir, registerUser,
  sessionCookieFrom, startServer, uniqueEmail, waitFor,
} from './lib/server.mjs';
import { BACKEND, sqlRows, storedKeys } from './lib/backends.mjs';

const SMALL = { prompt: 'a lighthouse in fog', width: 64, height: 64, steps: 1, count: 2 };

// The tables that hold a user's rows, with the column naming the user.
const USER_TABLES = [
  ['users', 'id'], ['sessions', 'user_id'], ['api_keys', 'user_id'], ['preferences', 'user_id'],
  ['jobs', 'user_id'], ['images', 'user_id'], ['invitations', 'created_by'],
];

async function rowsOf(server, userId) {
  const counts = {};
  for (const [table, column] of USER_TABLES) {
    counts[table] = Number((await sqlRows(server.dataDir, `SELECT COUNT(*) FROM ${table} WHERE ${column} = '${userId}'`))[0][0]);
  }
  return counts;
}

async function login(server, email, password = DEFAULT_PASSWORD) {
  return server.api('POST', '/api/v1/auth/login', { body: { email, password } });
}

describe('account lifecycle', { timeout: 240_000 }, () => {
  let server;
  before(async () => { server = await startServer({ name: 'accounts' }); }, { timeout: 60_000 });
  after(async () => { await server?.stop(); });

  test('changing the password needs the current one and ends the other sessions only', { timeout: 30_000 }, async () => {
    const email = uniqueEmail('change');
    const { cookie: here } = await registerUser(server, email);
    const elsewhere = sessionCookieFrom(expectStatus(await login(server, email), 200));
    const key = expectStatus(await server.api('POST', '/api/v1/keys', { cookie: here, body: { name: 'script' } }), 201).json;

    const change = (body) => server.api('POST', '/api/v1/auth/password', { cookie: here, body });
    expectError(await change({ current_password: 'not my password', new_password: 'a brand new secret' }),
      400, 'invalid_argument', 'current_password');
    expectError(await change({ current_password: DEFAULT_PASSWORD, new_password: 'short' }), 400, 'invalid_argument', 'new_password');
    expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie: elsewhere }), 200, 'nothing changed yet');

    expectStatus(await change({ current_password: DEFAULT_PASSWORD, new_password: 'a brand new secret' }), 204);
    expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie: here }), 200, 'this session stays');
    expectError(await server.api('GET', '/api/v1/auth/me', { cookie: elsewhere }), 401, 'unauthenticated', undefined, 'the other one ended');
    expectStatus(await server.api('GET', '/api/v1/auth/me', { token: key.secret }), 200, 'API keys stay');
    expectError(await login(server, email), 401, 'unauthenticated', undefined, 'the old password');
    expectStatus(await login(server, email, 'a brand new secret'), 200, 'the new password');
    expectError(await server.api('POST', '/api/v1/auth/password', { body: { current_password: 'x', new_password: 'yyyyyyyyyy' } }),
      401, 'unauthenticated', undefined, 'signed out');
  });

  test('signing out everywhere ends every session, this one too; API keys stay', { timeout: 30_000 }, async () => {
    const email = uniqueEmail('everywhere');
    const { cookie: here } = await registerUser(server, email);
    const elsewhere = sessionCookieFrom(expectStatus(await login(server, email), 200));
    const bystander = (await registerUser(server, uniqueEmail('bystander'))).cookie;
    const key = expectStatus(await server.api('POST', '/api/v1/keys', { cookie: here, body: { name: 'script' } }), 201).json;

    const res = expectStatus(await server.api('POST', '/api/v1/auth/logout-everywhere', { cookie: here }), 204);
    assert.ok(res.headers.getSetCookie().some((c) => /^rm_session=;.*Max-Age=0/i.test(c)), 'the cookie is cleared');
    expectError(await server.api('GET', '/api/v1/auth/me', { cookie: here }), 401, 'unauthenticated');
    expectError(await server.api('GET', '/api/v1/auth/me', { cookie: elsewhere }), 401, 'unauthenticated');
    expectStatus(await server.api('GET', '/api/v1/auth/me', { token: key.secret }), 200, 'the API key still works');
    expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie: bystander }), 200, 'other users stay signed in');
    expectStatus(await login(server, email), 200, 'signing in again works');
  });

  test('deleting the account needs the password and leaves no row and no file of it', { timeout: 120_000 }, async () => {
    const email = uniqueEmail('leaver');
    const { cookie, user } = await registerUser(server, email);
    const other = await registerUser(server, uniqueEmail('stayer'));
    const keysBefore = await storedKeys(server.dataDir);

    for (const who of [cookie, other.cookie]) {
      const job = await createGeneration(server, { cookie: who }, SMALL);
      expectStatus(await server.api('POST', '/api/v1/keys', { cookie: who, body: { name: 'k' } }), 201);
      await waitFor(server, { cookie: who }, job.id, ['succeeded']);
    }
    expectStatus(await server.api('PUT', '/api/v1/me/preferences', { cookie, body: { theme: 'dark' } }), 200);
    const keysWith = await storedKeys(server.dataDir);
    assert.ok(keysWith.length >= keysBefore.length + 2 * 2, 'both users have files');
    const counts = await rowsOf(server, user.id);
    assert.ok(counts.users === 1 && counts.sessions >= 1 && counts.api_keys === 1 && counts.preferences === 1
      && counts.jobs === 1 && counts.images === 2, JSON.stringify(counts));

    expectError(await server.api('POST', '/api/v1/auth/delete-account', { cookie, body: { password: 'not my password' } }),
      400, 'invalid_argument', 'password');
    const res = expectStatus(await server.api('POST', '/api/v1/auth/delete-account', { cookie, body: { password: DEFAULT_PASSWORD } }), 204);
    assert.ok(res.headers.getSetCookie().some((c) => /^rm_session=;/.test(c)), 'the cookie is cleared');

    assert.deepEqual(await rowsOf(server, user.id),
      Object.fromEntries(USER_TABLES.map(([table]) => [table, 0])), 'no row of the user is left');
    // Files live under images/<user id>/: the leaver's are gone, the other user's all remain.
    const keysAfter = await storedKeys(server.dataDir);
    assert.deepEqual(keysAfter.filter((key) => key.includes(user.id)), [], 'no file of the user is left');
    assert.deepEqual(keysAfter, keysWith.filter((key) => !key.includes(user.id)), 'every other file remains');
    assert.ok(keysAfter.filter((key) => key.includes(other.user.id)).length >= 2, 'the other user\'s files');
    expectError(await login(server, email), 401, 'unauthenticated', undefined, 'the account is gone');
    assert.equal(expectStatus(await server.api('GET', '/api/v1/images', { cookie: other.cookie }), 200).json.items.length, 2);
  });

  test('expired sessions are purged when someone signs in', { timeout: 30_000 }, async () => {
    const email = uniqueEmail('stale');
    const { user } = await registerUser(server, email);
    await sqlRows(server.dataDir, `INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ('expired-${user.id}', '${user.id}', 1000)`);
    assert.equal((await sqlRows(server.dataDir, `SELECT COUNT(*) FROM sessions WHERE token_hash = 'expired-${user.id}'`))[0][0], '1');
    expectStatus(await login(server, email), 200);
    assert.equal((await sqlRows(server.dataDir, `SELECT COUNT(*) FROM sessions WHERE token_hash = 'expired-${user.id}'`))[0][0], '0');
  });
});

describe('file modes', { timeout: 60_000, skip: BACKEND !== 'sqlite-files' && 'SQLite and files only' }, () => {
  test('the data folder is created 0700, the database and its -wal and -shm files 0600', { timeout: 60_000 }, async () => {
    const parent = makeTempDir('modes');
    const dataDir = path.join(parent, 'data');
    const server = new Server({ name: 'modes', dataDir });
    await server.start();
    try {
      await registerUser(server, uniqueEmail('modes'));
      const mode = (p) => (fs.statSync(p).mode & 0o777).toString(8);
      assert.equal(mode(dataDir), '700');
      assert.equal(mode(path.join(dataDir, 'blobs')), '700');
      for (const file of ['rendermart.db', 'rendermart.db-wal', 'rendermart.db-shm']) {
        assert.equal(mode(path.join(dataDir, file)), '600', file);
      }
    } finally {
      await server.stop();
    }
  });
});
