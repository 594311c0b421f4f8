import { api } from '@/shared/api/client';
import type { ModelLibrary, ModelPull, ModelPullRequest } from '@/shared/api/types';

const pullPath = (id: string) => `/admin/models/pulls/${encodeURIComponent(id)}`;

/** Administrators only; 404 also means this server runs no local engine. */
export const getLibrary = () => api<ModelLibrary>('GET', '/admin/models');
export const removeModel = (name: string) => api<void>('DELETE', `/admin/models/${encodeURIComponent(name)}`);
export const startPull = (r: ModelPullRequest) => api<ModelPull>('POST', '/admin/models/pulls', r);
export const getPull = (id: string) => api<ModelPull>('GET', pullPath(id));
export const cancelPull = (id: string) => api<ModelPull>('POST', `${pullPath(id)}/cancel`);
export const pullEventsUrl = (id: string) => `/api/v1${pullPath(id)}/events`;
