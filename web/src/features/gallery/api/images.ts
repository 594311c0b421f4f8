import { api } from '@/shared/api/client';
import type { ImageFilters, ImagePatch } from '@/shared/api/types';

export const listImages = (f: ImageFilters, cursor?: string | null, limit = 30) =>
  api.get('/images', { query: { ...f, favorite: f.favorite ? true : undefined, cursor: cursor ?? undefined, limit } });
export const updateImage = (id: string, body: ImagePatch) => api.patch('/images/{id}', { path: { id }, body });
export const deleteImage = (id: string) => api.delete('/images/{id}', { path: { id } });
