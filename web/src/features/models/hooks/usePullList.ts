import { useCallback, useMemo, useState } from 'react';
import type { ModelPull } from '@/shared/api/types';

/**
 * The pulls to show, newest first: those the library reported, updated by what happened here
 * since. `put` records a pull started here, or one that reached its end.
 */
export function usePullList(fromLibrary: ModelPull[] | undefined) {
  const [here, setHere] = useState<ModelPull[]>([]);
  const put = useCallback((p: ModelPull) => setHere((xs) => [p, ...xs.filter((x) => x.id !== p.id)]), []);
  const pulls = useMemo(() => {
    const seen = new Set(here.map((p) => p.id));
    return [...here, ...(fromLibrary ?? []).filter((p) => !seen.has(p.id))]
      .sort((a, b) => b.created_at.localeCompare(a.created_at));
  }, [here, fromLibrary]);
  return { pulls, put };
}
