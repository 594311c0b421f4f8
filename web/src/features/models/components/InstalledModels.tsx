import { useState, type ReactNode } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { InstalledModel } from '@/shared/api/types';
import { formatBytes } from '@/shared/lib/format';
import { Alert, ConfirmButton } from '@/shared/ui/ui';
import { removeModel } from '../api/library';
import { familyLabel } from '../lib';

const FORMAT: Record<InstalledModel['format'], string> = { diffusers: 'Diffusers folder', single_file: 'Single .safetensors file' };

function Fact({ label, children }: { label: string; children: ReactNode }) {
  return (
    <>
      <dt className="text-slate-600 dark:text-slate-400">{label}</dt>
      <dd className="text-slate-900 [overflow-wrap:anywhere] dark:text-slate-100">{children}</dd>
    </>
  );
}

function Installed({ model, onRemoved }: { model: InstalledModel; onRemoved: (name: string) => void }) {
  const [error, setError] = useState<string | null>(null);
  return (
    <li className="rounded-2xl bg-white p-4 shadow-sm ring-1 ring-slate-200 dark:bg-slate-900 dark:ring-slate-800 sm:p-5" data-testid="installed-model">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h3 className="font-mono text-sm font-semibold [overflow-wrap:anywhere]">{model.name}</h3>
          <p className="mt-0.5 text-xs text-slate-600 dark:text-slate-400">
            {model.model_id ? <>Offered as <span className="font-mono">{model.model_id}</span></> : <span className="font-semibold text-rose-700 dark:text-rose-300">Not usable</span>}
          </p>
        </div>
        <ConfirmButton size="sm" confirmLabel="Remove" question={`Remove ${model.name}?`} onConfirm={async () => {
          setError(null);
          try { await removeModel(model.name); onRemoved(model.name); } catch (e) { setError(errorMessage(e)); }
        }}>
          Remove<span className="sr-only"> {model.name}</span>
        </ConfirmButton>
      </div>
      <dl className="mt-3 grid grid-cols-[auto_minmax(0,1fr)] gap-x-4 gap-y-1 text-sm sm:grid-cols-[auto_minmax(0,1fr)_auto_minmax(0,1fr)]">
        <Fact label="Format">{FORMAT[model.format]}</Fact>
        <Fact label="Family">{familyLabel(model.family)}</Fact>
        <Fact label="Size on disk">{formatBytes(model.size_bytes)}</Fact>
        <Fact label="License">{model.license ?? 'Unknown'}</Fact>
        <Fact label="Source"><span className="font-mono text-xs">{model.source ?? 'Unknown'}</span></Fact>
      </dl>
      {model.problem ? (
        <p className="mt-3 rounded-lg bg-rose-50 px-3 py-2 text-sm text-rose-800 ring-1 ring-inset ring-rose-200 dark:bg-rose-950/50 dark:text-rose-200 dark:ring-rose-900" data-testid="model-problem">
          <span className="font-semibold">Cannot be used:</span> {model.problem}
        </p>
      ) : null}
      {error ? <div className="mt-3"><Alert>{error}</Alert></div> : null}
    </li>
  );
}

/** The models folder's contents, usable or not, each removable after a confirmation. */
export function InstalledModels({ models, onRemoved }: { models: InstalledModel[]; onRemoved: (name: string) => void }) {
  if (models.length === 0) return <p className="text-sm text-slate-600 dark:text-slate-400">No local model is installed yet.</p>;
  return (
    <ul className="space-y-3" aria-label="Installed models">
      {models.map((m) => <Installed key={m.name} model={m} onRemoved={onRemoved} />)}
    </ul>
  );
}
