import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import type { GenerationRequest } from '@/shared/api/types';
import { requestOf } from '@/features/jobs/lib';
import { FakeEventSource, fakeApi, openApp, stream } from './fakeApi';
import { alice, freeModel, generation, image, noPrefs } from './fixtures';

const done = generation({ id: 'g3', status: 'succeeded', progress: 1, queue_position: null, images: [image('i3', { generation_id: 'g3' })],
  params: { ...generation().params, prompt: 'a lighthouse at dawn' } });
const failed = generation({ id: 'g2', status: 'failed', progress: 0.4, queue_position: null, error: { code: 'provider_error', message: 'the model crashed' },
  params: { ...generation().params, prompt: 'a tide pool', task: 'image_to_image', source_image_id: 'src', strength: 0.5 } });
const running = generation({ id: 'g4', status: 'running', queue_position: null, params: { ...generation().params, prompt: 'a paper boat' } });
const queued = generation({ id: 'g5', status: 'queued', queue_position: 1, params: { ...generation().params, prompt: 'a red kite' } });

function server(extra: Record<string, unknown> = {}) {
  return fakeApi({
    'GET /auth/me': { user: alice },
    'GET /me/preferences': noPrefs,
    'GET /models': { items: [freeModel] },
    'GET /generations': { items: [queued, running, done, failed], next_cursor: null },
    ...extra,
  });
}

const rows = () => screen.queryAllByTestId('job-row');
const row = (id: string) => rows().find((r) => r.dataset.jobId === id)!;

describe('The Jobs view', () => {
  it('lists every job with its stage, live from the one stream, and filters them', async () => {
    server();
    openApp('/jobs');
    await waitFor(() => expect(rows()).toHaveLength(4));
    const events = await stream('/generations/events');
    events.emit('snapshot', { jobs: [running, queued] });
    events.emit('progress', { id: 'g4', progress: 0.5, stage: 'generating', preview: 'data:image/webp;base64,UklGRg==' });
    expect(within(row('g4')).getByTestId('job-row-status').textContent).toBe('Generating · step 11 of 20');
    expect(within(row('g4')).getByTestId('job-row-preview')).toBeTruthy();
    expect(within(row('g5')).getByTestId('job-row-position').textContent).toBe('Position in queue: 2');
    events.emit('queue', { positions: [{ id: 'g5', queue_position: 0 }] });
    expect(within(row('g5')).getByTestId('job-row-position').textContent).toBe('Next in line');
    events.emit('progress', { id: 'g4', progress: 1, stage: 'saving' });
    expect(within(row('g4')).getByTestId('job-row-status').textContent).toBe('Saving…');
    expect(within(row('g2')).getByText('the model crashed')).toBeTruthy();

    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'failed' } });
    expect(rows().map((r) => r.dataset.jobId)).toEqual(['g2']);
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'active' } });
    expect(rows().map((r) => r.dataset.jobId)).toEqual(['g5', 'g4']);
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'all' } });
    fireEvent.change(screen.getByLabelText('Task'), { target: { value: 'image_to_image' } });
    expect(rows().map((r) => r.dataset.jobId)).toEqual(['g2']);
    // One connection for all of them.
    expect(FakeEventSource.opened.filter((s) => !s.closed)).toHaveLength(1);
  });

  it('the tray counts the running and queued jobs on every page and opens the Jobs view', async () => {
    server();
    openApp('/gallery');
    const events = await stream('/generations/events');
    events.emit('snapshot', { jobs: [running, queued] });
    const tray = await screen.findByTestId('jobs-tray');
    expect(within(tray).getByTestId('jobs-tray-count').textContent).toBe('2');
    expect(tray.getAttribute('aria-label')).toBe('Jobs: 1 running, 1 queued, 0% done');
    events.emit('status', { ...running, status: 'succeeded', progress: 1, images: [image('i4')] });
    expect(within(tray).getByTestId('jobs-tray-count').textContent).toBe('1');
    fireEvent.click(tray);
    expect(await screen.findByRole('heading', { name: 'Jobs' })).toBeTruthy();
  });

  it('cancels a running job and shows it canceled', async () => {
    const api = server({ 'POST /generations/g4/cancel': { ...running, status: 'canceled' } });
    openApp('/jobs');
    await waitFor(() => expect(rows()).toHaveLength(4));
    fireEvent.click(within(row('g4')).getByRole('button', { name: 'Cancel' }));
    await waitFor(() => expect(row('g4').dataset.status).toBe('canceled'));
    expect(api.count('POST', '/generations/g4/cancel')).toBe(1);
    expect(within(row('g4')).getByRole('button', { name: 'Retry' })).toBeTruthy();
  });

  it('retries with the same parameters, and the new job joins the list', async () => {
    const again = generation({ id: 'g6', params: failed.params });
    const api = server({ 'POST /generations': again });
    openApp('/jobs');
    await waitFor(() => expect(rows()).toHaveLength(4));
    fireEvent.click(within(row('g2')).getByRole('button', { name: 'Retry' }));
    await waitFor(() => expect(rows()).toHaveLength(5));
    const sent = api.calls.find((c) => c.method === 'POST' && c.path === '/generations')!.body as GenerationRequest;
    expect(sent).toMatchObject({ prompt: 'a tide pool', model: 'procedural', width: 512, height: 512, steps: 20, cfg_scale: 7, seed: 42, count: 1,
      task: 'image_to_image', source_image_id: 'src', strength: 0.5, loras: [] });
    // Nothing the server would read as a value the job did not have: no nulls, no empty texts.
    expect(Object.values(sent).filter((v) => v === null || v === '')).toEqual([]);
    expect(rows()[0].dataset.jobId).toBe('g6');
  });

  it('remixes on Create with the job\'s prompt', async () => {
    server();
    openApp('/jobs');
    await waitFor(() => expect(rows()).toHaveLength(4));
    fireEvent.click(within(row('g3')).getByRole('button', { name: 'Remix' }));
    expect(await screen.findByRole('heading', { name: 'Create' })).toBeTruthy();
    expect((await screen.findByLabelText('Prompt', { exact: true }) as HTMLTextAreaElement).value).toBe('a lighthouse at dawn');
  });

  it('Create shows the jobs of the server after a reload, on the same stream', async () => {
    server();
    openApp('/');
    const results = await screen.findByRole('region', { name: 'Results' });
    await waitFor(() => expect(within(results).getAllByTestId('job-view')).toHaveLength(4));
    (await stream('/generations/events')).emit('progress', { id: 'g4', progress: 0.75, stage: 'generating' });
    const bars = within(results).getAllByRole('progressbar').map((b) => b.getAttribute('aria-valuenow'));
    expect(bars).toContain('75');
    expect(FakeEventSource.opened.map((s) => s.url)).toEqual(['/api/v1/generations/events']);
  });
});

describe('requestOf', () => {
  it('leaves out the LoRAs the prompt names and the LoRAs\' hashes', () => {
    const params = { ...generation().params, prompt: 'a fox <lora:ink:0.5>', loras: [{ name: 'ink', weight: 0.5, hash: 'aa' }, { name: 'film', weight: 1, hash: 'bb' }] };
    expect(requestOf(params).loras).toEqual([{ name: 'film', weight: 1 }]);
  });
});
