// One user never sees or touches another's resources: every attempt answers 404 not_found.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createGeneration, describeResponse, expectError, expectStatus, registerUser, startServer,
  uniqueEmail, waitFor,
} from './lib/server.mjs';

describe('isolation between users', { timeout: 180_000 }, () => {
  let server;
  let a; // { cookie, user }
  let b;
  let bToken;
  let genA;   // succeeded, with images
  let keyA;
  let pendingA; // a long job of A's, for cancel

  before(async () => {
    server = await startServer({ name: 'isolation', args: ['--workers', '1'] });
    a = await registerUser(server, uniqueEmail('iso-a'));
    b = await registerUser(server, uniqueEmail('iso-b'));
    const g = await createGeneration(server, a.cookie, { prompt: 'a private garden of user A', width: 128, height: 128, count: 2, seed: 11 });
    genA = await waitFor(server, a.cookie, g.id, 'succeeded', { timeoutMs: 60_000 });
    keyA = expectStatus(await server.api('POST', '/api/v1/keys', { cookie: a.cookie, body: { name: 'a-key' } }), 201).json;
    bToken = expectStatus(await server.api('POST', '/api/v1/keys', { cookie: b.cookie, body: { name: 'b-key' } }), 201).json.secret;
    // B has something of its own, so that its lists are not trivially empty.
    const gb = await createGeneration(server, b.cookie, { prompt: 'user B owns this', width: 64, height: 64 });
    await waitFor(server, b.cookie, gb.id, 'succeeded', { timeoutMs: 60_000 });
  }, { timeout: 150_000 });

  after(async () => { await server?.stop(); });

  test("B gets 404 for each of A's resources, with cookie or Bearer", { timeout: 60_000 }, async () => {
    const img = genA.images[0];
    const attempts = [
      ['GET', `/api/v1/generations/${genA.id}`],
      ['POST', `/api/v1/generations/${genA.id}/cancel`],
      ['GET', `/api/v1/generations/${genA.id}/events`],
      ['GET', `/api/v1/images/${img.id}`],
      ['GET', `/api/v1/images/${img.id}/file`],
      ['GET', `/api/v1/images/${img.id}/thumbnail?size=256`],
      ['GET', `/api/v1/images/${img.id}/thumbnail?size=512`],
      ['PATCH', `/api/v1/images/${img.id}`, { favorite: true, title: 'stolen', tags: ['b'] }],
      ['DELETE', `/api/v1/images/${img.id}`],
      ['DELETE', `/api/v1/keys/${keyA.id}`],
    ];
    for (const auth of [{ cookie: b.cookie }, { token: bToken }]) {
      for (const [method, path, body] of attempts) {
        const res = await server.api(method, path, { auth, body, timeoutMs: 10_000 });
        expectError(res, 404, 'not_found', undefined, `B (${auth.cookie ? 'cookie' : 'Bearer'}) ${method} ${path}`);
        assert.ok(!res.text.includes(a.user.email), `the answer does not leak A's e-mail: ${describeResponse(res)}`);
      }
    }
    // A's things are untouched.
    const mine = expectStatus(await server.api('GET', `/api/v1/images/${img.id}`, { cookie: a.cookie }), 200).json;
    assert.equal(mine.favorite, false);
    assert.notEqual(mine.title, 'stolen');
    expectStatus(await server.api('GET', img.file_url, { cookie: a.cookie }), 200);
    const keys = expectStatus(await server.api('GET', '/api/v1/keys', { cookie: a.cookie }), 200).json;
    assert.ok(keys.items.some((k) => k.id === keyA.id), "A's key survives B's delete");
    expectStatus(await server.api('GET', '/api/v1/auth/me', { token: keyA.secret }), 200, "A's key still works");
  });

  test("B's cancel of A's queued job is 404 and the job is not canceled", { timeout: 90_000 }, async () => {
    // With one worker, a long job keeps a second one queued.
    const long = { prompt: 'a long private job', width: 2048, height: 2048, count: 4, steps: 50 };
    const first = await createGeneration(server, a.cookie, long);
    pendingA = await createGeneration(server, a.cookie, { prompt: 'queued behind', width: 64, height: 64 });
    expectError(await server.api('POST', `/api/v1/generations/${pendingA.id}/cancel`, { cookie: b.cookie }), 404, 'not_found');
    expectError(await server.api('GET', `/api/v1/generations/${pendingA.id}/events`, { cookie: b.cookie }), 404, 'not_found');
    const state = expectStatus(await server.api('GET', `/api/v1/generations/${pendingA.id}`, { cookie: a.cookie }), 200).json;
    assert.notEqual(state.status, 'canceled');
    // Clean up: A cancels its long job, the queued one then runs to the end.
    expectStatus(await server.api('POST', `/api/v1/generations/${first.id}/cancel`, { cookie: a.cookie }), 200);
    await waitFor(server, a.cookie, first.id, ['canceled', 'succeeded'], { timeoutMs: 60_000 });
    await waitFor(server, a.cookie, pendingA.id, 'succeeded', { timeoutMs: 60_000 });
  });

  test("B's lists do not contain A's items; filters and search do not leak either", { timeout: 30_000 }, async () => {
    const aImageIds = new Set(genA.images.map((i) => i.id));
    const queries = ['/api/v1/images', '/api/v1/images?q=garden', '/api/v1/images?q=private', '/api/v1/images?favorite=false',
      '/api/v1/images?model=procedural', '/api/v1/images?limit=100'];
    for (const q of queries) {
      const res = expectStatus(await server.api('GET', q, { cookie: b.cookie }), 200, q).json;
      for (const item of res.items) assert.ok(!aImageIds.has(item.id), `${q} lists A's image ${item.id}`);
      if (q === '/api/v1/images') assert.ok(res.items.length >= 1, "B's own image is listed");
    }
    const gens = expectStatus(await server.api('GET', '/api/v1/generations?limit=100', { cookie: b.cookie }), 200).json;
    assert.ok(!gens.items.some((g) => g.id === genA.id || g.id === pendingA?.id), "B's generations list holds none of A's");
    assert.ok(gens.items.length >= 1);
    const keys = expectStatus(await server.api('GET', '/api/v1/keys', { cookie: b.cookie }), 200).json;
    assert.ok(!keys.items.some((k) => k.id === keyA.id), "B's keys list holds none of A's");

    // A cursor taken from A's list does not open A's items to B.
    const aPage = expectStatus(await server.api('GET', '/api/v1/images?limit=1', { cookie: a.cookie }), 200).json;
    if (aPage.next_cursor) {
      const res = await server.api('GET', `/api/v1/images?limit=100&cursor=${encodeURIComponent(aPage.next_cursor)}`, { cookie: b.cookie });
      if (res.status === 200) {
        for (const item of res.json.items) assert.ok(!aImageIds.has(item.id), "A's cursor lists A's image to B");
      } else {
        expectError(res, 400, 'invalid_argument', 'cursor');
      }
    }
  });
});
