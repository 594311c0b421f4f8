import type { ReactNode } from 'react';
import { describe, expect, it, vi } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { JobProgress, JobView } from '@/shared/jobs/JobView';
import { initialJobState, jobReducer, type JobEvent } from '@/shared/jobs/jobReducer';
import { FakeEventSource, fakeApi, stream } from './fakeApi';
import { generation, image } from './fixtures';

const fold = (events: JobEvent[]) => events.reduce(jobReducer, initialJobState);

describe('jobReducer folds SSE events', () => {
  it('status, progress, done', () => {
    const s1 = fold([{ type: 'status', data: generation() }]);
    expect([s1.status, s1.queuePosition, s1.progress, s1.done]).toEqual(['queued', 2, 0, false]);
    const s2 = jobReducer(s1, { type: 'progress', data: { id: 'g1', progress: 0.4, stage: 'generating' } });
    expect([s2.status, s2.queuePosition, s2.progress]).toEqual(['running', null, 0.4]);
    const done = generation({ status: 'succeeded', progress: 1, queue_position: null, images: [image('i1')] });
    const s3 = jobReducer(s2, { type: 'done', data: done });
    expect([s3.status, s3.progress, s3.done, s3.generation?.images.length]).toEqual(['succeeded', 1, true, 1]);
  });

  it('progress never goes back, and other jobs are ignored', () => {
    const s = fold([
      { type: 'status', data: generation({ status: 'running', queue_position: null }) },
      { type: 'progress', data: { id: 'g1', progress: 0.6, stage: 'generating' } },
      { type: 'progress', data: { id: 'g1', progress: 0.3, stage: 'generating' } },
      { type: 'progress', data: { id: 'other', progress: 0.9, stage: 'generating' } },
      { type: 'status', data: generation({ status: 'running', progress: 0.2, queue_position: null }) },
    ]);
    expect(s.progress).toBe(0.6);
  });

  it('a failure carries its message; nothing changes a finished job', () => {
    const failed = generation({ status: 'failed', progress: 0.5, queue_position: null, error: { code: 'provider_error', message: 'the model crashed' } });
    const s = fold([{ type: 'status', data: generation() }, { type: 'done', data: failed }, { type: 'progress', data: { id: 'g1', progress: 0.9, stage: 'generating' } }]);
    expect([s.status, s.done, s.error?.message, s.progress]).toEqual(['failed', true, 'the model crashed', 0.5]);
  });

  it('a stream that drops marks the job reconnecting until the next event', () => {
    const s = fold([{ type: 'status', data: generation() }, { type: 'connection-lost' }]);
    expect(s.reconnecting).toBe(true);
    expect(jobReducer(s, { type: 'progress', data: { id: 'g1', progress: 0.1, stage: 'generating' } }).reconnecting).toBe(false);
  });
});

describe('JobProgress', () => {
  const view = (events: JobEvent[]) => render(<MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}><JobProgress state={fold(events)} onCancel={() => undefined} /></MemoryRouter>);

  it('shows the queue position and offers cancel while queued', () => {
    view([{ type: 'status', data: generation() }]);
    expect(screen.getByTestId('queue-position').textContent).toBe('Position in queue: 3');
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('0');
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeTruthy();
  });

  it('fills the bar from progress events', () => {
    view([{ type: 'status', data: generation() }, { type: 'progress', data: { id: 'g1', progress: 0.55, stage: 'generating' } }]);
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('55');
    expect(screen.getByText('Generating · step 12 of 20')).toBeTruthy();
  });

  it('says when a model is loading and when files are saved', () => {
    const loading: JobEvent[] = [{ type: 'status', data: generation() }, { type: 'progress', data: { id: 'g1', progress: 0, stage: 'loading_model' } }];
    const { unmount } = view(loading);
    expect(screen.getByText('Loading model…')).toBeTruthy();
    unmount();
    view([...loading, { type: 'progress', data: { id: 'g1', progress: 1, stage: 'saving' } }]);
    expect(screen.getByText('Saving…')).toBeTruthy();
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
  });

  it('shows the latest preview in place of the image being made, and drops it when done', () => {
    const preview = 'data:image/webp;base64,UklGRg==';
    const events: JobEvent[] = [
      { type: 'status', data: generation() },
      { type: 'progress', data: { id: 'g1', progress: 0.3, stage: 'generating', preview } },
      { type: 'progress', data: { id: 'g1', progress: 0.4, stage: 'generating' } },
    ];
    view(events);
    expect(screen.getByTestId('job-preview').getAttribute('src')).toBe(preview);
    const done = fold([...events, { type: 'done', data: generation({ status: 'succeeded', progress: 1, queue_position: null, images: [image('i1')] }) }]);
    expect(done.preview).toBeNull();
  });

  it('shows the images when done, without cancel', () => {
    view([{ type: 'done', data: generation({ status: 'succeeded', progress: 1, queue_position: null, images: [image('i1')] }) }]);
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100');
    expect(screen.getByRole('link').getAttribute('href')).toBe('/images/i1');
    expect(screen.queryByRole('button', { name: 'Cancel' })).toBeNull();
  });

  it('says why a job failed', () => {
    view([{ type: 'done', data: generation({ status: 'failed', queue_position: null, error: { code: 'provider_error', message: 'out of memory' } }) }]);
    expect(screen.getByRole('alert').textContent).toMatch(/Generation failed: out of memory/);
  });
});

describe('JobView follows its job on the one stream of the user\'s jobs', () => {
  const router = (children: ReactNode) => render(<MemoryRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>{children}</MemoryRouter>);
  const live = () => router(<JobView generation={generation()} />);
  const userStreams = () => FakeEventSource.opened.filter((s) => !s.closed && s.url.endsWith('/generations/events'));

  it('to the end; the stream stays open for the other jobs', async () => {
    fakeApi({});
    live();
    const events = await stream('/generations/events');
    events.emit('snapshot', { jobs: [generation()] });
    events.emit('progress', { id: 'g1', progress: 0.5, stage: 'generating' });
    events.emit('progress', { id: 'g2', progress: 0.9, stage: 'generating' });
    expect(screen.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('50');
    events.emit('status', generation({ status: 'succeeded', progress: 1, queue_position: null, images: [image('i1')] }));
    expect(screen.getByRole('link').getAttribute('href')).toBe('/images/i1');
    expect(events.closed).toBe(false);
  });

  it('moves in the queue as the stream says', async () => {
    fakeApi({});
    live();
    expect(screen.getByTestId('queue-position').textContent).toBe('Position in queue: 3');
    (await stream('/generations/events')).emit('queue', { positions: [{ id: 'g1', queue_position: 0 }] });
    expect(screen.getByTestId('queue-position').textContent).toBe('Next in line');
  });

  it('after a reconnection, asks once for a job the snapshot no longer lists', async () => {
    const api = fakeApi({ 'GET /generations/g1': generation({ status: 'canceled', queue_position: null }) });
    live();
    const events = await stream('/generations/events');
    events.drop();
    expect(screen.getByText('Reconnecting…')).toBeTruthy();
    events.emit('snapshot', { jobs: [] });
    expect(await screen.findByText('This generation was canceled.')).toBeTruthy();
    expect(api.count('GET', '/generations/g1')).toBe(1);
  });

  it('asks for the stream again when the server refused it (the browser would not)', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    try {
      fakeApi({});
      live();
      const refused = await stream('/generations/events');
      refused.drop(true);
      expect(refused.closed).toBe(true);
      expect(userStreams()).toHaveLength(0);
      act(() => { vi.advanceTimersByTime(5000); });
      expect(userStreams()).toHaveLength(1);
    } finally {
      vi.useRealTimers();
    }
  });

  it('many jobs share one connection, and none opens its own', async () => {
    fakeApi({});
    router(<>{['g1', 'g2', 'g3', 'g4', 'g5', 'g6', 'g7', 'g8'].map((id) => <JobView key={id} generation={generation({ id })} />)}</>);
    const events = await stream('/generations/events');
    events.emit('progress', { id: 'g7', progress: 0.25, stage: 'generating' });
    expect(screen.getAllByRole('progressbar').map((b) => b.getAttribute('aria-valuenow'))).toEqual(['0', '0', '0', '0', '0', '0', '25', '0']);
    expect(userStreams()).toHaveLength(1);
    expect(FakeEventSource.opened.filter((s) => /\/generations\/g\d\/events$/.test(s.url))).toEqual([]);
  });
});
