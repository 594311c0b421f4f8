import { describe, expect, it } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Reply, apiError, fakeApi, openApp, stream } from './fakeApi';
import { admin, alice, freeModel, library, localModel, noPrefs, pull } from './fixtures';

function server(user: typeof alice, extra: Record<string, unknown> = {}) {
  return fakeApi({
    'GET /auth/me': { user },
    'GET /me/preferences': noPrefs,
    'GET /models': { items: [freeModel] },
    ...extra,
  });
}

describe('Create when no AI model is installed', () => {
  it('tells everyone what the demo is and how a model is added', async () => {
    server(alice);
    openApp('/');
    const note = await screen.findByTestId('no-ai-model');
    expect(within(note).getByRole('heading').textContent).toBe('No AI model is installed');
    const text = note.textContent ?? '';
    expect(text).toMatch(/not AI/);
    expect(text).toContain('rendermart models pull stabilityai/sd-turbo');
    for (const name of ['RENDERMART_BEDROCK_REGION', 'RENDERMART_OPENAI_MODELS', 'RENDERMART_OPENAI_API_KEY', 'RENDERMART_OPENAI_BASE_URL']) expect(text).toContain(name);
    expect(text).toMatch(/Ask an administrator/);
    expect(within(note).queryByRole('button')).toBeNull();
    expect(within(note).queryByRole('link')).toBeNull(); // the Models page is not theirs
    expect(screen.queryByRole('link', { name: 'Models' })).toBeNull();
  });

  it('says nothing once an AI model is offered', async () => {
    server(alice, { 'GET /models': { items: [freeModel, localModel] } });
    openApp('/');
    await screen.findByLabelText('Prompt');
    expect(screen.queryByTestId('no-ai-model')).toBeNull();
  });

  it('offers an administrator a one-click install of the recommended model, live to the end', async () => {
    const api = server(admin, {
      'GET /admin/models': library(),
      'POST /admin/models/pulls': new Reply(202, pull()),
    });
    openApp('/');
    const note = await screen.findByTestId('no-ai-model');
    const item = await within(note).findByTestId('recommended-model');
    expect(item.textContent).toMatch(/License: sai-nc-community · about 2\.6 GB to download/);
    expect(within(note).getByRole('link', { name: 'Models page' }).getAttribute('href')).toBe('/models');

    await userEvent.setup().click(within(item).getByRole('button', { name: 'Install sd-turbo' }));
    expect(api.calls.find((c) => c.method === 'POST')).toEqual({ method: 'POST', path: '/admin/models/pulls', body: { source: 'stabilityai/sd-turbo' } });
    await within(note).findByTestId('pull');
    expect(within(item).getByRole('button', { name: 'Installing…' }).hasAttribute('disabled')).toBe(true);

    const events = await stream('/admin/models/pulls/p1/events');
    events.emit('status', pull({ status: 'running', bytes_total: 2_600_000_000, files_total: 9 }));
    events.emit('progress', pull({ status: 'running', bytes_total: 2_600_000_000, bytes_done: 1_300_000_000, files_total: 9, files_done: 4, current_file: 'unet/diffusion_pytorch_model.fp16.safetensors' }));
    expect(within(note).getByRole('progressbar').getAttribute('aria-valuenow')).toBe('50');
    expect(within(note).getByTestId('pull-bytes').textContent).toBe('1.3 GB of 2.6 GB · 4 of 9 files');
    expect(note.textContent).toContain('unet/diffusion_pytorch_model.fp16.safetensors');

    api.routes['GET /models'] = { items: [freeModel, localModel] }; // the server picks the model up
    events.emit('done', pull({ status: 'succeeded', bytes_total: 2_600_000_000, bytes_done: 2_600_000_000, files_total: 9, files_done: 9 }));
    await waitFor(() => expect(screen.queryByTestId('no-ai-model')).toBeNull());
    expect(screen.getByText('Installed “sd-turbo”: pick it in the Model list.')).toBeTruthy();
    const picker = screen.getByLabelText('Model') as HTMLSelectElement;
    expect([...picker.options].map((o) => o.value)).toEqual(['procedural', 'local/sd-turbo']);
  });

  it('tells an administrator when this server runs no local engine', async () => {
    server(admin, { 'GET /admin/models': apiError(404, 'not_found', 'route not found') });
    openApp('/');
    expect((await screen.findByTestId('no-local-engine')).textContent).toMatch(/runs no local engine/);
    expect(screen.queryByRole('button', { name: /Install/ })).toBeNull();
  });
});
