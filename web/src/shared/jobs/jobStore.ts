// Every job of the signed-in user, in one place for the whole tab: the Jobs view, the tray, the
// results on Create and the job on Edit all read it. One stream (GET /api/v1/generations/events)
// keeps it live however many jobs there are, so that jobs never hold the browser's few
// connections per server; the list (GET /api/v1/generations) fills in the jobs that ended, so that
// leaving a page or reloading shows the same jobs: the server holds them, not the page.
import { useEffect, useSyncExternalStore } from 'react';
import type { Generation, GenerationSnapshot, ProgressEvent, QueuePositions } from '@/shared/api/types';
import { followEventStream } from '@/shared/lib/eventStream';
import { cancelGeneration, getGeneration, listGenerations, userGenerationEventsUrl } from './api';
import { initialJobState, isFinal, jobReducer, type JobEvent, type JobState } from './jobReducer';

export interface Jobs {
  /** Newest first (ids sort by creation time). */
  ids: string[];
  byId: Record<string, JobState>;
  /** The first page of the list has been read. */
  listed: boolean;
  /** Where the next page of the list starts; null when there is none. */
  nextCursor: string | null;
  /** The stream dropped; the browser is reconnecting (a snapshot of the jobs follows). */
  reconnecting: boolean;
}

const empty = (): Jobs => ({ ids: [], byId: {}, listed: false, nextCursor: null, reconnecting: false });

let jobs: Jobs = empty();
const listeners = new Set<() => void>();
let holders = 0;
let stopStream: (() => void) | null = null;
let retry: ReturnType<typeof setTimeout> | null = null;
// How long before a refused stream is asked for again (the server's Retry-After for it).
const REOPEN_MS = 5000;
let listing: Promise<void> | null = null;

function publish(next: Jobs) {
  jobs = next;
  for (const listener of listeners) listener();
}

/** A job as the server reports it: a final one replaces whatever was known. */
const fromServer = (g: Generation): JobEvent => ({ type: isFinal(g.status) ? 'done' : 'status', data: g });

type Update = [id: string, event: JobEvent];

/** Folds events into their jobs; a job is added by its first status (progress alone says too little). */
function apply(events: Update[]) {
  let byId = jobs.byId;
  let ids = jobs.ids;
  for (const [id, ev] of events) {
    const before = byId[id];
    if (!before && ev.type !== 'status' && ev.type !== 'done') continue;
    const after = jobReducer(before ?? initialJobState, ev);
    if (after === before) continue;
    if (byId === jobs.byId) byId = { ...byId };
    byId[id] = after;
    if (!before) ids = [...ids, id].sort((a, b) => (a < b ? 1 : a > b ? -1 : 0));
  }
  if (byId !== jobs.byId) publish({ ...jobs, byId, ids });
}

function onSnapshot(snapshot: GenerationSnapshot) {
  const live = new Set(snapshot.jobs.map((g) => g.id));
  // Jobs that were running here and that the server no longer lists ended while the stream was down.
  const ended = jobs.ids.filter((id) => !jobs.byId[id].done && !live.has(id));
  apply(snapshot.jobs.map((g): Update => [g.id, { type: 'status', data: g }]));
  publish({ ...jobs, reconnecting: false });
  for (const id of ended) getGeneration(id).then((g) => apply([[g.id, fromServer(g)]]), () => undefined);
}

function openStream() {
  stopStream = followEventStream(userGenerationEventsUrl, {
    snapshot: (d) => onSnapshot(d as GenerationSnapshot),
    status: (d) => { const g = d as Generation; apply([[g.id, fromServer(g)]]); },
    progress: (d) => { const p = d as ProgressEvent; apply([[p.id, { type: 'progress', data: p }]]); },
    queue: (d) => apply((d as QueuePositions).positions.map((p): Update => [p.id, { type: 'position', position: p.queue_position }])),
  }, (stop, givenUp) => {
    // Refused (too many tabs hold streams, say): the browser does not retry, so this does.
    if (givenUp) {
      stop();
      retry = setTimeout(() => { retry = null; if (holders > 0) openStream(); }, REOPEN_MS);
    }
    if (jobs.reconnecting) return;
    apply(jobs.ids.filter((id) => !jobs.byId[id].done).map((id): Update => [id, { type: 'connection-lost' }]));
    publish({ ...jobs, reconnecting: true });
  });
}

/** Reads a page of the list: the first, or the one after the pages read. */
async function readPage(cursor?: string) {
  const page = await listGenerations(cursor);
  // A job the stream follows is newer than the list's view of it, unless the list says it ended.
  apply(page.items.filter((g) => !jobs.byId[g.id] || isFinal(g.status)).map((g): Update => [g.id, fromServer(g)]));
  publish({ ...jobs, listed: true, nextCursor: page.next_cursor ?? null });
}

export const jobStore = {
  subscribe(listener: () => void) {
    listeners.add(listener);
    return () => { listeners.delete(listener); };
  },
  get: () => jobs,
  /** A job this tab just created: shown at once, before the stream reports it. */
  add(g: Generation) { apply([[g.id, fromServer(g)]]); },
  async cancel(id: string) {
    const g = await cancelGeneration(id);
    apply([[g.id, g.status === 'queued' || g.status === 'running' ? { type: 'status', data: g } : { type: 'done', data: g }]]);
  },
  /** Reads the first page of the list once per signed-in session (again after a failure). */
  list() {
    if (jobs.listed) return Promise.resolve();
    listing ??= readPage().finally(() => { listing = null; });
    return listing;
  },
  more() { return jobs.nextCursor ? readPage(jobs.nextCursor) : Promise.resolve(); },
};

/**
 * The user's jobs, live. The stream stays open while any component uses this (the app shell's
 * tray does for the whole signed-in session) and closes with the last one, forgetting the jobs,
 * so that the next user of the tab starts afresh.
 */
export function useJobs(): Jobs {
  useEffect(() => {
    if (holders++ === 0) openStream();
    return () => {
      if (--holders > 0) return;
      stopStream?.();
      stopStream = null;
      if (retry) clearTimeout(retry);
      retry = null;
      publish(empty());
    };
  }, []);
  return useSyncExternalStore(jobStore.subscribe, jobStore.get);
}

/** One job, live: `generation` is shown until the store knows the job (and added to it). */
export function useJob(generation: Generation): JobState {
  const { byId } = useJobs();
  const known = byId[generation.id];
  useEffect(() => { if (!known) jobStore.add(generation); }, [known, generation]);
  return known ?? jobReducer(initialJobState, fromServer(generation));
}
