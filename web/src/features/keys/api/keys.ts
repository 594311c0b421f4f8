import { api } from '@/shared/api/client';
import type { ApiKey, ApiKeyWithSecret } from '@/shared/api/types';

export const listKeys = () => api<{ items: ApiKey[] }>('GET', '/keys').then((r) => r.items);
export const createKey = (name: string) => api<ApiKeyWithSecret>('POST', '/keys', { name });
export const revokeKey = (id: string) => api<void>('DELETE', `/keys/${encodeURIComponent(id)}`);
