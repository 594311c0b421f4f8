// The calls that start, read and end the signed-in session (the app's user everywhere).
import { api } from '@/shared/api/client';
import type { Credentials, Registration } from '@/shared/api/types';

export const register = (body: Registration) => api.post('/auth/register', { body, quiet401: true }).then((r) => r.user);
export const login = (body: Credentials) => api.post('/auth/login', { body, quiet401: true }).then((r) => r.user);
export const logout = () => api.post('/auth/logout');
export const getMe = () => api.get('/auth/me', { quiet401: true }).then((r) => r.user);
/** Every session ends, this one too. */
export const logoutEverywhere = () => api.post('/auth/logout-everywhere');
export const deleteAccount = (password: string) => api.post('/auth/delete-account', { body: { password } });
