// A stand-in for the Hugging Face Hub on 127.0.0.1, answering as the real one does (checked
// against huggingface_hub's client: file_download.py, hf_api.py, utils/_http.py):
//   GET /api/models/{owner}/{name}/revision/{revision}?blobs=true
//       {id, sha, siblings: [{rfilename, blobId, size, lfs?: {sha256, size, pointerSize}}],
//        cardData: {license}, gated: false | "auto" | "manual", private, library_name}
//   GET|HEAD /{owner}/{name}/resolve/{revision}/{path}
//       small files: 200 with ETag (the git blob id) and X-Repo-Commit;
//       LFS files (*.safetensors): 302 to /cdn/{sha256} with X-Repo-Commit, X-Linked-Size,
//       X-Linked-Etag (the sha256) and ETag;
//   GET|HEAD /cdn/{sha256} on a second port (another origin, which the token must not be sent
//       to): the bytes, with Range (206, Content-Range; 416 past the end).
//   Errors: 404 X-Error-Code RepoNotFound / RevisionNotFound / EntryNotFound; a gated repository
//   answers 401 X-Error-Code GatedRepo to a download without the right token.
//   GET /files/{name}: a plain file server (URL pulls of single checkpoints), with Range.
// Switches for tests: stall a download after N bytes (then release it), cut the connection after
// N bytes, corrupt a file (same size, other bytes). Every request is logged.
//
// Usable from any test: const hub = await startHub({ token }); hub.url, hub.requests, hub.close().

import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const FIXTURES = path.join(REPO_ROOT, 'tests', 'fixtures');
export const TEST_OWNER = 'rendermart-tests';

const CHUNK = 64 * 1024;

function sha256(bytes) {
  return crypto.createHash('sha256').update(bytes).digest('hex');
}

// The git blob id, as the Hub's ETag of a small file.
function gitBlobId(bytes) {
  return crypto.createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

// Every file of a fixture model folder, golden outputs left out: { 'unet/config.json': Buffer }.
export function folderFiles(dir) {
  const files = {};
  const walk = (sub) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        if (rel !== 'golden') walk(rel);
      } else {
        files[rel] = fs.readFileSync(path.join(dir, rel));
      }
    }
  };
  walk('');
  return files;
}

// Every file below `dir`, sorted: what a pull installed.
export function filesBelow(dir) {
  const out = [];
  const walk = (sub) => {
    for (const entry of fs.readdirSync(path.join(dir, sub), { withFileTypes: true })) {
      const rel = sub ? `${sub}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(rel); else out.push(rel);
    }
  };
  walk('');
  return out.sort();
}

// The repositories the stand-in serves unless told otherwise.
//   tiny-sd1: the fixture with an fp16 variant of the UNet (same bytes: the engine reads the
//             dtype from the header) and files a pull must leave alone (pickled weights, ONNX,
//             Flax, a safety checker);
//   tiny-sd2: the plain fixture; gated-sd1: tiny-sd1 behind a license (gated: "manual");
//   flux: a pipeline the engine does not run; sharded: a UNet split in shards;
//   loras: a repository of LoRAs (the tiny-sd1 and tiny-sdxl ones, and a .safetensors file that
//          is no LoRA); one-lora: a repository of one LoRA.
export function defaultRepos() {
  const sd1 = folderFiles(path.join(FIXTURES, 'diffusion', 'tiny-sd1'));
  const sd2 = folderFiles(path.join(FIXTURES, 'diffusion', 'tiny-sd2'));
  const junk = Buffer.from('not to be downloaded\n');
  const withExtras = {
    ...sd1,
    'unet/diffusion_pytorch_model.fp16.safetensors': sd1['unet/diffusion_pytorch_model.safetensors'],
    'unet/diffusion_pytorch_model.bin': junk,
    'text_encoder/pytorch_model.bin': junk,
    'vae/diffusion_flax_model.msgpack': junk,
    'unet/model.onnx': junk,
    'safety_checker/config.json': Buffer.from('{}'),
    'safety_checker/model.safetensors': junk,
    'feature_extractor/preprocessor_config.json': Buffer.from('{}'),
    'v1-5-pruned.ckpt': junk,
    'README.md': Buffer.from('---\nlicense: creativeml-openrail-m\n---\n# tiny-sd1\n'),
  };
  const flux = { 'model_index.json': Buffer.from(JSON.stringify({ _class_name: 'FluxPipeline', transformer: ['diffusers', 'FluxTransformer2DModel'] })) };
  const sharded = { ...sd2 };
  delete sharded['unet/diffusion_pytorch_model.safetensors'];
  sharded['unet/diffusion_pytorch_model.safetensors.index.json'] = Buffer.from('{"weight_map":{}}');
  sharded['unet/diffusion_pytorch_model-00001-of-00002.safetensors'] = sd2['unet/diffusion_pytorch_model.safetensors'];
  const sd1Lora = fs.readFileSync(path.join(FIXTURES, 'diffusion-xl', 'tiny-sd1-lora', 'tiny-sd1-lora.safetensors'));
  const loras = {
    'tiny-sd1-lora.safetensors': sd1Lora,
    'styles/tiny-sdxl-lora.safetensors': fs.readFileSync(path.join(FIXTURES, 'diffusion-xl', 'tiny-sdxl-lora', 'tiny-sdxl-lora.safetensors')),
    'not-a-lora.safetensors': sd2['text_encoder/model.safetensors'],
    'README.md': Buffer.from('---\nlicense: mit\n---\n# loras\n'),
  };
  return {
    [`${TEST_OWNER}/loras`]: { files: loras, license: 'mit' },
    [`${TEST_OWNER}/one-lora`]: { files: { 'tiny-sd1-lora.safetensors': sd1Lora }, license: 'mit' },
    [`${TEST_OWNER}/tiny-sd1`]: { files: withExtras, license: 'creativeml-openrail-m' },
    [`${TEST_OWNER}/tiny-sd2`]: { files: sd2, license: 'openrail++' },
    [`${TEST_OWNER}/gated-sd1`]: { files: sd1, license: 'other', licenseName: 'tiny-community-license', gated: 'manual' },
    [`${TEST_OWNER}/flux`]: { files: flux, license: 'apache-2.0' },
    [`${TEST_OWNER}/sharded`]: { files: sharded, license: 'openrail++' },
  };
}

function describeRepo(id, spec) {
  const files = Object.entries(spec.files).map(([rfilename, bytes]) => {
    const lfs = rfilename.endsWith('.safetensors');
    return {
      rfilename,
      bytes,
      size: bytes.length,
      blobId: lfs ? sha256(bytes) : gitBlobId(bytes),
      sha256: lfs ? sha256(bytes) : null,
    };
  });
  const commit = crypto.createHash('sha1').update(id).update(files.map((f) => f.rfilename + f.blobId).join()).digest('hex');
  return { id, commit, files, spec };
}

// Starts the stand-in. Options: repos (see defaultRepos), token (what gated repositories accept;
// default 'hf_test_token'), files ({ name: absolute path } served under /files/).
export async function startHub({ repos = defaultRepos(), token = 'hf_test_token', files = {} } = {}) {
  const table = new Map(Object.entries(repos).map(([id, spec]) => [id, describeRepo(id, spec)]));
  const blobs = new Map();
  for (const repo of table.values()) {
    for (const file of repo.files) if (file.sha256) blobs.set(file.sha256, file.bytes);
  }
  const requests = [];
  const state = {
    stallAfter: null, // a download stops sending after this many bytes of its response, until released
    stalled: [],      // the responses waiting for release()
    cutAfter: null,   // the next download is cut after this many bytes of its response (once)
    corrupt: new Set(), // sha256 of blobs served with their first byte changed
    files: { ...files },
  };

  const sendError = (res, status, code, message) => {
    res.writeHead(status, { 'Content-Type': 'application/json', 'X-Error-Code': code, 'X-Error-Message': message });
    res.end(JSON.stringify({ error: message }));
  };

  // The bytes of one file from a Range header, with the stall and cut switches.
  const sendBytes = (req, res, size, read, headers) => {
    let start = 0;
    let end = size - 1;
    let status = 200;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range || '');
    if (range) {
      start = Number(range[1]);
      if (range[2]) end = Math.min(end, Number(range[2]));
      if (start >= size) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` });
        res.end();
        return;
      }
      status = 206;
      headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
    }
    headers['Content-Length'] = String(end - start + 1);
    headers['Accept-Ranges'] = 'bytes';
    res.writeHead(status, headers);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    // The cut is for a response longer than it (the next large file), not the small ones first.
    const cut = state.cutAfter !== null && end - start + 1 > state.cutAfter ? state.cutAfter : null;
    if (cut !== null) state.cutAfter = null;
    let sent = 0;
    let offset = start;
    const pump = () => {
      while (offset <= end) {
        if (state.stallAfter !== null && sent >= state.stallAfter) {
          state.stalled.push(pump);
          return;
        }
        if (cut !== null && sent >= cut) {
          res.socket?.destroy();
          return;
        }
        let length = Math.min(CHUNK, end - offset + 1);
        if (state.stallAfter !== null) length = Math.min(length, state.stallAfter - sent);
        if (cut !== null) length = Math.min(length, cut - sent);
        const piece = read(offset, length);
        offset += length;
        sent += length;
        if (!res.write(piece)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    res.on('close', () => { state.stalled = state.stalled.filter((p) => p !== pump); });
    pump();
  };

  const serveBlob = (req, res, hash) => {
    const bytes = blobs.get(hash);
    if (!bytes) return sendError(res, 404, 'EntryNotFound', 'no such blob');
    const served = state.corrupt.has(hash) ? Buffer.from(bytes) : bytes;
    if (served !== bytes) served[0] ^= 0xff;
    sendBytes(req, res, served.length, (offset, length) => served.subarray(offset, offset + length), {
      'Content-Type': 'application/octet-stream', ETag: `"${hash}"`,
    });
  };

  const serveFile = (req, res, name) => {
    const file = state.files[name];
    if (!file) return sendError(res, 404, 'EntryNotFound', 'no such file');
    const size = fs.statSync(file).size;
    const fd = fs.openSync(file, 'r');
    res.on('close', () => fs.closeSync(fd));
    sendBytes(req, res, size, (offset, length) => {
      const piece = Buffer.allocUnsafe(length);
      fs.readSync(fd, piece, 0, length, offset);
      return piece;
    }, { 'Content-Type': 'application/octet-stream' });
  };

  let cdnOrigin = '';
  const authorized = (req, repo) => !repo.spec.gated || req.headers.authorization === `Bearer ${token}`;

  const handle = (req, res) => {
    const url = new URL(req.url, 'http://hub');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    requests.push({ method: req.method, path: url.pathname, range: req.headers.range ?? null, authorization: req.headers.authorization ?? null });

    if (parts[0] === 'cdn' && parts.length === 2) return serveBlob(req, res, parts[1]);
    if (parts[0] === 'files' && parts.length === 2) return serveFile(req, res, parts[1]);
    if (parts[0] === 'api' && parts[1] === 'models' && parts[4] === 'revision' && parts.length >= 6) {
      const repo = table.get(`${parts[2]}/${parts[3]}`);
      if (!repo) return sendError(res, 404, 'RepoNotFound', 'Repository not found');
      const revision = parts.slice(5).join('/');
      if (revision !== 'main' && revision !== repo.commit) {
        return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      }
      const blobsWanted = url.searchParams.get('blobs') === 'true';
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({
        _id: repo.commit.slice(0, 24),
        id: repo.id,
        modelId: repo.id,
        sha: repo.commit,
        private: false,
        gated: repo.spec.gated ?? false,
        library_name: 'diffusers',
        pipeline_tag: 'text-to-image',
        cardData: { license: repo.spec.license, ...(repo.spec.licenseName ? { license_name: repo.spec.licenseName } : {}) },
        siblings: repo.files.map((f) => (blobsWanted
          ? { rfilename: f.rfilename, blobId: f.blobId, size: f.size, ...(f.sha256 ? { lfs: { sha256: f.sha256, size: f.size, pointerSize: 134 } } : {}) }
          : { rfilename: f.rfilename })),
      }));
    }
    const resolve = parts.indexOf('resolve');
    if (resolve === 2 && parts.length >= 5) {
      const repo = table.get(`${parts[0]}/${parts[1]}`);
      if (!repo) return sendError(res, 404, 'RepoNotFound', 'Repository not found');
      if (!authorized(req, repo)) {
        return sendError(res, 401, 'GatedRepo', `Access to model ${repo.id} is restricted. You must have access to it and be authenticated to access it. Please log in.`);
      }
      const revision = parts[3];
      if (revision !== 'main' && revision !== repo.commit) return sendError(res, 404, 'RevisionNotFound', `Invalid rev id: ${revision}`);
      const file = repo.files.find((f) => f.rfilename === parts.slice(4).join('/'));
      if (!file) return sendError(res, 404, 'EntryNotFound', 'Entry not found');
      const common = { 'X-Repo-Commit': repo.commit, ETag: `"${file.blobId}"` };
      if (file.sha256) {
        res.writeHead(302, {
          ...common,
          Location: `${cdnOrigin}/cdn/${file.sha256}?repo=${encodeURIComponent(repo.id)}`,
          'X-Linked-Size': String(file.size),
          'X-Linked-Etag': `"${file.sha256}"`,
        });
        return res.end();
      }
      return sendBytes(req, res, file.size, (offset, length) => file.bytes.subarray(offset, offset + length), {
        ...common, 'Content-Type': 'application/octet-stream',
      });
    }
    sendError(res, 404, 'RepoNotFound', 'Not found');
  };

  // The Hub and its CDN listen on two ports: two origins, as huggingface.co and its CDN are.
  const sockets = new Set();
  const listen = async () => {
    const server = http.createServer(handle);
    server.on('connection', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
    await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
    return server;
  };
  const server = await listen();
  const cdn = await listen();
  const { port } = server.address();
  cdnOrigin = `http://127.0.0.1:${cdn.address().port}`;

  return {
    url: `http://127.0.0.1:${port}`,
    token,
    requests,
    repo: (id) => table.get(id),
    // Downloads stop sending after `bytes` bytes of each response until release().
    stallAfter(bytes) { state.stallAfter = bytes; },
    stalledCount: () => state.stalled.length,
    release() {
      state.stallAfter = null;
      const waiting = state.stalled;
      state.stalled = [];
      for (const pump of waiting) pump();
    },
    // The next download longer than `bytes` has its connection closed after `bytes` bytes.
    cutAfter(bytes) { state.cutAfter = bytes; },
    // Serve the LFS file `file` of `repoId` with other bytes than the listing's sha256 says.
    corrupt(repoId, file, on = true) {
      const hash = table.get(repoId).files.find((f) => f.rfilename === file).sha256;
      if (on) state.corrupt.add(hash); else state.corrupt.delete(hash);
    },
    serveFile(name, file) { state.files[name] = file; },
    close() {
      state.stalled = [];
      for (const socket of sockets) socket.destroy();
      return Promise.all([server, cdn].map((s) => new Promise((resolve) => s.close(() => resolve()))));
    },
  };
}
