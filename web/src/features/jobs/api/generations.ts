import { api } from '@/shared/api/client';
import type { Generation, GenerationRequest } from '@/shared/api/types';

export const createGeneration = (r: GenerationRequest) => api<Generation>('POST', '/generations', r);
export const getGeneration = (id: string) => api<Generation>('GET', `/generations/${encodeURIComponent(id)}`);
export const cancelGeneration = (id: string) => api<Generation>('POST', `/generations/${encodeURIComponent(id)}/cancel`);
export const generationEventsUrl = (id: string) => `/api/v1/generations/${encodeURIComponent(id)}/events`;
