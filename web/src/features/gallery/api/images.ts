import { api, withQuery } from '@/shared/api/client';
import type { Image, ImagePage, ImagePatch } from '@/shared/api/types';

export interface ImageFilters { q?: string; model?: string; favorite?: boolean; from?: string; to?: string }

export const listImages = (f: ImageFilters, cursor?: string | null, limit = 30) =>
  api<ImagePage>('GET', withQuery('/images', { ...f, favorite: f.favorite ? true : undefined, cursor, limit }));
export const getImage = (id: string) => api<Image>('GET', `/images/${encodeURIComponent(id)}`);
export const updateImage = (id: string, p: ImagePatch) => api<Image>('PATCH', `/images/${encodeURIComponent(id)}`, p);
export const deleteImage = (id: string) => api<void>('DELETE', `/images/${encodeURIComponent(id)}`);
