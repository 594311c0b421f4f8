import { api, withQuery } from '@/shared/api/client';
import type { AdminUser, AdminUserPage, AdminUserPatch, Usage } from '@/shared/api/types';

export const getUsage = () => api<Usage>('GET', '/me/usage');
/** Administrators only (404 to everyone else). */
export const listUsers = (cursor?: string | null) => api<AdminUserPage>('GET', withQuery('/admin/users', { cursor, limit: 50 }));
export const updateUser = (id: string, patch: AdminUserPatch) => api<AdminUser>('PATCH', `/admin/users/${encodeURIComponent(id)}`, patch);
