// Canceling a queued job and a running job: both end canceled, without images or files.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createGeneration, describeResponse, expectStatus, generationEvents, getGeneration, register,
  sleep, startServer, uniqueEmail, waitFor,
} from './lib/server.mjs';
import { expectBlobsExactly } from './lib/blobs.mjs';

// The slowest request the built-in model allows: what a long-running job looks like.
const LONG = { prompt: 'an enormous detailed city at night', width: 2048, height: 2048, count: 4, steps: 50 };

describe('cancel', { timeout: 240_000 }, () => {
  let server;
  let cookie;
  before(async () => {
    server = await startServer({ name: 'cancel', args: ['--workers', '1'] });
    cookie = await register(server, uniqueEmail('cancel'));
  }, { timeout: 60_000 });
  after(async () => { await server?.stop(); });

  test('a queued job and a running job are canceled; the event streams end with done(canceled)', { timeout: 180_000 }, async () => {
    const running = await createGeneration(server, cookie, { ...LONG, seed: 1 });
    const queued = await createGeneration(server, cookie, { ...LONG, seed: 2 });
    const streamRunning = generationEvents(server, cookie, running.id, { timeoutMs: 150_000 });
    const streamQueued = generationEvents(server, cookie, queued.id, { timeoutMs: 150_000 });
    // Keep the stream promises from being reported as unhandled while we await other things.
    streamRunning.catch(() => {});
    streamQueued.catch(() => {});

    // Wait until the first job runs (one worker: the second stays queued behind it).
    const seenRunning = await waitFor(server, cookie, running.id, 'running', { timeoutMs: 60_000, intervalMs: 20 });
    assert.equal(seenRunning.queue_position, null, 'a running job has no queue position');
    const q = await getGeneration(server, cookie, queued.id);
    assert.equal(q.status, 'queued', `the second job waits behind the first (one worker): ${JSON.stringify(q)}`);
    assert.equal(typeof q.queue_position, 'number', 'a queued job has a queue position');

    // Cancel the queued one: final at once.
    const cq = expectStatus(await server.api('POST', `/api/v1/generations/${queued.id}/cancel`, { cookie }), 200, 'cancel queued').json;
    assert.equal(cq.id, queued.id);
    const afterQ = await waitFor(server, cookie, queued.id, 'canceled', { timeoutMs: 10_000 });
    assert.equal(afterQ.started_at, null, 'a job canceled while queued never started');
    assert.deepEqual(afterQ.images, []);
    assert.ok(afterQ.finished_at, 'finished_at is set');

    // Cancel the running one: it stops at the next step.
    const stillRunning = await getGeneration(server, cookie, running.id);
    assert.equal(stillRunning.status, 'running', `still running when canceled (the long job was too short?): ${stillRunning.status}`);
    const cr = expectStatus(await server.api('POST', `/api/v1/generations/${running.id}/cancel`, { cookie }), 200, 'cancel running').json;
    assert.ok(['running', 'canceled'].includes(cr.status), `cancel answers the job: ${cr.status}`);
    const afterR = await waitFor(server, cookie, running.id, 'canceled', { timeoutMs: 60_000 });
    assert.deepEqual(afterR.images, [], 'a canceled job has no images');
    assert.ok(afterR.finished_at);

    for (const [name, p, id] of [['running', streamRunning, running.id], ['queued', streamQueued, queued.id]]) {
      const stream = await p;
      expectStatus(stream, 200, `events of the ${name} job`);
      const names = stream.events.map((e) => e.event);
      assert.equal(names[0], 'status', `${name}: ${names}`);
      assert.equal(names.at(-1), 'done', `${name}: ${names}`);
      const done = stream.events.at(-1).data;
      assert.equal(done.id, id);
      assert.equal(done.status, 'canceled', `${name}: done carries the final state`);
      assert.deepEqual(done.images, []);
    }

    // Canceling again changes nothing.
    const again = await server.api('POST', `/api/v1/generations/${running.id}/cancel`, { cookie });
    assert.ok([200, 409].includes(again.status), `cancel of a canceled job: ${describeResponse(again)}`);
    if (again.status === 200) assert.equal(again.json.status, 'canceled');

    // An already final job's stream: status then done at once.
    const late = await generationEvents(server, cookie, queued.id, { timeoutMs: 10_000 });
    assert.deepEqual(late.events.map((e) => e.event), ['status', 'done']);
    assert.equal(late.events[1].data.status, 'canceled');

    // No images anywhere for the canceled jobs.
    const images = expectStatus(await server.api('GET', '/api/v1/images?limit=100', { cookie }), 200).json.items;
    assert.ok(!images.some((i) => i.generation_id === running.id || i.generation_id === queued.id), 'no images of canceled jobs');

    // The worker is free again: a small job succeeds, and the blob store holds only its files.
    const small = await createGeneration(server, cookie, { prompt: 'after the storm', width: 64, height: 64, count: 1 });
    const smallDone = await waitFor(server, cookie, small.id, 'succeeded', { timeoutMs: 60_000 });
    await sleep(200);
    await expectBlobsExactly(server, cookie, smallDone.images, 'after cancellations');
  });
});
