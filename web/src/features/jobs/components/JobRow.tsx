import { Link, useNavigate } from 'react-router-dom';
import { useState } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { Generation } from '@/shared/api/types';
import { createGeneration } from '@/shared/jobs/api';
import { badge, statusLabel, useCancel } from '@/shared/jobs/JobView';
import type { JobState } from '@/shared/jobs/jobReducer';
import { jobStore } from '@/shared/jobs/jobStore';
import { createWith } from '@/shared/lib/prefill';
import { Alert, Button, cx } from '@/shared/ui/ui';
import { remixOf, requestOf, taskLabel } from '../lib';

/** The picture that stands for a job: its first image, the preview while it forms, or a placeholder. */
function Picture({ state, g }: { state: JobState; g: Generation }) {
  const first = g.images[0];
  const box = 'h-20 w-20 shrink-0 overflow-hidden rounded-lg bg-slate-200 dark:bg-slate-800';
  if (state.status === 'succeeded' && first) {
    return (
      <Link to={`/images/${first.id}`} className={cx(box, 'focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500')}>
        <img src={first.thumbnail_url} alt={g.params.prompt || 'Generated image'} className="h-full w-full object-cover" />
      </Link>
    );
  }
  if (state.preview && !state.done) {
    return <img src={state.preview} alt="Preview of the image as it forms" data-testid="job-row-preview" className={cx(box, 'object-cover [image-rendering:pixelated]')} />;
  }
  return <div className={cx(box, !state.done && 'animate-pulse')} aria-hidden="true" />;
}

/** One job of the Jobs view: what it is, where it stands, and what can be done with it. */
export function JobRow({ state }: { state: JobState }) {
  const g = state.generation;
  const navigate = useNavigate();
  const { canceling, error: cancelError, cancel } = useCancel(g?.id ?? '');
  const [retrying, setRetrying] = useState(false);
  const [retryError, setRetryError] = useState<string | null>(null);
  if (!g) return null;
  const pct = Math.round(state.progress * 100);
  const retry = async () => {
    setRetrying(true);
    setRetryError(null);
    try {
      jobStore.add(await createGeneration(requestOf(g.params)));
    } catch (e) {
      setRetryError(errorMessage(e));
    } finally {
      setRetrying(false);
    }
  };
  const problem = cancelError ?? retryError;
  return (
    <li className="flex gap-4 py-4" data-testid="job-row" data-job-id={g.id} data-status={state.status}>
      <Picture state={state} g={g} />
      <div className="min-w-0 flex-1 space-y-2">
        <div className="flex flex-wrap items-start justify-between gap-2">
          <div className="min-w-0">
            <p className="line-clamp-2 text-sm font-medium text-slate-800 dark:text-slate-100" title={g.params.prompt}>{g.params.prompt || taskLabel(g.params.task)}</p>
            <p className="mt-0.5 text-xs text-slate-600 dark:text-slate-400">
              {taskLabel(g.params.task)} · {g.params.model} · {g.params.count} × {g.params.width}×{g.params.height}
            </p>
          </div>
          <div className="flex shrink-0 flex-wrap gap-2">
            {!state.done ? (
              <Button size="sm" variant="secondary" onClick={cancel} disabled={canceling}>{canceling ? 'Canceling…' : 'Cancel'}</Button>
            ) : (
              <Button size="sm" variant="secondary" onClick={retry} disabled={retrying}>{retrying ? 'Submitting…' : 'Retry'}</Button>
            )}
            {g.params.task === 'text_to_image' ? (
              <Button size="sm" variant="secondary" onClick={() => navigate('/', createWith(remixOf(g.params)))}>Remix</Button>
            ) : null}
          </div>
        </div>
        <div className="flex flex-wrap items-center gap-2 text-xs">
          <span className={cx('rounded-full px-2 py-0.5 font-semibold', badge[state.status])} data-testid="job-row-status">{statusLabel(state)}</span>
          {state.status === 'queued' && state.queuePosition !== null ? (
            <span className="text-slate-600 dark:text-slate-300" data-testid="job-row-position">
              {state.queuePosition === 0 ? 'Next in line' : `Position in queue: ${state.queuePosition + 1}`}
            </span>
          ) : null}
          {state.status === 'failed' && state.error ? <span className="text-rose-700 dark:text-rose-300">{state.error.message}</span> : null}
        </div>
        {!state.done ? (
          <div role="progressbar" aria-label={`Progress of “${g.params.prompt}”`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}
            className="h-1.5 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800">
            <div className="h-full rounded-full bg-gradient-to-r from-brand-500 to-fuchsia-500 transition-[width] duration-300" style={{ width: `${pct}%` }} />
          </div>
        ) : null}
        {problem ? <Alert>{problem}</Alert> : null}
      </div>
    </li>
  );
}
