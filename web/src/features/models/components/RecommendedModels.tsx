import { useState } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { ModelPull, RecommendedModel } from '@/shared/api/types';
import { formatBytes } from '@/shared/lib/format';
import { Alert, Button } from '@/shared/ui/ui';
import { startPull } from '../api/library';
import { pullIsFinal } from '../hooks/pullReducer';

function Recommended({ model, pulling, onStarted }: { model: RecommendedModel; pulling: boolean; onStarted: (p: ModelPull) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function install() {
    setBusy(true);
    setError(null);
    try {
      onStarted(await startPull({ source: model.source }));
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setBusy(false);
    }
  }

  return (
    <li className="rounded-xl bg-white p-4 ring-1 ring-inset ring-slate-200 dark:bg-slate-900 dark:ring-slate-700" data-testid="recommended-model">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0 flex-1 basis-60">
          <p className="font-medium text-slate-900 dark:text-white">
            {model.name} <span className="font-mono text-xs font-normal text-slate-600 dark:text-slate-400">{model.source}</span>
          </p>
          <p className="mt-1 text-sm text-slate-700 dark:text-slate-300">{model.description}</p>
          <p className="mt-1 text-xs text-slate-600 dark:text-slate-400">License: {model.license} · about {formatBytes(model.download_bytes)} to download</p>
        </div>
        <Button variant="primary" onClick={install} disabled={busy || pulling}>
          {pulling ? 'Installing…' : busy ? 'Starting…' : `Install ${model.name}`}
        </Button>
      </div>
      {error ? <div className="mt-3"><Alert>{error}</Alert></div> : null}
    </li>
  );
}

/** One-click installs of the models the server recommends; a source being pulled is not offered twice. */
export function RecommendedModels({ models, pulls, onStarted }: { models: RecommendedModel[]; pulls: ModelPull[]; onStarted: (p: ModelPull) => void }) {
  return (
    <ul className="space-y-3" aria-label="Recommended models">
      {models.map((m) => (
        <Recommended key={m.source} model={m} onStarted={onStarted}
          pulling={pulls.some((p) => p.source === m.source && !pullIsFinal(p))} />
      ))}
    </ul>
  );
}
