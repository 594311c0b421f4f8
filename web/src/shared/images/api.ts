import { api } from '@/shared/api/client';
import type { ImageFilters } from '@/shared/api/types';

const filterQuery = (f: ImageFilters) => ({ ...f, favorite: f.favorite ? true : undefined });

/** One of the user's images (the gallery's image page, the edit view's source). */
export const getImage = (id: string) => api.get('/images/{id}', { path: { id } });
/** A page of the user's images, newest first (the gallery, the edit view's style picture). */
export const listImages = (f: ImageFilters, cursor?: string | null, limit = 30) =>
  api.get('/images', { query: { ...filterQuery(f), cursor: cursor ?? undefined, limit } });
export const countImages = (f: ImageFilters) => api.get('/images/count', { query: filterQuery(f) });
