import { api } from '@/shared/api/client';

export const getAuthConfig = () => api.get('/auth/config');
/** Every other session ends; this one and the API keys stay. */
export const changePassword = (currentPassword: string, newPassword: string) =>
  api.post('/auth/password', { body: { current_password: currentPassword, new_password: newPassword } });
