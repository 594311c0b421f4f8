import { useAsync } from '@/shared/lib/useAsync';
import { listModels } from '../api/models';
import type { Model } from '@/shared/api/types';

let cache: Promise<Model[]> | null = null;

/** The model list rarely changes: fetched once per page load. */
export function useModels() {
  return useAsync(() => {
    if (!cache) cache = listModels().catch((e) => { cache = null; throw e; });
    return cache;
  }, []);
}
