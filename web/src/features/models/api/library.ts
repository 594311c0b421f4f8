import { api } from '@/shared/api/client';
import type { ModelPullRequest } from '@/shared/api/types';

/** Administrators only; 404 also means this server runs no local engine. */
export const getLibrary = () => api.get('/admin/models');
export const removeModel = (name: string) => api.delete('/admin/models/{name}', { path: { name } });
export const startPull = (body: ModelPullRequest) => api.post('/admin/models/pulls', { body });
export const getPull = (id: string) => api.get('/admin/models/pulls/{id}', { path: { id } });
export const cancelPull = (id: string) => api.post('/admin/models/pulls/{id}/cancel', { path: { id } });
/** An EventSource URL: the stream is read by shared/lib/eventStream.ts, not by the JSON client. */
export const pullEventsUrl = (id: string) => `/api/v1/admin/models/pulls/${encodeURIComponent(id)}/events`;
