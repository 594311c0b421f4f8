import { useEffect, useState } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { GenerationTask } from '@/shared/api/types';
import { jobStore, useJobs } from '@/shared/jobs/jobStore';
import { Alert, Button, Card, EmptyState, Field, PageHeader, Select, Spinner } from '@/shared/ui/ui';
import { STATUS_FILTERS, statusMatches, taskLabel, type StatusFilter } from '../lib';
import { JobRow } from './JobRow';

/** Every generation of the user, newest first, live from the tab's one stream. */
export function JobsPage() {
  const { ids, byId, listed, nextCursor, reconnecting } = useJobs();
  const [status, setStatus] = useState<StatusFilter>('all');
  const [task, setTask] = useState<GenerationTask | 'all'>('all');
  const [error, setError] = useState<string | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  useEffect(() => { jobStore.list().catch((e: unknown) => setError(errorMessage(e))); }, []);

  const taskOf = (id: string) => byId[id].generation?.params.task;
  const jobs = ids.filter((id) => taskOf(id) !== undefined && taskOf(id) !== 'upload');
  // The tasks of the jobs at hand, in the order first seen.
  const tasks = [...new Set(jobs.map((id) => taskOf(id) as GenerationTask))];
  const shown = jobs.filter((id) => statusMatches(status, byId[id].status) && (task === 'all' || taskOf(id) === task));
  const more = async () => {
    setLoadingMore(true);
    try {
      await jobStore.more();
    } catch (e) {
      setError(errorMessage(e));
    } finally {
      setLoadingMore(false);
    }
  };

  return (
    <div>
      <PageHeader title="Jobs" description="Every generation you started, live: cancel what runs, retry or remix what ended." />
      <Card>
        <div className="mb-2 flex flex-wrap items-end gap-4">
          <Field label="Status">{(f) => (
            <Select id={f.id} value={status} onChange={(e) => setStatus(e.target.value as StatusFilter)}>
              {STATUS_FILTERS.map(([value, label]) => <option key={value} value={value}>{label}</option>)}
            </Select>
          )}</Field>
          <Field label="Task">{(f) => (
            <Select id={f.id} value={task} onChange={(e) => setTask(e.target.value as GenerationTask | 'all')}>
              <option value="all">All</option>
              {tasks.map((t) => <option key={t} value={t}>{taskLabel(t)}</option>)}
            </Select>
          )}</Field>
          <p className="ml-auto text-sm text-slate-600 dark:text-slate-400" data-testid="jobs-count">
            {shown.length} of {jobs.length}{nextCursor ? '+' : ''} jobs{reconnecting ? ' · reconnecting…' : ''}
          </p>
        </div>
        {error ? <Alert>{error}</Alert> : null}
        {!listed && jobs.length === 0 && !error ? <Spinner label="Loading jobs" /> : shown.length === 0 ? (
          <EmptyState title={jobs.length === 0 ? 'No jobs yet' : 'No job matches'}>
            {jobs.length === 0 ? 'Generations you start on Create or Edit appear here.' : 'Try another status or task.'}
          </EmptyState>
        ) : (
          <ul aria-label="Jobs" className="divide-y divide-slate-200 dark:divide-slate-800">
            {shown.map((id) => <JobRow key={id} state={byId[id]} />)}
          </ul>
        )}
        {nextCursor ? (
          <div className="mt-4 flex justify-center">
            <Button variant="secondary" onClick={more} disabled={loadingMore}>{loadingMore ? 'Loading…' : 'Show older jobs'}</Button>
          </div>
        ) : null}
      </Card>
    </div>
  );
}
