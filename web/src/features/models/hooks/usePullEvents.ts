import { useEffect, useReducer } from 'react';
import type { ModelPull } from '@/shared/api/types';
import { followEventStream } from '@/shared/lib/eventStream';
import { getPull, pullEventsUrl } from '../api/library';
import { pullIsFinal, pullReducer, type PullEvent, type PullState } from './pullReducer';

/** Follows one pull through its SSE stream until it succeeds, fails or is canceled. */
export function usePullEvents(initial: ModelPull): [PullState, (e: PullEvent) => void] {
  const [state, dispatch] = useReducer(pullReducer, { pull: initial, reconnecting: false });
  const { id } = initial;
  const finalAtStart = pullIsFinal(initial);

  useEffect(() => {
    if (finalAtStart) return;
    const update = (p: unknown) => dispatch({ type: 'update', data: p as ModelPull });
    return followEventStream(pullEventsUrl(id), { status: update, progress: update, done: update }, (stop) => {
      dispatch({ type: 'connection-lost' });
      // The stream may have ended without `done` (the server restarted and forgot the pull): ask once.
      getPull(id).then(
        (p) => { if (pullIsFinal(p)) { stop(); update(p); } },
        () => { /* EventSource keeps retrying */ },
      );
    });
  }, [id, finalAtStart]);

  return [state, dispatch];
}
