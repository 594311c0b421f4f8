// The queue position a user is told is the job's place under fair scheduling: the number of
// jobs that start before it (users take turns, whoever has fewer jobs running or was served
// longer ago first), not the number of older jobs of everyone. Positions move as jobs start.
// One worker: nobody has a job running between two jobs, and users still take turns.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import {
  createGeneration, getGeneration, listAll, register, startServer, uniqueEmail, waitFor,
} from './lib/server.mjs';

const PARAMS = { prompt: 'a paper boat', width: 128, height: 128, count: 1 };
const A_JOBS = 50;

describe('queue position', { timeout: 240_000 }, () => {
  let api;
  let alice;
  let bob;
  before(async () => {
    // An API without workers: the queue stays as it is until a worker process is started.
    api = await startServer({
      name: 'queue-position', args: ['--workers', '0'],
      env: { RENDERMART_MAX_JOBS_IN_FLIGHT: '200', RENDERMART_REQUEST_BURST: '1000' },
    });
    alice = await register(api, uniqueEmail('queue-a'));
    bob = await register(api, uniqueEmail('queue-b'));
  });
  after(async () => { await api?.stop(); });

  test('one user\'s 50 queued jobs do not push another user\'s one back', async () => {
    const aliceJobs = [];
    for (let i = 0; i < A_JOBS; i++) aliceJobs.push(await createGeneration(api, alice, { ...PARAMS, seed: i }));
    const bobJob = await createGeneration(api, bob, PARAMS);

    // Bob's job starts right after Alice's first: one job ahead of it, not 50.
    assert.equal(bobJob.queue_position, 1, 'told at creation');
    assert.equal((await getGeneration(api, bob, bobJob.id)).queue_position, 1);
    assert.equal((await getGeneration(api, alice, aliceJobs[0].id)).queue_position, 0);
    assert.equal((await getGeneration(api, alice, aliceJobs[1].id)).queue_position, 2);
    assert.equal((await getGeneration(api, alice, aliceJobs[A_JOBS - 1].id)).queue_position, A_JOBS);

    // Jobs start: a worker process with one worker runs until Bob's job is done.
    const worker = await startServer({ name: 'queue-worker', role: 'worker', dataDir: api.dataDir, args: ['--workers', '1', '--shutdown-grace-seconds', '0'] });
    try {
      await waitFor(api, bob, bobJob.id, 'succeeded', { timeoutMs: 120_000 });
    } finally {
      await worker.stop();
    }
    const done = await getGeneration(api, bob, bobJob.id);
    assert.equal(done.queue_position, null, 'a job that ran has no position');

    const jobs = await listAll(api, alice, '/api/v1/generations');
    const startedBeforeBob = jobs.filter((j) => j.started_at !== null && j.started_at < done.started_at);
    assert.ok(startedBeforeBob.length <= 1, `Bob's job started second at the latest: ${startedBeforeBob.length} of Alice's before it`);

    // Whatever is left is Alice's alone, in her order: her last job has all the rest ahead.
    const queued = jobs.filter((j) => j.status === 'queued');
    assert.ok(queued.length < A_JOBS, 'some of Alice\'s jobs started');
    const last = await getGeneration(api, alice, aliceJobs[A_JOBS - 1].id);
    if (last.status === 'queued') assert.equal(last.queue_position, queued.length - 1, 'positions moved as jobs started');
    const oldestQueued = queued.reduce((a, b) => (a.created_at <= b.created_at ? a : b));
    assert.equal((await getGeneration(api, alice, oldestQueued.id)).queue_position, 0);
  });
});
