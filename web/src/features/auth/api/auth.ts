import { api } from '@/shared/api/client';
import type { AuthConfig, Registration, User } from '@/shared/api/types';

export interface Credentials { email: string; password: string }

export const getAuthConfig = () => api<AuthConfig>('GET', '/auth/config');
export const register = (r: Registration) => api<{ user: User }>('POST', '/auth/register', r, { quiet401: true }).then((x) => x.user);
export const login = (c: Credentials) => api<{ user: User }>('POST', '/auth/login', c, { quiet401: true }).then((r) => r.user);
export const logout = () => api<void>('POST', '/auth/logout');
export const getMe = () => api<{ user: User }>('GET', '/auth/me', undefined, { quiet401: true }).then((r) => r.user);
/** Every other session ends; this one and the API keys stay. */
export const changePassword = (currentPassword: string, newPassword: string) =>
  api<void>('POST', '/auth/password', { current_password: currentPassword, new_password: newPassword });
/** Every session ends, this one too. */
export const logoutEverywhere = () => api<void>('POST', '/auth/logout-everywhere');
export const deleteAccount = (password: string) => api<void>('POST', '/auth/delete-account', { password });
