// Scale-out on PostgreSQL and S3 (run with RENDERMART_TEST_BACKEND=postgres-s3; skipped on SQLite):
// 2 `rendermart api` and 3 `rendermart worker` processes share one database and one bucket.
// Jobs finish exactly once, events cross processes, and the failures of a worker, of PostgreSQL
// and of S3 lose nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKEND, backendControls } from './lib/backends.mjs';
import { expectBlobsExactly } from './lib/blobs.mjs';
import {
  Server, createGeneration, generationEvents, getGeneration, listAll, makeTempDir, pool, register,
  removeTempDir, sleep, uniqueEmail, waitFor,
} from './lib/server.mjs';

const SMALL = { width: 64, height: 64, steps: 1 };
const LONG = { prompt: 'a long voyage across a glittering sea', width: 1536, height: 1536, count: 4, steps: 50 };
const WORKER_ARGS = ['--workers', '2', '--lease-seconds', '3'];

describe('scale-out on PostgreSQL and S3', { skip: BACKEND !== 'postgres-s3' && 'needs RENDERMART_TEST_BACKEND=postgres-s3', timeout: 900_000 }, () => {
  const dataDir = makeTempDir('scale');
  const apis = [];
  const workers = [];
  let users = [];

  before(async () => {
    for (let i = 0; i < 2; i++) apis.push(new Server({ name: `api${i}`, role: 'api', dataDir }));
    for (let i = 0; i < 3; i++) workers.push(new Server({ name: `worker${i}`, role: 'worker', dataDir, args: WORKER_ARGS }));
    await apis[0].start();  // migrates first; the others find the schema in place
    await Promise.all([apis[1].start(), ...workers.map((w) => w.start())]);
    users = [];
    for (let i = 0; i < 3; i++) users.push(await register(apis[0], uniqueEmail(`scale${i}`)));
  });

  after(async () => {
    for (const s of [...apis, ...workers]) await s.stop({ keepDataDir: true });
    removeTempDir(dataDir);
  });

  async function allImages() {
    const out = [];
    for (const auth of users) {
      for (const img of await listAll(apis[1], auth, '/api/v1/images')) out.push({ ...img, auth });
    }
    return out;
  }

  test('300 jobs from 3 users through 2 API and 3 worker processes finish exactly once', { timeout: 400_000 }, async () => {
    const jobs = await pool(Array.from({ length: 300 }, (_, i) => async () => {
      const auth = users[i % users.length];
      const job = await createGeneration(apis[i % 2], auth, { ...SMALL, prompt: `scale test ${i}`, seed: i, count: 1 + (i % 2) });
      return { job, auth };
    }), 8);

    // Events of jobs that other processes run reach an API process that runs nothing.
    const watched = await Promise.all(jobs.slice(0, 5).map(({ job, auth }) =>
      generationEvents(apis[1], auth, job.id, { timeoutMs: 300_000 })));
    for (const { status, events } of watched) {
      assert.equal(status, 200);
      const last = events.at(-1);
      assert.equal(last?.event, 'done', `the stream ends with done: ${JSON.stringify(events.map((e) => e.event))}`);
      assert.equal(last.data.status, 'succeeded');
    }

    let expectedImages = 0;
    for (const { job, auth } of jobs) {
      const done = await waitFor(apis[0], auth, job.id, 'succeeded', { timeoutMs: 300_000, intervalMs: 200 });
      assert.equal(done.images.length, job.params.count, `job ${job.id} has exactly its images`);
      expectedImages += job.params.count;
    }
    const images = await allImages();
    assert.equal(images.length, expectedImages, 'no duplicate image rows');
    assert.equal(new Set(images.map((i) => i.id)).size, images.length);
    await expectBlobsExactly(apis[0], null, images, 'after 300 jobs');
  });

  test('a worker killed with SIGKILL mid-job: another worker finishes the job after its lease expires', { timeout: 300_000 }, async () => {
    const [victim, ...others] = workers;
    for (const w of others) await w.stop({ keepDataDir: true });  // SIGTERM: only the victim runs jobs
    const auth = users[0];
    const job = await createGeneration(apis[0], auth, { ...LONG, seed: 11 });
    await waitFor(apis[0], auth, job.id, 'running', { timeoutMs: 60_000, intervalMs: 20 });
    await victim.kill();
    for (const w of others) await w.start();
    const done = await waitFor(apis[1], auth, job.id, 'succeeded', { timeoutMs: 240_000 });
    assert.equal(done.images.length, LONG.count);
    await victim.start();
    await expectBlobsExactly(apis[0], null, await allImages(), 'after the worker crash');
  });

  test('PostgreSQL restarted during a run: every process reconnects and no job or image is lost', { timeout: 300_000 }, async () => {
    const { pg } = await backendControls();
    const auth = users[1];
    const jobs = [];
    for (let i = 0; i < 40; i++) jobs.push(await createGeneration(apis[i % 2], auth, { ...SMALL, prompt: `restart ${i}`, seed: 1000 + i }));
    await pg.restart();
    for (const job of jobs) {
      let state;
      const deadline = Date.now() + 240_000;
      // Requests during the restart may fail with 503; the job itself must not be lost.
      while (Date.now() < deadline) {
        try {
          state = await getGeneration(apis[(jobs.indexOf(job) + 1) % 2], auth, job.id);
          if (['succeeded', 'failed', 'canceled'].includes(state.status)) break;
        } catch { /* the API answered 503 while reconnecting */ }
        await sleep(200);
      }
      assert.equal(state?.status, 'succeeded', `job ${job.id} after the restart: ${JSON.stringify(state)}`);
      assert.equal(state.images.length, 1);
    }
    await expectBlobsExactly(apis[0], null, await allImages(), 'after the PostgreSQL restart');
  });

  test('S3 unavailable: jobs retry, then fail with a clear error, and no image points at a missing object', { timeout: 400_000 }, async () => {
    const { s3 } = await backendControls();
    const auth = users[2];
    const before = (await allImages()).length;
    await s3.command({ down_ms: 300_000 });
    try {
      const job = await createGeneration(apis[0], auth, { ...SMALL, prompt: 'while storage is down', seed: 5 });
      const failed = await waitFor(apis[0], auth, job.id, ['failed', 'succeeded'], { timeoutMs: 300_000, intervalMs: 250 });
      assert.equal(failed.status, 'failed');
      assert.equal(failed.error.code, 'storage_error');
      assert.match(failed.error.message, /S3|storage|bucket/i);
      assert.equal(failed.images.length, 0);
    } finally {
      await s3.command({ up: true });
    }
    const images = await allImages();
    assert.equal(images.length, before, 'the failed job added no image rows');
    await expectBlobsExactly(apis[0], null, images, 'after the S3 outage');
    const job = await createGeneration(apis[1], auth, { ...SMALL, prompt: 'after storage is back', seed: 6 });
    assert.equal((await waitFor(apis[1], auth, job.id, 'succeeded', { timeoutMs: 120_000 })).images.length, 1);
  });
});
