// Password work cannot starve the server, and guessing is throttled, through the real binary on
// both backends: with the password pool saturated by wrong-password sign-ins, an authenticated
// read still answers and the overflow is refused at once with 503 + Retry-After; wrong passwords
// per account and per client address earn 429 with Retry-After after a few free tries, and a
// success starts afresh; sign-ups per client address are throttled; X-Forwarded-For counts only
// from a trusted proxy.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  DEFAULT_PASSWORD, expectError, expectStatus, registerUser, sleep, startServer, uniqueEmail,
} from './lib/server.mjs';

function login(server, email, password, headers = {}) {
  return server.api('POST', '/api/v1/auth/login', { body: { email, password }, headers });
}

// Signs up through the trusted proxy from `address`, so that the sign-up throttle of the
// proxy's own address is not spent.
async function signUpFrom(server, email, address) {
  const res = await server.api('POST', '/api/v1/auth/register',
    { body: { email, password: DEFAULT_PASSWORD }, headers: { 'x-forwarded-for': address } });
  expectStatus(res, 201, `sign up ${email}`);
}

// A 429 that says when to come back, in Retry-After and in its message.
function expectThrottled(res, note = '') {
  expectError(res, 429, 'rate_limited', undefined, note);
  const seconds = Number(res.headers.get('retry-after'));
  assert.ok(Number.isInteger(seconds) && seconds >= 1, `Retry-After ${res.headers.get('retry-after')} ${note}`);
  assert.match(res.json.error.message, new RegExp(`try again in ${seconds} second`), note);
  return seconds;
}

describe('a login flood', { timeout: 120_000 }, () => {
  let server;
  before(async () => {
    server = await startServer({
      name: 'flood',
      env: { RENDERMART_PASSWORD_THREADS: '1', RENDERMART_PASSWORD_QUEUE: '2' },
    });
  }, { timeout: 60_000 });
  after(async () => { await server?.stop(); });

  test('fills the password pool; reads still answer and the overflow gets 503 with Retry-After at once', { timeout: 60_000 }, async () => {
    const { cookie } = await registerUser(server, uniqueEmail('reader'));
    const victim = uniqueEmail('victim');
    await registerUser(server, victim);

    const pending = new Set();
    const outcomes = [];
    for (let i = 0; i < 24; i++) {
      const attempt = login(server, victim, `wrong password ${i}`).then((res) => {
        outcomes.push(res);
        pending.delete(attempt);
        return res;
      });
      pending.add(attempt);
    }
    // Asked while the one password thread still has sign-ins to check (one running, two queued).
    const read = await server.api('GET', '/api/v1/images', { cookie });
    expectStatus(read, 200, 'an authenticated read during the flood');
    assert.ok(pending.size > 0, 'the read was answered before the sign-ins were all checked');
    await Promise.all([...pending]);

    const busy = outcomes.filter((res) => res.status === 503);
    const checked = outcomes.filter((res) => res.status === 401);
    assert.equal(busy.length + checked.length, 24, `statuses: ${outcomes.map((r) => r.status)}`);
    assert.ok(busy.length >= 12, `most were refused at once: ${busy.length} 503s`);
    assert.ok(checked.length >= 3, `the ones the pool took were checked: ${checked.length}`);
    for (const res of busy) {
      expectError(res, 503, 'unavailable');
      assert.equal(res.headers.get('retry-after'), '1');
      assert.match(res.json.error.message, /busy checking passwords/);
    }
    // Once the flood is over, the right password works.
    expectStatus(await login(server, victim, DEFAULT_PASSWORD), 200);
  });
});

describe('sign-in and sign-up throttling', { timeout: 180_000 }, () => {
  let server;
  let proxied;
  before(async () => {
    const env = { RENDERMART_LOGIN_FAILURES_ALLOWED: '3', RENDERMART_SIGNUPS_ALLOWED: '2' };
    server = await startServer({ name: 'throttle', env });
    proxied = await startServer({ name: 'throttle-proxied', env: { ...env, RENDERMART_TRUSTED_PROXIES: '127.0.0.1' } });
  }, { timeout: 60_000 });
  after(async () => {
    await server?.stop();
    await proxied?.stop();
  });

  test('per account: after the free failures each try must wait; the right password is refused meanwhile; a success starts afresh', { timeout: 60_000 }, async () => {
    const email = uniqueEmail('guessed');
    // From distinct addresses (through the trusted proxy), so that only the account's count acts.
    await signUpFrom(proxied, email, '203.0.113.250');
    const from = (n) => ({ 'x-forwarded-for': `203.0.113.${n}` });
    for (let i = 1; i <= 4; i++) {
      expectError(await login(proxied, email, 'wrong password', from(i)), 401, 'unauthenticated', undefined, `failure ${i}`);
    }
    // The fourth failure earned a one-second wait: now even the right password is refused.
    const wait = expectThrottled(await login(proxied, email, DEFAULT_PASSWORD, from(5)), 'the right password while blocked');
    assert.equal(wait, 1);
    await sleep(wait * 1000 + 100);
    expectError(await login(proxied, email, 'wrong password', from(6)), 401, 'unauthenticated');
    const again = expectThrottled(await login(proxied, email, 'wrong password', from(7)), 'the next failure waits longer');
    assert.equal(again, 2, 'the back-off doubled');
    await sleep(again * 1000 + 100);
    expectStatus(await login(proxied, email, DEFAULT_PASSWORD, from(9)), 200, 'the right password after the wait');
    // Afresh: three more failures are free again.
    for (let i = 1; i <= 3; i++) {
      expectError(await login(proxied, email, 'wrong password', from(10 + i)), 401, 'unauthenticated', undefined, `after success ${i}`);
    }
  });

  test('per client address: failures on different accounts add up; another address is not affected', { timeout: 60_000 }, async () => {
    const accounts = [];
    for (let i = 0; i < 5; i++) accounts.push(uniqueEmail(`addr${i}`));
    for (const [i, email] of accounts.entries()) await signUpFrom(proxied, email, `203.0.113.${100 + i}`);
    const attacker = { 'x-forwarded-for': '198.51.100.7' };
    for (let i = 0; i < 4; i++) {
      expectError(await login(proxied, accounts[i], 'wrong password', attacker), 401, 'unauthenticated');
    }
    expectThrottled(await login(proxied, accounts[4], DEFAULT_PASSWORD, attacker), 'a fresh account from the same address');
    expectStatus(await login(proxied, accounts[4], DEFAULT_PASSWORD, { 'x-forwarded-for': '198.51.100.8' }), 200,
      'the same account from another address');
  });

  test('X-Forwarded-For counts only from a trusted proxy', { timeout: 60_000 }, async () => {
    const email = uniqueEmail('spoof');
    await registerUser(server, email);
    // Without a trusted proxy, rotating the header does not rotate the address the throttle sees.
    const other = uniqueEmail('spoof-other');
    await registerUser(server, other);
    for (let i = 0; i < 4; i++) {
      expectError(await login(server, i % 2 ? email : other, 'wrong password', { 'x-forwarded-for': `192.0.2.${i}` }), 401, 'unauthenticated');
    }
    expectThrottled(await login(server, uniqueEmail('nobody'), 'wrong password', { 'x-forwarded-for': '192.0.2.99' }),
      'the socket peer is the address');
  });

  test('sign-ups per client address: after the free ones each must wait', { timeout: 60_000 }, async () => {
    const from = { 'x-forwarded-for': '203.0.113.200' };
    const signUp = () => proxied.api('POST', '/api/v1/auth/register',
      { body: { email: uniqueEmail('signup'), password: DEFAULT_PASSWORD }, headers: from });
    for (let i = 1; i <= 3; i++) expectStatus(await signUp(), 201, `sign-up ${i}`);
    const wait = expectThrottled(await signUp(), 'the fourth sign-up');
    await sleep(wait * 1000 + 100);
    expectStatus(await signUp(), 201, 'after the wait');
    expectStatus(await proxied.api('POST', '/api/v1/auth/register',
      { body: { email: uniqueEmail('signup'), password: DEFAULT_PASSWORD }, headers: { 'x-forwarded-for': '203.0.113.201' } }),
    201, 'another address');
  });
});
