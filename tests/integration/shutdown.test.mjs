// SIGTERM: the server stops taking work, gives jobs in flight a grace period, releases those that
// do not finish in it back to the queue, and exits 0. A restart then runs the released job to
// the end, and the release did not count as an attempt.

import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import {
  Server, createGeneration, getGeneration, makeTempDir, register, removeTempDir, uniqueEmail, waitFor,
} from './lib/server.mjs';
import { expectBlobsExactly } from './lib/blobs.mjs';

const LONG = { prompt: 'a lighthouse on a cliff above a stormy sea', width: 2048, height: 2048, count: 4, steps: 50, seed: 5 };

describe('graceful shutdown', { timeout: 300_000 }, () => {
  const servers = [];
  const dirs = [];
  after(async () => {
    for (const s of servers) await s.stop();
    for (const d of dirs) removeTempDir(d);
  });

  test('SIGTERM releases a running job, exits 0, and a restart finishes it', { timeout: 240_000 }, async () => {
    const dataDir = makeTempDir('shutdown');
    dirs.push(dataDir);
    const args = ['--workers', '1', '--shutdown-grace-seconds', '0'];
    const first = new Server({ name: 'shutdown-before', dataDir, args });
    servers.push(first);
    await first.start();
    const cookie = await register(first, uniqueEmail('shutdown'));
    const job = await createGeneration(first, cookie, LONG);
    await waitFor(first, cookie, job.id, 'running', { timeoutMs: 60_000, intervalMs: 20 });

    const result = await first.stop({ keepDataDir: true });
    assert.equal(result.forced, false, 'the server exits by itself after SIGTERM');
    assert.equal(result.code, 0, `exit code 0 after SIGTERM (got ${JSON.stringify(result)})`);

    const second = new Server({ name: 'shutdown-after', dataDir, args: ['--workers', '0'] });
    servers.push(second);
    await second.start();
    const released = await getGeneration(second, cookie, job.id);
    assert.equal(released.status, 'queued', 'the job went back to the queue');
    await second.stop({ keepDataDir: true });

    const third = new Server({ name: 'shutdown-resume', dataDir });
    servers.push(third);
    await third.start();
    const done = await waitFor(third, cookie, job.id, 'succeeded', { timeoutMs: 180_000 });
    assert.equal(done.images.length, LONG.count);
    await expectBlobsExactly(third, cookie, done.images);
  });
});
