import { api } from '@/shared/api/client';
import type { Preferences, PreferencesInput } from '@/shared/api/types';

export const getPreferences = () => api<Preferences>('GET', '/me/preferences');
export const putPreferences = (p: PreferencesInput) => api<Preferences>('PUT', '/me/preferences', p);
