// Uploads through the real binary, on both backends: POST /api/v1/images takes a picture as
// multipart/form-data or as the body itself, turns it upright as its EXIF orientation says,
// strips its metadata (the stored original is a new PNG), files it as the user's image
// (origin "uploaded", counted in stored bytes, not in images per day), and refuses every bad
// upload (wrong type, truncated, a decompression bomb, too many bytes, empty, a wrong field)
// with 400, 413 or 415 and a clear message, storing nothing.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';

import { Server, expectError, expectStatus, register, uniqueEmail } from './lib/server.mjs';
import { expectBlobsExactly } from './lib/blobs.mjs';
import {
  blockJpeg, decodePng, encodePng, exifOrientation, insertPngChunk, parsePng, solidPng,
} from './lib/media.mjs';

const MAX_UPLOAD_BYTES = 64 * 1024;

function form(fields) {
  const body = new FormData();
  for (const [name, value, filename] of fields) {
    if (Buffer.isBuffer(value)) body.append(name, new Blob([value]), filename ?? 'picture');
    else body.append(name, value);
  }
  return body;
}

async function upload(server, cookie, body, headers = {}, query = '') {
  return server.api('POST', `/api/v1/images${query}`, { cookie, body, raw: true, headers });
}

// The first half of a file.
function truncated(bytes) {
  return bytes.subarray(0, Math.floor(bytes.length / 2));
}

// The grey level of a stored RGB PNG at (x, y).
function greyAt(png, x, y) {
  return png.data[(y * png.width + x) * png.channels];
}

describe('uploads', { timeout: 120_000 }, () => {
  let server;
  let cookie;

  before(async () => {
    server = new Server({ name: 'uploads', env: { RENDERMART_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } });
    await server.start();
    cookie = await register(server, uniqueEmail('uploads'));
  });

  after(async () => { await server?.stop(); });

  test('every bad upload is refused with a clear error and stores nothing', async () => {
    const png = solidPng(32, 32, [10, 200, 30]);
    const bomb = Buffer.from(png);
    bomb.writeUInt32BE(100_000, 16); // IHDR width and height: 10 gigapixels claimed in 200 bytes
    bomb.writeUInt32BE(100_000, 20);
    const noise = Buffer.alloc(MAX_UPLOAD_BYTES + 1000);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 7919) & 0xff;
    const cases = [
      ['a wrong media type', form([]), { 'content-type': 'text/plain' }, 415, 'unsupported_media_type'],
      ['a GIF', form([['file', Buffer.from('GIF89a\x01\x00\x01\x00', 'latin1')]]), {}, 400, 'invalid_argument', 'file'],
      ['a truncated PNG', form([['file', truncated(png)]]), {}, 400, 'invalid_argument', 'file'],
      ['a truncated JPEG', truncated(blockJpeg([[0, 255, 40, 90], [255, 0, 130, 7]])), { 'content-type': 'image/jpeg' }, 400, 'invalid_argument', 'file'],
      ['a decompression bomb', bomb, { 'content-type': 'image/png' }, 413, 'payload_too_large', 'file'],
      ['too many bytes', form([['file', Buffer.concat([png, noise])]]), {}, 413, 'payload_too_large'],
      ['far too many bytes', Buffer.concat([png, noise, noise, noise]), { 'content-type': 'image/png' }, 413, 'payload_too_large'],
      ['an empty file', form([['file', Buffer.alloc(0)]]), {}, 400, 'invalid_argument', 'file'],
      ['an empty body', Buffer.alloc(0), { 'content-type': 'image/webp' }, 400, 'invalid_argument', 'file'],
      ['a wrong field', form([['image', png]]), {}, 400, 'invalid_argument', 'image'],
      ['no file', form([['title', 'just a title']]), {}, 400, 'invalid_argument', 'file'],
      ['two files', form([['file', png], ['file', png]]), {}, 400, 'invalid_argument', 'file'],
      ['a title too long', form([['file', png], ['title', 'x'.repeat(201)]]), {}, 400, 'invalid_argument', 'title'],
    ];
    for (const [what, body, headers, status, code, field] of cases) {
      const res = await upload(server, cookie, body, headers);
      expectError(res, status, code, field, what);
      assert.ok(res.json.error.message.length > 20, `${what}: a message that says what to do: ${res.json.error.message}`);
    }
    const list = expectStatus(await server.api('GET', '/api/v1/images', { cookie }), 200);
    assert.deepEqual(list.json.items, [], 'nothing was filed');
    await expectBlobsExactly(server, cookie, [], 'nothing was stored');
  });

  test('a multipart upload is filed as the user\'s image, without its metadata', async () => {
    const pixels = Buffer.alloc(24 * 16 * 4);
    for (let i = 0; i < 24 * 16; i++) pixels.set([i & 0xff, (i * 3) & 0xff, 90, i % 2 ? 255 : 128], i * 4);
    let png = encodePng(24, 16, 4, pixels);
    png = insertPngChunk(png, 'tEXt', Buffer.from('Author\0Someone Private', 'latin1'));
    png = insertPngChunk(png, 'eXIf', exifOrientation(1));
    const res = expectStatus(await upload(server, cookie,
      form([['file', png, 'mine.png'], ['title', 'My picture'], ['tags', 'mine'], ['tags', 'upload']])), 201);
    const image = res.json;
    assert.equal(res.headers.get('location'), `/api/v1/images/${image.id}`);
    assert.equal(image.origin, 'uploaded');
    assert.equal(image.task, 'upload');
    assert.equal(image.source_image_id, null);
    assert.deepEqual([image.width, image.height, image.title, image.tags], [24, 16, 'My picture', ['mine', 'upload']]);

    const file = expectStatus(await server.api('GET', image.file_url, { cookie }), 200);
    assert.equal(image.bytes, file.body.length);
    const stored = parsePng(file.body);
    assert.deepEqual(stored.chunks.map((c) => c.type).filter((t) => !['IHDR', 'IDAT', 'IEND'].includes(t)), [],
      'no text, EXIF or other chunk survives');
    const decoded = decodePng(file.body);
    assert.equal(decoded.channels, 4, 'transparency is kept');
    assert.deepEqual(decoded.data, pixels, 'the pixels are exactly the upload\'s');

    const listed = expectStatus(await server.api('GET', '/api/v1/images', { cookie }), 200).json.items;
    assert.deepEqual(listed.map((i) => i.id), [image.id]);
    const usage = expectStatus(await server.api('GET', '/api/v1/me/usage', { cookie }), 200).json;
    assert.equal(usage.images_per_day.used, 0, 'an upload is not an image asked for');
    assert.ok(usage.stored_bytes.used > image.bytes, 'an upload counts in stored bytes (with its thumbnails)');
    const generations = expectStatus(await server.api('GET', '/api/v1/generations', { cookie }), 200).json.items;
    const job = generations.find((g) => g.id === image.generation_id);
    assert.equal(job.status, 'succeeded');
    assert.equal(job.params.task, 'upload');

    expectStatus(await server.api('DELETE', `/api/v1/images/${image.id}`, { cookie }), 204);
    await expectBlobsExactly(server, cookie, [], 'a deleted upload leaves no file');
  });

  test('a raw JPEG is turned upright as its EXIF orientation says', async () => {
    // 16x8: black on the left, white on the right; orientation 6 turns it 90 degrees clockwise.
    const jpeg = blockJpeg([[0, 255]], { orientation: 6 });
    const res = expectStatus(await upload(server, cookie, jpeg, { 'content-type': 'image/jpeg' }, '?title=Phone%20photo&tags=a,b'), 201);
    assert.deepEqual([res.json.width, res.json.height, res.json.title, res.json.tags], [8, 16, 'Phone photo', ['a', 'b']]);
    const file = expectStatus(await server.api('GET', res.json.file_url, { cookie }), 200);
    const png = decodePng(file.body);
    assert.deepEqual([png.width, png.height], [8, 16]);
    assert.ok(greyAt(png, 4, 3) < 30, `the black half is on top: ${greyAt(png, 4, 3)}`);
    assert.ok(greyAt(png, 4, 12) > 225, `the white half at the bottom: ${greyAt(png, 4, 12)}`);
    expectStatus(await server.api('DELETE', `/api/v1/images/${res.json.id}`, { cookie }), 204);
  });

  test('an upload that does not fit the stored bytes is refused and stores nothing', async () => {
    const small = new Server({
      name: 'uploads-quota', env: { RENDERMART_MAX_STORED_BYTES: '300' },
    });
    await small.start();
    try {
      const user = await register(small, uniqueEmail('quota'));
      const res = await upload(small, user, form([['file', solidPng(64, 64, [1, 2, 3])]]));
      expectError(res, 429, 'quota_exceeded');
      assert.match(res.json.error.message, /stored bytes/);
      await expectBlobsExactly(small, user, [], 'a refused upload leaves no file');
    } finally {
      await small.stop();
    }
  });
});
