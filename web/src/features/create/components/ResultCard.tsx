import type { Generation, Model } from '@/shared/api/types';
import { Card } from '@/shared/ui/ui';
import { JobView } from '@/shared/jobs/JobView';
import { ModelKindBadge } from '@/shared/models/ModelKindBadge';

/** One generation on Create: its prompt, the model that makes it (and what kind), its live job. */
export function ResultCard({ generation, model }: { generation: Generation; model: Model | undefined }) {
  return (
    <Card>
      <p className="line-clamp-2 text-sm font-medium text-slate-700 dark:text-slate-200" title={generation.params.prompt}>{generation.params.prompt}</p>
      <p className="mb-3 mt-1 flex flex-wrap items-center gap-2 text-xs text-slate-600 dark:text-slate-400" data-testid="result-model">
        {model?.name ?? generation.params.model}
        {model ? <ModelKindBadge kind={model.kind} short /> : null}
      </p>
      <JobView generation={generation} />
    </Card>
  );
}
