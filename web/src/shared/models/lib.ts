// What the model list means to every screen: sizes a model accepts, its kind and style names in words.
import type { Model, ModelKind, Size } from '@/shared/api/types';

export interface Ratio { label: string; w: number; h: number }

export const RATIOS: Ratio[] = [
  { label: '1:1', w: 1, h: 1 },
  { label: '4:3', w: 4, h: 3 },
  { label: '3:4', w: 3, h: 4 },
  { label: '3:2', w: 3, h: 2 },
  { label: '2:3', w: 2, h: 3 },
  { label: '16:9', w: 16, h: 9 },
  { label: '9:16', w: 9, h: 16 },
];

/** Whether the model accepts width x height (free range or one of its fixed sizes). */
export function sizeAllowed(model: Model, width: number, height: number): boolean {
  if (model.fixed_sizes.some((s) => s.width === width && s.height === height)) return true;
  const r = model.sizes;
  if (!r) return false;
  const ok = (v: number) => Number.isInteger(v) && v >= r.min && v <= r.max && v % r.multiple === 0;
  return ok(width) && ok(height);
}

/** A size of the given ratio with about the area of the model's default size, within its range. */
export function sizeForRatio(model: Model, ratio: Ratio): Size | null {
  if (!model.sizes) {
    const match = model.fixed_sizes.find((s) => s.width * ratio.h === s.height * ratio.w);
    return match ?? null;
  }
  const { min, max, multiple } = model.sizes;
  const area = model.default_size.width * model.default_size.height;
  // Prefer an exact ratio: width and height both whole multiples of (ratio x multiple).
  const uw = ratio.w * multiple;
  const uh = ratio.h * multiple;
  const tMin = Math.ceil(min / Math.min(uw, uh));
  const tMax = Math.floor(max / Math.max(uw, uh));
  if (tMin <= tMax) {
    const t = Math.min(tMax, Math.max(tMin, Math.round(Math.sqrt(area / (uw * uh)))));
    return { width: t * uw, height: t * uh };
  }
  // Otherwise the nearest sizes the model accepts.
  const round = (v: number) => Math.min(Math.floor(max / multiple) * multiple, Math.max(Math.ceil(min / multiple) * multiple, Math.round(v / multiple) * multiple));
  const w = round(Math.sqrt((area * ratio.w) / ratio.h));
  const h = round((w * ratio.h) / ratio.w);
  return { width: w, height: h };
}

/** The sizes to offer as one-click choices: fixed sizes, or one per aspect ratio. */
export function sizeChoices(model: Model): Array<Size & { label: string }> {
  if (model.fixed_sizes.length > 0 && !model.sizes) {
    return model.fixed_sizes.map((s) => ({ ...s, label: `${s.width}×${s.height}` }));
  }
  const out: Array<Size & { label: string }> = [];
  for (const r of RATIOS) {
    const s = sizeForRatio(model, r);
    if (s && !out.some((o) => o.width === s.width && o.height === s.height)) out.push({ ...s, label: r.label });
  }
  return out;
}

export function describeCapabilities(model: Model): string[] {
  const caps: string[] = [];
  if (model.sizes) caps.push(`${model.sizes.min}–${model.sizes.max}px (×${model.sizes.multiple})`);
  else if (model.fixed_sizes.length) caps.push(`${model.fixed_sizes.length} fixed sizes`);
  caps.push(`up to ${model.max_count} image${model.max_count > 1 ? 's' : ''}`);
  if (model.steps) caps.push(`${model.steps.min}–${model.steps.max} steps`);
  if (model.cfg_scale) caps.push(`CFG ${model.cfg_scale.min}–${model.cfg_scale.max}`);
  if (model.negative_prompt) caps.push('negative prompt');
  if (model.styles.length) caps.push(`${model.styles.length} styles`);
  return caps;
}

export function styleLabel(s: string): string {
  if (!s) return 'None';
  return s.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1)).join(' ');
}

/** What a model is, said next to its name: the built-in demo generator is not AI. */
export const KIND_LABEL: Record<ModelKind, { long: string; short: string }> = {
  demo: { long: 'Demo generator · not AI', short: 'Demo · not AI' },
  local: { long: 'Local AI model', short: 'Local AI' },
  cloud: { long: 'Cloud AI model', short: 'Cloud AI' },
};

/** The text of a model's entry in a picker, where no badge fits. */
export function modelOptionLabel(model: Model): string {
  if (model.kind === 'demo') return `${model.name} (demo, not AI)`;
  // A cloud model its service will retire: offered only because the server's configuration names it.
  return model.shutdown_date ? `${model.name} (shuts down ${model.shutdown_date})` : model.name;
}

/** True when the server offers no AI model, only the demo generator. */
export function onlyDemo(models: Model[]): boolean {
  return models.length > 0 && models.every((m) => m.kind === 'demo');
}
