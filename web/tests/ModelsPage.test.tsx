import { describe, expect, it } from 'vitest';
import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Reply, apiError, fakeApi, openApp, stream } from './fakeApi';
import { admin, alice, broken, freeModel, installed, library, localModel, noPrefs, pull } from './fixtures';

const SOURCE = 'Hub repository or file URL';

function server(extra: Record<string, unknown> = {}) {
  return fakeApi({
    'GET /auth/me': { user: admin },
    'GET /me/preferences': noPrefs,
    'GET /models': { items: [freeModel, localModel] },
    'GET /admin/models': library({ installed: [installed, broken] }),
    ...extra,
  });
}

/** The error tied to a control by aria-describedby: "next to its field". */
function errorOf(control: HTMLElement): string | undefined {
  const ids = (control.getAttribute('aria-describedby') ?? '').split(' ');
  return ids.map((id) => document.getElementById(id)).find((el) => el?.hasAttribute('data-field-error'))?.textContent ?? undefined;
}

async function startPull(api: ReturnType<typeof server>, source: string) {
  const user = userEvent.setup();
  await user.type(await screen.findByLabelText(SOURCE), source);
  await user.click(screen.getByRole('button', { name: 'Pull model' }));
  await waitFor(() => expect(api.count('POST', '/admin/models/pulls')).toBe(1));
  return user;
}

describe('Models page', () => {
  it('is not available to users who are not administrators, and not in their navigation', async () => {
    server({ 'GET /auth/me': { user: alice } });
    openApp('/models');
    expect(await screen.findByText('Not available')).toBeTruthy();
    expect(screen.queryByRole('link', { name: 'Models' })).toBeNull();
  });

  it('lists the installed models with what they are, and why one cannot be used', async () => {
    server();
    openApp('/models');
    const items = await screen.findAllByTestId('installed-model');
    expect(screen.getByRole('link', { name: 'Models' }).getAttribute('aria-current')).toBe('page');
    expect(screen.getByText('/srv/rendermart/models')).toBeTruthy();
    const [good, bad] = items.map((i) => i.textContent ?? '');
    for (const want of ['sd-turbo', 'Offered as local/sd-turbo', 'FormatDiffusers folder', 'FamilyStable Diffusion 2.x', 'Size on disk2.6 GB', 'Licenseother', 'Sourcehf:stabilityai/sd-turbo@main']) {
      expect(good).toContain(want);
    }
    for (const want of ['Not usable', 'FormatSingle .safetensors file', 'FamilyUnknown', 'Size on disk1.2 MB']) expect(bad).toContain(want);
    expect(within(items[1]).getByTestId('model-problem').textContent).toBe('Cannot be used: no UNet tensors (model.diffusion_model.*) in the file');
    expect(within(items[0]).queryByTestId('model-problem')).toBeNull();
    // Installed already: the recommended sd-turbo is not offered again.
    expect(screen.queryByTestId('recommended-model')).toBeNull();
  });

  it('says so when this server runs no local engine', async () => {
    server({ 'GET /admin/models': apiError(404, 'not_found', 'route not found') });
    openApp('/models');
    expect((await screen.findByTestId('no-local-engine')).textContent).toMatch(/runs no local engine/);
    expect(screen.getByText(/RENDERMART_BEDROCK_REGION/)).toBeTruthy();
    expect(screen.queryByRole('form', { name: 'Pull a model' })).toBeNull();
  });

  it('checks the source before asking the server, and shows the server\'s field errors next to it', async () => {
    const api = server({ 'POST /admin/models/pulls': apiError(400, 'invalid_argument', 'stabilityai/nope is not a repository on the Hub', 'source') });
    openApp('/models');
    const user = userEvent.setup();
    const source = await screen.findByLabelText(SOURCE);
    await user.type(source, 'just-a-name');
    await user.click(screen.getByRole('button', { name: 'Pull model' }));
    expect(errorOf(source)).toMatch(/owner\/name/);
    await user.clear(source);
    await user.type(source, 'http://example.com/model.safetensors');
    await user.click(screen.getByRole('button', { name: 'Pull model' }));
    expect(errorOf(source)).toBe('Use an https URL.');
    await user.clear(source);
    await user.type(source, 'https://example.com/model.ckpt');
    await user.click(screen.getByRole('button', { name: 'Pull model' }));
    expect(errorOf(source)).toBe('A URL must point to a .safetensors file.');
    expect(api.count('POST', '/admin/models/pulls')).toBe(0);

    await user.clear(source);
    await user.type(source, 'stabilityai/nope');
    await user.click(screen.getByRole('button', { name: 'Pull model' }));
    await waitFor(() => expect(errorOf(source)).toBe('stabilityai/nope is not a repository on the Hub'));
    expect(source.getAttribute('aria-invalid')).toBe('true');
  });

  it('sends the variant for a Hub repository only', async () => {
    const api = server({ 'POST /admin/models/pulls': new Reply(202, pull()) });
    openApp('/models');
    fireEvent.change(await screen.findByLabelText('Weights'), { target: { value: 'fp16' } });
    await startPull(api, 'stabilityai/sd-turbo@main');
    expect(api.calls.find((c) => c.method === 'POST')?.body).toEqual({ source: 'stabilityai/sd-turbo@main', variant: 'fp16' });

    const url = 'https://example.com/files/dreamshaper_8.safetensors';
    await userEvent.setup().type(screen.getByLabelText(SOURCE), url);
    expect((screen.getByLabelText('Weights') as HTMLSelectElement).disabled).toBe(true);
    await userEvent.setup().click(screen.getByRole('button', { name: 'Pull model' }));
    await waitFor(() => expect(api.count('POST', '/admin/models/pulls')).toBe(2));
    expect(api.calls.filter((c) => c.method === 'POST')[1].body).toEqual({ source: url });
  });

  it('follows a pull live to the end and then lists the new model', async () => {
    const api = server({ 'GET /models': { items: [freeModel] }, 'GET /admin/models': library(), 'POST /admin/models/pulls': new Reply(202, pull()) });
    openApp('/');
    await screen.findByLabelText('Prompt');
    fireEvent.click(screen.getByRole('link', { name: 'Models' }));
    await startPull(api, 'stabilityai/sd-turbo');
    const card = await screen.findByTestId('pull');
    expect(card.dataset.status).toBe('queued');
    expect(within(card).getByTestId('pull-bytes').textContent).toBe('Listing files…');
    expect(within(card).getByRole('progressbar').hasAttribute('aria-valuenow')).toBe(false);

    const events = await stream('/admin/models/pulls/p1/events');
    const running = { status: 'running' as const, bytes_total: 1000, files_total: 3 };
    events.emit('status', pull(running));
    events.emit('progress', pull({ ...running, bytes_done: 500, files_done: 1, current_file: 'text_encoder/model.fp16.safetensors' }));
    expect(within(card).getByRole('progressbar', { name: 'Download of stabilityai/sd-turbo' }).getAttribute('aria-valuenow')).toBe('50');
    expect(within(card).getByTestId('pull-bytes').textContent).toBe('500 B of 1.0 kB · 1 of 3 files');
    expect(card.querySelector('[aria-live="polite"]')?.textContent).toBe('Downloading stabilityai/sd-turbo: 50%.');

    api.routes['GET /admin/models'] = library({ installed: [installed] });
    api.routes['GET /models'] = { items: [freeModel, localModel] };
    const loads = api.count('GET', '/admin/models');
    events.emit('done', pull({ ...running, status: 'succeeded', bytes_done: 1000, files_done: 3, finished_at: '2026-11-25T20:01:00.000Z' }));
    expect(events.closed).toBe(true);
    expect(within(card).getByRole('status').textContent).toBe('Installed as “sd-turbo”.');
    expect(within(card).queryByRole('button', { name: /Cancel/ })).toBeNull();
    await screen.findByTestId('installed-model');
    expect(api.count('GET', '/admin/models')).toBe(loads + 1);
    // Create offers it without a reload of the page.
    fireEvent.click(screen.getByRole('link', { name: 'Create' }));
    const picker = await screen.findByLabelText('Model') as HTMLSelectElement;
    await waitFor(() => expect([...picker.options].map((o) => o.value)).toEqual(['procedural', 'local/sd-turbo']));
  });

  it('cancels a running pull', async () => {
    const running = pull({ status: 'running', bytes_total: 1000, bytes_done: 200, files_total: 3 });
    const api = server({
      'GET /admin/models': library({ pulls: [running] }),
      'POST /admin/models/pulls/p1/cancel': pull({ ...running, status: 'canceled' }),
    });
    openApp('/models');
    const card = await screen.findByTestId('pull');
    expect(await stream('/admin/models/pulls/p1/events')).toBeTruthy(); // a pull the library reported is followed too
    await userEvent.setup().click(within(card).getByRole('button', { name: 'Cancel the pull of stabilityai/sd-turbo' }));
    await waitFor(() => expect(card.dataset.status).toBe('canceled'));
    expect(api.count('POST', '/admin/models/pulls/p1/cancel')).toBe(1);
    expect(within(card).getByRole('status').textContent).toMatch(/pulling stabilityai\/sd-turbo again resumes it/);
    // The recommended model is offered again.
    expect(screen.getByRole('button', { name: 'Install sd-turbo' }).hasAttribute('disabled')).toBe(false);
  });

  it('says why a pull failed, also when the stream ended without a done event', async () => {
    server({
      'GET /admin/models': library({ pulls: [pull({ status: 'running' })] }),
      'GET /admin/models/pulls/p1': pull({ status: 'failed', error: { code: 'unavailable', message: 'the Hub is unreachable: check HF_ENDPOINT' } }),
    });
    openApp('/models');
    const card = await screen.findByTestId('pull');
    (await stream('/admin/models/pulls/p1/events')).drop();
    await waitFor(() => expect(card.dataset.status).toBe('failed'));
    expect(within(card).getByRole('alert').textContent).toBe('Pull of stabilityai/sd-turbo failed: the Hub is unreachable: check HF_ENDPOINT (unavailable)');
  });

  it('removes a model after a confirmation', async () => {
    const api = server({ 'DELETE /admin/models/sd-turbo': new Reply(204) });
    openApp('/models');
    const [item] = await screen.findAllByTestId('installed-model');
    const user = userEvent.setup();
    await user.click(within(item).getByRole('button', { name: 'Remove sd-turbo' }));
    expect(api.count('DELETE', '/admin/models/sd-turbo')).toBe(0);
    expect(within(item).getByRole('group', { name: 'Remove sd-turbo?' })).toBeTruthy();
    api.routes['GET /admin/models'] = library({ installed: [broken] });
    await user.click(within(item).getByRole('button', { name: 'Remove' }));
    expect(api.count('DELETE', '/admin/models/sd-turbo')).toBe(1);
    expect(await screen.findByText('Removed sd-turbo.')).toBeTruthy();
    await waitFor(() => expect(screen.getAllByTestId('installed-model')).toHaveLength(1));
  });

  it('shows a failed removal on the model it concerns', async () => {
    server({ 'DELETE /admin/models/sd-turbo': apiError(409, 'conflict', 'sd-turbo is generating an image; try again when it is done') });
    openApp('/models');
    const [item, other] = await screen.findAllByTestId('installed-model');
    const user = userEvent.setup();
    await user.click(within(item).getByRole('button', { name: 'Remove sd-turbo' }));
    await user.click(within(item).getByRole('button', { name: 'Remove' }));
    expect((await within(item).findByRole('alert')).textContent).toBe('sd-turbo is generating an image; try again when it is done');
    expect(within(other).queryByRole('alert')).toBeNull();
  });
});
