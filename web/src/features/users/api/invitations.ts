import { api } from '@/shared/api/client';
import type { Invitation, InvitationWithCode } from '@/shared/api/types';

/** Administrators only (404 to everyone else). */
export const listInvitations = () => api<{ items: Invitation[] }>('GET', '/admin/invitations').then((r) => r.items);
export const createInvitation = () => api<InvitationWithCode>('POST', '/admin/invitations');
export const revokeInvitation = (id: string) => api<void>('DELETE', `/admin/invitations/${encodeURIComponent(id)}`);
