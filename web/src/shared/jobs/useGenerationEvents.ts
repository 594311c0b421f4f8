import { useEffect, useReducer } from 'react';
import type { Generation, ProgressEvent } from '@/shared/api/types';
import { followEventStream } from '@/shared/lib/eventStream';
import { generationEventsUrl, getGeneration } from './api';
import { initialJobState, isFinal, jobReducer, type JobEvent, type JobState } from './jobReducer';

/**
 * Follows one generation through its SSE stream. The server starts every stream with a `status`
 * event, so a reconnect loses nothing.
 */
export function useGenerationEvents(id: string, initial?: Generation): [JobState, (e: JobEvent) => void] {
  const [state, dispatch] = useReducer(jobReducer, initial, (g) => (g ? jobReducer(initialJobState, { type: 'status', data: g }) : initialJobState));

  useEffect(() => {
    if (initial && isFinal(initial.status)) return;
    return followEventStream(generationEventsUrl(id), {
      status: (g) => dispatch({ type: 'status', data: g as Generation }),
      progress: (p) => dispatch({ type: 'progress', data: p as ProgressEvent }),
      done: (g) => dispatch({ type: 'done', data: g as Generation }),
    }, (stop) => {
      dispatch({ type: 'connection-lost' });
      // The stream may have ended without `done` (e.g. the job is gone): ask once directly.
      getGeneration(id).then(
        (g) => { if (isFinal(g.status)) { stop(); dispatch({ type: 'done', data: g }); } },
        () => { /* EventSource keeps retrying */ },
      );
    });
  }, [id, initial]);

  return [state, dispatch];
}
