// Checks the blob directory against what the API serves: no orphans, nothing missing.

import assert from 'node:assert/strict';
import path from 'node:path';
import { storedBlobs } from './backends.mjs';
import { expectStatus } from './server.mjs';
import { sha256 } from './media.mjs';

// Asserts that the objects in the server's storage (files or S3) are exactly the original and the two thumbnails
// (256, 512) of each image in `images` (fetched through the API with `auth`, or with the image's
// own `auth` when it has one, for images of several users), compared by content.
export async function expectBlobsExactly(server, auth, images, note = '') {
  const expected = [];
  for (const img of images) {
    const file = expectStatus(await server.api('GET', `/api/v1/images/${img.id}/file`, { auth: img.auth ?? auth }), 200, `${note} file ${img.id}`);
    expected.push({ what: `original of ${img.id}`, hash: sha256(file.body) });
    for (const size of [256, 512]) {
      const thumb = expectStatus(await server.api('GET', `/api/v1/images/${img.id}/thumbnail?size=${size}`, { auth: img.auth ?? auth }), 200, `${note} thumbnail ${size} of ${img.id}`);
      expected.push({ what: `thumbnail ${size} of ${img.id}`, hash: sha256(thumb.body) });
    }
  }
  const files = (await storedBlobs(server.dataDir)).map(({ rel, bytes }) => ({ rel, hash: sha256(bytes) }));
  // Identical bytes can lie in two files (a deterministic re-run writes what a crashed attempt
  // wrote): match ordinary names first, so that a hidden or temporary file is the one left over.
  const odd = (rel) => path.basename(rel).startsWith('.') || /\.(tmp|part|partial)$/i.test(rel);
  const unmatched = [...files].sort((a, b) => Number(odd(a.rel)) - Number(odd(b.rel)) || a.rel.localeCompare(b.rel));
  const missing = [];
  for (const e of expected) {
    const i = unmatched.findIndex((f) => f.hash === e.hash);
    if (i < 0) missing.push(e.what);
    else unmatched.splice(i, 1);
  }
  const prefix = note ? `${note}: ` : '';
  assert.deepEqual(missing, [], `${prefix}served content with no stored object of the same bytes`);
  assert.deepEqual(unmatched.map((f) => f.rel), [],
    `${prefix}${unmatched.length} file(s) in the blob store belong to no image (orphans): ${unmatched.map((f) => f.rel).join(', ')} ` +
    `(expected exactly ${expected.length} files, ${images.length} images x 3; found ${files.length})`);
}
