import { useEffect, useRef, useState } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { ModelPull } from '@/shared/api/types';
import { formatBytes } from '@/shared/lib/format';
import { Alert, Button, cx } from '@/shared/ui/ui';
import { cancelPull } from '../api/library';
import { pullIsFinal } from '../hooks/pullReducer';
import { usePullEvents } from '../hooks/usePullEvents';

const statusText: Record<ModelPull['status'], string> = {
  queued: 'Waiting', running: 'Downloading', succeeded: 'Installed', failed: 'Failed', canceled: 'Canceled',
};
const badge: Record<ModelPull['status'], string> = {
  queued: 'bg-amber-100 text-amber-900 dark:bg-amber-900/40 dark:text-amber-100',
  running: 'bg-brand-100 text-brand-800 dark:bg-brand-900/50 dark:text-brand-100',
  succeeded: 'bg-emerald-100 text-emerald-900 dark:bg-emerald-900/40 dark:text-emerald-100',
  failed: 'bg-rose-100 text-rose-900 dark:bg-rose-900/40 dark:text-rose-100',
  canceled: 'bg-slate-200 text-slate-800 dark:bg-slate-800 dark:text-slate-200',
};

/** A quarter-step summary for screen readers: enough to follow, not a word per tick. */
function announcement(p: ModelPull, pct: number | null): string {
  if (p.status === 'queued') return `Pull of ${p.source} is waiting to start.`;
  if (p.status !== 'running') return '';
  return pct === null ? `Listing the files of ${p.source}.` : `Downloading ${p.source}: ${Math.floor(pct / 25) * 25}%.`;
}

/**
 * One pull, live: bytes and files done, the file being fetched, cancel while it runs, and how it
 * ended. `onFinished` runs once when a pull that was running here ends.
 */
export function PullProgress({ pull, onFinished }: { pull: ModelPull; onFinished?: (p: ModelPull) => void }) {
  const [state, dispatch] = usePullEvents(pull);
  const [canceling, setCanceling] = useState(false);
  const [cancelError, setCancelError] = useState<string | null>(null);
  const p = state.pull;
  const final = pullIsFinal(p);
  const pct = p.bytes_total ? Math.min(100, Math.round((p.bytes_done / p.bytes_total) * 100)) : null;

  const reported = useRef(pullIsFinal(pull));
  const onFinishedRef = useRef(onFinished);
  onFinishedRef.current = onFinished;
  useEffect(() => {
    if (final && !reported.current) {
      reported.current = true;
      onFinishedRef.current?.(p);
    }
  }, [final, p]);

  async function cancel() {
    setCanceling(true);
    setCancelError(null);
    try {
      dispatch({ type: 'update', data: await cancelPull(p.id) });
    } catch (e) {
      setCancelError(errorMessage(e));
    } finally {
      setCanceling(false);
    }
  }

  return (
    <div className="space-y-3" data-testid="pull" data-status={p.status}>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="flex min-w-0 flex-wrap items-center gap-2">
          <span className={cx('rounded-full px-2.5 py-0.5 text-xs font-semibold', badge[p.status])}>{statusText[p.status]}</span>
          <span className="font-mono text-sm [overflow-wrap:anywhere]">{p.source}</span>
          {state.reconnecting && !final ? <span className="text-xs text-slate-600 dark:text-slate-400">Reconnecting…</span> : null}
        </div>
        {!final ? (
          <Button size="sm" onClick={cancel} disabled={canceling} aria-label={`Cancel the pull of ${p.source}`}>{canceling ? 'Canceling…' : 'Cancel'}</Button>
        ) : null}
      </div>
      {!final ? (
        <div>
          <div className="mb-1 flex flex-wrap justify-between gap-x-3 text-xs text-slate-600 dark:text-slate-400">
            <span data-testid="pull-bytes">
              {p.bytes_total === null ? 'Listing files…' : `${formatBytes(p.bytes_done)} of ${formatBytes(p.bytes_total)}`}
              {p.files_total !== null ? ` · ${p.files_done} of ${p.files_total} files` : ''}
            </span>
            {pct !== null ? <span aria-hidden="true">{pct}%</span> : null}
          </div>
          <div role="progressbar" aria-label={`Download of ${p.source}`} aria-valuemin={0} aria-valuemax={100} aria-valuenow={pct ?? undefined}
            className="h-2.5 w-full overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800">
            <div className={cx('h-full rounded-full bg-gradient-to-r from-brand-500 to-fuchsia-500 transition-[width] duration-300', pct === null && 'animate-pulse')}
              style={{ width: `${pct ?? 100}%` }} />
          </div>
          {p.current_file ? <p className="mt-1 truncate font-mono text-xs text-slate-600 dark:text-slate-400" title={p.current_file}>{p.current_file}</p> : null}
        </div>
      ) : null}
      <p className="sr-only" aria-live="polite">{announcement(p, pct)}</p>
      {p.status === 'succeeded' ? <Alert kind="success">Installed as “{p.name}”.</Alert> : null}
      {p.status === 'failed' ? <Alert>Pull of {p.source} failed: {p.error?.message ?? 'unknown error'}{p.error?.code ? ` (${p.error.code})` : ''}</Alert> : null}
      {p.status === 'canceled' ? <Alert kind="info">Canceled. What was downloaded is kept: pulling {p.source} again resumes it.</Alert> : null}
      {cancelError ? <Alert>{cancelError}</Alert> : null}
    </div>
  );
}
