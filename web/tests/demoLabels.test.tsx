import { describe, expect, it } from 'vitest';
import { fireEvent, render, screen, within } from '@testing-library/react';
import { MemoryRouter } from 'react-router-dom';
import { CreateForm } from '@/features/create/components/CreateForm';
import { ResultCard } from '@/features/create/components/ResultCard';
import type { Image } from '@/shared/api/types';
import { apiError, fakeApi, openApp } from './fakeApi';
import { alice, fixedModel, freeModel, generation, localModel, noPrefs } from './fixtures';

const router = { v7_startTransition: true, v7_relativeSplatPath: true };
const image = (id: string, model: string, prompt: string): Image => ({
  id, generation_id: 'g1', index: 0, prompt, negative_prompt: '', model, style: '', width: 512, height: 512,
  steps: 20, cfg_scale: 7, seed: 42, title: '', tags: [], favorite: false, bytes: 1000, created_at: '2026-11-25T20:00:01.000Z',
  file_url: `/api/v1/images/${id}/file`, thumbnail_url: `/api/v1/images/${id}/thumbnail?size=256`,
  quality: '', task: 'text_to_image', source_image_id: null, mask_image_id: null, strength: 0, mask_blur: 0, origin: 'generated', loras: [],
});

function signedIn(extra: Record<string, unknown> = {}) {
  return fakeApi({
    'GET /auth/me': { user: alice },
    'GET /me/preferences': noPrefs,
    'GET /models': { items: [freeModel, localModel] },
    ...extra,
  });
}

describe('a cloud model its service will retire', () => {
  it('shows its shutdown date in the picker', () => {
    const retiring = { ...fixedModel, id: 'cloud/retiring', name: 'Cloud Legacy', shutdown_date: '2027-01-15' };
    render(<CreateForm models={[retiring, fixedModel]} prefs={noPrefs} lastSeed={null} submit={async () => generation()} onCreated={() => undefined} />);
    const picker = screen.getByLabelText('Model') as HTMLSelectElement;
    expect([...picker.options].map((o) => o.textContent)).toEqual(['Cloud Legacy (shuts down 2027-01-15)', 'Cloud XL']);
  });
});

describe('the demo generator is called what it is', () => {
  it('in the Create form: the picker, a badge and the whole description of the chosen model', () => {
    render(<CreateForm models={[freeModel, localModel, fixedModel]} prefs={noPrefs} lastSeed={null} submit={async () => generation()} onCreated={() => undefined} />);
    const picker = screen.getByLabelText('Model') as HTMLSelectElement;
    expect([...picker.options].map((o) => o.textContent)).toEqual(['Procedural (built-in) (demo, not AI)', 'sd-turbo', 'Cloud XL']);
    const description = screen.getByTestId('model-description');
    expect(within(description).getByTestId('model-kind').textContent).toBe('Demo generator · not AI');
    expect(description.textContent).toContain(freeModel.description);
    expect(picker.getAttribute('aria-describedby')).toContain(description.id);

    fireEvent.change(picker, { target: { value: 'local/sd-turbo' } });
    expect(within(screen.getByTestId('model-description')).getByTestId('model-kind').textContent).toBe('Local AI model');
    expect(screen.getByTestId('model-description').textContent).toContain('License: other');
  });

  it('on a result card', () => {
    fakeApi({}); // the card's job is followed on the tab's stream of jobs
    const done = generation({ status: 'succeeded', progress: 1, queue_position: null });
    render(<MemoryRouter future={router}><ResultCard generation={done} model={freeModel} /></MemoryRouter>);
    expect(screen.getByTestId('result-model').textContent).toBe('Procedural (built-in)Demo · not AI');
  });

  it('on gallery tiles and in the gallery\'s model filter, and only on the demo\'s tiles', async () => {
    signedIn({ 'GET /images': { items: [image('i1', 'procedural', 'a fox'), image('i2', 'local/sd-turbo', 'a whale')], next_cursor: null } });
    openApp('/gallery');
    const tiles = await screen.findAllByTestId('gallery-item');
    expect(tiles.map((t) => within(t).queryByTestId('model-kind')?.textContent ?? null)).toEqual(['Demo · not AI', null]);
    const filter = screen.getByLabelText('Model') as HTMLSelectElement;
    expect([...filter.options].map((o) => o.textContent)).toContain('Procedural (built-in) (demo, not AI)');
  });

  it('on the image page', async () => {
    signedIn({ 'GET /images/i1': image('i1', 'procedural', 'a fox') });
    openApp('/images/i1');
    const params = await screen.findByTestId('image-params');
    expect(await within(params).findByTestId('model-kind')).toBeTruthy();
    expect(params.textContent).toMatch(/ModelProcedural \(built-in\)Demo generator · not AI/);
  });

  it('and the sign-in page promises only what any installation does', async () => {
    fakeApi({ 'GET /auth/me': apiError(401, 'unauthenticated', 'sign in first') });
    openApp('/login');
    await screen.findByRole('heading', { name: 'Sign in to RenderMart' });
    const text = document.body.textContent ?? '';
    expect(text).not.toMatch(/render live|works offline/i);
    expect(text).toMatch(/pick one of the models this server offers/);
  });
});
