import { api } from '@/shared/api/client';

export const listKeys = () => api.get('/keys').then((r) => r.items);
export const createKey = (name: string) => api.post('/keys', { body: { name } });
export const revokeKey = (id: string) => api.delete('/keys/{id}', { path: { id } });
