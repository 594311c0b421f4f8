import type { GenerationRequest, Model, Preferences } from '@/shared/api/types';
import type { Prefill } from '@/shared/lib/prefill';

export interface CreateValues {
  prompt: string;
  negative_prompt: string;
  model: string;
  style: string;
  width: number;
  height: number;
  count: number;
  seedMode: 'random' | 'fixed';
  seed: number;
  steps: number;
  cfg_scale: number;
  /** The model's LoRAs chosen for this generation, each with its weight. */
  loras: { name: string; weight: number }[];
}

/** Form defaults: a prefill (remix) first, then the user's preferences, then the model's own. */
export function initialValues(models: Model[], prefs: Preferences | undefined, prefill?: Prefill): CreateValues {
  const wanted = prefill?.model || prefs?.model || '';
  const model = models.find((m) => m.id === wanted) ?? models[0];
  const prefsApply = !prefill && prefs && (!prefs.model || prefs.model === model.id);
  const width = prefill?.width ?? (prefsApply && prefs!.width ? prefs!.width : model.default_size.width);
  const height = prefill?.height ?? (prefsApply && prefs!.height ? prefs!.height : model.default_size.height);
  const style = prefill?.style ?? (prefs && model.styles.includes(prefs.style) ? prefs.style : '');
  return {
    prompt: prefill?.prompt ?? '',
    negative_prompt: prefill?.negative_prompt ?? prefs?.negative_prompt ?? '',
    model: model.id,
    style,
    width,
    height,
    count: Math.min(prefill?.count ?? 1, model.max_count),
    seedMode: prefill?.seedMode ?? 'random',
    seed: prefill?.seed ?? 0,
    steps: prefill?.steps || model.steps?.default || 0,
    cfg_scale: prefill?.cfg_scale ?? model.cfg_scale?.default ?? 0,
    // A remix keeps the LoRAs the model still has.
    loras: (prefill?.loras ?? []).filter((l) => model.loras.some((m) => m.name === l.name))
      .map(({ name, weight }) => ({ name, weight })),
  };
}

/** Switching model keeps what still fits and resets what does not. */
export function adaptToModel(v: CreateValues, model: Model): CreateValues {
  const fitsSize = model.fixed_sizes.some((s) => s.width === v.width && s.height === v.height) ||
    (model.sizes && [v.width, v.height].every((x) => x >= model.sizes!.min && x <= model.sizes!.max && x % model.sizes!.multiple === 0));
  return {
    ...v,
    model: model.id,
    style: model.styles.includes(v.style) ? v.style : '',
    width: fitsSize ? v.width : model.default_size.width,
    height: fitsSize ? v.height : model.default_size.height,
    count: Math.min(v.count, model.max_count),
    steps: model.steps ? Math.min(model.steps.max, Math.max(model.steps.min, v.steps || model.steps.default)) : 0,
    cfg_scale: model.cfg_scale ? Math.min(model.cfg_scale.max, Math.max(model.cfg_scale.min, v.cfg_scale || model.cfg_scale.default)) : 0,
    loras: v.loras.filter((l) => model.loras.some((m) => m.name === l.name)),
  };
}

/** What stops the form from being sent, by field: shown beside each field and the Generate button. */
export type CreateProblems = Partial<Record<'prompt' | 'negative_prompt' | 'seed' | 'steps' | 'cfg_scale' | 'loras', string>>;

export function formProblems(v: CreateValues, model: Model): CreateProblems {
  const p: CreateProblems = {};
  const max = model.max_prompt_length;
  // The same words while the user types on: the counter beside the prompt shows how far over it is.
  if (v.prompt.length > max) p.prompt = `The prompt is longer than the ${max} characters ${model.name} takes: shorten it.`;
  if (model.negative_prompt && v.negative_prompt.length > max) {
    p.negative_prompt = `The negative prompt is longer than the ${max} characters ${model.name} takes: shorten it.`;
  }
  if (v.seedMode === 'fixed' && !(Number.isInteger(v.seed) && v.seed >= 0 && v.seed <= 4294967295)) {
    p.seed = 'The seed is a whole number from 0 to 4294967295.';
  }
  if (model.steps && !(Number.isInteger(v.steps) && v.steps >= model.steps.min && v.steps <= model.steps.max)) {
    p.steps = `Steps must be a whole number from ${model.steps.min} to ${model.steps.max}.`;
  }
  if (model.cfg_scale && !(Number.isFinite(v.cfg_scale) && v.cfg_scale >= model.cfg_scale.min && v.cfg_scale <= model.cfg_scale.max)) {
    p.cfg_scale = `The CFG scale must be from ${model.cfg_scale.min} to ${model.cfg_scale.max}.`;
  }
  if (v.loras.some((l) => !(Number.isFinite(l.weight) && l.weight >= -4 && l.weight <= 4))) {
    p.loras = 'Each LoRA weight must be from -4 to 4.';
  }
  return p;
}

/** The request body: only what the model understands. */
export function toRequest(v: CreateValues, model: Model): GenerationRequest {
  const r: GenerationRequest = { prompt: v.prompt, model: model.id, width: v.width, height: v.height, count: v.count };
  if (model.negative_prompt && v.negative_prompt.trim()) r.negative_prompt = v.negative_prompt;
  if (v.style) r.style = v.style;
  if (v.seedMode === 'fixed') r.seed = v.seed;
  if (model.steps) r.steps = v.steps;
  if (model.cfg_scale) r.cfg_scale = v.cfg_scale;
  if (v.loras.length > 0) r.loras = v.loras;
  return r;
}

const LAST_SEED_KEY = 'rm-last-seed';
export function rememberSeed(seed: number): void {
  try { localStorage.setItem(LAST_SEED_KEY, String(seed)); } catch { /* ignore */ }
}
export function lastSeed(): number | null {
  try {
    const v = localStorage.getItem(LAST_SEED_KEY);
    return v === null ? null : Number(v);
  } catch { return null; }
}
