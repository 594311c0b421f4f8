// SDXL through the real binary: `rendermart models pull` of repositories laid out like
// stabilityai/stable-diffusion-xl-base-1.0 and stabilityai/sdxl-turbo (the tiny SDXL fixture,
// tests/fixtures/diffusion-xl/tiny-sdxl, with the Flax, ONNX and OpenVINO copies, the extra VAE
// folders and the single-file checkpoints those repositories hold beside the pipeline) and of a
// TAESDXL repository laid out like madebyollin/taesdxl, served by the Hub stand-in
// (lib/hub_server.mjs); the pulled folders are found as sdxl models, and a server on that models
// folder generates with one over HTTP (loading the pulled TAESDXL with it), its PNG parameters
// included, and with an SDXL LoRA in kohya's naming (its hash in the PNG's "Lora hashes"). Skipped
// when the binary was built without libtorch.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  BIN, createGeneration, expectStatus, makeTempDir, register, runBinary, startServer, uniqueEmail, waitFor,
} from './lib/server.mjs';
import { FIXTURES, TEST_OWNER, filesBelow, folderFiles, startHub } from './lib/hub_server.mjs';
import { loraHash, parsePng, pngPixels, sha256 } from './lib/media.mjs';

const hasEngine = fs.existsSync(BIN) &&
  /local diffusion engine: libtorch/.test(spawnSync(BIN, ['version'], { encoding: 'utf8' }).stdout);

// A LoRA for tiny-sdxl as kohya's trainer saves an SDXL one (original-layout UNet names, te1/te2).
const SDXL_LORA = path.join(FIXTURES, 'diffusion-xl', 'tiny-sdxl-lora', 'tiny-sdxl-lora.safetensors');

const BASE = `${TEST_OWNER}/sdxl-base`;
const TURBO = `${TEST_OWNER}/sdxl-turbo`;
const TAESDXL = `${TEST_OWNER}/taesdxl`;

// The files an SDXL pull installs: both text encoders and tokenizers, UNet, VAE and scheduler
// (fp16 weights where the repository has them), and rendermart.json.
const SDXL_FILES = [
  'model_index.json', 'rendermart.json', 'scheduler/scheduler_config.json',
  'text_encoder/config.json', 'text_encoder/model.fp16.safetensors',
  'text_encoder_2/config.json', 'text_encoder_2/model.fp16.safetensors',
  ...['tokenizer', 'tokenizer_2'].flatMap((t) =>
    ['merges.txt', 'special_tokens_map.json', 'tokenizer_config.json', 'vocab.json'].map((f) => `${t}/${f}`)),
  'unet/config.json', 'unet/diffusion_pytorch_model.fp16.safetensors',
  'vae/config.json', 'vae/diffusion_pytorch_model.fp16.safetensors',
].sort();

// tiny-taesd's weights cut to a two-block decoder (its input convolution, first three blocks and
// upsampling convolution, then its last block and output convolution): a TAESD that fits
// tiny-sdxl's VAE, which upsamples twice.
function twoBlockDecoder(safetensors) {
  const headerLength = Number(safetensors.readBigUInt64LE(0));
  const header = JSON.parse(safetensors.subarray(8, 8 + headerLength));
  const data = safetensors.subarray(8 + headerLength);
  const renamed = { 17: 7, 18: 8 };
  const kept = new Set([0, 2, 3, 4, 6]);
  const out = { __metadata__: header.__metadata__ };
  const pieces = [];
  let offset = 0;
  for (const [name, tensor] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    let newName = name;
    const layer = /^decoder\.layers\.(\d+)\.(.*)$/.exec(name);
    if (layer) {
      const index = Number(layer[1]);
      if (renamed[index] === undefined && !kept.has(index)) continue;
      newName = `decoder.layers.${renamed[index] ?? index}.${layer[2]}`;
    }
    const bytes = data.subarray(tensor.data_offsets[0], tensor.data_offsets[1]);
    out[newName] = { ...tensor, data_offsets: [offset, offset + bytes.length] };
    pieces.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(out);
  json += ' '.repeat((8 - (json.length % 8)) % 8);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(json.length));
  return Buffer.concat([length, Buffer.from(json), ...pieces]);
}

function sdxlRepos() {
  const sdxl = folderFiles(path.join(FIXTURES, 'diffusion-xl', 'tiny-sdxl'));
  const junk = Buffer.from('not to be downloaded\n');
  // Each component also in fp16 (the same bytes: the engine reads the dtype from the header).
  const withFp16 = { ...sdxl };
  for (const [file, bytes] of Object.entries(sdxl)) {
    if (file.endsWith('.safetensors')) withFp16[file.replace(/\.safetensors$/, '.fp16.safetensors')] = bytes;
  }
  const exports = {};
  for (const component of ['text_encoder', 'text_encoder_2']) {
    for (const file of ['flax_model.msgpack', 'model.onnx', 'openvino_model.bin', 'openvino_model.xml']) {
      exports[`${component}/${file}`] = junk;
    }
  }
  for (const component of ['unet', 'vae']) {
    for (const file of ['diffusion_flax_model.msgpack', 'model.onnx', 'openvino_model.bin']) {
      exports[`${component}/${file}`] = junk;
    }
  }
  const base = {
    ...withFp16, ...exports,
    'vae_1_0/config.json': sdxl['vae/config.json'],
    'vae_1_0/diffusion_pytorch_model.safetensors': sdxl['vae/diffusion_pytorch_model.safetensors'],
    'vae_decoder/config.json': Buffer.from('{}'),
    'vae_decoder/model.onnx': junk,
    'vae_encoder/model.onnx': junk,
    'sd_xl_base_1.0.safetensors': junk,
    'sd_xl_offset_example-lora_1.0.safetensors': junk,
    'README.md': Buffer.from('---\nlicense: openrail++\n---\n# sdxl-base\n'),
  };
  const turbo = {
    ...withFp16, ...exports,
    'sd_xl_turbo_1.0.safetensors': junk,
    'sd_xl_turbo_1.0_fp16.safetensors': junk,
  };
  // TAESDXL: an AutoencoderTiny at the root whose decoder fits tiny-sdxl's VAE (two blocks, 2x).
  const taesd = folderFiles(path.join(FIXTURES, 'diffusion-extra', 'tiny-taesd'));
  const config = JSON.parse(taesd['config.json']);
  Object.assign(config, { upsampling_scaling_factor: 2, num_decoder_blocks: [3, 1], decoder_block_out_channels: [16, 16] });
  const taesdxl = {
    'config.json': Buffer.from(JSON.stringify(config)),
    'diffusion_pytorch_model.safetensors': twoBlockDecoder(taesd['diffusion_pytorch_model.safetensors']),
    'diffusion_pytorch_model.bin': junk,
    'taesdxl_decoder.pth': junk,
    'taesdxl_encoder.pth': junk,
  };
  return {
    [BASE]: { files: base, license: 'openrail++' },
    [TURBO]: { files: turbo, license: 'other', licenseName: 'sai-nc-community' },
    [TAESDXL]: { files: taesdxl, license: 'mit' },
  };
}

describe('SDXL pulled from the Hub and generated with', { skip: !hasEngine && 'built without libtorch', timeout: 600_000 }, () => {
  let hub;
  let data;
  before(async () => {
    hub = await startHub({ repos: sdxlRepos() });
    data = makeTempDir('sdxl');
  });
  after(async () => { await hub?.close(); });
  const models = (args) => runBinary(['models', ...args, '--data-dir', data, '--log-format', 'text'], { HF_ENDPOINT: hub.url });

  test('pull takes what an SDXL pipeline needs and TAESDXL; list finds them as sdxl models', async () => {
    const fetched = (requests) => requests.filter((r) => r.path.includes('/resolve/'))
      .map((r) => r.path.split('/resolve/')[1].split('/').slice(1).join('/'));
    for (const repo of [BASE, TURBO]) {
      const before = hub.requests.length;
      const run = await models(['pull', repo]);
      assert.equal(run.code, 0, run.out);
      const name = repo.split('/')[1];
      assert.deepEqual(filesBelow(path.join(data, 'models', name)), SDXL_FILES);
      for (const file of fetched(hub.requests.slice(before))) {
        assert.ok(SDXL_FILES.includes(file), `${file} of ${repo} was downloaded`);
      }
    }
    const run = await models(['pull', TAESDXL]);
    assert.equal(run.code, 0, run.out);
    assert.deepEqual(filesBelow(path.join(data, 'models', 'taesdxl')),
      ['config.json', 'diffusion_pytorch_model.safetensors', 'rendermart.json']);

    const list = await models(['list']);
    assert.equal(list.code, 0, list.out);
    assert.match(list.out, /sdxl-base\s+diffusers\s+sdxl\s+[\d.]+ MB\s+hf:rendermart-tests\/sdxl-base@[0-9a-f]{40}\s+openrail\+\+\s+usable/);
    assert.match(list.out, /sdxl-turbo\s+diffusers\s+sdxl\s+.*usable/);
  });

  test('a server on the pulled models generates an SDXL picture with its parameters, and with an SDXL LoRA', { timeout: 300_000 }, async () => {
    // kohya's SDXL naming (tests/fixtures/diffusion-xl/tiny-sdxl-lora), in the models folder's loras/.
    fs.mkdirSync(path.join(data, 'models', 'loras'), { recursive: true });
    fs.copyFileSync(SDXL_LORA, path.join(data, 'models', 'loras', 'tiny-sdxl-lora.safetensors'));
    const hash = loraHash(SDXL_LORA);
    const server = await startServer({
      name: 'local-sdxl', dataDir: data, args: ['--workers', '1'], env: { RENDERMART_DIFFUSION_THREADS: '2' },
    });
    try {
      const cookie = await register(server, uniqueEmail('sdxl'));
      const list = expectStatus(await server.api('GET', '/api/v1/models'), 200).json.items;
      const model = list.find((m) => m.id === 'sdxl-turbo');
      assert.ok(model, `listed: ${list.map((m) => m.id)}`);
      assert.deepEqual([model.kind, model.family], ['local', 'sdxl']);
      assert.deepEqual(model.loras, [{ name: 'tiny-sdxl-lora', hash }], 'the SDXL LoRA is offered to SDXL models');
      const make = async (body) => {
        const gen = await createGeneration(server, cookie, {
          model: 'sdxl-turbo', prompt: 'a red fox in snow', negative_prompt: 'blurry', seed: 7,
          width: 64, height: 64, steps: 2, cfg_scale: 4, ...body,
        });
        const done = await waitFor(server, cookie, gen.id, 'succeeded', { timeoutMs: 250_000 });
        const file = expectStatus(await server.api('GET', `/api/v1/images/${done.images[0].id}/file`, { cookie }), 200);
        return { png: parsePng(file.body), pixels: sha256(pngPixels(file.body)) };
      };
      const { png, pixels } = await make({});
      assert.deepEqual([png.width, png.height], [64, 64]);
      const parameters = png.text.parameters;
      assert.match(parameters, /^a red fox in snow\nNegative prompt: blurry\n/);
      for (const field of [/Steps: 2/, /CFG scale: 4/, /Seed: 7/, /Size: 64x64/, /Model: sdxl-turbo/]) {
        assert.match(parameters, field);
      }

      const withLora = await make({ loras: [{ name: 'tiny-sdxl-lora', weight: 0.8 }] });
      assert.notEqual(withLora.pixels, pixels, 'the LoRA changes the picture');
      assert.match(withLora.png.text.parameters, new RegExp(`Lora hashes: "tiny-sdxl-lora: ${hash}"`));
    } finally {
      await server.stop();
    }
  });
});
