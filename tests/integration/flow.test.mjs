// The main user journey: generate, follow progress, list, download, annotate, search, delete, and
// reproduce a generation from its seed.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  describeResponse, expectError, expectStatus, generationEvents, register, startServer,
  uniqueEmail, waitFor,
} from './lib/server.mjs';
import { isWebp, parsePng, pngPixels, sha256, webpSize } from './lib/media.mjs';
import { buildRequest, rawExchange } from './lib/rawhttp.mjs';

const PROMPT = 'a red fox at sunset over mountains';
const REQUEST = { prompt: PROMPT, seed: 7, width: 512, height: 512, count: 2 };
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

describe('generation flow', { timeout: 300_000 }, () => {
  let server;
  let cookie;
  let gen;           // the 202 answer
  let done;          // the final generation
  let images = [];   // done.images, by index
  let files = [];    // original PNG bytes, by index

  before(async () => {
    server = await startServer({ name: 'flow' });
    cookie = await register(server, uniqueEmail('flow'));
  }, { timeout: 60_000 });

  after(async () => { await server?.stop(); });

  const ready = (t, ...values) => {
    if (values.every((v) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0))) return true;
    t.skip('an earlier step failed');
    return false;
  };

  test('POST /generations answers 202 with the queued generation and a Location', { timeout: 20_000 }, async () => {
    const res = await server.api('POST', '/api/v1/generations', { cookie, body: REQUEST });
    expectStatus(res, 202);
    gen = res.json;
    assert.equal(typeof gen.id, 'string');
    assert.ok(['queued', 'running', 'succeeded'].includes(gen.status), `status ${gen.status}`);
    const location = res.headers.get('location');
    assert.ok(location && location.endsWith(`/api/v1/generations/${gen.id}`), `Location: ${location}`);
    assert.equal(gen.params.prompt, PROMPT);
    assert.equal(gen.params.seed, 7);
    assert.equal(gen.params.width, 512);
    assert.equal(gen.params.height, 512);
    assert.equal(gen.params.count, 2);
    assert.ok(gen.params.model, 'params.model is filled in');
    assert.ok(gen.progress >= 0 && gen.progress <= 1, `progress ${gen.progress}`);
    assert.match(gen.created_at, ISO_UTC);
    assert.ok(Array.isArray(gen.images));
    assert.ok(res.headers.get('x-request-id'), 'X-Request-Id header');
  });

  test('the event stream reports status, monotonic progress and done(succeeded), then ends', { timeout: 120_000 }, async (t) => {
    if (!ready(t, gen)) return;
    const stream = await generationEvents(server, cookie, gen.id, { timeoutMs: 110_000 });
    expectStatus(stream, 200, 'events');
    assert.match(stream.headers.get('content-type') ?? '', /^text\/event-stream/);
    const { events } = stream;
    const summary = JSON.stringify(events.map((e) => [e.event, e.data?.status ?? e.data?.progress]));
    assert.ok(events.length >= 2, `at least status and done: ${summary}`);
    assert.equal(events[0].event, 'status', `first event: ${summary}`);
    assert.equal(events[0].data.id, gen.id);
    const last = events.at(-1);
    assert.equal(last.event, 'done', `last event: ${summary}`);
    assert.equal(events.filter((e) => e.event === 'done').length, 1, `exactly one done: ${summary}`);
    let progress = events[0].data.progress;
    for (const ev of events.slice(1, -1)) {
      assert.ok(['progress', 'status'].includes(ev.event), `unexpected event ${ev.event}: ${summary}`);
      const p = ev.data.progress;
      if (ev.event === 'progress') assert.equal(ev.data.id, gen.id);
      assert.equal(typeof p, 'number', `progress is a number: ${ev.raw}`);
      assert.ok(p >= 0 && p <= 1, `progress in 0..1: ${ev.raw}`);
      assert.ok(p >= progress, `progress never decreases: ${summary}`);
      progress = p;
    }
    done = last.data;
    assert.equal(done.id, gen.id);
    assert.equal(done.status, 'succeeded', `final state: ${last.raw.slice(0, 1000)}`);
    assert.ok(done.progress >= progress, `done progress ${done.progress} < ${progress}`);
    assert.equal(done.progress, 1, 'a succeeded generation has progress 1');
    assert.equal(done.error, null);
    assert.equal(done.queue_position, null);
    assert.match(done.started_at ?? '', ISO_UTC);
    assert.match(done.finished_at ?? '', ISO_UTC);
    assert.equal(done.images.length, 2, 'count 2 gives 2 images');
    images = [...done.images].sort((a, b) => a.index - b.index);
    assert.deepEqual(images.map((i) => i.index), [0, 1]);
    assert.notEqual(images[0].id, images[1].id);
    for (const img of images) {
      assert.equal(img.generation_id, gen.id);
      assert.equal(img.prompt, PROMPT);
      assert.equal(img.width, 512);
      assert.equal(img.height, 512);
      assert.equal(img.model, done.params.model);
      assert.equal(img.file_url, `/api/v1/images/${img.id}/file`);
      assert.equal(img.thumbnail_url, `/api/v1/images/${img.id}/thumbnail?size=256`);
      assert.equal(img.favorite, false);
      assert.deepEqual(img.tags, []);
      assert.ok(img.bytes > 0);
    }
    assert.equal(images[0].seed, 7, "image 0's seed is the generation's seed");

    // Following an already final generation: status then done at once.
    const again = await generationEvents(server, cookie, gen.id, { timeoutMs: 10_000 });
    assert.deepEqual(again.events.map((e) => e.event), ['status', 'done']);
    assert.equal(again.events[1].data.status, 'succeeded');
  });

  test('GET /generations/{id} and the lists show the generation and both images, newest first', { timeout: 20_000 }, async (t) => {
    if (!ready(t, done, images)) return;
    const one = expectStatus(await server.api('GET', `/api/v1/generations/${gen.id}`, { cookie }), 200).json;
    assert.equal(one.status, 'succeeded');
    assert.deepEqual(one.images.map((i) => i.id).sort(), images.map((i) => i.id).sort());

    const gens = expectStatus(await server.api('GET', '/api/v1/generations', { cookie }), 200).json;
    assert.equal(gens.items[0]?.id, gen.id);
    assert.equal(gens.next_cursor, null);

    const list = expectStatus(await server.api('GET', '/api/v1/images', { cookie }), 200).json;
    const ids = list.items.map((i) => i.id);
    for (const img of images) assert.ok(ids.includes(img.id), `image ${img.id} listed: ${ids}`);
    assert.equal(list.items.length, 2);
    for (let i = 1; i < list.items.length; i++) {
      assert.ok(list.items[i - 1].created_at >= list.items[i].created_at, 'newest first');
    }
    for (const img of images) {
      const got = expectStatus(await server.api('GET', `/api/v1/images/${img.id}`, { cookie }), 200).json;
      assert.deepEqual(got, list.items.find((x) => x.id === img.id), 'GET /images/{id} equals the list entry');
    }

    // Keyset pagination: one per page.
    const seen = [];
    let cursor = null;
    for (let page = 0; page < 4; page++) {
      const res = expectStatus(await server.api('GET', `/api/v1/images?limit=1${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`, { cookie }), 200);
      assert.ok(res.json.items.length <= 1, 'limit=1');
      seen.push(...res.json.items.map((i) => i.id));
      cursor = res.json.next_cursor;
      if (page === 0) assert.ok(cursor, 'a first page of 1 of 2 has a next_cursor');
      if (!cursor) break;
    }
    assert.deepEqual(seen, ids, 'pages of 1 walk the same order as one page');
  });

  test('GET /images/{id}/file: a PNG with the parameters embedded, immutable caching', { timeout: 30_000 }, async (t) => {
    if (!ready(t, images)) return;
    const answers = [];
    for (const img of images) {
      const res = expectStatus(await server.api('GET', img.file_url, { cookie }), 200, `file of image ${img.index}`);
      files[img.index] = res.body;
      answers.push(res);
    }
    for (const [i, img] of images.entries()) {
      const res = answers[i];
      assert.equal(res.headers.get('content-type'), 'image/png');
      assert.equal(Number(res.headers.get('content-length')), res.body.length);
      assert.equal(res.body.length, img.bytes, 'image.bytes is the file size');
      assert.equal(res.headers.get('cache-control'), 'private, max-age=31536000, immutable');
      const png = parsePng(res.body);
      assert.equal(png.width, 512);
      assert.equal(png.height, 512);
      const params = png.text.parameters;
      assert.ok(params, `a "parameters" text chunk (chunks: ${png.chunks.map((c) => c.type)})`);
      assert.ok(params.split('\n')[0].includes(PROMPT), `the first line holds the prompt: ${JSON.stringify(params)}`);
      assert.ok(params.includes(`Seed: ${img.seed}`), `parameters hold "Seed: ${img.seed}": ${JSON.stringify(params)}`);
      assert.ok(params.includes('Size: 512x512'), `parameters hold the size: ${JSON.stringify(params)}`);
      assert.ok(png.text.rendermart, 'a "rendermart" text chunk');
      assert.doesNotThrow(() => JSON.parse(png.text.rendermart), 'the rendermart chunk is JSON');
      // AUTOMATIC1111 infotext: the last line is "Steps: N, CFG scale: X, Seed: S, Size: WxH, Model: ..."
      // (the built-in model has no sampler, so there is no "Sampler:" field).
      const fieldsLine = params.split('\n').at(-1);
      for (const field of ['Steps: ', 'CFG scale: ', 'Seed: ', 'Size: ', 'Model: ']) {
        assert.ok(fieldsLine.includes(field), `the infotext's parameter line has "${field.trim()}": ${JSON.stringify(fieldsLine)}`);
      }
      assert.match(fieldsLine, /^Steps: \d+, CFG scale: [\d.]+, Seed: \d+, Size: \d+x\d+, Model: /,
        'the A1111 field order');
    }
    assert.ok(!files[0].equals(files[1]), 'the two images of one generation differ');
    assert.ok(pngParams(files[0]).includes('Seed: 7'));
  });

  test('GET /images/{id}/file: ETag, 304, HEAD, ranges', { timeout: 30_000 }, async (t) => {
    if (!ready(t, images, files[0])) return;
    const img = images[0];
    const full = files[0];
    const first = await server.api('GET', img.file_url, { cookie });
    const etag = first.headers.get('etag');
    assert.ok(etag, 'ETag header');

    const notModified = await server.api('GET', img.file_url, { cookie, headers: { 'if-none-match': etag } });
    assert.equal(notModified.status, 304, `If-None-Match: ${describeResponse(notModified)}`);
    assert.equal(notModified.body.length, 0);
    assert.equal(notModified.headers.get('etag'), etag);

    const other = await server.api('GET', img.file_url, { cookie, headers: { 'if-none-match': '"something-else"' } });
    assert.equal(other.status, 200, 'a different ETag gets the file');

    // HEAD over raw TCP, so that a body sent by mistake would be seen.
    const head = await rawExchange(server.port, buildRequest('HEAD', img.file_url, {
      Host: `127.0.0.1:${server.port}`, Cookie: cookie, Connection: 'close',
    }), { head: true, waitForClose: true, timeoutMs: 10_000 });
    assert.ok(head.response, `HEAD answered: ${head.data.toString('latin1').slice(0, 300)}`);
    assert.equal(head.response.status, 200);
    assert.equal(Number(head.response.header('content-length')), full.length, 'HEAD Content-Length');
    assert.equal(head.response.header('etag'), etag);
    assert.equal(head.response.rest.length, 0, `HEAD sent ${head.response.rest.length} body bytes`);

    const range = await server.api('GET', img.file_url, { cookie, headers: { range: 'bytes=0-99' } });
    assert.equal(range.status, 206, `Range 0-99: ${describeResponse(range)}`);
    assert.equal(range.body.length, 100);
    assert.ok(range.body.equals(full.subarray(0, 100)), 'the range holds the first 100 bytes');
    assert.equal(range.headers.get('content-range'), `bytes 0-99/${full.length}`);

    const tail = await server.api('GET', img.file_url, { cookie, headers: { range: `bytes=${full.length - 10}-` } });
    assert.equal(tail.status, 206, `open-ended range: ${describeResponse(tail)}`);
    assert.ok(tail.body.equals(full.subarray(full.length - 10)));

    const bad = await server.api('GET', img.file_url, { cookie, headers: { range: `bytes=${full.length}-${full.length + 100}` } });
    assert.equal(bad.status, 416, `a range past the end: ${describeResponse(bad)}`);
    const cr = bad.headers.get('content-range');
    if (cr !== null) assert.equal(cr, `bytes */${full.length}`);
  });

  test('thumbnails: WebP at 256 and 512, other sizes 400', { timeout: 20_000 }, async (t) => {
    if (!ready(t, images)) return;
    for (const img of images) {
      for (const size of [256, 512]) {
        const res = expectStatus(await server.api('GET', `/api/v1/images/${img.id}/thumbnail?size=${size}`, { cookie }), 200, `thumbnail ${size}`);
        assert.equal(res.headers.get('content-type'), 'image/webp');
        assert.ok(isWebp(res.body), `RIFF/WEBP signature: ${res.body.subarray(0, 16).toString('hex')}`);
        const dims = webpSize(res.body);
        assert.ok(dims.width > 0 && dims.height > 0, JSON.stringify(dims));
        assert.ok(Math.max(dims.width, dims.height) <= size, `thumbnail ${size} is ${dims.width}x${dims.height}`);
      }
    }
    const byUrl = expectStatus(await server.api('GET', images[0].thumbnail_url, { cookie }), 200, 'thumbnail_url');
    const byUrlDims = webpSize(byUrl.body);
    assert.ok(Math.max(byUrlDims.width, byUrlDims.height) <= 256, `thumbnail_url is ${byUrlDims.width}x${byUrlDims.height}`);
    expectError(await server.api('GET', `/api/v1/images/${images[0].id}/thumbnail?size=300`, { cookie }), 400, 'invalid_argument', 'size');
  });

  test('PATCH /images/{id} changes favorite, title and tags', { timeout: 20_000 }, async (t) => {
    if (!ready(t, images)) return;
    const id = images[0].id;
    const res = expectStatus(await server.api('PATCH', `/api/v1/images/${id}`, {
      cookie, body: { favorite: true, title: 'Fox at dusk', tags: ['fox', 'sunset'] },
    }), 200);
    assert.equal(res.json.favorite, true);
    assert.equal(res.json.title, 'Fox at dusk');
    assert.deepEqual(res.json.tags, ['fox', 'sunset']);
    assert.equal(res.json.id, id);

    const partial = expectStatus(await server.api('PATCH', `/api/v1/images/${id}`, { cookie, body: { title: 'Red fox' } }), 200);
    assert.equal(partial.json.title, 'Red fox');
    assert.equal(partial.json.favorite, true, 'fields not in the PATCH are kept');
    assert.deepEqual(partial.json.tags, ['fox', 'sunset'], 'fields not in the PATCH are kept');

    const got = expectStatus(await server.api('GET', `/api/v1/images/${id}`, { cookie }), 200).json;
    assert.equal(got.favorite, true);
    assert.equal(got.title, 'Red fox');
    assert.deepEqual(got.tags, ['fox', 'sunset']);

    expectError(await server.api('PATCH', `/api/v1/images/${id}`, { cookie, body: { title: 'x'.repeat(201) } }), 400, 'invalid_argument', 'title');
    expectError(await server.api('PATCH', `/api/v1/images/${id}`, { cookie, body: { tags: Array.from({ length: 21 }, (_, i) => `t${i}`) } }), 400, 'invalid_argument', 'tags');
    expectError(await server.api('PATCH', `/api/v1/images/${id}`, { cookie, body: { tags: ['y'.repeat(51)] } }), 400, 'invalid_argument', 'tags');
    expectError(await server.api('PATCH', `/api/v1/images/${id}`, { cookie, body: { favorite: 'yes' } }), 400, 'invalid_argument', 'favorite');
  });

  test('GET /images filters: q, favorite, model, from/to', { timeout: 20_000 }, async (t) => {
    if (!ready(t, images, done)) return;
    const [fav, plain] = images;
    const ids = async (query) => {
      const res = expectStatus(await server.api('GET', `/api/v1/images?${query}`, { cookie }), 200, query);
      return res.json.items.map((i) => i.id);
    };
    for (const q of ['fox', 'mountains', 'red fox']) {
      const found = await ids(`q=${encodeURIComponent(q)}`);
      assert.ok(found.includes(fav.id) && found.includes(plain.id), `q=${q} finds both: ${found}`);
    }
    assert.deepEqual(await ids('q=zebraquokkanonsense'), [], 'q=nonsense finds nothing');

    const favorites = await ids('favorite=true');
    assert.ok(favorites.includes(fav.id) && !favorites.includes(plain.id), `favorite=true: ${favorites}`);
    const others = await ids('favorite=false');
    assert.ok(others.includes(plain.id) && !others.includes(fav.id), `favorite=false: ${others}`);

    const byModel = await ids(`model=${encodeURIComponent(done.params.model)}`);
    assert.ok(byModel.includes(fav.id) && byModel.includes(plain.id), `model filter: ${byModel}`);

    assert.equal((await ids('from=2000-01-01T00:00:00.000Z')).length, 2, 'from the past');
    assert.deepEqual(await ids('to=2000-01-01T00:00:00.000Z'), [], 'to the past');
    assert.deepEqual(await ids('from=2100-01-01T00:00:00.000Z'), [], 'from the future');
    assert.deepEqual(await ids(`q=fox&favorite=true`), [fav.id], 'filters combine');
  });

  test('the same seed and parameters reproduce the same PNG', { timeout: 120_000 }, async (t) => {
    if (!ready(t, done, files[0], files[1])) return;
    const { params } = done;
    const again = expectStatus(await server.api('POST', '/api/v1/generations', { cookie, body: { ...params } }), 202).json;
    const second = await waitFor(server, cookie, again.id, 'succeeded', { timeoutMs: 110_000 });
    assert.deepEqual({ ...second.params }, { ...params }, 'same effective parameters');
    const secondImages = [...second.images].sort((a, b) => a.index - b.index);
    assert.equal(secondImages.length, 2);
    for (const img of secondImages) {
      assert.equal(img.seed, images[img.index].seed, `image ${img.index} seed`);
      const res = expectStatus(await server.api('GET', img.file_url, { cookie }), 200);
      assert.ok(pngPixels(res.body).equals(pngPixels(files[img.index])), `image ${img.index}: identical pixels`);
      assert.equal(sha256(res.body), sha256(files[img.index]), `image ${img.index}: byte-identical PNG file`);
    }
    const gens = expectStatus(await server.api('GET', '/api/v1/generations', { cookie }), 200).json;
    assert.deepEqual(gens.items.slice(0, 2).map((g) => g.id), [again.id, gen.id], 'generations newest first');
  });

  test('DELETE /images/{id} removes the image and its files', { timeout: 20_000 }, async (t) => {
    if (!ready(t, images)) return;
    const victim = images[1];
    const res = await server.api('DELETE', `/api/v1/images/${victim.id}`, { cookie });
    assert.equal(res.status, 204, describeResponse(res));
    assert.equal(res.body.length, 0);
    expectError(await server.api('GET', `/api/v1/images/${victim.id}`, { cookie }), 404, 'not_found');
    expectError(await server.api('GET', victim.file_url, { cookie }), 404, 'not_found');
    expectError(await server.api('GET', victim.thumbnail_url, { cookie }), 404, 'not_found');
    expectError(await server.api('PATCH', `/api/v1/images/${victim.id}`, { cookie, body: { favorite: true } }), 404, 'not_found');
    expectError(await server.api('DELETE', `/api/v1/images/${victim.id}`, { cookie }), 404, 'not_found');
    const list = expectStatus(await server.api('GET', '/api/v1/images?limit=100', { cookie }), 200).json;
    assert.ok(!list.items.some((i) => i.id === victim.id), 'not listed any more');
    assert.ok(list.items.some((i) => i.id === images[0].id), 'the other image stays');
    expectStatus(await server.api('GET', images[0].file_url, { cookie }), 200, 'the other file stays');
  });

  test('SIGTERM stops the server gracefully with exit code 0', { timeout: 20_000 }, async () => {
    const result = await server.stop({ timeoutMs: 15_000 });
    assert.equal(result.forced, false, 'exited within 15 s of SIGTERM');
    assert.equal(result.code, 0, `exit: ${JSON.stringify(result)}`);
  });
});

function pngParams(buf) {
  return parsePng(buf).text.parameters ?? '';
}
