import { api } from '@/shared/api/client';
import type { User } from '@/shared/api/types';

export interface Credentials { email: string; password: string }

export const register = (c: Credentials) => api<{ user: User }>('POST', '/auth/register', c, { quiet401: true }).then((r) => r.user);
export const login = (c: Credentials) => api<{ user: User }>('POST', '/auth/login', c, { quiet401: true }).then((r) => r.user);
export const logout = () => api<void>('POST', '/auth/logout');
export const getMe = () => api<{ user: User }>('GET', '/auth/me', undefined, { quiet401: true }).then((r) => r.user);
