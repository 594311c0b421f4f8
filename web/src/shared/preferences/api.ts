// The user's defaults for new generations and the theme: read by Create and the layout, saved on Settings.
import { api } from '@/shared/api/client';
import type { PreferencesInput } from '@/shared/api/types';

export const getPreferences = () => api.get('/me/preferences');
export const putPreferences = (body: PreferencesInput) => api.put('/me/preferences', { body });
