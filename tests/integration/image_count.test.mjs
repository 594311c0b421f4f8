// The gallery's total (GET /api/v1/images/count: the same filters as the list, the cursor aside)
// and a generated image's AUTOMATIC1111 text (GET /api/v1/images/{id}/infotext: what its PNG
// carries), on either backend (RENDERMART_TEST_BACKEND).

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { parsePng } from './lib/media.mjs';
import {
  createGeneration, expectError, expectStatus, listAll, register, startServer, uniqueEmail, waitFor,
} from './lib/server.mjs';

describe('image count and infotext', { timeout: 180_000 }, () => {
  let server;
  let alice;
  let bob;
  let images;
  before(async () => {
    server = await startServer({ name: 'image-count' });
    alice = await register(server, uniqueEmail('count-a'));
    bob = await register(server, uniqueEmail('count-b'));
    const params = { width: 64, height: 64, steps: 2, cfg_scale: 6.5, negative_prompt: 'blurry' };
    const jobs = [
      await createGeneration(server, alice, { ...params, prompt: 'a red fox in the snow', count: 2, seed: 11 }),
      await createGeneration(server, alice, { ...params, prompt: 'a blue whale, deep sea', count: 3, seed: 12 }),
      await createGeneration(server, bob, { ...params, prompt: 'a red fox on a hill', count: 4, seed: 13 }),
    ];
    for (const [job, user] of [[jobs[0], alice], [jobs[1], alice], [jobs[2], bob]]) await waitFor(server, user, job.id, 'succeeded');
    images = await listAll(server, alice, '/api/v1/images');
    const whale = images.find((i) => i.prompt.includes('whale'));
    expectStatus(await server.api('PATCH', `/api/v1/images/${whale.id}`, { auth: alice, body: { favorite: true, tags: ['ocean'] } }), 200);
  });
  after(async () => { await server?.stop(); });

  async function count(query, auth = alice) {
    const res = await server.api('GET', `/api/v1/images/count${query}`, { auth });
    expectStatus(res, 200, `count ${query}`);
    return res.json.count;
  }

  test('counts the user\'s own images under the list\'s filters', async () => {
    assert.equal(images.length, 5);
    assert.equal(await count(''), 5);
    assert.equal(await count('?q=fox'), 2);
    assert.equal(await count('?q=ocean'), 1, 'tags are searched');
    assert.equal(await count('?favorite=true'), 1);
    assert.equal(await count('?favorite=false&q=whale'), 2);
    assert.equal(await count('?model=procedural'), 5);
    assert.equal(await count('?model=nothing-like-it'), 0);
    assert.equal(await count('?from=2000-01-01'), 5);
    assert.equal(await count('?to=2000-01-01'), 0);
    assert.equal(await count('?q=fox', bob), 4);
    for (const query of ['?q=fox', '?favorite=true', '?q=whale&favorite=false']) {
      const listed = await listAll(server, alice, `/api/v1/images${query}`, { limit: 2 });
      assert.equal(await count(query), listed.length, `count${query} equals what the pages hold`);
    }
  });

  test('refuses the filters the list refuses', async () => {
    expectError(await server.api('GET', '/api/v1/images/count?favorite=maybe', { auth: alice }), 400, 'invalid_argument', 'favorite');
    expectError(await server.api('GET', '/api/v1/images/count?from=yesterday', { auth: alice }), 400, 'invalid_argument', 'from');
    expectStatus(await server.api('GET', '/api/v1/images/count'), 401);
  });

  test('the infotext is the text of the PNG\'s parameters chunk', async () => {
    for (const image of images) {
      const res = await server.api('GET', `/api/v1/images/${image.id}/infotext`, { auth: alice });
      expectStatus(res, 200, `infotext of ${image.id}`);
      const file = await server.api('GET', `/api/v1/images/${image.id}/file`, { auth: alice });
      assert.equal(res.json.infotext, parsePng(file.body).text.parameters);
      assert.match(res.json.infotext, new RegExp(`^${image.prompt}\\nNegative prompt: blurry\\nSteps: 2, CFG scale: 6.5, Seed: ${image.seed}, Size: 64x64`));
    }
    expectError(await server.api('GET', `/api/v1/images/${images[0].id}/infotext`, { auth: bob }), 404, 'not_found');
  });
});
