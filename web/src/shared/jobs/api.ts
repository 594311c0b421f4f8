import { api } from '@/shared/api/client';
import type { GenerationRequest } from '@/shared/api/types';

export const createGeneration = (body: GenerationRequest) => api.post('/generations', { body });
export const getGeneration = (id: string) => api.get('/generations/{id}', { path: { id } });
export const cancelGeneration = (id: string) => api.post('/generations/{id}/cancel', { path: { id } });
export const listGenerations = (cursor?: string) => api.get('/generations', { query: { limit: 50, cursor } });
/** An EventSource URL: the stream of all of the user's jobs, read by jobStore.ts. */
export const userGenerationEventsUrl = '/api/v1/generations/events';
