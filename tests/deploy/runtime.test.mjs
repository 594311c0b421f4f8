// What the built binaries need at run time, in the backend images and in the Lambda package:
// - every shared library that each binary loads comes from a package that its image installs
//   (check_runtime_libs.sh): rendermart-backend runs build/rendermart-slim with
//   runtime-packages.txt, rendermart-worker build/rendermart with runtime-packages-engine.txt
//   added; the check is shown to fail when a list misses one, and the backend's list carries no
//   engine library;
// - the Lambda zip (deploy/lambda/package.sh) runs through its own loader with only its own
//   libraries, and serves an API Gateway event from a local runtime API.

import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';

import { LambdaRuntimeApi, httpApiEvent } from '../integration/lib/lambda_runtime.mjs';
import { REPO_ROOT } from './lib/k8s.mjs';

const BIN = process.env.RENDERMART_BIN || path.join(REPO_ROOT, 'build', 'rendermart');
const SLIM_BIN = process.env.RENDERMART_SLIM_BIN || path.join(REPO_ROOT, 'build', 'rendermart-slim');
const CHECK = path.join(REPO_ROOT, 'tests', 'deploy', 'check_runtime_libs.sh');
const PACKAGES = path.join(REPO_ROOT, 'deploy', 'docker', 'runtime-packages.txt');
const ENGINE_PACKAGES = path.join(REPO_ROOT, 'deploy', 'docker', 'runtime-packages-engine.txt');
// The engine's own packages: rendermart-worker installs them, rendermart-backend must not.
const ENGINE = ['libtorch1.13', 'libopenblas0-openmp', 'libutf8proc2'];
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'rendermart-runtime-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

const check = (binary, ...lists) => spawnSync('bash', [CHECK, binary, ...lists], { encoding: 'utf8' });
const packagesOf = (list) => fs.readFileSync(list, 'utf8').split('\n').map((line) => line.replace(/#.*/, '').trim()).filter(Boolean);
const hasEngine = (binary) => /libtorch_cpu/.test(execFileSync('ldd', [binary], { encoding: 'utf8' }));

function listWithout(list, names) {
  const file = path.join(temp, `${path.basename(list, '.txt')}-without-${names.join('-')}.txt`);
  const kept = fs.readFileSync(list, 'utf8').split('\n').filter((line) => !names.includes(line.replace(/#.*/, '').trim()));
  fs.writeFileSync(file, kept.join('\n'));
  return file;
}

function assertMissing(result, name) {
  assert.equal(result.status, 1, `without ${name}`);
  assert.match(result.stdout, new RegExp(`from ${name.replace(/\+/g, '\\+')}, which .* does not install`));
}

describe('rendermart-backend\'s runtime packages', () => {
  test('cover every shared library that rendermart-slim loads', () => {
    assert.ok(fs.existsSync(SLIM_BIN), `${SLIM_BIN} is built`);
    const result = check(SLIM_BIN, PACKAGES);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  test('carry no engine library, and are not enough for the binary with the engine', () => {
    assert.deepEqual(packagesOf(PACKAGES).filter((name) => ENGINE.includes(name)), []);
    assert.ok(!hasEngine(SLIM_BIN), 'rendermart-slim loads no libtorch');
    if (!hasEngine(BIN)) return;
    const result = check(BIN, PACKAGES);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /libtorch_cpu\S* from libtorch1\.13, which .*runtime-packages\.txt does not install/);
  });

  test('the check fails when the list misses a package', () => {
    // A package that the binary needs and that no other listed package depends on.
    assertMissing(check(SLIM_BIN, listWithout(PACKAGES, ['libspdlog1.10'])), 'libspdlog1.10');
  });

  test('the check fails on a package that does not exist', () => {
    const file = path.join(temp, 'typo.txt');
    fs.writeFileSync(file, `${fs.readFileSync(PACKAGES, 'utf8')}\nlibpq-five\n`);
    const result = check(SLIM_BIN, file);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /names libpq-five, which is not a Debian package installed here/);
  });
});

describe('rendermart-worker\'s runtime packages', () => {
  test('cover every shared library that rendermart loads, with the engine\'s added', () => {
    assert.ok(fs.existsSync(BIN), `${BIN} is built`);
    const result = check(BIN, PACKAGES, ENGINE_PACKAGES);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  test('the check fails when either list misses a package', () => {
    assertMissing(check(BIN, listWithout(PACKAGES, ['libspdlog1.10']), ENGINE_PACKAGES), 'libspdlog1.10');
    if (!hasEngine(BIN)) return;
    assert.deepEqual(packagesOf(ENGINE_PACKAGES), ENGINE);
    for (const name of ENGINE) assertMissing(check(BIN, PACKAGES, listWithout(ENGINE_PACKAGES, [name])), name);
  });
});

describe('the Lambda package', () => {
  test('runs with its own loader and libraries and serves an API Gateway event', async () => {
    const zip = path.join(temp, 'rendermart-lambda.zip');
    execFileSync('bash', [path.join(REPO_ROOT, 'deploy', 'lambda', 'package.sh'), SLIM_BIN, zip], { stdio: 'pipe' });
    const root = path.join(temp, 'task');
    // unzip restores the modes that the zip records, as Lambda does when it unpacks a function.
    execFileSync('unzip', ['-q', zip, '-d', root]);
    for (const file of ['bootstrap', 'bin/rendermart']) {
      assert.ok(fs.statSync(path.join(root, file)).mode & 0o100, `${file} is executable`);
    }

    const runtime = await new LambdaRuntimeApi().start();
    const child = spawn(path.join(root, 'bootstrap'), [], {
      cwd: root,
      env: { PATH: '/usr/bin:/bin', AWS_LAMBDA_RUNTIME_API: runtime.endpoint, RENDERMART_DATA_DIR: path.join(temp, 'data') },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    try {
      const answer = await runtime.invoke(httpApiEvent('GET', '/api/v1/models'), { timeoutMs: 30_000 });
      assert.equal(answer.json.statusCode, 200, output);
      assert.ok(JSON.parse(answer.json.body).items.length >= 1);
      // Every shared object in the process comes from the package.
      await sleep(50);
      const maps = fs.readFileSync(`/proc/${child.pid}/maps`, 'utf8');
      const objects = [...new Set(maps.split('\n').map((l) => l.split(/\s+/)[5]).filter((f) => f && f.includes('.so')))];
      assert.ok(objects.length > 5, maps);
      assert.deepEqual(objects.filter((f) => !f.startsWith(root)), []);
    } finally {
      child.kill('SIGKILL');
      await runtime.stop();
    }
  });

  test('refuses a binary with the local engine, whose libraries are over Lambda\'s limit', () => {
    if (!hasEngine(BIN)) return;
    const result = spawnSync('bash', [path.join(REPO_ROOT, 'deploy', 'lambda', 'package.sh'), BIN, path.join(temp, 'big.zip')], { encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /package build\/rendermart-slim/);
  });
});
