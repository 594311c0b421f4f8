import { errorMessage } from '@/shared/api/client';
import { useAsync } from '@/shared/lib/useAsync';
import { Alert, PageHeader, Spinner } from '@/shared/ui/ui';
import { ApiKeys } from '../../keys/components/ApiKeys';
import { useModels } from '../../models/hooks/useModels';
import { YourUsage } from '../../users/components/YourUsage';
import { getPreferences, putPreferences } from '../api/preferences';
import { PreferencesForm } from './PreferencesForm';

export function SettingsPage() {
  const models = useModels();
  const prefs = useAsync(getPreferences, []);
  return (
    <div className="mx-auto max-w-3xl">
      <PageHeader title="Settings" description="Your generation defaults, theme, usage and API keys." />
      <div className="space-y-6">
        {models.loading || prefs.loading ? <Spinner /> : models.error || prefs.error ? <Alert>{errorMessage(models.error ?? prefs.error)}</Alert> : (
          <PreferencesForm models={models.data!} initial={prefs.data!}
            save={(p) => putPreferences({ model: p.model, style: p.style, width: p.width, height: p.height, negative_prompt: p.negative_prompt, theme: p.theme })} />
        )}
        <YourUsage />
        <ApiKeys />
      </div>
    </div>
  );
}
