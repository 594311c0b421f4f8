// The local test servers in tests/support (S3, Bedrock, OpenAI) run as child processes that
// speak one JSON object per line: the first line they print describes them, and each command
// written to their stdin is answered by one line.

import { spawn } from 'node:child_process';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const START_TIMEOUT_MS = 30_000;

// Starts tests/support/<relativeScript> with `args`; returns its first line's fields plus
// command(json) -> answer and stop().
export async function startChildServer(relativeScript, args = []) {
  const script = path.join(REPO_ROOT, 'tests', 'support', relativeScript);
  const child = spawn(process.execPath, [script, ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout });
  const replies = [];
  const waiting = [];
  lines.on('line', (line) => {
    const value = JSON.parse(line);
    if (waiting.length) waiting.shift()(value);
    else replies.push(value);
  });
  const next = () => new Promise((resolve, reject) => {
    if (replies.length) return resolve(replies.shift());
    const timer = setTimeout(() => reject(new Error(`${relativeScript} did not answer`)), START_TIMEOUT_MS);
    waiting.push((value) => { clearTimeout(timer); resolve(value); });
  });
  process.on('exit', () => child.kill('SIGTERM'));
  const info = await next();
  return {
    ...info,
    async command(json) {
      child.stdin.write(`${JSON.stringify(json)}\n`);
      return next();
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
