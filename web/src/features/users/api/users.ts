import { api } from '@/shared/api/client';
import type { AdminUserPatch } from '@/shared/api/types';

export const getUsage = () => api.get('/me/usage');
/** Administrators only (404 to everyone else). */
export const listUsers = (cursor?: string | null) => api.get('/admin/users', { query: { cursor: cursor ?? undefined, limit: 50 } });
export const updateUser = (id: string, body: AdminUserPatch) => api.patch('/admin/users/{id}', { path: { id }, body });
