import { useEffect } from 'react';
import { useAsync } from '@/shared/lib/useAsync';
import { listModels } from './api';
import type { Model } from '@/shared/api/types';

let cache: Promise<Model[]> | null = null;
const reloaders = new Set<() => void>();

/** The model list rarely changes: fetched once per page load, again after invalidateModels(). */
export function useModels() {
  const state = useAsync(() => {
    if (!cache) cache = listModels().catch((e) => { cache = null; throw e; });
    return cache;
  }, []);
  const { reload } = state;
  useEffect(() => {
    reloaders.add(reload);
    return () => { reloaders.delete(reload); };
  }, [reload]);
  return state;
}

/** A model was installed or removed: every mounted model list fetches again. */
export function invalidateModels(): void {
  cache = null;
  reloaders.forEach((reload) => reload());
}
