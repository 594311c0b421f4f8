// Create opened with settings filled in (the image page's Remix and Same seed): both ends of the
// router state that carries them, so that the sender and Create agree on its shape.
import type { GenerationParams } from '@/shared/api/types';

export type Prefill = Partial<GenerationParams> & { seedMode?: 'random' | 'fixed' };

/** navigate('/', createWith(p)) opens Create with `p`. */
export const createWith = (prefill: Prefill) => ({ state: { prefill } });

/** The prefill in a location's state, if Create was opened with one. */
export const prefillOf = (state: unknown): Prefill | undefined => (state as { prefill?: Prefill } | null)?.prefill;
