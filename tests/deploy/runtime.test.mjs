// What the built binary needs at run time, in the backend image and in the Lambda package:
// - every shared library it loads comes from a package that the image's runtime stage installs
//   (check_runtime_libs.sh), shown to fail when one is missing from the list;
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
const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'rendermart-runtime-'));
after(() => fs.rmSync(temp, { recursive: true, force: true }));

function check(list) {
  return spawnSync('bash', [CHECK, BIN, list], { encoding: 'utf8' });
}

function listWithout(names) {
  const file = path.join(temp, `packages-${names.join('-') || 'extra'}.txt`);
  const kept = fs.readFileSync(PACKAGES, 'utf8').split('\n').filter((line) => !names.includes(line.replace(/#.*/, '').trim()));
  fs.writeFileSync(file, kept.join('\n'));
  return file;
}

describe('the backend image\'s runtime packages', () => {
  test('cover every shared library the binary loads', () => {
    assert.ok(fs.existsSync(BIN), `${BIN} is built`);
    const result = check(PACKAGES);
    assert.equal(result.status, 0, result.stdout + result.stderr);
  });

  test('the check fails when the list misses a package', () => {
    // Packages that the binary needs and that no other listed package depends on.
    const needed = ['libspdlog1.10'];
    if (/libtorch_cpu/.test(execFileSync('ldd', [BIN], { encoding: 'utf8' }))) {
      needed.push('libtorch1.13', 'libopenblas0-openmp', 'libutf8proc2');
    }
    for (const name of needed) {
      const result = check(listWithout([name]));
      assert.equal(result.status, 1, `without ${name}`);
      assert.match(result.stdout, new RegExp(`from ${name.replace(/\+/g, '\\+')}, which .* does not install`));
    }
  });

  test('the check fails on a package that does not exist', () => {
    const file = path.join(temp, 'typo.txt');
    fs.writeFileSync(file, `${fs.readFileSync(PACKAGES, 'utf8')}\nlibpq-five\n`);
    const result = check(file);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /names libpq-five, which is not a Debian package installed here/);
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
    if (!/libtorch_cpu/.test(execFileSync('ldd', [BIN], { encoding: 'utf8' }))) return;
    const result = spawnSync('bash', [path.join(REPO_ROOT, 'deploy', 'lambda', 'package.sh'), BIN, path.join(temp, 'big.zip')], { encoding: 'utf8' });
    assert.equal(result.status, 1);
    assert.match(result.stderr, /package build\/rendermart-slim/);
  });
});
