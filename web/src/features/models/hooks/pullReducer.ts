// Folds the SSE events of one model pull (status, progress, done: each carries the whole pull)
// into what its progress view shows.
import type { ModelPull } from '@/shared/api/types';

export type PullEvent = { type: 'update'; data: ModelPull } | { type: 'connection-lost' };

export interface PullState {
  pull: ModelPull;
  /** The live stream dropped before the pull ended; EventSource is reconnecting. */
  reconnecting: boolean;
}

const FINAL: Array<ModelPull['status']> = ['succeeded', 'failed', 'canceled'];
export const pullIsFinal = (p: ModelPull) => FINAL.includes(p.status);

export function pullReducer(state: PullState, ev: PullEvent): PullState {
  if (pullIsFinal(state.pull)) return state; // nothing changes a finished pull
  if (ev.type === 'connection-lost') return { ...state, reconnecting: true };
  if (ev.data.id !== state.pull.id) return state;
  return { pull: ev.data, reconnecting: false };
}
