// The model library through the real binary against a stand-in for the Hugging Face Hub
// (lib/hub_server.mjs) on 127.0.0.1: `rendermart models pull|add|list|remove` (what is
// downloaded and what never is, resume after a kill, a corrupt file, two pulls at once, gated,
// unknown and unreachable repositories, URL pulls of one checkpoint), and the admin API (pulls
// with SSE progress, cancel, remove) on a running server that generates with the pulled model
// without a restart.

import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BIN, DEFAULT_PASSWORD, collectEvents, createAdmin, createGeneration, expectError, expectStatus, freePort,
  makeTempDir, register, runBinary, sessionCookieFrom, sleep, startServer, uniqueEmail, waitFor,
} from './lib/server.mjs';
import { backendEnv } from './lib/backends.mjs';
import { FIXTURES, TEST_OWNER, filesBelow, startHub } from './lib/hub_server.mjs';
import { loraHash } from './lib/media.mjs';

const hasEngine = fs.existsSync(BIN) &&
  /local diffusion engine: libtorch/.test(spawnSync(BIN, ['version'], { encoding: 'utf8' }).stdout);

const SD1 = `${TEST_OWNER}/tiny-sd1`;
const SD2 = `${TEST_OWNER}/tiny-sd2`;
const LORAS = `${TEST_OWNER}/loras`;

// What a pull of tiny-sd1 installs: the pipeline's files, the fp16 UNet, and rendermart.json.
const SD1_FILES = [
  'model_index.json', 'rendermart.json', 'scheduler/scheduler_config.json',
  'text_encoder/config.json', 'text_encoder/model.safetensors',
  'tokenizer/merges.txt', 'tokenizer/special_tokens_map.json', 'tokenizer/tokenizer_config.json', 'tokenizer/vocab.json',
  'unet/config.json', 'unet/diffusion_pytorch_model.fp16.safetensors',
  'vae/config.json', 'vae/diffusion_pytorch_model.safetensors',
];

const sha256 = (file) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

// Runs `rendermart models ...` on a data folder; resolves to { code, out }.
function models(dataDir, args, env = {}) {
  return runBinary(['models', ...args, '--data-dir', dataDir, '--log-format', 'text'], env);
}

// Starts `rendermart models ...` without waiting, to kill it or to run two at once.
function startModels(dataDir, args, env = {}) {
  const child = spawn(BIN, ['models', ...args, '--data-dir', dataDir, '--log-format', 'text'],
    { env: { PATH: process.env.PATH, ...env } });
  const run = { child, out: '' };
  child.stdout.on('data', (d) => { run.out += d; });
  child.stderr.on('data', (d) => { run.out += d; });
  run.done = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal, out: run.out })));
  return run;
}

async function until(condition, what, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

const cdnRequests = (hub, hash) => hub.requests.filter((r) => r.path === `/cdn/${hash}`);
const lfsHash = (hub, repo, file) => hub.repo(repo).files.find((f) => f.rfilename === file).sha256;

describe('rendermart models (CLI)', { timeout: 300_000 }, () => {
  let hub;
  before(async () => { hub = await startHub(); });
  after(async () => { await hub?.close(); });
  const env = (extra = {}) => ({ HF_ENDPOINT: hub.url, ...extra });

  test('pull downloads only what the pipeline needs, fp16 weights first, and records source and license', async () => {
    const data = makeTempDir('pull');
    const before = hub.requests.length;
    const run = await models(data, ['pull', SD1], env({ HF_TOKEN: hub.token }));
    assert.equal(run.code, 0, run.out);
    const folder = path.join(data, 'models', 'tiny-sd1');
    assert.deepEqual(filesBelow(folder), SD1_FILES);
    assert.match(run.out, /installed tiny-sd1 in /);
    const settings = JSON.parse(fs.readFileSync(path.join(folder, 'rendermart.json'), 'utf8'));
    assert.deepEqual(settings, { source: `hf:${SD1}@${hub.repo(SD1).commit}`, license: 'creativeml-openrail-m' });
    const unet = path.join(FIXTURES, 'diffusion', 'tiny-sd1', 'unet', 'diffusion_pytorch_model.safetensors');
    assert.equal(sha256(path.join(folder, 'unet', 'diffusion_pytorch_model.fp16.safetensors')), sha256(unet));

    const seen = hub.requests.slice(before);
    const fetched = seen.filter((r) => r.path.includes('/resolve/')).map((r) => r.path.split('/resolve/')[1].split('/').slice(1).join('/'));
    for (const never of ['unet/diffusion_pytorch_model.bin', 'text_encoder/pytorch_model.bin', 'unet/model.onnx',
      'vae/diffusion_flax_model.msgpack', 'safety_checker/model.safetensors', 'feature_extractor/preprocessor_config.json',
      'v1-5-pruned.ckpt', 'unet/diffusion_pytorch_model.safetensors']) {
      assert.ok(!fetched.includes(never), `${never} was downloaded`);
    }
    // Files at the commit the listing named; the token to the Hub only, never to the CDN.
    assert.ok(seen.filter((r) => r.path.includes('/resolve/')).every((r) => r.path.includes(`/resolve/${hub.repo(SD1).commit}/`)));
    assert.ok(seen.filter((r) => !r.path.startsWith('/cdn/')).every((r) => r.authorization === `Bearer ${hub.token}`));
    assert.ok(seen.filter((r) => r.path.startsWith('/cdn/')).every((r) => r.authorization === null));
    assert.ok(!fs.existsSync(path.join(data, 'models', '.partial', 'tiny-sd1')), 'the partial folder is gone');

    const full = await models(data, ['pull', SD1, '--name', 'tiny-sd1-full', '--variant', 'full'], env());
    assert.equal(full.code, 0, full.out);
    assert.ok(fs.existsSync(path.join(data, 'models', 'tiny-sd1-full', 'unet', 'diffusion_pytorch_model.safetensors')));
    assert.ok(!fs.existsSync(path.join(data, 'models', 'tiny-sd1-full', 'unet', 'diffusion_pytorch_model.fp16.safetensors')));

    const again = await models(data, ['pull', SD1], env());
    assert.equal(again.code, 1);
    assert.match(again.out, /already installed.*\[conflict\]/s);
  });

  test('list shows each model with format, family, size, source and license; remove deletes it', { skip: !hasEngine && 'built without libtorch' }, async () => {
    const data = makeTempDir('list');
    assert.equal((await models(data, ['pull', SD2], env())).code, 0);
    fs.mkdirSync(path.join(data, 'models', 'broken'));
    fs.writeFileSync(path.join(data, 'models', 'broken', 'model_index.json'), '{}');
    const list = await models(data, ['list'], env());
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /tiny-sd2\s+diffusers\s+sd2\s+[\d.]+ MB\s+hf:rendermart-tests\/tiny-sd2@[0-9a-f]{40}\s+openrail\+\+\s+usable/);
    assert.match(list.out, /broken\s+diffusers\s+-\s+.*NOT USABLE: /);

    const removed = await models(data, ['remove', 'tiny-sd2'], env());
    assert.equal(removed.code, 0, removed.out);
    assert.ok(!fs.existsSync(path.join(data, 'models', 'tiny-sd2')));
    const unknown = await models(data, ['remove', 'tiny-sd2'], env());
    assert.equal(unknown.code, 1);
    assert.match(unknown.out, /\[not_found\]/);
  });

  test('a pull killed mid-file resumes with a Range request for the rest', async () => {
    const data = makeTempDir('resume');
    const file = 'text_encoder/model.safetensors';
    const hash = lfsHash(hub, SD2, file);
    const cut = 1_000_000;
    hub.stallAfter(cut);
    try {
      const first = startModels(data, ['pull', SD2], env());
      const incomplete = path.join(data, 'models', '.partial', 'tiny-sd2', `${file}.incomplete`);
      await until(() => fs.existsSync(incomplete) && fs.statSync(incomplete).size === cut, 'the first megabyte on disk');
      first.child.kill('SIGKILL');
      const { signal } = await first.done;
      assert.equal(signal, 'SIGKILL');
    } finally {
      hub.release();
    }
    const before = hub.requests.length;
    const second = await models(data, ['pull', SD2], env());
    assert.equal(second.code, 0, second.out);
    assert.match(second.out, /resuming/);
    const seen = hub.requests.slice(before);
    assert.deepEqual(seen.filter((r) => r.path === `/cdn/${hash}`).map((r) => r.range), [`bytes=${cut}-`]);
    // Files that were complete are not fetched again.
    assert.equal(seen.filter((r) => r.path.endsWith('/model_index.json')).length, 0);
    assert.equal(seen.filter((r) => r.path.endsWith('/text_encoder/config.json')).length, 0);
    const installed = path.join(data, 'models', 'tiny-sd2', file);
    assert.equal(sha256(installed), hash);
  });

  test('a connection cut mid-file is resumed within the same pull', async () => {
    const data = makeTempDir('cut');
    const hash = lfsHash(hub, SD2, 'text_encoder/model.safetensors');
    hub.cutAfter(700_000);
    const run = await models(data, ['pull', SD2], env());
    assert.equal(run.code, 0, run.out);
    assert.deepEqual(cdnRequests(hub, hash).slice(-2).map((r) => r.range), [null, 'bytes=700000-']);
    assert.equal(sha256(path.join(data, 'models', 'tiny-sd2', 'text_encoder', 'model.safetensors')), hash);
  });

  test('a file that does not match its sha256 fails the pull and is deleted; the rest is kept', async () => {
    const data = makeTempDir('corrupt');
    const file = 'vae/diffusion_pytorch_model.safetensors';
    hub.corrupt(SD2, file);
    let run;
    try {
      run = await models(data, ['pull', SD2], env());
    } finally {
      hub.corrupt(SD2, file, false);
    }
    assert.equal(run.code, 1);
    assert.match(run.out, /checksum mismatch: vae\/diffusion_pytorch_model\.safetensors/);
    const partial = path.join(data, 'models', '.partial', 'tiny-sd2');
    assert.ok(!fs.existsSync(path.join(partial, `${file}.incomplete`)) && !fs.existsSync(path.join(partial, file)));
    assert.ok(fs.existsSync(path.join(partial, 'text_encoder', 'model.safetensors')), 'checked files stay for the next pull');
    assert.ok(!fs.existsSync(path.join(data, 'models', 'tiny-sd2')));

    const before = hub.requests.length;
    const again = await models(data, ['pull', SD2], env());
    assert.equal(again.code, 0, again.out);
    assert.equal(cdnRequests({ requests: hub.requests.slice(before) }, lfsHash(hub, SD2, 'text_encoder/model.safetensors')).length, 0);
  });

  test('two pulls of the same repository at once: one downloads, the other waits and finds it installed', async () => {
    const data = makeTempDir('twice');
    const before = hub.requests.length;
    hub.stallAfter(200_000);
    let first;
    let second;
    try {
      first = startModels(data, ['pull', SD2], env());
      await until(() => hub.stalledCount() > 0, 'the first pull to be downloading');
      second = startModels(data, ['pull', SD2], env());
      await until(() => /waiting: another process is installing tiny-sd2/.test(second.out), 'the second pull to wait');
    } finally {
      hub.release();
    }
    const [a, b] = await Promise.all([first.done, second.done]);
    assert.equal(a.code, 0, a.out);
    assert.equal(b.code, 0, b.out);
    assert.match(b.out, /already installed/);
    const seen = hub.requests.slice(before);
    for (const f of hub.repo(SD2).files.filter((x) => x.sha256)) {
      assert.ok(seen.filter((r) => r.path === `/cdn/${f.sha256}`).length <= 1, `${f.rfilename} downloaded once`);
    }
    const folder = path.join(data, 'models', 'tiny-sd2');
    for (const f of hub.repo(SD2).files.filter((x) => x.sha256)) assert.equal(sha256(path.join(folder, f.rfilename)), f.sha256);
  });

  test('a gated repository needs HF_TOKEN; with it the pull works', async () => {
    const data = makeTempDir('gated');
    const denied = await models(data, ['pull', `${TEST_OWNER}/gated-sd1`], env());
    assert.equal(denied.code, 1);
    assert.match(denied.out, /gated: accept its license on .*set HF_TOKEN.*\[forbidden\]/s);
    assert.ok(!fs.existsSync(path.join(data, 'models', '.partial', 'gated-sd1')), 'nothing left to resume');
    const wrong = await models(data, ['pull', `${TEST_OWNER}/gated-sd1`], env({ HF_TOKEN: 'hf_wrong' }));
    assert.equal(wrong.code, 1);
    assert.match(wrong.out, /check that the token in HF_TOKEN.*\[forbidden\]/s);
    const allowed = await models(data, ['pull', `${TEST_OWNER}/gated-sd1`], env({ HF_TOKEN: hub.token }));
    assert.equal(allowed.code, 0, allowed.out);
    const settings = JSON.parse(fs.readFileSync(path.join(data, 'models', 'gated-sd1', 'rendermart.json'), 'utf8'));
    assert.equal(settings.license, 'tiny-community-license');
  });

  test('unknown repositories and revisions, other pipelines and sharded weights are refused before any weight is downloaded', async () => {
    const data = makeTempDir('refused');
    const cases = [
      [`${TEST_OWNER}/no-such-model`, /no model repository rendermart-tests\/no-such-model on .*\[not_found\]/s],
      [`${SD2}@v9`, /has no revision v9.*\[not_found\]/s],
      [`${TEST_OWNER}/flux`, /it is a FluxPipeline; the local engine runs StableDiffusionPipeline.*\[model_error\]/s],
      [`${TEST_OWNER}/sharded`, /sharded.*\[model_error\]/s],
      ['not a repo', /not a Hugging Face repository.*\[invalid_argument\]/s],
      ['http://example.com/model.safetensors', /https only.*\[invalid_argument\]/s],
      [`${hub.url}/files/model.ckpt`, /pickled.*\[invalid_argument\]/s],
    ];
    for (const [source, message] of cases) {
      const before = hub.requests.length;
      const run = await models(data, ['pull', source], env());
      assert.equal(run.code, 1, `${source}: ${run.out}`);
      assert.match(run.out, message, source);
      assert.ok(hub.requests.slice(before).every((r) => !r.path.startsWith('/cdn/')), `${source}: no weights fetched`);
    }
    assert.deepEqual(fs.readdirSync(path.join(data, 'models', '.partial')).filter((n) => !n.endsWith('.lock')), []);
  });

  test('an unreachable Hub is named with HF_ENDPOINT; HF_HUB_OFFLINE does not try', async () => {
    const data = makeTempDir('offline');
    const port = await freePort();
    const run = await models(data, ['pull', SD2], { HF_ENDPOINT: `http://127.0.0.1:${port}` });
    assert.equal(run.code, 1);
    assert.match(run.out, new RegExp(`cannot reach the Hugging Face Hub at http://127\\.0\\.0\\.1:${port}: .*set HF_ENDPOINT to use a mirror \\[unavailable\\]`, 's'));
    const before = hub.requests.length;
    const offline = await models(data, ['pull', SD2], env({ HF_HUB_OFFLINE: '1' }));
    assert.equal(offline.code, 1);
    assert.match(offline.out, /HF_HUB_OFFLINE.*\[unavailable\]/s);
    assert.equal(hub.requests.length, before);
  });

  test('pull --lora puts a LoRA of a repository into the models folder\'s loras/', async () => {
    const data = makeTempDir('lora');
    const run = await models(data, ['pull', `${TEST_OWNER}/one-lora`, '--lora'], env());
    assert.equal(run.code, 0, run.out);
    assert.equal(sha256(path.join(data, 'models', 'loras', 'one-lora.safetensors')),
      lfsHash(hub, `${TEST_OWNER}/one-lora`, 'tiny-sd1-lora.safetensors'));
    const named = await models(data, ['pull', LORAS, '--lora', '--file', 'styles/tiny-sdxl-lora.safetensors'], env());
    assert.equal(named.code, 0, named.out);
    assert.deepEqual(filesBelow(path.join(data, 'models', 'loras')), ['one-lora.safetensors', 'tiny-sdxl-lora.safetensors']);
    const several = await models(data, ['pull', LORAS, '--lora', '--name', 'x'], env());
    assert.equal(several.code, 1);
    assert.match(several.out, /several \.safetensors files/);
    assert.notEqual((await models(data, ['pull', LORAS, '--file', 'x.safetensors'], env())).code, 0, '--file needs --lora');
  });

  test('pull URL installs one checkpoint beside its settings; add copies a folder or a file', { skip: !hasEngine && 'built without libtorch' }, async () => {
    const data = makeTempDir('url');
    const checkpoint = path.join(FIXTURES, 'single-file', 'tiny-sd1.safetensors');
    hub.serveFile('tiny-sd1.safetensors', checkpoint);
    fs.mkdirSync(path.join(data, 'models'), { recursive: true });
    // What the checkpoint's tensors cannot tell, written beside it before the pull, is kept.
    fs.copyFileSync(path.join(FIXTURES, 'single-file', 'tiny-sd1.rendermart.json'), path.join(data, 'models', 'tiny-sd1.rendermart.json'));
    const url = `${hub.url}/files/tiny-sd1.safetensors`;
    hub.cutAfter(3_000_000);
    const run = await models(data, ['pull', url], env());
    assert.equal(run.code, 0, run.out);
    assert.equal(sha256(path.join(data, 'models', 'tiny-sd1.safetensors')), sha256(checkpoint));
    const settings = JSON.parse(fs.readFileSync(path.join(data, 'models', 'tiny-sd1.rendermart.json'), 'utf8'));
    assert.equal(settings.source, url);
    assert.equal(settings.text_encoder_heads, 4);
    assert.deepEqual(hub.requests.filter((r) => r.path === '/files/tiny-sd1.safetensors').map((r) => r.range), [null, 'bytes=3000000-']);

    const missing = await models(data, ['pull', `${hub.url}/files/missing.safetensors`], env());
    assert.equal(missing.code, 1);
    assert.match(missing.out, /nothing at .*404.*\[not_found\]/s);

    const addedFolder = await models(data, ['add', path.join(FIXTURES, 'diffusion', 'tiny-sd2'), '--name', 'copied-sd2'], env());
    assert.equal(addedFolder.code, 0, addedFolder.out);
    const addedFile = await models(data, ['add', path.join(FIXTURES, 'single-file', 'tiny-sd2.safetensors')], env());
    assert.equal(addedFile.code, 0, addedFile.out);
    const notModel = await models(data, ['add', path.join(FIXTURES, 'single-file', 'README.md')], env());
    assert.equal(notModel.code, 1);
    assert.match(notModel.out, /neither a diffusers model folder.*\[invalid_argument\]/s);

    const list = await models(data, ['list'], env());
    assert.match(list.out, /copied-sd2\s+diffusers\s+sd2\s+.*usable/);
    assert.match(list.out, /tiny-sd1\s+single_file\s+sd1\s+.*usable/);
    assert.match(list.out, /tiny-sd2\s+single_file\s+sd2\s+.*usable/);
    assert.match(list.out, new RegExp(`tiny-sd1 .*${url.replace(/[.?*+^$[\]\\(){}|-]/g, '\\$&')}`));
  });
});

describe('the model library API', { skip: !hasEngine && 'built without libtorch', timeout: 300_000 }, () => {
  let hub;
  let server;
  let admin;
  let user;
  let dataDir;
  before(async () => {
    hub = await startHub();
    dataDir = makeTempDir('library-api');
    const email = await createAdmin(dataDir);
    server = await startServer({
      name: 'library-api',
      dataDir,
      args: ['--workers', '1'],
      env: { HF_ENDPOINT: hub.url, RENDERMART_DIFFUSION_THREADS: '2' },
    });
    const login = expectStatus(await server.api('POST', '/api/v1/auth/login', { body: { email, password: DEFAULT_PASSWORD } }), 200);
    admin = sessionCookieFrom(login);
    user = await register(server, uniqueEmail('user'));
  }, { timeout: 60_000 });
  after(async () => {
    await server?.stop();
    await hub?.close();
  });

  const pullUntilFinal = async (id) => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const pull = expectStatus(await server.api('GET', `/api/v1/admin/models/pulls/${id}`, { cookie: admin }), 200).json;
      if (['succeeded', 'failed', 'canceled'].includes(pull.status)) return pull;
      assert.ok(Date.now() < deadline, `pull ${id} still ${pull.status}`);
      await sleep(50);
    }
  };
  const modelIds = async () => expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items.map((m) => m.id);

  test('to everyone but administrators the library does not exist', async () => {
    const unknown = await server.api('GET', '/api/v1/admin/nothing-here', { cookie: user });
    expectError(unknown, 404, 'not_found');
    for (const [method, url, body] of [
      ['GET', '/api/v1/admin/models'],
      ['DELETE', '/api/v1/admin/models/tiny-sd1'],
      ['POST', '/api/v1/admin/models/pulls', { source: SD1 }],
      ['GET', '/api/v1/admin/models/pulls/abc'],
      ['POST', '/api/v1/admin/models/pulls/abc/cancel'],
      ['GET', '/api/v1/admin/models/pulls/abc/events'],
    ]) {
      const res = await server.api(method, url, { cookie: user, body });
      expectError(res, 404, 'not_found', undefined, `${method} ${url}`);
      expectError(await server.api(method, url, { body }), 401, 'unauthenticated', undefined, `${method} ${url}`);
    }
    assert.equal(hub.requests.length, 0, 'nothing was pulled');
  });

  test('an administrator pulls a repository with live progress; it generates without a restart', async () => {
    const empty = expectStatus(await server.api('GET', '/api/v1/admin/models', { cookie: admin }), 200).json;
    assert.equal(empty.models_dir, path.join(dataDir, 'models'));
    assert.deepEqual(empty.installed, []);
    assert.ok(empty.recommended.some((m) => m.source === 'stabilityai/sd-turbo' && m.download_bytes > 2e9));
    assert.ok(!(await modelIds()).includes('tiny-sd1'));

    hub.stallAfter(300_000);
    let started;
    let events;
    try {
      started = expectStatus(await server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: SD1 } }), 202);
      assert.equal(started.headers.get('location'), `/api/v1/admin/models/pulls/${started.json.id}`);
      assert.equal(started.json.name, 'tiny-sd1');
      const same = expectStatus(await server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: SD1 } }), 200);
      assert.equal(same.json.id, started.json.id, 'a second pull of the same source is the running one');
      expectError(await server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: SD2, name: 'tiny-sd1' } }), 409, 'conflict');
      let latest;
      events = collectEvents(server, admin, `/api/v1/admin/models/pulls/${started.json.id}/events`, {
        timeoutMs: 60_000, onEvent: (ev) => { latest = ev.data; },
      });
      await until(() => hub.stalledCount() > 0, 'the pull to be downloading');
      // The download stalls: the stream still tells the bytes that came before it, as on disk.
      const partial = path.join(empty.models_dir, '.partial', 'tiny-sd1');
      const onDisk = () => filesBelow(partial).reduce((sum, f) => sum + fs.statSync(path.join(partial, f)).size, 0);
      await until(() => latest?.bytes_done === onDisk() && latest.bytes_done > 300_000,
        `the stalled download's bytes in the event stream (${onDisk()} on disk)`, 5_000);
    } finally {
      hub.release();
    }
    const { status, events: seen } = await events;
    assert.equal(status, 200);
    assert.equal(seen[0].event, 'status');
    assert.equal(seen.at(-1).event, 'done');
    const done = seen.at(-1).data;
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.equal(done.files_done, done.files_total);
    assert.equal(done.bytes_done, done.bytes_total);
    const progress = seen.filter((e) => e.event === 'progress').map((e) => e.data.bytes_done);
    assert.ok(progress.length >= 2, `progress events: ${progress}`);
    assert.deepEqual(progress, [...progress].sort((a, b) => a - b), 'bytes only grow');

    // Offered at once: the pull says succeeded only after the catalog has the model.
    const model = expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items.find((m) => m.id === 'tiny-sd1');
    assert.ok(model, 'tiny-sd1 is offered');
    assert.equal(model.provider, 'local');
    assert.equal(model.source, `hf:${SD1}@${hub.repo(SD1).commit}`);
    assert.equal(model.license, 'creativeml-openrail-m');
    const library = expectStatus(await server.api('GET', '/api/v1/admin/models', { cookie: admin }), 200).json;
    assert.deepEqual(library.installed.find((m) => m.name === 'tiny-sd1'), {
      name: 'tiny-sd1', model_id: 'tiny-sd1', format: 'diffusers', family: 'sd1', size_bytes: library.installed[0].size_bytes,
      source: model.source, license: 'creativeml-openrail-m', problem: null,
    });
    assert.equal(library.pulls[0].id, started.json.id);

    const job = await createGeneration(server, user, { prompt: 'a lighthouse at night', model: 'tiny-sd1', width: 64, height: 64, steps: 2 });
    const finished = await waitFor(server, user, job.id, ['succeeded', 'failed'], { timeoutMs: 120_000 });
    assert.equal(finished.status, 'succeeded', JSON.stringify(finished.error));
  });

  test('a canceled pull keeps its download; pulling again resumes it', async () => {
    const file = 'text_encoder/model.safetensors';
    const hash = lfsHash(hub, SD2, file);
    hub.stallAfter(500_000);
    let canceled;
    try {
      const started = expectStatus(await server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: SD2 } }), 202).json;
      await until(() => hub.stalledCount() > 0, 'the pull to be downloading');
      expectStatus(await server.api('POST', `/api/v1/admin/models/pulls/${started.id}/cancel`, { cookie: admin }), 200);
      canceled = await pullUntilFinal(started.id);
    } finally {
      hub.release();
    }
    assert.equal(canceled.status, 'canceled');
    assert.equal(canceled.error.code, 'canceled');
    assert.ok(fs.existsSync(path.join(dataDir, 'models', '.partial', 'tiny-sd2', `${file}.incomplete`)));
    const before = hub.requests.length;
    const again = expectStatus(await server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: SD2 } }), 202).json;
    assert.notEqual(again.id, canceled.id);
    assert.equal((await pullUntilFinal(again.id)).status, 'succeeded');
    assert.deepEqual(hub.requests.slice(before).filter((r) => r.path === `/cdn/${hash}`).map((r) => r.range), ['bytes=500000-']);
  });

  test('an administrator pulls a LoRA of a repository of LoRAs: checked, with progress and cancel, offered at once', async () => {
    const file = 'tiny-sd1-lora.safetensors';
    const pull = (body) => server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: LORAS, lora: true, ...body } });
    // Several files and none named: the pull fails, listing them.
    const unnamed = await pullUntilFinal(expectStatus(await pull({}), 202).json.id);
    assert.equal(unnamed.status, 'failed');
    assert.equal(unnamed.error.code, 'invalid_argument');
    assert.match(unnamed.error.message, /several \.safetensors files.*not-a-lora\.safetensors, styles\/tiny-sdxl-lora\.safetensors, tiny-sd1-lora\.safetensors/);
    expectError(await server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: LORAS, file } }), 400, 'invalid_argument', 'file');

    // Canceled mid-file, then resumed by the next pull.
    hub.stallAfter(40_000);
    let canceled;
    try {
      const started = expectStatus(await pull({ file }), 202).json;
      assert.deepEqual([started.name, started.lora], ['tiny-sd1-lora', true]);
      await until(() => hub.stalledCount() > 0, 'the LoRA pull to be downloading');
      expectStatus(await server.api('POST', `/api/v1/admin/models/pulls/${started.id}/cancel`, { cookie: admin }), 200);
      canceled = await pullUntilFinal(started.id);
    } finally {
      hub.release();
    }
    assert.equal(canceled.status, 'canceled');
    const partial = path.join(dataDir, 'models', '.partial', 'loras', 'tiny-sd1-lora');
    assert.ok(fs.existsSync(path.join(partial, `${file}.incomplete`)), filesBelow(partial).join());
    const before = hub.requests.length;
    const again = expectStatus(await pull({ file }), 202).json;
    const done = await pullUntilFinal(again.id);
    assert.equal(done.status, 'succeeded', JSON.stringify(done.error));
    assert.deepEqual([done.files_done, done.files_total, done.bytes_done], [1, 1, done.bytes_total]);
    const hash = lfsHash(hub, LORAS, file);
    assert.deepEqual(hub.requests.slice(before).filter((r) => r.path === `/cdn/${hash}`).map((r) => r.range), ['bytes=40000-']);
    const installed = path.join(dataDir, 'models', 'loras', file);
    assert.equal(sha256(installed), hash);
    assert.ok(!fs.existsSync(partial));

    // Offered at once by the models of its family, under its AUTOMATIC1111 hash.
    const models = expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items;
    assert.deepEqual(models.find((m) => m.id === 'tiny-sd1').loras, [{ name: 'tiny-sd1-lora', hash: loraHash(installed) }]);
    assert.deepEqual(models.find((m) => m.id === 'tiny-sd2').loras, []);
    expectError(await pull({ file }), 409, 'conflict');

    // Checked against the Hub's sha256, and refused when it is no LoRA.
    hub.corrupt(LORAS, 'styles/tiny-sdxl-lora.safetensors');
    let corrupt;
    try {
      corrupt = await pullUntilFinal(expectStatus(await pull({ file: 'styles/tiny-sdxl-lora.safetensors' }), 202).json.id);
    } finally {
      hub.corrupt(LORAS, 'styles/tiny-sdxl-lora.safetensors', false);
    }
    assert.equal(corrupt.status, 'failed');
    assert.match(corrupt.error.message, /checksum mismatch/);
    const notLora = await pullUntilFinal(expectStatus(await pull({ file: 'not-a-lora.safetensors' }), 202).json.id);
    assert.equal(notLora.status, 'failed');
    assert.equal(notLora.error.code, 'model_error');
    assert.match(notLora.error.message, /not a LoRA/);
    assert.ok(!fs.existsSync(path.join(dataDir, 'models', 'loras', 'not-a-lora.safetensors')));
    const missing = await pullUntilFinal(expectStatus(await pull({ file: 'nope.safetensors' }), 202).json.id);
    assert.equal(missing.error.code, 'invalid_argument');
  });

  test('refusals: a bad source is a 400, another pipeline a failed pull with model_error', async () => {
    expectError(await server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: 'nope' } }), 400, 'invalid_argument', 'source');
    expectError(await server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: SD2, variant: 'int8' } }), 400, 'invalid_argument', 'variant');
    expectError(await server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: SD1 } }), 409, 'conflict');
    const flux = expectStatus(await server.api('POST', '/api/v1/admin/models/pulls', { cookie: admin, body: { source: `${TEST_OWNER}/flux` } }), 202).json;
    const failed = await pullUntilFinal(flux.id);
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'model_error');
    assert.match(failed.error.message, /FluxPipeline/);
    expectError(await server.api('GET', '/api/v1/admin/models/pulls/no-such-pull', { cookie: admin }), 404, 'not_found');
  });

  test('a model pulled by the command line appears in the running server; removed, it goes, and its queued jobs fail', async () => {
    const run = await models(dataDir, ['pull', SD2, '--name', 'cli-sd2'], { HF_ENDPOINT: hub.url, ...(await backendEnv(dataDir)) });
    assert.equal(run.code, 0, run.out);
    await until(async () => (await modelIds()).includes('cli-sd2'), 'cli-sd2 to be offered', 15_000);

    // One worker: the first job runs (long enough to outlast the removal below, however slow the
    // machine: it is canceled afterwards) while the second waits in the queue.
    const busy = await createGeneration(server, user, { prompt: 'a blue whale', model: 'tiny-sd1', width: 128, height: 128, steps: 100, count: 4 });
    const queued = await createGeneration(server, user, { prompt: 'a blue whale', model: 'cli-sd2', width: 64, height: 64, steps: 2 });
    expectStatus(await server.api('DELETE', '/api/v1/admin/models/cli-sd2', { cookie: admin }), 204);
    assert.ok(!(await modelIds()).includes('cli-sd2'), 'gone at once');
    assert.ok(!fs.existsSync(path.join(dataDir, 'models', 'cli-sd2')));
    expectError(await server.api('DELETE', '/api/v1/admin/models/cli-sd2', { cookie: admin }), 404, 'not_found');
    expectError(await server.api('POST', '/api/v1/generations', { cookie: user, body: { prompt: 'x', model: 'cli-sd2' } }), 400, 'invalid_argument', 'model');

    expectStatus(await server.api('POST', `/api/v1/generations/${busy.id}/cancel`, { cookie: user }), 200);
    assert.equal((await waitFor(server, user, busy.id, ['succeeded', 'failed', 'canceled'], { timeoutMs: 120_000 })).status, 'canceled');
    const failed = await waitFor(server, user, queued.id, ['succeeded', 'failed'], { timeoutMs: 120_000 });
    assert.equal(failed.status, 'failed');
    assert.equal(failed.error.code, 'model_error');
    assert.match(failed.error.message, /model cli-sd2 was removed/);
  });
});
