// Sessions across API processes, on both backends: two `rendermart api` processes share one
// database. On PostgreSQL each process remembers signed-in users between requests, and forgets
// them when the database announces a change made by any process (migration 10's triggers); on
// SQLite nothing is remembered. Either way a sign-out, a disabled account or a password change
// made through one process ends the session in the other: what is measured here is how soon.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DEFAULT_PASSWORD, Server, createAdmin, expectError, expectStatus, makeTempDir, registerUser,
  removeTempDir, sessionCookieFrom, sleep, uniqueEmail,
} from './lib/server.mjs';

// How long another process may go on accepting an ended session: the time a notification takes
// to cross from the database, with room for a loaded machine.
const CROSSING_MS = 1_000;

// Asks `server` until it refuses the cookie (bounded); returns how long that took.
async function refusedWithin(server, cookie, limitMs) {
  const started = Date.now();
  for (;;) {
    const res = await server.api('GET', '/api/v1/auth/me', { cookie });
    if (res.status === 401) return Date.now() - started;
    assert.equal(res.status, 200, `GET /api/v1/auth/me: ${res.status}`);
    assert.ok(Date.now() - started < limitMs, `the session still worked ${limitMs} ms after it ended`);
    await sleep(20);
  }
}

describe('sessions across API processes', { timeout: 180_000 }, () => {
  let dataDir;
  let first;
  let second;
  let admin;

  before(async () => {
    dataDir = makeTempDir('sessions');
    const adminEmail = await createAdmin(dataDir);
    first = new Server({ name: 'sessions-api0', role: 'api', dataDir });
    second = new Server({ name: 'sessions-api1', role: 'api', dataDir });
    await first.start();
    await second.start();
    const res = await first.api('POST', '/api/v1/auth/login', { body: { email: adminEmail, password: DEFAULT_PASSWORD } });
    admin = sessionCookieFrom(expectStatus(res, 200));
  });

  after(async () => {
    await first?.stop({ keepDataDir: true });
    await second?.stop({ keepDataDir: true });
    if (dataDir) removeTempDir(dataDir);
  });

  // The session is used on the other process first, so that it is remembered there.
  async function signedInOnBoth() {
    const { cookie, user } = await registerUser(first, uniqueEmail('both'));
    for (let i = 0; i < 3; i++) expectStatus(await second.api('GET', '/api/v1/auth/me', { cookie }), 200);
    return { cookie, user };
  }

  test('a sign-out through one process ends the session in the other', async () => {
    const { cookie } = await signedInOnBoth();
    expectStatus(await first.api('POST', '/api/v1/auth/logout', { cookie }), 204);
    expectError(await first.api('GET', '/api/v1/auth/me', { cookie }), 401, 'unauthenticated', undefined, 'at once where it signed out');
    await refusedWithin(second, cookie, CROSSING_MS);
  });

  test('an account disabled through one process is refused by the other; enabled again, it works', async () => {
    const { cookie, user } = await signedInOnBoth();
    expectStatus(await first.api('PATCH', `/api/v1/admin/users/${user.id}`, { cookie: admin, body: { disabled: true } }), 200);
    await refusedWithin(second, cookie, CROSSING_MS);
    const refused = expectError(await second.api('GET', '/api/v1/images', { cookie }), 401, 'unauthenticated');
    assert.match(refused.json.error.message, /disabled/);

    expectStatus(await first.api('PATCH', `/api/v1/admin/users/${user.id}`, { cookie: admin, body: { disabled: false } }), 200);
    const started = Date.now();
    while ((await second.api('GET', '/api/v1/auth/me', { cookie })).status !== 200) {
      assert.ok(Date.now() - started < CROSSING_MS, 'enabled again, the session works');
      await sleep(20);
    }
  });

  test('a password changed through one process ends the other sessions in every process', async () => {
    const { cookie: here } = await registerUser(first, uniqueEmail('password'));
    const me = expectStatus(await first.api('GET', '/api/v1/auth/me', { cookie: here }), 200).json.user;
    const elsewhere = sessionCookieFrom(expectStatus(await second.api('POST', '/api/v1/auth/login',
      { body: { email: me.email, password: DEFAULT_PASSWORD } }), 200));
    expectStatus(await first.api('GET', '/api/v1/auth/me', { cookie: elsewhere }), 200);

    expectStatus(await second.api('POST', '/api/v1/auth/password', {
      cookie: elsewhere, body: { current_password: DEFAULT_PASSWORD, new_password: 'another long secret' },
    }), 204);
    await refusedWithin(first, here, CROSSING_MS);
    expectStatus(await first.api('GET', '/api/v1/auth/me', { cookie: elsewhere }), 200, 'the changing session stays');
  });
});
