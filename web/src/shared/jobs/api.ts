import { api } from '@/shared/api/client';
import type { GenerationRequest } from '@/shared/api/types';

export const createGeneration = (body: GenerationRequest) => api.post('/generations', { body });
export const getGeneration = (id: string) => api.get('/generations/{id}', { path: { id } });
export const cancelGeneration = (id: string) => api.post('/generations/{id}/cancel', { path: { id } });
/** An EventSource URL: the stream is read by shared/lib/eventStream.ts, not by the JSON client. */
export const generationEventsUrl = (id: string) => `/api/v1/generations/${encodeURIComponent(id)}/events`;
