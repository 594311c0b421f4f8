// What the edit view offers, and how each choice becomes a generation request on the source image.
import type { GenerationRequest, GenerationTask, Image, Model } from '@/shared/api/types';

export type EditChoice =
  | 'image_to_image' | 'variation' | 'inpaint' | 'outpaint' | 'remove_background' | 'upscale'
  | 'erase' | 'search_replace' | 'search_recolor' | 'sketch' | 'structure' | 'style_guide' | 'style_transfer';

export interface ChoiceInfo {
  id: EditChoice;
  /** The API's task that does it (variations are image-to-image from the source's own prompt). */
  task: GenerationTask;
  label: string;
  hint: string;
}

export const CHOICES: ChoiceInfo[] = [
  { id: 'image_to_image', task: 'image_to_image', label: 'Image to image', hint: 'A new picture from this one and a prompt.' },
  { id: 'variation', task: 'image_to_image', label: 'Variations', hint: 'Several pictures close to this one.' },
  { id: 'inpaint', task: 'inpaint', label: 'Inpaint', hint: 'Paint over what to repaint, then say what goes there.' },
  { id: 'outpaint', task: 'outpaint', label: 'Outpaint', hint: 'Extend the picture on the sides you choose.' },
  { id: 'remove_background', task: 'remove_background', label: 'Remove background', hint: 'Make the backdrop transparent.' },
  { id: 'upscale', task: 'upscale', label: 'Upscale 2×', hint: 'Twice the width and height (a cloud upscaler: the size its service makes).' },
  { id: 'erase', task: 'erase', label: 'Erase', hint: 'Paint over what to remove; its surroundings fill the gap.' },
  { id: 'search_replace', task: 'search_replace', label: 'Search and replace', hint: 'Name a thing in the picture and what replaces it.' },
  { id: 'search_recolor', task: 'search_recolor', label: 'Search and recolor', hint: 'Name a thing in the picture and its new colours.' },
  { id: 'sketch', task: 'sketch', label: 'From a sketch', hint: 'A picture drawn on this sketch\'s lines.' },
  { id: 'structure', task: 'structure', label: 'Keep the structure', hint: 'A new picture with this one\'s layout.' },
  { id: 'style_guide', task: 'style_guide', label: 'In this style', hint: 'A new picture in this picture\'s style.' },
  { id: 'style_transfer', task: 'style_transfer', label: 'Style transfer', hint: 'This picture in the style of another of yours.' },
];

export const choiceInfo = (id: EditChoice): ChoiceInfo => CHOICES.find((c) => c.id === id)!;

/** The models that can do `choice`. */
export const modelsFor = (choice: EditChoice, models: Model[]) => models.filter((m) => m.tasks.includes(choiceInfo(choice).task));

/** The choices at least one model can do, in the order above. */
export const choicesFor = (models: Model[]) => CHOICES.filter((c) => modelsFor(c.id, models).length > 0);

/** Upscalers that re-imagine details (a creativity range) take a prompt; the others none. */
export const usesPrompt = (c: EditChoice, model?: Model) =>
  c === 'upscale' ? Boolean(model?.creativity) : c !== 'remove_background' && c !== 'erase';
/** Variations and style transfers may go without a prompt: the pictures alone guide them. */
export const needsPrompt = (c: EditChoice, model?: Model) => usesPrompt(c, model) && c !== 'variation' && c !== 'style_transfer';
/** The choices painted on with the mask brush. */
export const usesMask = (c: EditChoice) => c === 'inpaint' || c === 'erase';
export const usesSearchPrompt = (c: EditChoice) => c === 'search_replace' || c === 'search_recolor';
export const usesStrength = (c: EditChoice) => c === 'image_to_image' || c === 'variation';

/** The numeric settings a model may declare (a range in the model list), each taken by some tasks only. */
export type SettingKey = 'creativity' | 'control_strength' | 'grow_mask' | 'composition_fidelity' | 'change_strength' | 'mask_blur';

interface SettingInfo {
  key: SettingKey;
  tasks: GenerationTask[];
  /** Whole pixels (a `px` slider) rather than a fraction. */
  pixels: boolean;
  label: (c: EditChoice) => string;
  hint: (c: EditChoice) => string;
}

// The tasks are the server's rule for each setting (services/generation_request_settings.cpp).
const SETTINGS: SettingInfo[] = [
  {
    key: 'creativity', tasks: ['upscale', 'outpaint'], pixels: false, label: () => 'Creativity',
    hint: (c) => (c === 'outpaint' ? 'How much the new area may invent beyond what the picture suggests.' : 'How much new detail the upscaler may invent.'),
  },
  {
    key: 'control_strength', tasks: ['sketch', 'structure', 'style_guide', 'style_transfer'], pixels: false,
    label: (c) => (c === 'style_guide' ? 'Fidelity' : c === 'style_transfer' ? 'Style strength' : 'Control strength'),
    hint: (c) => ({
      sketch: 'How closely the result follows the sketch\'s lines.',
      structure: 'How closely the result keeps this picture\'s structure.',
      style_guide: 'How closely the result follows this picture\'s style.',
    } as Partial<Record<EditChoice, string>>)[c] ?? 'How strongly the style picture\'s look is applied.',
  },
  {
    key: 'composition_fidelity', tasks: ['style_transfer'], pixels: false, label: () => 'Composition fidelity',
    hint: () => 'How closely the result keeps this picture\'s composition.',
  },
  {
    key: 'change_strength', tasks: ['style_transfer'], pixels: false, label: () => 'Change strength',
    hint: () => 'How much this picture may change.',
  },
  {
    key: 'grow_mask', tasks: ['inpaint', 'erase', 'search_replace', 'search_recolor'], pixels: true, label: () => 'Grow mask',
    hint: (c) => `Widens the ${usesMask(c) ? 'painted' : 'found'} area by this many pixels and softens its edge; raise it if seams show.`,
  },
  {
    key: 'mask_blur', tasks: ['inpaint', 'outpaint'], pixels: true, label: () => 'Mask blur',
    hint: () => 'How softly the repainted part meets the rest of the picture; 0 for a hard edge.',
  },
];

export interface Setting {
  key: SettingKey;
  label: string;
  hint: string;
  pixels: boolean;
  min: number;
  max: number;
  default: number;
}

/** The settings the model takes for the choice, with its ranges, in the order the form shows them. */
export function settingsFor(c: EditChoice, model?: Model): Setting[] {
  if (!model) return [];
  const task = choiceInfo(c).task;
  return SETTINGS.flatMap((info) => {
    const range = model[info.key];
    return range && info.tasks.includes(task)
      ? [{ key: info.key, label: info.label(c), hint: info.hint(c), pixels: info.pixels, min: range.min, max: range.max, default: range.default }]
      : [];
  });
}

/** A setting's value in the form: what the user set, else the model's default. */
export const settingValue = (v: EditValues, s: Setting) => v.settings[s.key] ?? s.default;

/** The model's style presets (Stability AI's services that take one); none for other models. */
export const stylePresetsFor = (model?: Model) => model?.style_presets ?? [];

export type Side = 'top' | 'right' | 'bottom' | 'left';
export const SIDES: Side[] = ['top', 'right', 'bottom', 'left'];

export interface EditValues {
  choice: EditChoice;
  model: string;
  prompt: string;
  /** image_to_image: how far the result may depart from the source, 0..1. */
  strength: number;
  /** The model's settings the user moved (settingsFor); the others take the model's defaults. */
  settings: Partial<Record<SettingKey, number>>;
  /** One of the model's style presets, or '' for none. */
  stylePreset: string;
  count: number;
  /** outpaint: the sides the picture grows on, and by how many pixels. */
  sides: Record<Side, boolean>;
  pixels: number;
  /** search_replace and search_recolor: what to find in the picture. */
  searchPrompt: string;
  /** style_transfer: the id of the user's picture whose style is applied, chosen from their pictures. */
  styleImageId: string;
}

/** The form's start: the first choice any model offers, the source's prompt to work from. */
export function initialEditValues(models: Model[], source: Image): EditValues {
  const choice = choicesFor(models)[0]?.id ?? 'image_to_image';
  const model = modelsFor(choice, models).find((m) => m.id === source.model) ?? modelsFor(choice, models)[0];
  return {
    choice, model: model?.id ?? '', prompt: source.prompt, strength: 0.5, settings: {}, stylePreset: '', count: 1,
    sides: { top: false, right: true, bottom: false, left: false }, pixels: 128, searchPrompt: '', styleImageId: '',
  };
}

/**
 * Switching the choice keeps the model when it can do the new one, else takes the first that can; the
 * model's settings and style preset start again from its defaults.
 */
export function withChoice(v: EditValues, choice: EditChoice, models: Model[]): EditValues {
  const fit = modelsFor(choice, models);
  const model = fit.find((m) => m.id === v.model) ?? fit[0];
  const count = choice === 'variation' ? Math.min(4, model?.max_count ?? 1) : 1;
  return { ...v, choice, model: model?.id ?? '', count, strength: choice === 'variation' ? 0.35 : v.strength, settings: {}, stylePreset: '' };
}

/** Another model for the same choice: its own settings' defaults, no style preset. */
export const withModel = (v: EditValues, model: string): EditValues => ({ ...v, model, settings: {}, stylePreset: '' });

/** Pixels added on each side (0 where the side is not chosen). */
export function outpaintMargins(v: EditValues): Record<Side, number> {
  return { top: v.sides.top ? v.pixels : 0, right: v.sides.right ? v.pixels : 0, bottom: v.sides.bottom ? v.pixels : 0, left: v.sides.left ? v.pixels : 0 };
}

/**
 * The request for the source image `sourceId`, with the mask (a PNG data: URL) for inpaint and the
 * margins for outpaint (the server makes the larger canvas and its mask).
 */
export function toEditRequest(v: EditValues, model: Model, sourceId: string, mask?: string): GenerationRequest {
  const r: GenerationRequest = { task: choiceInfo(v.choice).task, model: model.id, source_image_id: sourceId, count: v.count };
  if (usesPrompt(v.choice, model) && (needsPrompt(v.choice, model) || v.prompt.trim())) r.prompt = v.prompt;
  if (usesSearchPrompt(v.choice)) r.search_prompt = v.searchPrompt;
  if (v.choice === 'style_transfer') r.style_image_id = v.styleImageId.trim();
  if (usesStrength(v.choice)) r.strength = v.strength;
  for (const s of settingsFor(v.choice, model)) r[s.key] = settingValue(v, s);
  if (v.stylePreset && stylePresetsFor(model).includes(v.stylePreset)) r.style_preset = v.stylePreset;
  if (mask) r.mask = mask;
  if (v.choice === 'outpaint') {
    const m = outpaintMargins(v);
    r.outpaint = Object.fromEntries(SIDES.filter((s) => m[s] > 0).map((s) => [s, m[s]]));
  }
  return r;
}
