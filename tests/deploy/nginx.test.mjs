// The frontend image's nginx.conf, run by Debian's nginx (the image's own) on a free loopback
// port with the built web app: SPA fallback, gzip, cache headers, and /api/ not answered with the
// app.

import assert from 'node:assert/strict';
import { spawn, execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { gunzipSync } from 'node:zlib';

import { freePort } from '../integration/lib/server.mjs';
import { REPO_ROOT } from './lib/k8s.mjs';

const CONFIG = path.join(REPO_ROOT, 'deploy', 'docker', 'nginx.conf');
const WEB_DIST = path.join(REPO_ROOT, 'web', 'dist');

function nginxBinary() {
  for (const candidate of ['/usr/sbin/nginx', '/usr/bin/nginx']) if (fs.existsSync(candidate)) return candidate;
  return null;
}

// The image's config with this test's port, web root and pid file: exactly those three lines
// change, and each must be there once.
function testConfig(port, dir, webRoot) {
  let text = fs.readFileSync(CONFIG, 'utf8');
  const replace = (pattern, value) => {
    assert.equal(text.match(new RegExp(pattern.source, 'gm'))?.length, 1, `nginx.conf has one ${pattern}`);
    text = text.replace(new RegExp(pattern.source, 'm'), value);
  };
  replace(/^\s*listen 8080;$/, `    listen 127.0.0.1:${port};`);
  replace(/^\s*root \/usr\/share\/rendermart\/web;$/, `    root ${webRoot};`);
  replace(/^pid \/tmp\/nginx.pid;$/, `pid ${dir}/nginx.pid;`);
  text = text.replaceAll('/tmp/nginx-', `${dir}/nginx-`);
  const file = path.join(dir, 'nginx.conf');
  fs.writeFileSync(file, text);
  return file;
}

const nginx = nginxBinary();
const skip = nginx ? false : 'nginx is not installed (scripts/install-deps.sh installs nginx-light)';

describe('the web app image\'s nginx', { skip }, () => {
  let child;
  let base;
  let dir;

  before(async () => {
    assert.ok(fs.existsSync(path.join(WEB_DIST, 'index.html')), 'web/dist is built (scripts/build.sh)');
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rendermart-nginx-'));
    // Run as root, nginx's workers are `nobody`, who may not reach a checkout in a private
    // folder: they serve a world-readable copy of the build.
    fs.chmodSync(dir, 0o755);
    const webRoot = path.join(dir, 'web');
    fs.cpSync(WEB_DIST, webRoot, { recursive: true });
    const port = await freePort();
    const config = testConfig(port, dir, webRoot);
    // The access log goes to standard output, which must be a file or pipe that nginx can open
    // as /dev/stdout (Node's own pipes are sockets, which cannot be).
    const accessLog = fs.openSync(path.join(dir, 'access.log'), 'a');
    execFileSync(nginx, ['-t', '-q', '-c', config, '-p', dir, '-e', 'stderr'], { stdio: ['ignore', accessLog, 'pipe'] });
    child = spawn(nginx, ['-c', config, '-p', dir, '-e', 'stderr', '-g', 'daemon off;'], { stdio: ['ignore', accessLog, 'pipe'] });
    fs.closeSync(accessLog);
    child.log = '';
    child.stderr.on('data', (d) => { child.log += d; });
    base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try {
        await fetch(`${base}/healthz`);
        break;
      } catch (error) {
        if (i > 100) throw new Error(`nginx did not start: ${child.log}`);
        await sleep(50);
      }
    }
  });

  after(() => {
    child?.kill('SIGQUIT');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('serves the app at / and client-side routes, revalidated on every load', async () => {
    const index = fs.readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
    for (const route of ['/', '/gallery', '/settings/keys', '/index.html']) {
      const res = await fetch(base + route);
      assert.equal(res.status, 200, route);
      assert.match(res.headers.get('content-type'), /^text\/html/);
      assert.equal(res.headers.get('cache-control'), 'no-cache', route);
      assert.equal(await res.text(), index, route);
    }
  });

  test('caches hashed assets for a year and gzips them', async () => {
    const assets = fs.readdirSync(path.join(WEB_DIST, 'assets'));
    const script = assets.find((name) => name.endsWith('.js'));
    assert.ok(script, 'the build has a script in assets/');
    const res = await fetch(`${base}/assets/${script}`);
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('cache-control'), 'public, max-age=31536000, immutable');
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff');
    // fetch decompresses; ask with a raw request to see the encoding on the wire.
    const raw = execFileSync('curl', ['-sS', '-D', '-', '-o', path.join(dir, 'body.gz'), '-H', 'Accept-Encoding: gzip', `${base}/assets/${script}`], { encoding: 'utf8' });
    assert.match(raw, /content-encoding: gzip/i);
    assert.match(raw, /vary: accept-encoding/i);
    const original = fs.readFileSync(path.join(WEB_DIST, 'assets', script));
    assert.deepEqual(gunzipSync(fs.readFileSync(path.join(dir, 'body.gz'))), original);

    const missing = await fetch(`${base}/assets/no-such-file.js`);
    assert.equal(missing.status, 404, 'a missing asset is not answered with the app');
  });

  test('leaves /api/ to the backend', async () => {
    for (const route of ['/api/', '/api/v1/images', '/api/v1/auth/me']) {
      const res = await fetch(base + route);
      assert.equal(res.status, 404, route);
      assert.match(res.headers.get('content-type'), /^application\/json/);
      assert.equal((await res.json()).error.code, 'not_found');
    }
    const post = await fetch(`${base}/api/v1/generations`, { method: 'POST', body: '{}' });
    assert.equal(post.status, 404);
  });

  test('answers its health check', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.equal(await res.text(), 'ok\n');
  });
});
