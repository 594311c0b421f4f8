import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Generation, Model } from '@/shared/api/types';
import { EditForm } from '@/features/edit/components/EditForm';
import type { MaskModel } from '@/features/edit/lib/mask';
import { initialEditValues, toEditRequest, type EditValues } from '@/features/edit/lib/tasks';
import { fakeApi } from './fakeApi';
import { fixedModel, generation, image } from './fixtures';

// Stability AI's image services on Bedrock: one model per task, with Stability's ranges.
const PRESETS = ['anime', 'origami', 'pixel-art'];
const service = (id: string, task: Model['tasks'][number], over: Partial<Model> = {}): Model =>
  ({ ...fixedModel, id, name: id, tasks: [task], ...over });
const replacer = service('search-replace', 'search_replace');
const transfer = service('style-transfer', 'style_transfer', {
  control_strength: { min: 0, max: 1, default: 1 }, composition_fidelity: { min: 0, max: 1, default: 0.9 }, change_strength: { min: 0.1, max: 1, default: 0.9 },
});
const creative = service('creative-upscale', 'upscale', { creativity: { min: 0.1, max: 0.5, default: 0.3 }, style_presets: PRESETS });
const conservative = service('conservative-upscale', 'upscale', { creativity: { min: 0.2, max: 0.5, default: 0.35 } });
const fast = service('fast-upscale', 'upscale');
const eraser = service('erase', 'erase');
const inpainter = service('inpaint', 'inpaint', { grow_mask: { min: 0, max: 100, default: 5 }, style_presets: PRESETS });
const source = image('src', { width: 64, height: 48, prompt: 'a red fox' });

/** The text that aria-describedby ties to a control: what a screen reader says after its name. */
const description = (control: HTMLElement) => (control.getAttribute('aria-describedby') ?? '').split(' ')
  .map((id) => document.getElementById(id)?.textContent ?? '').join(' ');

/** A stroke of the mask brush across the canvas. */
function paint() {
  const canvas = screen.getByTestId('mask-canvas');
  fireEvent.pointerDown(canvas, { button: 0, pointerId: 1, clientX: 10, clientY: 10 });
  fireEvent.pointerMove(canvas, { pointerId: 1, clientX: 30, clientY: 10 });
  fireEvent.pointerUp(canvas, { pointerId: 1 });
}

function setup(models: Model[]) {
  type Submit = (v: EditValues, m: Model, s: typeof source, mask: MaskModel) => Promise<Generation>;
  const submit = vi.fn<Submit>(async () => generation());
  render(<EditForm source={source} models={models} submit={submit} onCreated={vi.fn()} />);
  return { submit, user: userEvent.setup() };
}

describe('EditForm: the cloud services\' tasks', () => {
  it('search and replace needs what to find, and sends it', async () => {
    const { user, submit } = setup([replacer]);
    await user.click(screen.getByRole('button', { name: 'Search and replace' }));
    expect(screen.getByRole('alert').textContent).toMatch(/Name what to find/);
    await user.type(screen.getByLabelText('Find'), 'the fox');
    await user.click(screen.getByRole('button', { name: 'Search and replace' }));
    await waitFor(() => expect(submit).toHaveBeenCalled());
    const [v, model] = submit.mock.calls[0];
    expect(toEditRequest(v, model, 'src')).toEqual({
      task: 'search_replace', model: 'search-replace', source_image_id: 'src', count: 1, prompt: 'a red fox', search_prompt: 'the fox',
    });
  });

  it('style transfer takes the style picture from the user\'s own, by thumbnail, and may go without a prompt', async () => {
    const api = fakeApi({
      'GET /images': { items: [source, image('img-style', { title: 'Blue waves' }), image('img-cat', { prompt: 'a cat' })], next_cursor: null },
    });
    const { user, submit } = setup([transfer]);
    const pictures = within(await screen.findByRole('group', { name: 'Style picture' }));
    expect((await pictures.findAllByRole('radio')).map((r) => r.getAttribute('aria-label'))).toEqual(['Blue waves', 'a cat']);
    expect(screen.getByTestId('style-pictures').querySelector('img')?.getAttribute('src')).toBe('/api/v1/images/img-style/thumbnail?size=256');
    expect(api.calls.find((c) => c.path === '/images')).toBeTruthy();

    await user.clear(screen.getByLabelText('Prompt'));
    await user.click(screen.getByRole('button', { name: 'Style transfer' }));
    expect(screen.getByRole('alert').textContent).toMatch(/Choose the picture whose style to apply/);
    // The keyboard: the group is one tab stop, the arrow keys move the choice.
    pictures.getByRole('radio', { name: 'Blue waves' }).focus();
    await user.keyboard(' ');
    expect((pictures.getByRole('radio', { name: 'Blue waves' }) as HTMLInputElement).checked).toBe(true);
    await user.keyboard('{ArrowRight}');
    expect((pictures.getByRole('radio', { name: 'a cat' }) as HTMLInputElement).checked).toBe(true);
    await user.click(pictures.getByRole('radio', { name: 'Blue waves' }));

    expect(description(screen.getByLabelText('Style strength (1.00)'))).toMatch(/How strongly the style picture's look is applied/);
    expect(description(screen.getByLabelText('Composition fidelity (0.90)'))).toMatch(/keeps this picture's composition/);
    fireEvent.change(screen.getByLabelText('Change strength (0.90)'), { target: { value: '0.4' } });
    expect(screen.queryByLabelText('Style preset')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Style transfer' }));
    await waitFor(() => expect(submit).toHaveBeenCalled());
    const [v, model] = submit.mock.calls[0];
    expect(toEditRequest(v, model, 'src')).toEqual({
      task: 'style_transfer', model: 'style-transfer', source_image_id: 'src', count: 1, style_image_id: 'img-style',
      control_strength: 1, composition_fidelity: 0.9, change_strength: 0.4,
    });
  });

  it('the style pictures come a page at a time', async () => {
    const api = fakeApi({ 'GET /images': { items: [image('img-1', { title: 'First' })], next_cursor: 'c2' } });
    const { user } = setup([transfer]);
    await screen.findByRole('radio', { name: 'First' });
    api.routes['GET /images'] = { items: [image('img-2', { title: 'Second' })], next_cursor: null };
    await user.click(screen.getByRole('button', { name: 'More pictures' }));
    await screen.findByRole('radio', { name: 'Second' });
    expect(screen.getByRole('radio', { name: 'First' })).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'More pictures' })).toBeNull();
  });

  it('style transfer says so when there is no other picture to take a style from', async () => {
    fakeApi({ 'GET /images': { items: [source], next_cursor: null } });
    setup([transfer]);
    expect(await screen.findByText(/You have no other picture yet/)).toBeTruthy();
  });

  it('Stability\'s inpaint: a grow mask and a style preset, no mask blur', async () => {
    const { user, submit } = setup([inpainter]);
    expect(screen.queryByLabelText(/Mask blur/)).toBeNull();
    const grow = screen.getByLabelText('Grow mask (5 px)');
    expect(description(grow)).toMatch(/Widens the painted area by this many pixels and softens its edge/);
    expect(grow.getAttribute('max')).toBe('100');
    fireEvent.change(grow, { target: { value: '12' } });
    const preset = screen.getByLabelText('Style preset') as HTMLSelectElement;
    expect(description(preset)).toMatch(/A look the service gives the result/);
    expect([...preset.options].map((o) => o.textContent)).toEqual(['None', 'Anime', 'Origami', 'Pixel Art']);
    await user.selectOptions(preset, 'origami');
    paint();
    await user.click(screen.getByRole('button', { name: 'Inpaint' }));
    await waitFor(() => expect(submit).toHaveBeenCalled());
    const [v, model] = submit.mock.calls[0];
    expect(toEditRequest(v, model, 'src', 'data:image/png;base64,AAAA')).toEqual({
      task: 'inpaint', model: 'inpaint', source_image_id: 'src', count: 1, prompt: 'a red fox', mask: 'data:image/png;base64,AAAA',
      grow_mask: 12, style_preset: 'origami',
    });
  });

  it('each model brings its own ranges and defaults: switching model starts again from them', async () => {
    const { user } = setup([creative, conservative, fast]);
    fireEvent.change(screen.getByLabelText('Creativity (0.30)'), { target: { value: '0.45' } });
    expect(screen.getByLabelText('Creativity (0.45)')).toBeTruthy();
    await user.selectOptions(screen.getByLabelText('Style preset'), 'anime');
    await user.selectOptions(screen.getByLabelText('Model'), 'conservative-upscale');
    const creativity = screen.getByLabelText('Creativity (0.35)');
    expect([creativity.getAttribute('min'), creativity.getAttribute('max')]).toEqual(['0.2', '0.5']);
    expect(screen.queryByLabelText('Style preset')).toBeNull();
    await user.selectOptions(screen.getByLabelText('Model'), 'fast-upscale');
    expect(screen.queryByLabelText(/Creativity/)).toBeNull();
  });

  it('a creative upscaler takes a prompt, the fast one none; erase paints a mask', async () => {
    const { user } = setup([creative, fast, eraser]);
    expect(screen.getByLabelText('Prompt')).toBeTruthy();
    await user.selectOptions(screen.getByLabelText('Model'), 'fast-upscale');
    expect(screen.queryByLabelText('Prompt')).toBeNull();
    await user.click(screen.getByRole('radio', { name: 'Erase' }));
    expect(screen.queryByLabelText('Prompt')).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Erase' }));
    expect(screen.getByRole('alert').textContent).toMatch(/Paint over the part/);
  });

  it('a cloud inpainter lays nothing over its result: no mask blur to set or send', () => {
    const inpainter = service('inpaint', 'inpaint');
    setup([inpainter]);
    expect(screen.getByTestId('mask-canvas')).toBeTruthy();
    expect(screen.queryByLabelText(/Mask blur/)).toBeNull();
    const v = { ...initialEditValues([inpainter], source), choice: 'inpaint' as const };
    expect(toEditRequest(v, inpainter, 'src', 'data:image/png;base64,AAAA')).not.toHaveProperty('mask_blur');
  });
});
