import { api } from '@/shared/api/client';
import type { ImagePatch } from '@/shared/api/types';

export const getInfotext = (id: string) => api.get('/images/{id}/infotext', { path: { id } });
export const updateImage = (id: string, body: ImagePatch) => api.patch('/images/{id}', { path: { id }, body });
export const deleteImage = (id: string) => api.delete('/images/{id}', { path: { id } });
