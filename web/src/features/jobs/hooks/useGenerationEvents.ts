import { useEffect, useReducer } from 'react';
import type { Generation } from '@/shared/api/types';
import { generationEventsUrl, getGeneration } from '../api/generations';
import { initialJobState, isFinal, jobReducer, type JobEvent, type JobState } from './jobReducer';

/**
 * Follows one generation through its SSE stream. EventSource reconnects by itself when the
 * stream drops; the server starts every stream with a `status` event, so nothing is lost.
 */
export function useGenerationEvents(id: string, initial?: Generation): [JobState, (e: JobEvent) => void] {
  const [state, dispatch] = useReducer(jobReducer, initial, (g) => (g ? jobReducer(initialJobState, { type: 'status', data: g }) : initialJobState));

  useEffect(() => {
    if (initial && isFinal(initial.status)) return;
    const es = new EventSource(generationEventsUrl(id), { withCredentials: true });
    let finished = false;
    const parse = <T,>(m: MessageEvent): T | null => {
      try { return JSON.parse(m.data as string) as T; } catch { return null; }
    };
    es.addEventListener('status', (m) => {
      const g = parse<Generation>(m as MessageEvent);
      if (g) dispatch({ type: 'status', data: g });
    });
    es.addEventListener('progress', (m) => {
      const p = parse<{ id: string; progress: number }>(m as MessageEvent);
      if (p) dispatch({ type: 'progress', data: p });
    });
    es.addEventListener('done', (m) => {
      const g = parse<Generation>(m as MessageEvent);
      finished = true;
      es.close();
      if (g) dispatch({ type: 'done', data: g });
    });
    es.onerror = () => {
      if (finished) return;
      dispatch({ type: 'connection-lost' });
      // The stream may have ended without `done` (e.g. the job is gone): ask once directly.
      getGeneration(id).then(
        (g) => { if (isFinal(g.status)) { finished = true; es.close(); dispatch({ type: 'done', data: g }); } },
        () => { /* EventSource keeps retrying */ },
      );
    };
    return () => es.close();
  }, [id, initial]);

  return [state, dispatch];
}
