import { describe, expect, it, vi } from 'vitest';
import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Generation, Model } from '@/shared/api/types';
import { EditForm } from '@/features/edit/components/EditForm';
import type { MaskModel } from '@/features/edit/lib/mask';
import { initialEditValues, toEditRequest, type EditValues } from '@/features/edit/lib/tasks';
import { fixedModel, generation, image } from './fixtures';

// Stability AI's image services on Bedrock: one model per task.
const service = (id: string, task: Model['tasks'][number], over: Partial<Model> = {}): Model =>
  ({ ...fixedModel, id, name: id, tasks: [task], ...over });
const replacer = service('search-replace', 'search_replace');
const transfer = service('style-transfer', 'style_transfer', { control_strength: { min: 0, max: 1, default: 1 } });
const creative = service('creative-upscale', 'upscale', { creativity: { min: 0.1, max: 0.5, default: 0.3 } });
const fast = service('fast-upscale', 'upscale');
const eraser = service('erase', 'erase');
const source = image('src', { width: 64, height: 48, prompt: 'a red fox' });

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

  it('style transfer names the style picture and may go without a prompt', async () => {
    const { user, submit } = setup([transfer]);
    await user.clear(screen.getByLabelText('Prompt'));
    await user.type(screen.getByLabelText('Style picture'), 'img-style');
    await user.click(screen.getByRole('button', { name: 'Style transfer' }));
    await waitFor(() => expect(submit).toHaveBeenCalled());
    const [v, model] = submit.mock.calls[0];
    expect(toEditRequest(v, model, 'src')).toEqual({
      task: 'style_transfer', model: 'style-transfer', source_image_id: 'src', count: 1, style_image_id: 'img-style',
    });
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
