import { Link } from 'react-router-dom';
import { useEffect, useState } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { Generation } from '@/shared/api/types';
import { Alert, Button, cx } from '@/shared/ui/ui';
import { announce } from '@/shared/ui/announcer';
import { jobStore, useJob } from './jobStore';
import { type JobState } from './jobReducer';

const statusText: Record<JobState['status'], string> = {
  connecting: 'Connecting…', queued: 'Queued', running: 'Generating', succeeded: 'Done', failed: 'Failed', canceled: 'Canceled',
};
// A running job says what it is doing: loading a model can take a minute before the first step.
const runningText: Record<JobState['stage'], string> = {
  loading_model: 'Loading model…', generating: 'Generating', saving: 'Saving…',
};
/**
 * The step a running job is at, from its progress: the steps of all its images in turn (a model
 * without steps has none to tell).
 */
function stepOf(state: JobState): { step: number; steps: number } | null {
  const params = state.generation?.params;
  if (!params || params.steps <= 0 || state.status !== 'running' || state.stage !== 'generating') return null;
  const done = Math.min(params.steps * params.count - 1, Math.floor(state.progress * params.steps * params.count));
  return { step: (done % params.steps) + 1, steps: params.steps };
}

/** What a job is doing, in words: its status, or for a running job its stage and step. */
export function statusLabel(state: JobState): string {
  if (state.status !== 'running') return statusText[state.status];
  const step = stepOf(state);
  return step ? `Generating · step ${step.step} of ${step.steps}` : runningText[state.stage];
}

export const badge: Record<JobState['status'], string> = {
  connecting: 'bg-slate-100 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
  queued: 'bg-amber-100 text-amber-800 dark:bg-amber-900/40 dark:text-amber-200',
  running: 'bg-brand-100 text-brand-800 dark:bg-brand-900/50 dark:text-brand-200',
  succeeded: 'bg-emerald-100 text-emerald-800 dark:bg-emerald-900/40 dark:text-emerald-200',
  failed: 'bg-rose-100 text-rose-800 dark:bg-rose-900/40 dark:text-rose-200',
  canceled: 'bg-slate-200 text-slate-700 dark:bg-slate-800 dark:text-slate-300',
};

/** Presentational: what a job looks like at a given state. */
export function JobProgress({ state, onCancel, canceling, showImages = true }: { state: JobState; onCancel?: () => void; canceling?: boolean; showImages?: boolean }) {
  const pct = Math.round(state.progress * 100);
  const g = state.generation;
  const active = !state.done;
  return (
    <div className="space-y-4" data-testid="job-view" data-status={state.status}>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex items-center gap-3">
          <span className={cx('rounded-full px-2.5 py-0.5 text-xs font-semibold', badge[state.status])}>
            {statusLabel(state)}
          </span>
          {state.status === 'queued' && state.queuePosition !== null ? (
            <span className="text-sm text-slate-600 dark:text-slate-300" data-testid="queue-position">
              {state.queuePosition === 0 ? 'Next in line' : `Position in queue: ${state.queuePosition + 1}`}
            </span>
          ) : null}
          {state.reconnecting && active ? <span className="text-xs text-slate-500 dark:text-slate-400">Reconnecting…</span> : null}
        </div>
        {active && onCancel ? (
          <Button size="sm" variant="secondary" onClick={onCancel} disabled={canceling}>{canceling ? 'Canceling…' : 'Cancel'}</Button>
        ) : null}
      </div>
      <div>
        <div className="mb-1 flex justify-between text-xs text-slate-500 dark:text-slate-400">
          <span>{g ? `${g.params.count} × ${g.params.width}×${g.params.height} · seed ${g.params.seed}` : '\u00a0'}</span>
          <span aria-hidden="true">{pct}%</span>
        </div>
        <div role="progressbar" aria-label="Generation progress" aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct}
          className="h-2.5 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800">
          <div className={cx('h-full rounded-full transition-[width] duration-300',
            state.status === 'failed' ? 'bg-rose-500' : state.status === 'canceled' ? 'bg-slate-400' : 'bg-gradient-to-r from-brand-500 to-fuchsia-500')}
            style={{ width: `${pct}%` }} />
        </div>
      </div>
      {state.status === 'failed' ? (
        <Alert>Generation failed: {state.error?.message ?? 'unknown error'}{state.error?.code ? ` (${state.error.code})` : ''}</Alert>
      ) : null}
      {state.status === 'canceled' ? <Alert kind="info">This generation was canceled.</Alert> : null}
      {active && g ? (
        <div className={cx('grid gap-3', g.params.count > 1 ? 'grid-cols-2' : 'grid-cols-1')}>
          {Array.from({ length: g.params.count }).map((_, i) => (
            state.preview && i === Math.min(g.params.count - 1, Math.floor(state.progress * g.params.count)) ? (
              <img key={i} src={state.preview} alt="Preview of the image as it forms" data-testid="job-preview"
                className="w-full rounded-xl [image-rendering:pixelated]" style={{ aspectRatio: `${g.params.width} / ${g.params.height}` }} />
            ) : (
              <div key={i} className="animate-pulse rounded-xl bg-slate-200 dark:bg-slate-800" style={{ aspectRatio: `${g.params.width} / ${g.params.height}` }} />
            )
          ))}
        </div>
      ) : null}
      {state.status === 'succeeded' && g && showImages ? (
        <ul className={cx('grid gap-3', g.images.length > 1 ? 'grid-cols-2' : 'grid-cols-1')} aria-label="Generated images">
          {g.images.map((img) => (
            <li key={img.id}>
              <Link to={`/images/${img.id}`} className="group block overflow-hidden rounded-xl ring-1 ring-slate-200 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:ring-slate-800">
                <img src={img.thumbnail_url.replace('size=256', 'size=512')} alt={img.prompt} width={img.width} height={img.height}
                  className="h-auto w-full transition-transform duration-300 group-hover:scale-[1.02]" />
              </Link>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}

/** What a screen reader hears when a job ends: politely when it worked, at once when it did not. */
export function announceOutcome(status: Generation['status'], prompt: string): void {
  const what = `“${prompt.length > 60 ? `${prompt.slice(0, 60)}…` : prompt}”`;
  if (status === 'succeeded') announce(`Generation finished: ${what}.`);
  else if (status === 'failed') announce(`Generation failed: ${what}.`, 'assertive');
  else if (status === 'canceled') announce(`Generation canceled: ${what}.`);
}

/** Cancels one job: whether it is under way, and why it failed if it did. */
export function useCancel(id: string) {
  const [canceling, setCanceling] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const cancel = async () => {
    setCanceling(true);
    setError(null);
    try {
      await jobStore.cancel(id);
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setCanceling(false);
    }
  };
  return { canceling, error, cancel };
}

/**
 * A live job, from the tab's one stream of the user's jobs, with cancel; `onFinished` is told of
 * its end (again if it changes). `showImages: false` leaves the finished images to the caller.
 */
export function JobView({ generation, onFinished, showImages }: { generation: Generation; onFinished?: (g: Generation) => void; showImages?: boolean }) {
  const state = useJob(generation);
  const finished = state.done ? state.generation : null;
  useEffect(() => { if (finished) onFinished?.(finished); }, [finished, onFinished]);
  const { canceling, error, cancel } = useCancel(generation.id);
  return (
    <>
      <JobProgress state={state} canceling={canceling} showImages={showImages} onCancel={cancel} />
      {error ? <div className="mt-3"><Alert>{error}</Alert></div> : null}
    </>
  );
}
