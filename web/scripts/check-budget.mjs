// Fails the build when the app's initial JavaScript (the entry script and everything it
// preloads, as referenced by dist/index.html) is over the gzipped budget.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { fileURLToPath } from 'node:url';

const BUDGET_BYTES = 200 * 1024; // issue 5: initial JS <= 200 KB gzipped
const dist = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const html = fs.readFileSync(path.join(dist, 'index.html'), 'utf8');

const initial = new Set();
for (const m of html.matchAll(/<script[^>]+src="([^"]+\.js)"/g)) initial.add(m[1]);
for (const m of html.matchAll(/<link[^>]+rel="modulepreload"[^>]+href="([^"]+\.js)"/g)) initial.add(m[1]);
if (initial.size === 0) {
  console.error('check-budget: no script found in dist/index.html');
  process.exit(1);
}

let total = 0;
for (const src of initial) {
  const file = path.join(dist, src.replace(/^\//, ''));
  const gz = zlib.gzipSync(fs.readFileSync(file), { level: 9 }).length;
  total += gz;
  console.log(`  ${src}  ${(gz / 1024).toFixed(1)} KB gzipped`);
}
const line = `initial JS: ${(total / 1024).toFixed(1)} KB gzipped (budget ${BUDGET_BYTES / 1024} KB)`;
if (total > BUDGET_BYTES) {
  console.error(`check-budget: FAIL ${line}`);
  process.exit(1);
}
console.log(`check-budget: ok, ${line}`);
