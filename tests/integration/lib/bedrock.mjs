// The local Bedrock of tests/support/bedrock, and the settings that point the binary at it.

import { startChildServer } from './child_server.mjs';

export const TITAN = 'amazon.titan-image-generator-v2:0';
export const NOVA = 'amazon.nova-canvas-v1:0';
export const SD35 = 'stability.sd3-5-large-v1:0';
export const CORE = 'stability.stable-image-core-v1:1';
export const ULTRA = 'stability.stable-image-ultra-v1:1';

// A Legacy modelLifecycle whose end of life is `days` days from now (an ISO 8601 date-time).
export function legacyFor(days) {
  return { status: 'LEGACY', endOfLifeTime: new Date(Date.now() + days * 86_400_000).toISOString() };
}

export function startLocalBedrock() {
  return startChildServer('bedrock/server.mjs');
}

export function bedrockEnv(bedrock, extra = {}) {
  return {
    RENDERMART_BEDROCK_REGION: bedrock.region,
    RENDERMART_BEDROCK_ENDPOINT: bedrock.endpoint,
    RENDERMART_BEDROCK_CONTROL_ENDPOINT: bedrock.endpoint,
    RENDERMART_BEDROCK_MODELS: [SD35, CORE, ULTRA, NOVA, TITAN].join(','),
    // One attempt per job: what a failed attempt records is what the tests see.
    RENDERMART_MAX_ATTEMPTS: '1',
    AWS_ACCESS_KEY_ID: bedrock.access_key_id,
    AWS_SECRET_ACCESS_KEY: bedrock.secret_access_key,
    AWS_REGION: bedrock.region,
    AWS_EC2_METADATA_DISABLED: 'true',
    ...extra,
  };
}
