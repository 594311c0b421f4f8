// Registration by invitation (RENDERMART_REGISTRATION=invite), through the real binary on both
// backends: GET /api/v1/auth/config tells the mode; administrators create (code shown once),
// list and revoke single-use invitations, everyone else gets 404; registering needs a valid code:
// none, unknown, used, revoked or expired ones are refused; a good one works once, also when two
// registrations race for it; `rendermart invite create` makes one from the command line.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DEFAULT_PASSWORD, Server, createAdmin, expectError, expectStatus, makeTempDir, runBinary,
  sessionCookieFrom, uniqueEmail,
} from './lib/server.mjs';
import { backendEnv, sqlRows } from './lib/backends.mjs';

describe('invitations', { timeout: 180_000 }, () => {
  let server;
  let admin;
  let dataDir;

  before(async () => {
    dataDir = makeTempDir('invite');
    const email = await createAdmin(dataDir);
    server = new Server({ name: 'invite', dataDir, env: { RENDERMART_REGISTRATION: 'invite', RENDERMART_PASSWORD_THREADS: '4' } });
    await server.start();
    const res = expectStatus(await server.api('POST', '/api/v1/auth/login', { body: { email, password: DEFAULT_PASSWORD } }), 200);
    admin = { email, cookie: sessionCookieFrom(res) };
  }, { timeout: 60_000 });
  after(async () => { await server?.stop(); });

  const register = (email, invite) => server.api('POST', '/api/v1/auth/register',
    { body: { email, password: DEFAULT_PASSWORD, ...(invite === undefined ? {} : { invite }) } });
  const invite = async () => expectStatus(await server.api('POST', '/api/v1/admin/invitations', { cookie: admin.cookie }), 201).json;

  test('the mode is public; registration without a good code is refused', { timeout: 30_000 }, async () => {
    const config = expectStatus(await server.api('GET', '/api/v1/auth/config'), 200);
    assert.deepEqual(config.json, { registration: 'invite' });
    expectError(await register(uniqueEmail('none')), 403, 'forbidden', 'invite');
    expectError(await register(uniqueEmail('empty'), ''), 403, 'forbidden', 'invite');
    expectError(await register(uniqueEmail('bad'), 'not-a-code'), 403, 'forbidden', 'invite');
  });

  test('administrators create, list and revoke invitations; the code is shown once; others get 404', { timeout: 30_000 }, async () => {
    const created = await invite();
    assert.equal(typeof created.code, 'string');
    assert.ok(created.code.length >= 20, 'a long random code');
    assert.equal(created.used_at, null);
    const days = (Date.parse(created.expires_at) - Date.parse(created.created_at)) / 86_400_000;
    assert.equal(days, 7, 'valid for 7 days');
    const list = expectStatus(await server.api('GET', '/api/v1/admin/invitations', { cookie: admin.cookie }), 200).json;
    const listed = list.items.find((item) => item.id === created.id);
    assert.ok(listed, 'listed');
    assert.equal(listed.code, undefined, 'the code is not shown again');
    const rows = await sqlRows(server.dataDir, `SELECT code_hash FROM invitations WHERE id = '${created.id}'`);
    assert.notEqual(rows[0][0], created.code, 'stored hashed');

    const member = await register(uniqueEmail('member'), (await invite()).code);
    const memberCookie = sessionCookieFrom(expectStatus(member, 201));
    expectError(await server.api('GET', '/api/v1/admin/invitations', { cookie: memberCookie }), 404, 'not_found');
    expectError(await server.api('POST', '/api/v1/admin/invitations', { cookie: memberCookie }), 404, 'not_found');
    expectError(await server.api('DELETE', `/api/v1/admin/invitations/${created.id}`, { cookie: memberCookie }), 404, 'not_found');
    expectError(await server.api('GET', '/api/v1/admin/invitations'), 401, 'unauthenticated');

    expectStatus(await server.api('DELETE', `/api/v1/admin/invitations/${created.id}`, { cookie: admin.cookie }), 204);
    expectError(await server.api('DELETE', `/api/v1/admin/invitations/${created.id}`, { cookie: admin.cookie }), 404, 'not_found');
    expectError(await register(uniqueEmail('revoked'), created.code), 403, 'forbidden', 'invite');
  });

  test('a code works once; the used invitation says when', { timeout: 30_000 }, async () => {
    const { code, id } = await invite();
    const email = uniqueEmail('invited');
    const res = expectStatus(await register(email, code), 201);
    assert.equal(res.json.user.email, email);
    expectStatus(await server.api('GET', '/api/v1/auth/me', { cookie: sessionCookieFrom(res) }), 200);
    expectError(await register(uniqueEmail('second'), code), 403, 'forbidden', 'invite');
    const list = expectStatus(await server.api('GET', '/api/v1/admin/invitations', { cookie: admin.cookie }), 200).json;
    assert.notEqual(list.items.find((item) => item.id === id).used_at, null);
  });

  test('a taken e-mail does not use up the code', { timeout: 30_000 }, async () => {
    const { code } = await invite();
    expectError(await register(admin.email, code), 409, 'conflict', 'email');
    expectStatus(await register(uniqueEmail('after-conflict'), code), 201);
  });

  test('an expired code is refused', { timeout: 30_000 }, async () => {
    const { code, id } = await invite();
    await sqlRows(server.dataDir, `UPDATE invitations SET expires_at = 1 WHERE id = '${id}'`);
    expectError(await register(uniqueEmail('late'), code), 403, 'forbidden', 'invite');
  });

  test('two registrations racing for one code: exactly one wins', { timeout: 30_000 }, async () => {
    for (let round = 0; round < 3; round++) {
      const { code } = await invite();
      const results = await Promise.all([0, 1, 2, 3].map((i) => register(uniqueEmail(`race${round}-${i}`), code)));
      const statuses = results.map((res) => res.status).sort();
      assert.deepEqual(statuses, [201, 403, 403, 403], `round ${round}`);
    }
  });

  test('rendermart invite create prints a code that registers once', { timeout: 30_000 }, async () => {
    const env = await backendEnv(dataDir);
    const refused = await runBinary(['invite', 'create', '--admin', 'nobody@example.com', '--data-dir', dataDir,
      '--log-format', 'text'], env);
    assert.notEqual(refused.code, 0);
    assert.match(refused.out, /not an administrator/);
    const made = await runBinary(['invite', 'create', '--admin', admin.email, '--data-dir', dataDir, '--log-format', 'text'], env);
    assert.equal(made.code, 0, made.out);
    const code = made.out.match(/invitation code (\S+)/)?.[1];
    assert.ok(code, made.out);
    expectStatus(await register(uniqueEmail('cli'), code), 201);
    expectError(await register(uniqueEmail('cli2'), code), 403, 'forbidden', 'invite');
  });
});
