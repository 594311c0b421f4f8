import { api } from '@/shared/api/client';

/** One of the user's images (the gallery's image page, the edit view's source). */
export const getImage = (id: string) => api.get('/images/{id}', { path: { id } });
