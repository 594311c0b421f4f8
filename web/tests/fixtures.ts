import type { Generation, Image, InstalledModel, Model, ModelLibrary, ModelPull, Preferences, User } from '@/shared/api/types';

export const freeModel: Model = {
  id: 'procedural', name: 'Procedural (built-in)', provider: 'builtin', kind: 'demo', family: 'demo', size_bytes: null, source: null, license: null,
  description: 'Not a neural model: composes a picture from the words of the prompt with seeded noise and simple geometry.',
  sizes: { min: 64, max: 2048, multiple: 8 }, fixed_sizes: [], default_size: { width: 512, height: 512 }, max_count: 4,
  steps: { min: 1, max: 50, default: 20 }, cfg_scale: { min: 1, max: 20, default: 7 },
  styles: ['photographic', 'watercolor', 'neon'], negative_prompt: true, max_prompt_length: 2000,
  tasks: ['text_to_image'], qualities: [], max_pixels: null, max_aspect_ratio: null, shutdown_date: null, loaded: null, loras: [],
  backgrounds: [], moderations: [], creativity: null, control_strength: null,
  style_presets: [], grow_mask: null, composition_fidelity: null, change_strength: null, mask_blur: { min: 0, max: 64, default: 4 },
};

export const fixedModel: Model = {
  id: 'cloud-xl', name: 'Cloud XL', provider: 'bedrock', kind: 'cloud', family: 'bedrock', size_bytes: null, source: null, license: null,
  description: 'fixed sizes only',
  sizes: null, fixed_sizes: [{ width: 1024, height: 1024 }, { width: 1152, height: 896 }, { width: 896, height: 1152 }],
  default_size: { width: 1024, height: 1024 }, max_count: 2, steps: null, cfg_scale: null, styles: [], negative_prompt: false, max_prompt_length: 500,
  tasks: ['text_to_image'], qualities: ['standard', 'premium'], max_pixels: null, max_aspect_ratio: null, shutdown_date: null, loaded: null, loras: [],
  backgrounds: [], moderations: [], creativity: null, control_strength: null,
  style_presets: [], grow_mask: null, composition_fidelity: null, change_strength: null, mask_blur: null,
};

export const localModel: Model = {
  ...freeModel, id: 'local/sd-turbo', name: 'sd-turbo', provider: 'local', kind: 'local', family: 'sd2', size_bytes: 2_600_000_000,
  source: 'hf:stabilityai/sd-turbo@main', license: 'other', description: 'Stable Diffusion 2.1 distilled for 1 to 4 steps.',
};

export const noPrefs: Preferences = { model: '', style: '', width: 0, height: 0, negative_prompt: '', theme: 'system' };

export function generation(over: Partial<Generation> = {}): Generation {
  return {
    id: 'g1', status: 'queued', progress: 0, queue_position: 2, error: null,
    params: { prompt: 'a fox', negative_prompt: '', model: 'procedural', style: '', width: 512, height: 512, steps: 20, cfg_scale: 7, seed: 42, count: 1,
      quality: '', task: 'text_to_image', source_image_id: null, mask_image_id: null, strength: 0, mask_blur: 0, loras: [] },
    images: [], created_at: '2026-11-25T20:00:00.000Z', started_at: null, finished_at: null,
    ...over,
  };
}

export function image(id: string, over: Partial<Image> = {}): Image {
  return {
    id, generation_id: 'g1', index: 0, prompt: 'a fox', negative_prompt: '', model: 'procedural', style: '', width: 512, height: 512,
    steps: 20, cfg_scale: 7, seed: 42, title: '', tags: [], favorite: false, bytes: 1000, created_at: '2026-11-25T20:00:01.000Z',
    file_url: `/api/v1/images/${id}/file`, thumbnail_url: `/api/v1/images/${id}/thumbnail?size=256`,
    quality: '', task: 'text_to_image', source_image_id: null, mask_image_id: null, strength: 0, mask_blur: 0, origin: 'generated', loras: [],
    ...over,
  };
}

export const alice: User = { id: 'u1', email: 'alice@example.com', is_admin: false, created_at: '2026-11-25T19:00:00.000Z' };
export const admin: User = { ...alice, id: 'u0', email: 'admin@example.com', is_admin: true };

export const installed: InstalledModel = {
  name: 'sd-turbo', model_id: 'local/sd-turbo', format: 'diffusers', family: 'sd2', size_bytes: 2_600_000_000,
  source: 'hf:stabilityai/sd-turbo@main', license: 'other', problem: null,
};

export const broken: InstalledModel = {
  name: 'half-done.safetensors', model_id: null, format: 'single_file', family: null, size_bytes: 1_200_000,
  source: 'file', license: null, problem: 'no UNet tensors (model.diffusion_model.*) in the file',
};

export function pull(over: Partial<ModelPull> = {}): ModelPull {
  return {
    id: 'p1', source: 'stabilityai/sd-turbo', name: 'sd-turbo', lora: false, status: 'queued', bytes_done: 0, bytes_total: null,
    files_done: 0, files_total: null, current_file: null, error: null, created_at: '2026-11-25T20:00:00.000Z', finished_at: null,
    ...over,
  };
}

export function library(over: Partial<ModelLibrary> = {}): ModelLibrary {
  return {
    models_dir: '/srv/rendermart/models', installed: [], pulls: [],
    recommended: [{ source: 'stabilityai/sd-turbo', name: 'sd-turbo', description: 'Fast Stable Diffusion 2.1 distilled for 1 to 4 steps.',
      license: 'sai-nc-community', download_bytes: 2_600_000_000 }],
    ...over,
  };
}
