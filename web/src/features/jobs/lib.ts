// What the Jobs view does with a job's parameters: submit them again (retry), open Create with
// them (remix), and the filters of the list.
import type { GenerationParams, GenerationRequest, GenerationStatus, GenerationTask } from '@/shared/api/types';
import type { Prefill } from '@/shared/lib/prefill';

/**
 * The request that makes the same generation again. The job's LoRAs include those its prompt names
 * with <lora:name:weight>, which the prompt brings again: sending them twice would be refused.
 */
export function requestOf(params: GenerationParams): GenerationRequest {
  const { loras = [], ...rest } = params;
  const inPrompt = (name: string) => params.prompt.includes(`<lora:${name}:`);
  const fields = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== null && v !== '')) as GenerationRequest;
  return { ...fields, loras: loras.filter((l) => !inPrompt(l.name)).map(({ name, weight }) => ({ name, weight })) };
}

/** Create, filled with the job's parameters and a new seed. */
export const remixOf = (params: GenerationParams): Prefill => ({ ...params, seedMode: 'random' });

const TASK_LABEL: Partial<Record<GenerationTask, string>> = {
  text_to_image: 'Text to image', image_to_image: 'Image to image', inpaint: 'Inpaint', outpaint: 'Outpaint',
  remove_background: 'Remove background', upscale: 'Upscale',
};

/** A task in words; one without a label here is named as the API names it. */
export const taskLabel = (task: GenerationTask) => TASK_LABEL[task] ?? task.replace(/_/g, ' ');

export type StatusFilter = 'all' | 'active' | Exclude<GenerationStatus, 'queued' | 'running'>;

export const STATUS_FILTERS: Array<[StatusFilter, string]> = [
  ['all', 'All'], ['active', 'Queued or running'], ['succeeded', 'Done'], ['failed', 'Failed'], ['canceled', 'Canceled'],
];

export function statusMatches(filter: StatusFilter, status: GenerationStatus | 'connecting'): boolean {
  if (filter === 'all') return true;
  if (filter === 'active') return status === 'queued' || status === 'running' || status === 'connecting';
  return status === filter;
}
