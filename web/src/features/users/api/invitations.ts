import { api } from '@/shared/api/client';

/** Administrators only (404 to everyone else). */
export const listInvitations = () => api.get('/admin/invitations').then((r) => r.items);
export const createInvitation = () => api.post('/admin/invitations');
export const revokeInvitation = (id: string) => api.delete('/admin/invitations/{id}', { path: { id } });
