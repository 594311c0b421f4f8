import { api } from '@/shared/api/client';
import type { Model } from '@/shared/api/types';

export const listModels = () => api<{ items: Model[] }>('GET', '/models').then((r) => r.items);
