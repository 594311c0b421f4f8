import { api } from '@/shared/api/client';
import type { ImageFilters, ImagePatch } from '@/shared/api/types';

const filterQuery = (f: ImageFilters) => ({ ...f, favorite: f.favorite ? true : undefined });

export const listImages = (f: ImageFilters, cursor?: string | null, limit = 30) =>
  api.get('/images', { query: { ...filterQuery(f), cursor: cursor ?? undefined, limit } });
export const countImages = (f: ImageFilters) => api.get('/images/count', { query: filterQuery(f) });
export const getInfotext = (id: string) => api.get('/images/{id}/infotext', { path: { id } });
export const updateImage = (id: string, body: ImagePatch) => api.patch('/images/{id}', { path: { id }, body });
export const deleteImage = (id: string) => api.delete('/images/{id}', { path: { id } });
