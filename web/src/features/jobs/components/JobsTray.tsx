import { useEffect, useRef } from 'react';
import { Link } from 'react-router-dom';
import { announceOutcome } from '@/shared/jobs/JobView';
import { useJobs } from '@/shared/jobs/jobStore';
import { cx } from '@/shared/ui/ui';

/**
 * On every page: how many of the user's jobs are queued or running and how far along they are
 * together; opens the Jobs view. It holds the tab's one stream of the user's jobs open, and
 * announces each job seen under way when it ends, whichever page is open.
 */
export function JobsTray() {
  const { ids, byId } = useJobs();
  const underWay = useRef(new Set<string>());
  useEffect(() => {
    for (const id of ids) {
      const job = byId[id];
      if (!job.done) underWay.current.add(id);
      else if (underWay.current.delete(id) && job.generation) announceOutcome(job.generation.status, job.generation.params.prompt);
    }
  }, [ids, byId]);
  const active = ids.map((id) => byId[id]).filter((s) => !s.done);
  const running = active.filter((s) => s.status === 'running').length;
  const queued = active.length - running;
  const pct = active.length ? Math.round((100 * active.reduce((sum, s) => sum + s.progress, 0)) / active.length) : 0;
  const label = active.length ? `Jobs: ${running} running, ${queued} queued, ${pct}% done` : 'Jobs: none running';
  return (
    <Link to="/jobs" aria-label={label} title={label} data-testid="jobs-tray" data-active={active.length}
      className={cx('flex items-center gap-2 rounded-lg px-3 py-2 text-sm font-medium ring-1 ring-inset focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500',
        active.length ? 'text-brand-800 ring-brand-300 dark:text-brand-200 dark:ring-brand-700' : 'text-slate-600 ring-slate-300 hover:bg-slate-100 dark:text-slate-300 dark:ring-slate-700 dark:hover:bg-slate-800')}>
      Jobs
      {active.length ? (
        <>
          <span className="rounded-full bg-brand-600 px-1.5 text-xs font-semibold text-white" data-testid="jobs-tray-count">{active.length}</span>
          <span className="hidden h-1.5 w-12 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800 sm:block" aria-hidden="true">
            <span className="block h-full rounded-full bg-brand-500" style={{ width: `${pct}%` }} />
          </span>
        </>
      ) : null}
    </Link>
  );
}
