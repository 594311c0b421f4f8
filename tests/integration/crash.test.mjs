// A worker dies mid-job (SIGKILL of the whole server). After a restart on the same data
// directory the job's lease expires, the job is claimed again and succeeds exactly once: exactly
// `count` images, no duplicates, and the blob store holds exactly their files.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  Server, createGeneration, expectStatus, generationEvents, getGeneration,
  listAll, makeTempDir, register, removeTempDir, sleep, uniqueEmail, waitFor,
} from './lib/server.mjs';
import { storedKeys } from './lib/backends.mjs';
import { expectBlobsExactly } from './lib/blobs.mjs';

const LONG = { prompt: 'a vast mosaic of a harbour city', width: 2048, height: 2048, count: 4, steps: 50, seed: 99 };
const ARGS = ['--lease-seconds', '2', '--workers', '1'];

describe('crash recovery', { timeout: 600_000 }, () => {
  const servers = [];
  const dirs = [];

  after(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) removeTempDir(d);
  });

  test('a job whose worker was SIGKILLed mid-generation is finished exactly once after a restart', { timeout: 280_000 }, async () => {
    const dataDir = makeTempDir('crash');
    dirs.push(dataDir);
    const first = new Server({ name: 'crash-before', dataDir, args: ARGS });
    servers.push(first);
    await first.start();
    const cookie = await register(first, uniqueEmail('crash'));
    const job = await createGeneration(first, cookie, LONG);

    // Kill it mid-job: once running, after some progress (or a second of running).
    const running = await waitFor(first, cookie, job.id, 'running', { timeoutMs: 60_000, intervalMs: 20 });
    const runningSince = Date.now();
    let state = running;
    while (state.status === 'running' && state.progress < 0.5 && Date.now() - runningSince < 1000) {
      await sleep(20);
      state = await getGeneration(first, cookie, job.id);
    }
    assert.equal(state.status, 'running', `the job must still run when the server is killed (it ended ${state.status}; is the long job long enough?)`);
    await first.kill();
    assert.equal(first.exit.signal, 'SIGKILL');
    await recoverAndCheck(dataDir, cookie, job);
  });

  test('a job whose worker was SIGKILLed while storing its images leaves no orphan files', { timeout: 280_000 }, async (t) => {
    const dataDir = makeTempDir('crash-store');
    dirs.push(dataDir);
    const first = new Server({ name: 'crash-store-before', dataDir, args: ARGS });
    servers.push(first);
    await first.start();
    const cookie = await register(first, uniqueEmail('crash-store'));
    const job = await createGeneration(first, cookie, LONG);

    // The last progress event comes when the model is done; encoding and storing the images
    // follows. Kill then, and a little later on the next attempt, to catch files mid-way.
    let killedWhile = null;
    const stream = await generationEvents(first, cookie, job.id, {
      timeoutMs: 120_000,
      onEvent: async (ev) => {
        if (killedWhile || ev.event !== 'progress' || ev.data.progress < 0.98) return;
        // Wait for the first files of this attempt to appear (not all of them), then kill.
        const until = Date.now() + 10_000;
        let files = 0;
        while (Date.now() < until && (files = (await storedKeys(first.dataDir)).length) === 0) await sleep(2);
        killedWhile = `after progress ${ev.data.progress}, with ${files} of ${LONG.count * 3} files in the blob store`;
        await first.kill();
      },
    }).catch((err) => ({ error: err }));
    if (!killedWhile) {
      t.skip(`the job ended before it could be killed (${stream.error?.message ?? stream.events?.at(-1)?.data?.status})`);
      return;
    }
    t.diagnostic(`killed ${killedWhile}`);
    await recoverAndCheck(dataDir, cookie, job);
  });

  async function recoverAndCheck(dataDir, cookie, job) {
    // Restart on the same data directory.
    const second = new Server({ name: 'crash-after', dataDir, args: ARGS });
    servers.push(second);
    await second.start();
    expectStatus(await second.api('GET', '/api/v1/auth/me', { cookie }), 200, 'the session survives the restart');

    const stream = generationEvents(second, cookie, job.id, { timeoutMs: 240_000 });
    stream.catch(() => {});
    const done = await waitFor(second, cookie, job.id, 'succeeded', { timeoutMs: 240_000, intervalMs: 200 });
    const events = await stream;
    expectStatus(events, 200, 'events after the restart');
    assert.equal(events.events.at(-1)?.event, 'done', 'the event stream ends with done');
    assert.equal(events.events.at(-1).data.status, 'succeeded');

    const check = async (label) => {
      const gen = await getGeneration(second, cookie, job.id);
      assert.equal(gen.status, 'succeeded', `${label}: status`);
      assert.equal(gen.images.length, LONG.count, `${label}: exactly count images on the generation`);
      const ids = gen.images.map((i) => i.id);
      assert.equal(new Set(ids).size, ids.length, `${label}: no duplicate image ids: ${ids}`);
      assert.deepEqual(gen.images.map((i) => i.index).sort(), [0, 1, 2, 3], `${label}: one image per index`);
      const listed = (await listAll(second, cookie, '/api/v1/images')).filter((i) => i.generation_id === job.id);
      assert.equal(listed.length, LONG.count, `${label}: exactly count images listed: ${listed.map((i) => `${i.id}#${i.index}`)}`);
      assert.deepEqual(listed.map((i) => i.id).sort(), [...ids].sort(), `${label}: the list and the generation agree`);
      const gens = await listAll(second, cookie, '/api/v1/generations');
      assert.equal(gens.length, 1, `${label}: one generation`);
      await expectBlobsExactly(second, cookie, gen.images, label);
      return gen;
    };
    const firstCheck = await check('right after success');
    assert.deepEqual(firstCheck.images.map((i) => i.id).sort(), done.images.map((i) => i.id).sort());

    // Longer than a lease: nothing runs the job again.
    await sleep(3000);
    const later = await check('3 s later');
    assert.deepEqual(later.images.map((i) => i.id).sort(), firstCheck.images.map((i) => i.id).sort(), 'the images do not change');
    assert.equal(later.finished_at, firstCheck.finished_at, 'finished_at does not change');

    const stopped = await second.stop({ timeoutMs: 15_000 });
    assert.equal(stopped.code, 0, `graceful exit after recovery: ${JSON.stringify(stopped)}`);
  }
});
