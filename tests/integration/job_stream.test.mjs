// GET /api/v1/generations/events: one stream for all of a user's jobs. Each user sees the events of
// their own jobs only, several jobs share one connection, a (re)connection starts with the
// unfinished jobs, queue positions move on the stream when jobs ahead leave the queue, sessions
// and API keys both work, and a user's streams are capped. On PostgreSQL the jobs are created on
// one API process, run by a worker process and followed on another API process.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { BACKEND } from './lib/backends.mjs';
import {
  Server, createGeneration, expectStatus, makeTempDir, openEvents, register, removeTempDir,
  sleep, uniqueEmail,
} from './lib/server.mjs';

const STREAM = '/api/v1/generations/events';
const SMALL = { prompt: 'a paper boat', width: 128, height: 128, count: 1 };
// Keeps the one worker busy until it is canceled.
const LONG = { prompt: 'a long voyage', width: 2048, height: 2048, count: 4, steps: 50 };
const ENV = { RENDERMART_MAX_JOBS_IN_FLIGHT: '50', RENDERMART_REQUEST_BURST: '1000' };

const jobIdOf = (ev) => (ev.event === 'status' || ev.event === 'progress' ? ev.data.id : null);
const isStatus = (id, status) => (ev) => ev.event === 'status' && ev.data.id === id && (!status || ev.data.status === status);

describe('the stream of all of a user\'s jobs', { timeout: 240_000 }, () => {
  const dataDir = makeTempDir('job-stream');
  const servers = [];
  let follow; // the API process streams are read from
  let submit; // the API process jobs are created on
  let alice;
  let bob;

  before(async () => {
    const workers = ['--workers', '1', '--shutdown-grace-seconds', '0'];
    if (BACKEND === 'postgres-s3') {
      follow = new Server({ name: 'stream-api0', role: 'api', dataDir, env: ENV });
      submit = new Server({ name: 'stream-api1', role: 'api', dataDir, env: ENV });
      servers.push(follow, submit, new Server({ name: 'stream-worker', role: 'worker', dataDir, args: workers, env: ENV }));
      await follow.start(); // migrates first
      await Promise.all(servers.slice(1).map((s) => s.start()));
    } else {
      follow = new Server({ name: 'stream', dataDir, args: workers, env: ENV });
      submit = follow;
      servers.push(follow);
      await follow.start();
    }
    alice = await register(submit, uniqueEmail('stream-a'));
    bob = await register(submit, uniqueEmail('stream-b'));
  });
  after(async () => {
    for (const s of servers) await s.stop({ keepDataDir: true });
    removeTempDir(dataDir);
  });

  test('several jobs on one connection, no other user\'s, and a snapshot on connection', async () => {
    const aliceStream = await openEvents(follow, alice, STREAM);
    const bobStream = await openEvents(follow, bob, STREAM);
    try {
      assert.equal(aliceStream.status, 200);
      assert.match(aliceStream.headers.get('content-type'), /^text\/event-stream/);
      const first = await aliceStream.next(() => true);
      assert.deepEqual([first.event, first.data.jobs], ['snapshot', []]);
      await bobStream.next((ev) => ev.event === 'snapshot');

      const aliceJobs = [];
      for (let i = 0; i < 3; i++) aliceJobs.push(await createGeneration(submit, alice, { ...SMALL, steps: 40, seed: i }));
      const bobJob = await createGeneration(submit, bob, SMALL);

      for (const job of aliceJobs) await aliceStream.next(isStatus(job.id, 'succeeded'), 120_000);
      await bobStream.next(isStatus(bobJob.id, 'succeeded'), 120_000);

      const aliceIds = new Set(aliceJobs.map((j) => j.id));
      for (const ev of aliceStream.events) {
        const id = jobIdOf(ev);
        if (id) assert.ok(aliceIds.has(id), `Alice's stream carried another user's job: ${ev.event} ${ev.raw.slice(0, 120)}`);
        if (ev.event === 'queue') for (const p of ev.data.positions) assert.ok(aliceIds.has(p.id), 'a position of another user\'s job');
      }
      for (const ev of bobStream.events) {
        const id = jobIdOf(ev);
        if (id) assert.equal(id, bobJob.id, `Bob's stream carried another job: ${ev.event}`);
      }
      // Each of Alice's jobs was followed to its end on the one connection, with its progress. A
      // status event carries the job as it is when the event is read, so a quick job may skip
      // statuses (across processes, the notification comes a little later), never go back.
      const order = ['queued', 'running', 'succeeded'];
      for (const job of aliceJobs) {
        const statuses = aliceStream.events.filter(isStatus(job.id)).map((ev) => order.indexOf(ev.data.status));
        assert.equal(statuses.at(-1), 2, `job ${job.id} ends succeeded`);
        assert.ok(statuses.every((s, i) => s >= 0 && (i === 0 || s >= statuses[i - 1])), `job ${job.id}: ${statuses}`);
        // A status read as succeeded may come before the job's last events do (they travel
        // behind it when the job outran the stream's reads): its progress may still be coming.
        const isProgress = (ev) => ev.event === 'progress' && ev.data.id === job.id;
        if (!aliceStream.events.some(isProgress)) await aliceStream.next(isProgress, 30_000);
      }
      const done = aliceStream.events.find(isStatus(aliceJobs[0].id, 'succeeded'));
      assert.equal(done.data.images.length, 1, 'a finished job comes with its images');
    } finally {
      aliceStream.close();
      bobStream.close();
    }
  });

  test('queue positions move on the stream when jobs ahead are canceled or start', async () => {
    const stream = await openEvents(follow, alice, STREAM);
    try {
      await stream.next((ev) => ev.event === 'snapshot');
      const long = await createGeneration(submit, alice, LONG);
      await stream.next(isStatus(long.id, 'running'), 60_000);
      // The second waiting job is long too, so that the last one stays next in line while it runs.
      const first = await createGeneration(submit, alice, { ...SMALL, seed: 10 });
      const second = await createGeneration(submit, alice, LONG);
      const last = await createGeneration(submit, alice, { ...SMALL, seed: 12 });
      const told = await stream.next(isStatus(last.id, 'queued'));
      assert.equal(told.data.queue_position, 2, 'two jobs ahead of the last one');

      // A reconnection starts with the unfinished jobs as they are.
      const again = await openEvents(follow, alice, STREAM);
      const snapshot = await again.next(() => true);
      again.close();
      assert.equal(snapshot.event, 'snapshot');
      assert.deepEqual(snapshot.data.jobs.map((j) => [j.id, j.status, j.queue_position]),
        [[long.id, 'running', null], [first.id, 'queued', 0], [second.id, 'queued', 1], [last.id, 'queued', 2]]);

      const positionOf = (ev, id) => ev.data.positions.find((p) => p.id === id)?.queue_position;
      expectStatus(await submit.api('POST', `/api/v1/generations/${first.id}/cancel`, { auth: alice }), 200);
      await stream.next((ev) => ev.event === 'queue' && positionOf(ev, last.id) === 1 && positionOf(ev, second.id) === 0);
      expectStatus(await submit.api('POST', `/api/v1/generations/${long.id}/cancel`, { auth: alice }), 200);
      await stream.next((ev) => ev.event === 'queue' && positionOf(ev, last.id) === 0);
      // Told too, in whichever order with the positions (the job ahead now sends its progress).
      await stream.next((_, events) => events.some(isStatus(long.id, 'canceled')) && events.some(isStatus(second.id, 'running')));
      expectStatus(await submit.api('POST', `/api/v1/generations/${second.id}/cancel`, { auth: alice }), 200);
      await stream.next(isStatus(last.id, 'succeeded'), 120_000);
    } finally {
      stream.close();
    }
  });

  test('API keys work as sessions do; no credentials, no stream', async () => {
    const key = expectStatus(await submit.api('POST', '/api/v1/keys', { cookie: alice, body: { name: 'stream' } }), 201).json;
    const stream = await openEvents(follow, { token: key.secret }, STREAM);
    try {
      assert.equal(stream.status, 200);
      assert.equal((await stream.next(() => true)).event, 'snapshot');
    } finally {
      stream.close();
    }
    const anonymous = await openEvents(follow, null, STREAM);
    assert.equal(anonymous.status, 401);
  });

  test('a user holds at most 10 streams; closing one makes room', async () => {
    const carol = await register(submit, uniqueEmail('stream-c'));
    const open = [];
    try {
      for (let i = 0; i < 10; i++) {
        const s = await openEvents(follow, carol, STREAM);
        assert.equal(s.status, 200, `stream ${i + 1}`);
        await s.next((ev) => ev.event === 'snapshot');
        open.push(s);
      }
      const refused = await openEvents(follow, carol, STREAM);
      assert.equal(refused.status, 429);
      assert.equal(refused.json.error.code, 'quota_exceeded');
      assert.match(refused.json.error.message, /close other RenderMart tabs/);
      // Another user is not affected.
      const other = await openEvents(follow, bob, STREAM);
      assert.equal(other.status, 200);
      other.close();

      open.shift().close();
      let status = 0;
      for (let i = 0; i < 50 && status !== 200; i++) {
        await sleep(100);
        const s = await openEvents(follow, carol, STREAM);
        status = s.status;
        if (status === 200) open.push(s);
      }
      assert.equal(status, 200, 'a closed stream frees its place');
    } finally {
      for (const s of open) s.close();
    }
  });
});
