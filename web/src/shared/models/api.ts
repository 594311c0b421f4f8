import { api } from '@/shared/api/client';

export const listModels = () => api.get('/models').then((r) => r.items);
