import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ApiError } from '@/shared/api/client';
import type { GenerationRequest } from '@/shared/api/types';
import { CreateForm } from '@/features/create/components/CreateForm';
import { fixedModel, freeModel, generation, noPrefs } from './fixtures';

function setup(opts: { submit?: (r: GenerationRequest) => Promise<never> | ReturnType<typeof Promise.resolve>; prefs?: typeof noPrefs; lastSeed?: number | null } = {}) {
  const submit = vi.fn(opts.submit ?? (async () => generation()));
  const onCreated = vi.fn();
  render(<CreateForm models={[freeModel, fixedModel]} prefs={opts.prefs ?? noPrefs} lastSeed={opts.lastSeed ?? null} submit={submit as never} onCreated={onCreated} />);
  return { submit, onCreated, user: userEvent.setup() };
}

function errorOf(control: HTMLElement): string | undefined {
  const ids = (control.getAttribute('aria-describedby') ?? '').split(' ');
  return ids.map((id) => document.getElementById(id)).find((el) => el?.hasAttribute('data-field-error'))?.textContent ?? undefined;
}

describe('CreateForm', () => {
  it('takes its defaults from the preferences', () => {
    setup({ prefs: { ...noPrefs, style: 'watercolor', width: 768, height: 512, negative_prompt: 'blurry' } });
    expect((screen.getByLabelText('Style') as HTMLSelectElement).value).toBe('watercolor');
    expect((screen.getByLabelText('Width') as HTMLInputElement).value).toBe('768');
    expect((screen.getByLabelText('Height') as HTMLInputElement).value).toBe('512');
    expect((screen.getByLabelText('Negative prompt') as HTMLTextAreaElement).value).toBe('blurry');
  });

  it('sends only what the model understands, with a fixed seed when asked', async () => {
    const { user, submit, onCreated } = setup({ lastSeed: 1234 });
    await user.type(screen.getByLabelText('Prompt'), 'a fox');
    await user.click(screen.getByRole('button', { name: /Reuse last seed/ }));
    expect((screen.getByLabelText('Seed value') as HTMLInputElement).value).toBe('1234');
    await user.click(screen.getByRole('button', { name: /Generate/ }));
    expect(submit).toHaveBeenCalledWith({ prompt: 'a fox', model: 'procedural', width: 512, height: 512, count: 1, seed: 1234, steps: 20, cfg_scale: 7 });
    await waitFor(() => expect(onCreated).toHaveBeenCalled());
  });

  it('limits the form to the chosen model', async () => {
    const { user, submit } = setup();
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'cloud-xl' } });
    expect(screen.queryByLabelText('Negative prompt')).toBeNull();
    expect(screen.queryByRole('button', { name: 'Advanced settings' })).toBeNull();
    expect([...(screen.getByLabelText('Number of images') as HTMLSelectElement).options].map((o) => o.value)).toEqual(['1', '2']);
    expect(screen.getByTestId('model-caps').textContent).toMatch(/3 fixed sizes · up to 2 images/);
    await user.type(screen.getByLabelText('Prompt'), 'a fox');
    await user.click(screen.getByRole('button', { name: /Generate/ }));
    expect(submit).toHaveBeenCalledWith({ prompt: 'a fox', model: 'cloud-xl', width: 1024, height: 1024, count: 1 });
  });

  it('offers the model\'s LoRAs, each with a weight, and drops them for a model without them', async () => {
    const submit = vi.fn(async () => generation());
    const local = { ...freeModel, id: 'tiny-sd1', kind: 'local' as const, loras: [{ name: 'ink-wash', hash: '0123456789ab' }, { name: 'grain', hash: 'ba9876543210' }] };
    render(<CreateForm models={[local, fixedModel]} prefs={noPrefs} lastSeed={null} submit={submit as never} onCreated={vi.fn()} />);
    const user = userEvent.setup();
    await user.type(screen.getByLabelText('Prompt'), 'a fox');
    await user.click(screen.getByLabelText('ink-wash'));
    fireEvent.change(screen.getByLabelText('Weight of ink-wash'), { target: { value: '0.6' } });
    await user.click(screen.getByRole('button', { name: /Generate/ }));
    expect(submit).toHaveBeenLastCalledWith(expect.objectContaining({ model: 'tiny-sd1', loras: [{ name: 'ink-wash', weight: 0.6 }] }));
    fireEvent.change(screen.getByLabelText('Model'), { target: { value: 'cloud-xl' } });
    expect(screen.queryByTestId('loras')).toBeNull();
    await user.click(screen.getByRole('button', { name: /Generate/ }));
    expect(submit).toHaveBeenLastCalledWith({ prompt: 'a fox', model: 'cloud-xl', width: 1024, height: 1024, count: 1 });
  });

  it('shows an API validation error next to the field it names', async () => {
    const { user } = setup({ submit: async () => { throw new ApiError(400, 'invalid_argument', 'size 13x512 is not allowed', 'width'); } });
    await user.type(screen.getByLabelText('Prompt'), 'a fox');
    fireEvent.change(screen.getByLabelText('Width'), { target: { value: '13' } });
    await user.click(screen.getByRole('button', { name: /Generate/ }));
    await waitFor(() => expect(errorOf(screen.getByLabelText('Width'))).toBe('size 13x512 is not allowed'));
    expect(errorOf(screen.getByLabelText('Prompt'))).toBeUndefined();
  });

  it('shows an error without a field right before the Generate button', async () => {
    const { user } = setup({ submit: async () => { throw new ApiError(503, 'unavailable', 'database unreachable'); } });
    await user.type(screen.getByLabelText('Prompt'), 'a fox');
    await user.click(screen.getByRole('button', { name: /Generate/ }));
    await waitFor(() => expect(screen.getByRole('alert').textContent).toBe('database unreachable'));
    const holder = screen.getByRole('alert').closest('[data-form-error]');
    expect(holder?.nextElementSibling).toBe(screen.getByRole('button', { name: /Generate/ }));
  });

  it('keeps Generate disabled while the form cannot be sent, and says why beside it', async () => {
    const { user, submit } = setup();
    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'x'.repeat(2001) } });
    const generate = screen.getByRole('button', { name: /Generate/ });
    expect(generate).toHaveProperty('disabled', true);
    const reason = screen.getByTestId('generate-blocked');
    expect(reason.textContent).toMatch(/longer than the 2000 characters/);
    expect(generate.getAttribute('aria-describedby')).toBe(reason.id);
    expect(errorOf(screen.getByLabelText('Prompt'))).toMatch(/longer than the 2000 characters/);
    fireEvent.submit(generate.closest('form')!);
    expect(submit).not.toHaveBeenCalled();
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Prompt')));

    fireEvent.change(screen.getByLabelText('Prompt'), { target: { value: 'a fox' } });
    await user.click(screen.getByRole('radio', { name: 'Fixed' }));
    fireEvent.change(screen.getByLabelText('Seed value'), { target: { value: '-3' } });
    expect(screen.getByTestId('generate-blocked').textContent).toMatch(/seed/i);
    expect(screen.getByRole('button', { name: /Generate/ })).toHaveProperty('disabled', true);
    fireEvent.change(screen.getByLabelText('Seed value'), { target: { value: '3' } });
    expect(screen.queryByTestId('generate-blocked')).toBeNull();
    expect(screen.getByRole('button', { name: /Generate/ })).toHaveProperty('disabled', false);
  });

  it('moves the focus to the first field the server refused', async () => {
    const { user } = setup({ submit: async () => { throw new ApiError(400, 'invalid_argument', 'size 13x512 is not allowed', 'width'); } });
    await user.type(screen.getByLabelText('Prompt'), 'a fox');
    await user.click(screen.getByRole('button', { name: /Generate/ }));
    await waitFor(() => expect(document.activeElement).toBe(screen.getByLabelText('Width')));
  });

  it('asks for a prompt before calling the API and counts characters', async () => {
    const { user, submit } = setup();
    await user.click(screen.getByRole('button', { name: /Generate/ }));
    expect(submit).not.toHaveBeenCalled();
    expect(errorOf(screen.getByLabelText('Prompt'))).toMatch(/Describe the image/);
    expect(document.activeElement).toBe(screen.getByLabelText('Prompt'));
    await user.type(screen.getByLabelText('Prompt'), 'abc');
    expect(screen.getByTestId('prompt-count').textContent).toBe('3 / 2000');
  });
});
