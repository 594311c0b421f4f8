import { useEffect, useState, type ReactNode } from 'react';
import { useLocation } from 'react-router-dom';
import { errorMessage } from '@/shared/api/client';
import type { Generation, ModelPull } from '@/shared/api/types';
import { prefillOf } from '@/shared/lib/prefill';
import { useAsync } from '@/shared/lib/useAsync';
import { onlyDemo } from '@/shared/models/lib';
import { invalidateModels, useModels } from '@/shared/models/useModels';
import { getPreferences } from '@/shared/preferences/api';
import { Alert, Card, PageHeader, Spinner } from '@/shared/ui/ui';
import { createGeneration } from '@/shared/jobs/api';
import { jobStore, useJobs } from '@/shared/jobs/jobStore';
import { lastSeed as readLastSeed, rememberSeed } from '../lib';
import { CreateForm } from './CreateForm';
import { ResultCard } from './ResultCard';

// The latest generations shown beside the form; the Jobs page has them all.
const RESULTS_SHOWN = 10;

interface Props {
  /**
   * Shown while the demo generator is the only model: how to add a real one. The app supplies it
   * (installing models is another feature); `onInstalled` reloads the model list and says so.
   */
  noAiModelNote: (onInstalled: (p: ModelPull) => void) => ReactNode;
}

export function CreatePage({ noAiModelNote }: Props) {
  const location = useLocation();
  const prefill = prefillOf(location.state);
  const models = useModels();
  const prefs = useAsync(getPreferences, []);
  // The user's latest generations, from the tab's one store of jobs: they outlive this page.
  const { ids, byId } = useJobs();
  useEffect(() => { jobStore.list().catch(() => undefined); }, []);
  const results = ids.map((id) => byId[id].generation).filter((g): g is Generation => g !== null && g.params.task !== 'upload').slice(0, RESULTS_SHOWN);
  const [seed, setSeed] = useState<number | null>(() => readLastSeed());
  const [installed, setInstalled] = useState<ModelPull | null>(null);

  // A reload (after a model is installed) keeps the form and what was typed in it.
  const loading = (models.loading && !models.data) || (prefs.loading && !prefs.data);
  const error = models.error ?? prefs.error;

  return (
    <div>
      <PageHeader title="Create" description="Describe an image, pick a model and follow its progress." />
      {models.data && onlyDemo(models.data) ? noAiModelNote((p) => { setInstalled(p); invalidateModels(); }) : null}
      <div className="grid gap-6 lg:grid-cols-[minmax(0,1fr)_minmax(0,1fr)] xl:grid-cols-[minmax(0,5fr)_minmax(0,6fr)]">
        <Card>
          {installed ? <div className="mb-5"><Alert kind="success">Installed “{installed.name}”: pick it in the Model list.</Alert></div> : null}
          {loading ? <Spinner label="Loading models" /> : error ? <Alert>{errorMessage(error)}</Alert> : models.data && models.data.length > 0 ? (
            <CreateForm
              key={location.key}
              models={models.data}
              prefs={prefs.data}
              prefill={prefill}
              lastSeed={seed}
              submit={createGeneration}
              onCreated={(g) => { rememberSeed(g.params.seed); setSeed(g.params.seed); jobStore.add(g); }}
            />
          ) : <Alert>No models are available on this server.</Alert>}
        </Card>
        <section aria-label="Results" className="space-y-4 self-start">
          {results.length === 0 ? (
            <div className="flex min-h-[16rem] flex-col lg:min-h-[28rem] items-center justify-center rounded-2xl border-2 border-dashed border-slate-300 p-8 text-center dark:border-slate-700">
              <div className="mb-3 rounded-full bg-gradient-to-br from-brand-500 to-fuchsia-500 p-3 text-white shadow-lg" aria-hidden="true">
                <svg className="h-6 w-6" viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth="2"><path d="M12 3l1.9 5.8L20 10l-5 3.9L16.5 20 12 16.6 7.5 20 9 13.9 4 10l6.1-1.2z" /></svg>
              </div>
              <h2 className="font-semibold">Your images will appear here</h2>
              <p className="mt-1 max-w-xs text-sm text-slate-500 dark:text-slate-400">Live progress streams in while the model works. You can cancel at any time.</p>
            </div>
          ) : (
            results.map((g) => <ResultCard key={g.id} generation={g} model={models.data?.find((m) => m.id === g.params.model)} />)
          )}
        </section>
      </div>
    </div>
  );
}
