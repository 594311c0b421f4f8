// The web app's files over real HTTP: the precompressed copy the build writes beside a file
// (name.br, name.gz) is sent when Accept-Encoding allows it, with Content-Encoding, Vary and the
// original's Content-Type; hashed assets are cached for a year, index.html is revalidated.

import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import zlib from 'node:zlib';
import { after, before, describe, test } from 'node:test';

import { makeTempDir, startServer } from './lib/server.mjs';

// GET without fetch(), which would decode the body and hide Content-Encoding.
function get(server, urlPath, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.get(`${server.baseUrl}${urlPath}`, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
  });
}

describe('precompressed static files', { timeout: 60_000 }, () => {
  let server;
  const script = Buffer.from(`console.log(${JSON.stringify('RenderMart '.repeat(500))});\n`);
  const index = Buffer.from(`<!doctype html><title>RenderMart</title>${'<p>web app</p>'.repeat(200)}`);
  before(async () => {
    const web = makeTempDir('web');
    fs.mkdirSync(path.join(web, 'assets'));
    const write = (name, bytes) => fs.writeFileSync(path.join(web, name), bytes);
    write('index.html', index);
    write('index.html.br', zlib.brotliCompressSync(index));
    write('index.html.gz', zlib.gzipSync(index));
    write('assets/index-4f2a9c.js', script);
    write('assets/index-4f2a9c.js.br', zlib.brotliCompressSync(script));
    write('assets/index-4f2a9c.js.gz', zlib.gzipSync(script));
    write('assets/index-4f2a9c.css', 'body{margin:0}');
    server = await startServer({ name: 'static-compression', args: ['--web-dir', web] });
  });
  after(async () => { await server?.stop(); });

  test('brotli when allowed, else gzip, else the file itself', async () => {
    const br = await get(server, '/assets/index-4f2a9c.js', { 'accept-encoding': 'gzip, deflate, br' });
    assert.equal(br.status, 200);
    assert.equal(br.headers['content-encoding'], 'br');
    assert.equal(br.headers['content-type'], 'text/javascript; charset=utf-8');
    assert.equal(br.headers.vary, 'Accept-Encoding');
    assert.equal(br.headers['cache-control'], 'public, max-age=31536000, immutable');
    assert.ok(br.body.length < script.length / 10, `${br.body.length} bytes sent for ${script.length}`);
    assert.deepEqual(zlib.brotliDecompressSync(br.body), script);

    const gz = await get(server, '/assets/index-4f2a9c.js', { 'accept-encoding': 'gzip' });
    assert.equal(gz.headers['content-encoding'], 'gzip');
    assert.deepEqual(zlib.gunzipSync(gz.body), script);
    assert.notEqual(gz.headers.etag, br.headers.etag, 'each form has its own ETag');

    for (const accept of [undefined, 'identity', 'br;q=0, gzip;q=0']) {
      const plain = await get(server, '/assets/index-4f2a9c.js', accept ? { 'accept-encoding': accept } : {});
      assert.equal(plain.headers['content-encoding'], undefined, `Accept-Encoding: ${accept}`);
      assert.equal(plain.headers.vary, 'Accept-Encoding');
      assert.deepEqual(plain.body, script);
    }
    const css = await get(server, '/assets/index-4f2a9c.css', { 'accept-encoding': 'br, gzip' });
    assert.equal(css.headers['content-encoding'], undefined, 'no copy, no coding');
    assert.equal(css.body.toString(), 'body{margin:0}');
  });

  test('the app\'s page, by name or as the fallback of a route, is compressed and revalidated', async () => {
    for (const urlPath of ['/', '/index.html', '/gallery']) {
      const res = await get(server, urlPath, { 'accept-encoding': 'br' });
      assert.equal(res.status, 200, urlPath);
      assert.equal(res.headers['content-encoding'], 'br', urlPath);
      assert.equal(res.headers['content-type'], 'text/html; charset=utf-8', urlPath);
      assert.equal(res.headers['cache-control'], 'no-cache', urlPath);
      assert.deepEqual(zlib.brotliDecompressSync(res.body), index, urlPath);
    }
    const again = await get(server, '/', { 'accept-encoding': 'br', 'if-none-match': (await get(server, '/', { 'accept-encoding': 'br' })).headers.etag });
    assert.equal(again.status, 304);
  });
});
