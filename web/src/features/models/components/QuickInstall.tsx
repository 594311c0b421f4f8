import { errorMessage } from '@/shared/api/client';
import type { ModelPull } from '@/shared/api/types';
import { useAsync } from '@/shared/lib/useAsync';
import { Alert, Spinner } from '@/shared/ui/ui';
import { getLibrary } from '../api/library';
import { usePullList } from '../hooks/usePullList';
import { NO_LOCAL_ENGINE, isNoLocalEngine } from '../lib';
import { PullProgress } from './PullProgress';
import { RecommendedModels } from './RecommendedModels';

/** For administrators: install a recommended model in one click and follow its download here. */
export function QuickInstall({ onInstalled }: { onInstalled: (p: ModelPull) => void }) {
  const library = useAsync(getLibrary, []);
  const { pulls, put } = usePullList(library.data?.pulls);

  if (library.loading && !library.data) return <Spinner label="Checking the model library" />;
  if (library.error) {
    return isNoLocalEngine(library.error)
      ? <p className="text-sm text-slate-700 dark:text-slate-300" data-testid="no-local-engine">{NO_LOCAL_ENGINE}</p>
      : <Alert>{errorMessage(library.error)}</Alert>;
  }
  const { recommended } = library.data!;
  const sources = new Set(recommended.map((r) => r.source));
  const mine = pulls.filter((p) => sources.has(p.source));
  return (
    <div className="space-y-3">
      <RecommendedModels models={recommended} pulls={pulls} onStarted={put} />
      {mine.map((p) => (
        <PullProgress key={p.id} pull={p} onFinished={(done) => { put(done); if (done.status === 'succeeded') onInstalled(done); }} />
      ))}
    </div>
  );
}
