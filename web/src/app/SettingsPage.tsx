// Settings gathers panels of several features (preferences, usage, keys, invitations, account), so it
// lives in the app, the one layer that composes features.
import { errorMessage } from '@/shared/api/client';
import { useAsync } from '@/shared/lib/useAsync';
import { useModels } from '@/shared/models/useModels';
import { getPreferences, putPreferences } from '@/shared/preferences/api';
import { useAuth } from '@/shared/session/useAuth';
import { Alert, PageHeader, Spinner } from '@/shared/ui/ui';
import { getAuthConfig } from '@/features/auth/api/auth';
import { AccountSecurity } from '@/features/auth/components/AccountSecurity';
import { ApiKeys } from '@/features/keys/components/ApiKeys';
import { PreferencesForm } from '@/features/preferences/components/PreferencesForm';
import { Invitations } from '@/features/users/components/Invitations';
import { YourUsage } from '@/features/users/components/YourUsage';

export function SettingsPage() {
  const models = useModels();
  const prefs = useAsync(getPreferences, []);
  const isAdmin = useAuth().user?.is_admin ?? false;
  const authConfig = useAsync(getAuthConfig, []);
  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title="Settings" description="Your generation defaults, theme, usage, API keys and account." />
      <div className="space-y-6">
        {models.loading || prefs.loading ? <Spinner /> : models.error || prefs.error ? <Alert>{errorMessage(models.error ?? prefs.error)}</Alert> : (
          <PreferencesForm models={models.data!} initial={prefs.data!}
            save={(p) => putPreferences({ model: p.model, style: p.style, width: p.width, height: p.height, negative_prompt: p.negative_prompt, theme: p.theme })} />
        )}
        <YourUsage />
        <ApiKeys />
        {isAdmin && authConfig.data?.registration === 'invite' ? <Invitations /> : null}
        <AccountSecurity />
      </div>
    </div>
  );
}
