import type { Model } from '@/shared/api/types';
import { Field, Input, Select, cx } from '@/shared/ui/ui';
import { sizeAllowed, sizeChoices } from '@/shared/models/lib';

interface Props {
  model: Model;
  width: number;
  height: number;
  onChange: (width: number, height: number) => void;
  errors?: { width?: string; height?: string };
}

/**
 * Offers only what the model allows: its fixed sizes, or aspect-ratio presets plus free width and
 * height inputs bounded by its range and step. Typed values outside the range are sent as typed so
 * the API's field error shows; a local hint warns first.
 */
export function SizePicker({ model, width, height, onChange, errors = {} }: Props) {
  const choices = sizeChoices(model);
  const fixedOnly = !model.sizes;
  const current = `${width}x${height}`;

  if (fixedOnly) {
    return (
      <Field label="Size" error={errors.width ?? errors.height}>
        {({ id, describedBy, invalid }) => (
          <Select id={id} value={current} aria-describedby={describedBy} invalid={invalid}
            onChange={(e) => { const [w, h] = e.target.value.split('x').map(Number); onChange(w, h); }}>
            {!choices.some((c) => `${c.width}x${c.height}` === current) ? <option value={current}>{width}×{height} (not offered)</option> : null}
            {choices.map((c) => <option key={c.label} value={`${c.width}x${c.height}`}>{c.label}</option>)}
          </Select>
        )}
      </Field>
    );
  }

  const r = model.sizes!;
  const allowed = sizeAllowed(model, width, height);
  const rangeHint = `${r.min}–${r.max}px, multiples of ${r.multiple}`;
  return (
    <fieldset className="space-y-3">
      <legend className="mb-1.5 text-sm font-medium text-slate-700 dark:text-slate-300">Aspect ratio</legend>
      <div className="flex flex-wrap gap-2" role="group" aria-label="Aspect ratio">
        {choices.map((c) => {
          const selected = c.width === width && c.height === height;
          return (
            <button key={c.label} type="button" aria-pressed={selected}
              title={`${c.width}×${c.height}`}
              onClick={() => onChange(c.width, c.height)}
              className={cx('flex min-w-[3.5rem] flex-col items-center gap-1 rounded-lg px-2.5 py-2 text-xs font-medium ring-1 ring-inset transition-colors focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500',
                selected ? 'bg-brand-50 text-brand-700 ring-brand-500 dark:bg-brand-900/40 dark:text-brand-200' : 'bg-white text-slate-700 ring-slate-300 hover:bg-slate-50 dark:bg-slate-900 dark:text-slate-300 dark:ring-slate-700 dark:hover:bg-slate-800')}>
              <span aria-hidden="true" className="rounded-sm border-2 border-current" style={{ width: `${(18 * c.width) / Math.max(c.width, c.height)}px`, height: `${(18 * c.height) / Math.max(c.width, c.height)}px` }} />
              {c.label}
            </button>
          );
        })}
      </div>
      <div className="grid grid-cols-2 gap-3">
        <Field label="Width" error={errors.width}>
          {({ id, describedBy, invalid }) => (
            <Input id={id} name="width" type="number" inputMode="numeric" min={r.min} max={r.max} step={r.multiple} value={Number.isFinite(width) ? width : ''}
              aria-describedby={describedBy} invalid={invalid || !allowed} onChange={(e) => onChange(e.target.valueAsNumber, height)} />
          )}
        </Field>
        <Field label="Height" error={errors.height}>
          {({ id, describedBy, invalid }) => (
            <Input id={id} name="height" type="number" inputMode="numeric" min={r.min} max={r.max} step={r.multiple} value={Number.isFinite(height) ? height : ''}
              aria-describedby={describedBy} invalid={invalid || !allowed} onChange={(e) => onChange(width, e.target.valueAsNumber)} />
          )}
        </Field>
      </div>
      <p className={cx('text-xs', allowed ? 'text-slate-500 dark:text-slate-400' : 'text-amber-700 dark:text-amber-400')} data-testid="size-hint">
        {allowed ? `${width}×${height} · ${rangeHint}` : `This model accepts ${rangeHint}.`}
      </p>
    </fieldset>
  );
}
