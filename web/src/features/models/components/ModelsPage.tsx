import { useState, type ReactNode } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { ModelPull } from '@/shared/api/types';
import { useAsync } from '@/shared/lib/useAsync';
import { Alert, Button, Card, EmptyState, PageHeader, Spinner } from '@/shared/ui/ui';
import { useAuth } from '@/shared/session/useAuth';
import { getLibrary } from '../api/library';
import { invalidateModels } from '@/shared/models/useModels';
import { usePullList } from '../hooks/usePullList';
import { NO_LOCAL_ENGINE, isNoLocalEngine } from '../lib';
import { CloudSetupHint } from './CloudSetupHint';
import { InstalledModels } from './InstalledModels';
import { PullForm } from './PullForm';
import { PullProgress } from './PullProgress';
import { RecommendedModels } from './RecommendedModels';

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <section aria-label={title}>
      <h2 className="mb-3 text-lg font-semibold">{title}</h2>
      {children}
    </section>
  );
}

function Library() {
  const library = useAsync(getLibrary, []);
  const { pulls, put } = usePullList(library.data?.pulls);
  const [notice, setNotice] = useState<string | null>(null);

  const changed = () => { library.reload(); invalidateModels(); };
  const finished = (p: ModelPull) => { put(p); if (p.status === 'succeeded') changed(); };

  if (library.loading && !library.data) return <Spinner label="Loading the model library" />;
  if (library.error) {
    return isNoLocalEngine(library.error) ? (
      <Card>
        <h2 className="text-lg font-semibold">No local engine</h2>
        <p className="mt-2 text-sm text-slate-700 dark:text-slate-300" data-testid="no-local-engine">{NO_LOCAL_ENGINE}</p>
        <p className="mt-2 text-sm text-slate-700 dark:text-slate-300">Cloud models need no local engine. <CloudSetupHint /></p>
      </Card>
    ) : (
      <div className="space-y-3">
        <Alert>Cannot load the model library: {errorMessage(library.error)}</Alert>
        <Button onClick={library.reload}>Try again</Button>
      </div>
    );
  }
  const { installed, recommended, models_dir: dir } = library.data!;
  const toOffer = recommended.filter((r) => !installed.some((m) => m.name === r.name));

  return (
    <div className="space-y-8">
      <p className="text-sm text-slate-600 dark:text-slate-400">Models folder: <span className="font-mono [overflow-wrap:anywhere]">{dir}</span></p>
      <Card>
        <h2 className="mb-4 text-lg font-semibold">Add a model</h2>
        <PullForm onStarted={(p) => { setNotice(null); put(p); }} />
      </Card>
      {pulls.length > 0 ? (
        <Section title="Downloads">
          <ul className="space-y-3">
            {pulls.map((p) => <li key={p.id}><Card><PullProgress pull={p} onFinished={finished} /></Card></li>)}
          </ul>
        </Section>
      ) : null}
      {toOffer.length > 0 ? (
        <Section title="Recommended">
          <RecommendedModels models={toOffer} pulls={pulls} onStarted={(p) => { setNotice(null); put(p); }} />
        </Section>
      ) : null}
      <Section title="Installed">
        {notice ? <div className="mb-3"><Alert kind="success">{notice}</Alert></div> : null}
        <InstalledModels models={installed} onRemoved={(name) => { setNotice(`Removed ${name}.`); changed(); }} />
      </Section>
    </div>
  );
}

/** Administrators manage the local model library here; everyone else is told it is not for them. */
export function ModelsPage() {
  const { user } = useAuth();
  if (!user?.is_admin) {
    return (
      <EmptyState title="Not available">
        The Models page is for administrators of this server. Ask one to install a model.
      </EmptyState>
    );
  }
  return (
    <div className="mx-auto max-w-4xl">
      <PageHeader title="Models" description="Install local models from the Hugging Face Hub or a .safetensors URL, follow their downloads, remove them." />
      <Library />
    </div>
  );
}
