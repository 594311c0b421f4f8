import { errorMessage } from '@/shared/api/client';
import { useAsync } from '@/shared/lib/useAsync';
import { Alert, PageHeader, Spinner } from '@/shared/ui/ui';
import { getAuthConfig } from '../../auth/api/auth';
import { AccountSecurity } from '../../auth/components/AccountSecurity';
import { useAuth } from '../../auth/hooks/useAuth';
import { ApiKeys } from '../../keys/components/ApiKeys';
import { useModels } from '../../models/hooks/useModels';
import { Invitations } from '../../users/components/Invitations';
import { YourUsage } from '../../users/components/YourUsage';
import { getPreferences, putPreferences } from '../api/preferences';
import { PreferencesForm } from './PreferencesForm';

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
