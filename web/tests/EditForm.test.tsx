import { describe, expect, it, vi } from 'vitest';
import { act, cleanup, fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Generation, Model } from '@/shared/api/types';
import { EditForm } from '@/features/edit/components/EditForm';
import type { MaskModel } from '@/features/edit/lib/mask';
import { toEditRequest, type EditValues } from '@/features/edit/lib/tasks';
import { fakeApi, openApp, stream } from './fakeApi';
import { alice, fixedModel, freeModel, generation, image, noPrefs } from './fixtures';

const editor: Model = { ...freeModel, tasks: ['text_to_image', 'image_to_image', 'inpaint', 'outpaint', 'remove_background', 'upscale'] };
const restyler: Model = { ...fixedModel, tasks: ['text_to_image', 'image_to_image'] };
const source = image('src', { width: 64, height: 48, prompt: 'a red fox' });

function setup(models: Model[] = [freeModel, editor, restyler]) {
  type Submit = (v: EditValues, m: Model, s: typeof source, mask: MaskModel) => Promise<Generation>;
  const submit = vi.fn<Submit>(async () => generation());
  const onCreated = vi.fn();
  render(<EditForm source={source} models={models} submit={submit} onCreated={onCreated} />);
  return { submit, onCreated, user: userEvent.setup() };
}

const choices = () => screen.getAllByRole('radio').map((r) => (r as HTMLInputElement).value);
const modelIds = () => [...(screen.getByLabelText('Model') as HTMLSelectElement).options].map((o) => o.value);

describe('EditForm', () => {
  it('offers only what the models can do, and for each task only the models that do it', async () => {
    const { user } = setup();
    expect(choices()).toEqual(['image_to_image', 'variation', 'inpaint', 'outpaint', 'remove_background', 'upscale']);
    expect(modelIds()).toEqual(['procedural', 'cloud-xl']);
    await user.click(screen.getByRole('radio', { name: 'Inpaint' }));
    expect(modelIds()).toEqual(['procedural']);
    await user.click(screen.getByRole('radio', { name: 'Remove background' }));
    expect(screen.queryByLabelText('Prompt')).toBeNull();
    cleanup();
    setup([freeModel, restyler]);
    expect(choices()).toEqual(['image_to_image', 'variation']);
  });

  it('says so when no model edits', () => {
    setup([freeModel]);
    expect(screen.getByRole('alert').textContent).toMatch(/No model on this server edits pictures/);
  });

  it('image to image: the strength slider and the prompt make the request', async () => {
    const { user, submit, onCreated } = setup();
    expect((screen.getByLabelText('Prompt') as HTMLTextAreaElement).value).toBe('a red fox');
    fireEvent.change(screen.getByLabelText(/Strength/), { target: { value: '0.8' } });
    expect(screen.getByText('Strength (0.80)')).toBeTruthy();
    await user.click(screen.getByRole('button', { name: 'Image to image' }));
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
    const [v, model] = submit.mock.calls[0];
    expect(toEditRequest(v, model, source.id)).toEqual({ task: 'image_to_image', model: 'procedural', source_image_id: 'src', count: 1, prompt: 'a red fox', strength: 0.8 });
  });

  it('variations ask for several pictures close to the source', async () => {
    const { user, submit } = setup();
    await user.click(screen.getByRole('radio', { name: 'Variations' }));
    expect((screen.getByLabelText('Number of variations') as HTMLSelectElement).value).toBe('4');
    await user.click(screen.getByRole('button', { name: 'Variations' }));
    const [v, model] = submit.mock.calls[0];
    expect(toEditRequest(v, model, source.id)).toMatchObject({ task: 'image_to_image', count: 4, strength: 0.35, prompt: 'a red fox' });
    await user.clear(screen.getByLabelText('Prompt'));
    await user.click(screen.getByRole('button', { name: 'Variations' }));
    expect(toEditRequest(submit.mock.calls[1][0], model, source.id)).not.toHaveProperty('prompt');
  });

  it('inpaint: refuses an empty mask, then sends the painted one; the canvas takes pointer and keys', async () => {
    const { user, submit } = setup();
    await user.click(screen.getByRole('radio', { name: 'Inpaint' }));
    await user.click(screen.getByRole('button', { name: 'Inpaint' }));
    expect(screen.getByRole('alert').textContent).toMatch(/Paint over the part/);
    expect(submit).not.toHaveBeenCalled();

    const canvas = screen.getByTestId('mask-canvas');
    expect(canvas.getAttribute('width')).toBe('64');
    fireEvent.pointerDown(canvas, { button: 0, pointerId: 1, clientX: 10, clientY: 10 });
    fireEvent.pointerMove(canvas, { pointerId: 1, clientX: 30, clientY: 10 });
    fireEvent.pointerUp(canvas, { pointerId: 1 });
    const undo = screen.getByRole('button', { name: 'Undo' }) as HTMLButtonElement;
    expect(undo.disabled).toBe(false);
    fireEvent.keyDown(canvas, { key: 'z', ctrlKey: true });
    expect(undo.disabled).toBe(true);
    fireEvent.keyDown(canvas, { key: 'y', ctrlKey: true });
    expect(undo.disabled).toBe(false);

    const size = screen.getByLabelText('Brush size') as HTMLInputElement;
    const before = Number(size.value);
    fireEvent.keyDown(canvas, { key: ']' });
    expect(Number(size.value)).toBe(before + 8);
    fireEvent.keyDown(canvas, { key: 'e' });
    expect(screen.getByRole('button', { name: 'Eraser' }).getAttribute('aria-pressed')).toBe('true');

    fireEvent.change(screen.getByLabelText('Mask blur (4 px)'), { target: { value: '10' } });
    await user.click(screen.getByRole('button', { name: 'Inpaint' }));
    const mask = submit.mock.calls[0][3];
    expect([mask.width, mask.height]).toEqual([64, 48]);
    expect(mask.pixels[10 * 64 + 20]).toBe(1);
    expect(toEditRequest(submit.mock.calls[0][0], submit.mock.calls[0][1], 'src', 'data:image/png;base64,AAAA')).toMatchObject({ task: 'inpaint', mask: 'data:image/png;base64,AAAA', prompt: 'a red fox', mask_blur: 10 });
  });

  it('remove background and upscale take no prompt', async () => {
    const { user, submit } = setup();
    await user.click(screen.getByRole('radio', { name: 'Upscale 2×' }));
    expect(screen.queryByLabelText('Prompt')).toBeNull();
    expect(screen.queryByLabelText(/Strength/)).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Upscale 2×' }));
    const [v, model] = submit.mock.calls[0];
    expect(toEditRequest(v, model, source.id)).toEqual({ task: 'upscale', model: 'procedural', source_image_id: 'src', count: 1 });
  });

  it('outpaint: the chosen sides and pixels size the new canvas', async () => {
    const { user, submit } = setup();
    await user.click(screen.getByRole('radio', { name: 'Outpaint' }));
    expect(screen.getByTestId('outpaint-size').textContent).toBe('64×48 becomes 192×48');
    await user.click(screen.getByRole('checkbox', { name: 'Left' }));
    fireEvent.change(screen.getByLabelText('Pixels on each side'), { target: { value: '64' } });
    expect(screen.getByTestId('outpaint-size').textContent).toBe('64×48 becomes 192×48');
    await user.click(screen.getByRole('checkbox', { name: 'Right' }));
    await user.click(screen.getByRole('checkbox', { name: 'Left' }));
    await user.click(screen.getByRole('button', { name: 'Outpaint' }));
    expect(screen.getByRole('alert').textContent).toMatch(/at least one side/);
    await user.click(screen.getByRole('checkbox', { name: 'Top' }));
    await user.click(screen.getByRole('button', { name: 'Outpaint' }));
    const [v, model] = submit.mock.calls[0];
    expect(toEditRequest(v, model, source.id)).toEqual({ task: 'outpaint', model: 'procedural', source_image_id: 'src', count: 1, prompt: 'a red fox', mask_blur: 4, outpaint: { top: 64 } });
  });
});

describe('The edit view in the app', () => {
  const server = (extra: Record<string, unknown> = {}) => fakeApi({
    'GET /auth/me': { user: alice },
    'GET /me/preferences': noPrefs,
    'GET /models': { items: [editor] },
    'GET /images/src': source,
    ...extra,
  });

  it('runs the job as Create does and compares the result with its source', async () => {
    const api = server({ 'POST /generations': generation({ id: 'g9' }) });
    openApp('/edit/src');
    await screen.findByRole('heading', { name: 'Edit' });
    fireEvent.click(screen.getByRole('button', { name: 'Image to image' }));
    await waitFor(() => expect(api.count('POST', '/generations')).toBe(1));
    expect(api.calls.find((c) => c.path === '/generations')!.body).toMatchObject({ task: 'image_to_image', source_image_id: 'src', strength: 0.5 });
    const es = await stream('/generations/events');
    const result = image('out', { source_image_id: 'src', task: 'image_to_image', width: 64, height: 48 });
    es.emit('status', generation({ id: 'g9', status: 'succeeded', progress: 1, queue_position: null, images: [result],
      params: { ...generation().params, task: 'image_to_image', source_image_id: 'src', strength: 0.5 } }));
    const compare = await screen.findByTestId('before-after');
    expect(within(compare).getByAltText('The source picture').getAttribute('src')).toBe('/api/v1/images/src/file');
    expect(within(compare).getByRole('slider', { name: /Before and after/ })).toBeTruthy();
  });

  it('an upload goes through POST /images and opens the stored picture to edit', async () => {
    const api = server({ 'POST /images': image('up', { origin: 'uploaded', task: 'upload', prompt: '' }), 'GET /images/up': image('up', { origin: 'uploaded', task: 'upload', prompt: '' }) });
    openApp('/edit');
    const picker = await screen.findByLabelText('Picture to upload');
    const file = new File([new Uint8Array([137, 80, 78, 71])], 'cat.png', { type: 'image/png' });
    fireEvent.change(picker, { target: { files: [file] } });
    await screen.findByText(/Uploaded picture · 512×512/);
    const sent = api.calls.find((c) => c.method === 'POST' && c.path === '/images')!.body as FormData;
    expect((sent.get('file') as File).name).toBe('cat.png');
    expect(sent.get('title')).toBe('cat');
  });

  it('a picture pasted anywhere on the page is uploaded', async () => {
    const api = server({ 'POST /images': image('up', { origin: 'uploaded', task: 'upload', prompt: '', title: 'image' }), 'GET /images/up': image('up', { origin: 'uploaded', task: 'upload', prompt: '', title: 'image' }) });
    openApp('/edit');
    await screen.findByTestId('drop-zone');
    const paste = new Event('paste', { bubbles: true, cancelable: true });
    Object.defineProperty(paste, 'clipboardData', { value: { files: [new File([new Uint8Array([137, 80, 78, 71])], 'image.png', { type: 'image/png' })] } });
    act(() => { window.dispatchEvent(paste); });
    await screen.findByText(/image · 512×512/);
    expect(paste.defaultPrevented).toBe(true);
    expect(api.count('POST', '/images')).toBe(1);
  });

  it('refuses what is not a picture before uploading', async () => {
    const api = server();
    openApp('/edit');
    fireEvent.drop(await screen.findByTestId('drop-zone'), { dataTransfer: { files: [new File(['x'], 'notes.txt', { type: 'text/plain' })] } });
    expect((await screen.findByRole('alert')).textContent).toMatch(/not a PNG, JPEG or WebP/);
    expect(api.count('POST', '/images')).toBe(0);
  });

  it('the image page links a result to its source and shows its edit parameters', async () => {
    server({ 'GET /images/out': image('out', { source_image_id: 'src', task: 'image_to_image', strength: 0.8 }) });
    openApp('/images/out');
    const link = await screen.findByRole('link', { name: 'a red fox' });
    expect(link.getAttribute('href')).toBe('/images/src');
    const params = screen.getByTestId('image-params');
    expect(within(params).getByText('Derived from')).toBeTruthy();
    expect(within(params).getByText('Image to image')).toBeTruthy();
    expect(within(params).getByText('0.8')).toBeTruthy();
    expect(within(screen.getByRole('main')).getByRole('link', { name: 'Edit' }).getAttribute('href')).toBe('/edit/out');
  });
});
