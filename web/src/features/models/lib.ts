// The model library's own rules: pull sources, engine availability, family names.
import { ApiError } from '@/shared/api/client';

/** GET /admin/models answers an administrator 404 when this server runs no local engine. */
export function isNoLocalEngine(e: unknown): boolean {
  return e instanceof ApiError && e.status === 404;
}

export const NO_LOCAL_ENGINE =
  'This server runs no local engine (for example, it was built without libtorch), so it cannot install or run local models.';

/** Why a pull source will not do, before asking the server; null when it looks right. */
export function checkPullSource(source: string): string | null {
  if (/^https?:\/\//i.test(source)) {
    let url: URL;
    try { url = new URL(source); } catch { return 'This is not a valid URL.'; }
    if (url.protocol !== 'https:') return 'Use an https URL.';
    return /\.safetensors$/i.test(url.pathname) ? null : 'A URL must point to a .safetensors file.';
  }
  return /^[\w.-]+\/[\w.-]+(@[\w./-]+)?$/.test(source) ? null
    : 'Enter a Hub repository as owner/name (e.g. stabilityai/sd-turbo), optionally @revision, or an https URL of a .safetensors file.';
}

/** Whether a pull source names a Hub repository (variants apply) rather than one file. */
export const isHubSource = (source: string) => !/^https?:\/\//i.test(source);

const FAMILY_LABEL: Record<string, string> = { sd1: 'Stable Diffusion 1.x', sd2: 'Stable Diffusion 2.x', sdxl: 'Stable Diffusion XL' };

/** A model family in words; the API's own name when there is no better one. */
export function familyLabel(family: string | null): string {
  if (!family) return 'Unknown';
  return FAMILY_LABEL[family] ?? family;
}
