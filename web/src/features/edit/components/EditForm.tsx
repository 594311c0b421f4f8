import { useId, useReducer, useRef, useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '@/shared/api/client';
import type { Generation, Image, Model } from '@/shared/api/types';
import { ModelDescription } from '@/shared/models/ModelDescription';
import { modelOptionLabel, styleLabel } from '@/shared/models/lib';
import { Alert, Button, Field, Select, Textarea, cx } from '@/shared/ui/ui';
import { useRevealErrors } from '@/shared/ui/revealErrors';
import { MaskModel } from '../lib/mask';
import {
  SIDES, choiceInfo, choicesFor, initialEditValues, modelsFor, needsPrompt, outpaintMargins, settingValue, settingsFor, stylePresetsFor,
  usesMask, usesPrompt, usesSearchPrompt, usesStrength, withChoice, withModel,
  type EditChoice, type EditValues, type Setting, type Side,
} from '../lib/tasks';
import { MaskEditor } from './MaskEditor';
import { StylePicker } from './StylePicker';

const PIXEL_CHOICES = [64, 128, 192, 256, 384, 512];
const PROMPT_HINT: Partial<Record<EditChoice, string>> = {
  inpaint: 'What goes where you painted.', outpaint: 'What the new area shows.', variation: 'Optional: the picture alone guides variations.',
  search_replace: 'What replaces it.', search_recolor: 'Its new colours.', style_transfer: 'Optional: what the result shows.',
};
const SIDE_LABEL: Record<Side, string> = { top: 'Top', right: 'Right', bottom: 'Bottom', left: 'Left' };

interface Props {
  source: Image;
  models: Model[];
  submit: (v: EditValues, model: Model, source: Image, mask: MaskModel) => Promise<Generation>;
  onCreated: (g: Generation) => void;
}

/** The picture and what to do with it: the task, its settings, and the mask or the outpaint frame. */
export function EditForm({ source, models, submit, onCreated }: Props) {
  const choices = choicesFor(models);
  const [v, setV] = useState<EditValues>(() => initialEditValues(models, source));
  const [mask] = useState(() => new MaskModel(source.width, source.height));
  const [, maskChanged] = useReducer((n: number) => n + 1, 0);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Counts failed submits: each one brings the error beside the button into view.
  const [failures, setFailures] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  useRevealErrors(formRef, failures);
  const descriptionId = useId();
  const formId = useId();
  const fit = modelsFor(v.choice, models);
  const model = fit.find((m) => m.id === v.model) ?? fit[0];
  const set = <K extends keyof EditValues>(k: K, val: EditValues[K]) => { setV((p) => ({ ...p, [k]: val })); setError(null); };
  const alt = source.title || source.prompt || 'The picture to edit';
  const presets = stylePresetsFor(model);

  function problem(): string | null {
    if (needsPrompt(v.choice, model) && !v.prompt.trim()) return 'Describe what the picture should show.';
    if (usesMask(v.choice) && mask.isEmpty()) return 'Paint over the part of the picture to change first.';
    if (usesSearchPrompt(v.choice) && !v.searchPrompt.trim()) return 'Name what to find in the picture.';
    if (v.choice === 'style_transfer' && !v.styleImageId) return 'Choose the picture whose style to apply.';
    if (v.choice === 'outpaint' && !SIDES.some((s) => v.sides[s])) return 'Choose at least one side to extend.';
    return null;
  }

  async function onSubmit(ev: FormEvent) {
    ev.preventDefault();
    const p = problem();
    setError(p);
    if (p) setFailures((n) => n + 1);
    if (p || !model) return;
    setBusy(true);
    try {
      onCreated(await submit(v, model, source, mask));
    } catch (e) {
      setError(e instanceof ApiError && e.field ? `${e.field}: ${e.message}` : errorMessage(e));
      setFailures((n) => n + 1);
    } finally {
      setBusy(false);
    }
  }

  if (choices.length === 0) return <Alert>No model on this server edits pictures.</Alert>;

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate aria-label="Edit image" className="grid gap-6 lg:grid-cols-[minmax(0,3fr)_minmax(0,2fr)]">
      <div className="self-start">
        {usesMask(v.choice) ? (
          <MaskEditor mask={mask} src={source.file_url} alt={alt} onChange={maskChanged} />
        ) : v.choice === 'outpaint' ? (
          <OutpaintFrame source={source} alt={alt} v={v} />
        ) : (
          <img src={source.file_url} alt={alt} width={source.width} height={source.height} className="h-auto w-full rounded-xl ring-1 ring-slate-200 dark:ring-slate-800" />
        )}
      </div>

      <div className="space-y-5">
        <fieldset>
          <legend className="mb-1.5 text-sm font-medium text-slate-700 dark:text-slate-300">Edit</legend>
          <div className="grid gap-2 sm:grid-cols-2">
            {choices.map((c) => (
              <label key={c.id} className={cx('flex cursor-pointer flex-col rounded-lg px-3 py-2 text-sm ring-1 ring-inset has-[:focus-visible]:outline has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-brand-500',
                v.choice === c.id ? 'bg-brand-50 ring-brand-500 dark:bg-brand-900/30' : 'ring-slate-300 dark:ring-slate-700')}>
                <span className="flex items-center gap-2 font-medium">
                  <input type="radio" name="choice" value={c.id} checked={v.choice === c.id} className="accent-brand-600"
                    aria-labelledby={`${formId}-${c.id}`} aria-describedby={`${formId}-${c.id}-hint`}
                    onChange={() => { setV((p) => withChoice(p, c.id, models)); setError(null); }} />
                  <span id={`${formId}-${c.id}`}>{c.label}</span>
                </span>
                <span id={`${formId}-${c.id}-hint`} className="mt-0.5 text-xs text-slate-600 dark:text-slate-400">{c.hint}</span>
              </label>
            ))}
          </div>
        </fieldset>

        <div className="space-y-3">
          <Field label="Model" hint={`Models that can do “${choiceInfo(v.choice).label}”.`}>
            {({ id, describedBy }) => (
              <Select id={id} name="model" value={model?.id ?? ''} aria-describedby={[describedBy, descriptionId].filter(Boolean).join(' ')}
                onChange={(e) => { const id = e.target.value; setV((p) => withModel(p, id)); setError(null); }}>
                {fit.map((m) => <option key={m.id} value={m.id}>{modelOptionLabel(m)}</option>)}
              </Select>
            )}
          </Field>
          {model ? <ModelDescription model={model} id={descriptionId} /> : null}
        </div>

        {usesSearchPrompt(v.choice) ? (
          <Field label="Find" hint="A few words naming the thing in the picture.">
            {({ id, describedBy }) => (
              <Textarea id={id} name="search_prompt" rows={1} value={v.searchPrompt} aria-describedby={describedBy} onChange={(e) => set('searchPrompt', e.target.value)} />
            )}
          </Field>
        ) : null}

        {v.choice === 'style_transfer' ? (
          <StylePicker sourceId={source.id} value={v.styleImageId} onChange={(id) => set('styleImageId', id)} />
        ) : null}

        {usesPrompt(v.choice, model) ? (
          <Field label="Prompt" hint={PROMPT_HINT[v.choice]}>
            {({ id, describedBy }) => (
              <Textarea id={id} name="prompt" rows={3} value={v.prompt} aria-describedby={describedBy} onChange={(e) => set('prompt', e.target.value)} />
            )}
          </Field>
        ) : null}

        {usesStrength(v.choice) ? (
          <Field label={`Strength (${v.strength.toFixed(2)})`} hint="0 keeps the picture as it is; 1 departs from it entirely.">
            {({ id, describedBy }) => (
              <input id={id} name="strength" type="range" min={0} max={1} step={0.05} value={v.strength} aria-describedby={describedBy}
                onChange={(e) => set('strength', Number(e.target.value))} className="w-full accent-brand-600" />
            )}
          </Field>
        ) : null}

        {presets.length > 0 ? (
          <Field label="Style preset" hint="A look the service gives the result; None leaves it to the prompt.">
            {({ id, describedBy }) => (
              <Select id={id} name="style_preset" value={v.stylePreset} aria-describedby={describedBy} onChange={(e) => set('stylePreset', e.target.value)}>
                <option value="">None</option>
                {presets.map((p) => <option key={p} value={p}>{styleLabel(p)}</option>)}
              </Select>
            )}
          </Field>
        ) : null}

        {settingsFor(v.choice, model).map((s) => (
          <SettingSlider key={s.key} setting={s} value={settingValue(v, s)} onChange={(n) => { setV((p) => ({ ...p, settings: { ...p.settings, [s.key]: n } })); setError(null); }} />
        ))}

        {v.choice === 'variation' && model ? (
          <Field label="Number of variations">
            {({ id }) => (
              <Select id={id} name="count" value={v.count} onChange={(e) => set('count', Number(e.target.value))}>
                {Array.from({ length: model.max_count }, (_, i) => i + 1).map((n) => <option key={n} value={n}>{n}</option>)}
              </Select>
            )}
          </Field>
        ) : null}

        {v.choice === 'outpaint' ? (
          <fieldset className="space-y-3">
            <legend className="mb-1.5 text-sm font-medium text-slate-700 dark:text-slate-300">Extend on</legend>
            <div className="flex flex-wrap gap-4">
              {SIDES.map((s) => (
                <label key={s} className="inline-flex items-center gap-1.5 text-sm">
                  <input type="checkbox" checked={v.sides[s]} onChange={(e) => set('sides', { ...v.sides, [s]: e.target.checked })} className="accent-brand-600" />
                  {SIDE_LABEL[s]}
                </label>
              ))}
            </div>
            <Field label="Pixels on each side">
              {({ id }) => (
                <Select id={id} name="pixels" value={v.pixels} onChange={(e) => set('pixels', Number(e.target.value))}>
                  {PIXEL_CHOICES.map((n) => <option key={n} value={n}>{n}</option>)}
                </Select>
              )}
            </Field>
          </fieldset>
        ) : null}

        {error ? <div data-form-error><Alert>{error}</Alert></div> : null}
        <Button type="submit" variant="primary" className="w-full py-3 text-base" disabled={busy || !model}>
          {busy ? 'Starting…' : choiceInfo(v.choice).label}
        </Button>
      </div>
    </form>
  );
}

/** One of the model's settings as a slider over its range, its value in the label. */
function SettingSlider({ setting: s, value, onChange }: { setting: Setting; value: number; onChange: (n: number) => void }) {
  const shown = s.pixels ? `${value} px` : value.toFixed(2);
  return (
    <Field label={`${s.label} (${shown})`} hint={s.hint}>
      {({ id, describedBy }) => (
        <input id={id} name={s.key} type="range" min={s.min} max={s.max} step={s.pixels ? 1 : 0.05} value={value} aria-describedby={describedBy}
          onChange={(e) => onChange(Number(e.target.value))} className="w-full accent-brand-600" />
      )}
    </Field>
  );
}

/** The picture inside the frame it will fill once extended; the new area is striped. */
function OutpaintFrame({ source, alt, v }: { source: Image; alt: string; v: EditValues }) {
  const m = outpaintMargins(v);
  const W = source.width + m.left + m.right;
  const H = source.height + m.top + m.bottom;
  return (
    <figure className="space-y-2">
      <div className="relative w-full overflow-hidden rounded-xl bg-[repeating-linear-gradient(45deg,theme(colors.slate.200)_0_8px,theme(colors.slate.100)_8px_16px)] ring-1 ring-slate-300 dark:bg-[repeating-linear-gradient(45deg,theme(colors.slate.800)_0_8px,theme(colors.slate.900)_8px_16px)] dark:ring-slate-700"
        style={{ aspectRatio: `${W} / ${H}` }}>
        <img src={source.file_url} alt={alt} className="absolute"
          style={{ left: `${(m.left / W) * 100}%`, top: `${(m.top / H) * 100}%`, width: `${(source.width / W) * 100}%`, height: `${(source.height / H) * 100}%` }} />
      </div>
      <figcaption className="text-xs text-slate-600 dark:text-slate-400" data-testid="outpaint-size">{source.width}×{source.height} becomes {W}×{H}</figcaption>
    </figure>
  );
}
