// Folds the SSE events of one generation (status, progress, done, a new queue position) into what
// the job view shows.
import type { Generation, GenerationStatus, ProgressEvent } from '@/shared/api/types';

export type JobEvent =
  | { type: 'status'; data: Generation }
  | { type: 'progress'; data: ProgressEvent }
  | { type: 'done'; data: Generation }
  | { type: 'position'; position: number }
  | { type: 'connection-lost' };

export interface JobState {
  generation: Generation | null;
  status: GenerationStatus | 'connecting';
  /** 0..1, never decreases. */
  progress: number;
  queuePosition: number | null;
  done: boolean;
  error: { code: string; message: string } | null;
  /** The live stream dropped before the job ended (the view falls back to polling). */
  reconnecting: boolean;
  /** The latest picture of the image as it forms (a data URL), when the model sends them. */
  preview: string | null;
  /** What a running job is doing (loading its model, generating, saving its files). */
  stage: ProgressEvent['stage'];
}

export const initialJobState: JobState = {
  generation: null, status: 'connecting', progress: 0, queuePosition: null, done: false, error: null, reconnecting: false,
  preview: null, stage: 'generating',
};

const FINAL: GenerationStatus[] = ['succeeded', 'failed', 'canceled'];
export const isFinal = (s: JobState['status']) => (FINAL as string[]).includes(s);

function fromGeneration(state: JobState, g: Generation): JobState {
  const final = isFinal(g.status);
  return {
    generation: g,
    status: g.status,
    progress: g.status === 'succeeded' ? 1 : Math.max(state.progress, g.progress),
    queuePosition: g.status === 'queued' ? g.queue_position : null,
    done: final,
    error: g.error,
    reconnecting: false,
    preview: final ? null : state.preview,
    stage: state.stage,
  };
}

export function jobReducer(state: JobState, ev: JobEvent): JobState {
  if (state.done && ev.type !== 'done') return state; // nothing changes a finished job
  switch (ev.type) {
    case 'status':
      return fromGeneration(state, ev.data);
    case 'progress':
      if (state.generation && ev.data.id !== state.generation.id) return state;
      return {
        ...state,
        status: state.status === 'queued' || state.status === 'connecting' ? 'running' : state.status,
        queuePosition: null,
        progress: Math.min(1, Math.max(state.progress, ev.data.progress)),
        reconnecting: false,
        preview: ev.data.preview ?? state.preview,
        stage: ev.data.stage,
      };
    case 'done':
      return { ...fromGeneration(state, ev.data), done: true };
    case 'position':
      return state.status === 'queued' ? { ...state, queuePosition: ev.position } : state;
    case 'connection-lost':
      return { ...state, reconnecting: true };
  }
}
