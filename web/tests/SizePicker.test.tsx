import { describe, expect, it, vi } from 'vitest';
import { fireEvent, render, screen } from '@testing-library/react';
import { SizePicker } from '@/shared/models/SizePicker';
import { sizeAllowed, sizeChoices, sizeForRatio } from '@/shared/models/lib';
import { fixedModel, freeModel } from './fixtures';

describe('size choices follow the model', () => {
  it('offers aspect ratios whose sizes the model accepts, exact where possible', () => {
    const choices = sizeChoices(freeModel);
    expect(choices.map((c) => c.label)).toEqual(['1:1', '4:3', '3:4', '3:2', '2:3', '16:9', '9:16']);
    for (const c of choices) expect(sizeAllowed(freeModel, c.width, c.height)).toBe(true);
    expect(sizeForRatio(freeModel, { label: '16:9', w: 16, h: 9 })).toEqual({ width: 640, height: 360 });
  });

  it('offers only the fixed sizes of a fixed-size model', () => {
    expect(sizeChoices(fixedModel).map((c) => [c.width, c.height])).toEqual([[1024, 1024], [1152, 896], [896, 1152]]);
    expect(sizeAllowed(fixedModel, 512, 512)).toBe(false);
  });

  it('rejects sizes outside the range or off the step', () => {
    expect(sizeAllowed(freeModel, 13, 512)).toBe(false);
    expect(sizeAllowed(freeModel, 4096, 512)).toBe(false);
    expect(sizeAllowed(freeModel, 768, 512)).toBe(true);
  });
});

describe('SizePicker', () => {
  it('renders ratio presets and bounded inputs for a free-size model', () => {
    const onChange = vi.fn();
    render(<SizePicker model={freeModel} width={512} height={512} onChange={onChange} />);
    expect(screen.getByRole('button', { name: '1:1' }).getAttribute('aria-pressed')).toBe('true');
    fireEvent.click(screen.getByRole('button', { name: '16:9' }));
    expect(onChange).toHaveBeenLastCalledWith(640, 360);
    const width = screen.getByLabelText('Width') as HTMLInputElement;
    expect([width.min, width.max, width.step]).toEqual(['64', '2048', '8']);
  });

  it('warns about a typed size the model does not accept', () => {
    render(<SizePicker model={freeModel} width={13} height={512} onChange={() => undefined} />);
    expect(screen.getByTestId('size-hint').textContent).toMatch(/accepts 64–2048px, multiples of 8/);
    expect(screen.getByLabelText('Width').getAttribute('aria-invalid')).toBe('true');
  });

  it('is a select of the fixed sizes for a fixed-size model', () => {
    const onChange = vi.fn();
    render(<SizePicker model={fixedModel} width={1024} height={1024} onChange={onChange} />);
    const select = screen.getByLabelText('Size') as HTMLSelectElement;
    expect([...select.options].map((o) => o.textContent)).toEqual(['1024×1024', '1152×896', '896×1152']);
    expect(screen.queryByRole('group', { name: 'Aspect ratio' })).toBeNull();
    fireEvent.change(select, { target: { value: '896x1152' } });
    expect(onChange).toHaveBeenLastCalledWith(896, 1152);
  });

  it('shows an API error next to its field', () => {
    render(<SizePicker model={freeModel} width={512} height={512} onChange={() => undefined} errors={{ height: 'height must be a multiple of 8' }} />);
    const height = screen.getByLabelText('Height');
    const err = document.getElementById(height.getAttribute('aria-describedby')!)!;
    expect(err.textContent).toBe('height must be a multiple of 8');
  });
});
