import type { Model } from '@/shared/api/types';
import { ModelKindBadge } from './ModelKindBadge';

/** The model's own description, whole, with what kind of model it is and its license when known. */
export function ModelDescription({ model, id }: { model: Model; id?: string }) {
  return (
    <div id={id} data-testid="model-description" className="rounded-xl bg-slate-50 px-4 py-3 text-sm ring-1 ring-inset ring-slate-200 dark:bg-slate-800/60 dark:ring-slate-700">
      <p className="flex flex-wrap items-center gap-2">
        <span className="font-medium text-slate-900 dark:text-white">{model.name}</span>
        <ModelKindBadge kind={model.kind} />
      </p>
      <p className="mt-1.5 text-slate-700 dark:text-slate-300">{model.description}</p>
      {model.license ? <p className="mt-1.5 text-xs text-slate-600 dark:text-slate-400">License: {model.license}</p> : null}
    </div>
  );
}
