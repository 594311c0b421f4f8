// The settings that the built binary knows (`rendermart config`): it refuses any other
// RENDERMART_* variable, so a typo in a manifest would stop every pod or function.

import { execFileSync } from 'node:child_process';
import path from 'node:path';

import { REPO_ROOT } from './k8s.mjs';

export const BIN = process.env.RENDERMART_BIN || path.join(REPO_ROOT, 'build', 'rendermart');

// Settings of the Amazon Bedrock provider, which is built on another branch: the eks overlay and
// the SAM template already set them. Remove each from here once `rendermart config` lists it
// (unknownSettings throws as a reminder).
export const PENDING_SETTINGS = ['RENDERMART_BEDROCK_REGION', 'RENDERMART_BEDROCK_MODELS'];

// The RENDERMART_* names among `names` that are neither settings nor pending ones.
export function unknownSettings(names) {
  const known = new Set([...execFileSync(BIN, ['config'], { encoding: 'utf8' }).matchAll(/^\| `(RENDERMART_\w+)`/gm)].map((m) => m[1]));
  if (!known.has('RENDERMART_DATABASE_URL')) throw new Error('`rendermart config` lists no settings');
  for (const name of PENDING_SETTINGS) {
    if (known.has(name)) throw new Error(`${name} is a setting now: drop it from PENDING_SETTINGS`);
  }
  return names.filter((name) => name.startsWith('RENDERMART_') && !known.has(name) && !PENDING_SETTINGS.includes(name));
}
