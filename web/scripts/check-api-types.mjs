// Fails when src/shared/api/schema.d.ts is not what openapi-typescript generates from
// ../openapi/openapi.yaml (regenerate with `npm run gen:api-types`).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const committed = path.join(root, 'src/shared/api/schema.d.ts');
const tmp = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'rm-api-types-')), 'schema.d.ts');
execFileSync(process.execPath, [
  path.join(root, 'node_modules/openapi-typescript/bin/cli.js'),
  path.join(root, '../openapi/openapi.yaml'), '-o', tmp,
], { stdio: ['ignore', 'ignore', 'inherit'] });
const want = fs.readFileSync(tmp, 'utf8');
const have = fs.existsSync(committed) ? fs.readFileSync(committed, 'utf8') : '';
fs.rmSync(path.dirname(tmp), { recursive: true, force: true });
if (want !== have) {
  console.error('check:api-types: src/shared/api/schema.d.ts is out of date with openapi/openapi.yaml.');
  console.error('Run `npm run gen:api-types` and commit the result.');
  process.exit(1);
}
console.log('check:api-types: ok, API types match openapi/openapi.yaml');
