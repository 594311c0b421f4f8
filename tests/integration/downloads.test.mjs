// RENDERMART_DOWNLOADS=redirect: with S3 (RENDERMART_TEST_BACKEND=postgres-s3) an image download
// answers 302 to a presigned URL that serves the same bytes and stops working once expired; with
// local files, which have no presigned URLs, the API keeps serving the bytes itself.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { BACKEND } from './lib/backends.mjs';
import { Server, authHeaders, createGeneration, register, sleep, uniqueEmail, waitFor } from './lib/server.mjs';

describe('image downloads with RENDERMART_DOWNLOADS=redirect', { timeout: 120_000 }, () => {
  let server;
  let cookie;
  let image;

  before(async () => {
    server = new Server({ name: 'downloads', args: ['--downloads', 'redirect', '--presign-seconds', '2'] });
    await server.start();
    cookie = await register(server, uniqueEmail('downloads'));
    const job = await createGeneration(server, cookie, { prompt: 'a small green island', width: 128, height: 128, seed: 3 });
    [image] = (await waitFor(server, cookie, job.id, 'succeeded')).images;
  });

  after(async () => { await server?.stop(); });

  test(BACKEND === 'postgres-s3' ? 'S3: 302 to a presigned URL that serves the PNG until it expires'
                                 : 'files: no presigned URLs, so the API serves the PNG itself', async () => {
    const res = await fetch(`${server.baseUrl}${image.file_url}`, { headers: authHeaders(cookie), redirect: 'manual' });
    if (BACKEND !== 'postgres-s3') {
      assert.equal(res.status, 200);
      assert.equal(res.headers.get('content-type'), 'image/png');
      return;
    }
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('cache-control'), 'private, no-store');
    const location = res.headers.get('location');
    assert.match(location, /X-Amz-Signature=/);
    const direct = await fetch(location);
    assert.equal(direct.status, 200);
    const bytes = Buffer.from(await direct.arrayBuffer());
    assert.equal(bytes.subarray(1, 4).toString(), 'PNG');
    assert.equal(bytes.length, image.bytes);
    await sleep(3_000);
    assert.equal((await fetch(location)).status, 403, 'the presigned URL expired');
    // Without credentials there is no redirect at all.
    assert.equal((await fetch(`${server.baseUrl}${image.file_url}`, { redirect: 'manual' })).status, 401);
  });
});
