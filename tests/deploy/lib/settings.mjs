// The settings that the built binary knows (`rendermart config`): it refuses any other
// RENDERMART_* variable, so a typo in a manifest would stop every pod or function.

import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { REPO_ROOT } from './k8s.mjs';

export const BIN = process.env.RENDERMART_BIN || path.join(REPO_ROOT, 'build', 'rendermart');

// The RENDERMART_* names among `names` that are no settings.
export function unknownSettings(names) {
  const known = new Set([...execFileSync(BIN, ['config'], { encoding: 'utf8' }).matchAll(/^\| `(RENDERMART_\w+)`/gm)].map((m) => m[1]));
  if (!known.has('RENDERMART_DATABASE_URL')) throw new Error('`rendermart config` lists no settings');
  return names.filter((name) => name.startsWith('RENDERMART_') && !known.has(name));
}
