import { useId, useState, type FormEvent } from 'react';
import type { Generation, GenerationRequest, Model, Preferences } from '@/shared/api/types';
import { Alert, Button, Field, Input, Select, Textarea, cx } from '@/shared/ui/ui';
import { ModelDescription } from '@/shared/models/ModelDescription';
import { describeCapabilities, modelOptionLabel, styleLabel } from '@/shared/models/lib';
import type { Prefill } from '@/shared/lib/prefill';
import { useFormErrors } from '@/shared/ui/revealErrors';
import { adaptToModel, formProblems, initialValues, toRequest, type CreateValues } from '../lib';
import { SizePicker } from '@/shared/models/SizePicker';

type FieldName = keyof CreateValues | 'seed';
const KNOWN_FIELDS: FieldName[] = ['prompt', 'negative_prompt', 'model', 'style', 'width', 'height', 'count', 'seed', 'steps', 'cfg_scale', 'loras'];
const clearSize = ['width', 'height'] as const;

interface Props {
  models: Model[];
  prefs?: Preferences;
  prefill?: Prefill;
  lastSeed: number | null;
  submit: (r: GenerationRequest) => Promise<Generation>;
  onCreated: (g: Generation) => void;
}

export function CreateForm({ models, prefs, prefill, lastSeed, submit, onCreated }: Props) {
  const [v, setV] = useState<CreateValues>(() => initialValues(models, prefs, prefill));
  const { formRef, errors, formError, clear, clearField, refuse, fail } = useFormErrors(KNOWN_FIELDS);
  const [busy, setBusy] = useState(false);
  const [advanced, setAdvanced] = useState(false);
  const descriptionId = useId();
  const blockedId = useId();
  const model = models.find((m) => m.id === v.model) ?? models[0];
  const set = <K extends keyof CreateValues>(k: K, val: CreateValues[K]) => {
    setV((p) => ({ ...p, [k]: val }));
    clearField(k);
  };
  const tooLong = v.prompt.length > model.max_prompt_length;
  // Checked as the user types: Generate stays disabled, with the reason beside it, until they are fixed.
  const problems = formProblems(v, model);
  const blockedBy = Object.values(problems)[0];
  const shown = { ...problems, ...Object.fromEntries(Object.entries(errors).filter(([, e]) => e)) } as Partial<Record<FieldName, string>>;

  async function onSubmit(ev: FormEvent) {
    ev.preventDefault();
    clear();
    // Refused here: the fields say why (the blocked ones already do), the first gets the focus.
    if (!v.prompt.trim() || blockedBy) { refuse(v.prompt.trim() ? {} : { prompt: 'Describe the image you want.' }); return; }
    setBusy(true);
    try {
      onCreated(await submit(toRequest(v, model)));
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} onSubmit={onSubmit} noValidate className="space-y-5" aria-label="Create images">
      <Field label="Prompt" error={shown.prompt}
        labelAside={<span className={cx('text-xs tabular-nums', tooLong ? 'font-semibold text-rose-700 dark:text-rose-400' : 'text-slate-600 dark:text-slate-400')} data-testid="prompt-count">{v.prompt.length} / {model.max_prompt_length}</span>}>
        {({ id, describedBy, invalid }) => (
          <Textarea id={id} name="prompt" rows={4} value={v.prompt} placeholder="A red fox at sunset over snowy mountains, watercolor"
            aria-describedby={describedBy} invalid={invalid} onChange={(e) => set('prompt', e.target.value)}
            onKeyDown={(e) => { if (e.key === 'Enter' && (e.metaKey || e.ctrlKey)) { e.preventDefault(); e.currentTarget.form?.requestSubmit(); } }} />
        )}
      </Field>

      {model.negative_prompt ? (
        <Field label="Negative prompt" error={shown.negative_prompt} hint="Things to leave out of the picture.">
          {({ id, describedBy, invalid }) => (
            <Textarea id={id} name="negative_prompt" rows={2} value={v.negative_prompt} placeholder="blurry, text, watermark"
              aria-describedby={describedBy} invalid={invalid} onChange={(e) => set('negative_prompt', e.target.value)} />
          )}
        </Field>
      ) : null}

      <div className="space-y-3">
        <Field label="Model" error={errors.model} hint={<span data-testid="model-caps">{describeCapabilities(model).join(' · ')}</span>}>
          {({ id, describedBy, invalid }) => (
            <Select id={id} name="model" value={v.model} aria-describedby={[describedBy, descriptionId].filter(Boolean).join(' ')} invalid={invalid}
              onChange={(e) => { const m = models.find((x) => x.id === e.target.value); if (m) { setV((p) => adaptToModel(p, m)); clear(); } }}>
              {models.map((m) => <option key={m.id} value={m.id}>{modelOptionLabel(m)}</option>)}
            </Select>
          )}
        </Field>
        <ModelDescription model={model} id={descriptionId} />
      </div>

      {model.loras.length > 0 ? (
        <fieldset data-testid="loras">
          <legend className="mb-1.5 text-sm font-medium text-slate-700 dark:text-slate-300">LoRAs</legend>
          <p className="mb-2 text-xs text-slate-600 dark:text-slate-400">
            Merged into the model for this generation; <code>&lt;lora:name:0.8&gt;</code> in the prompt does the same.
          </p>
          <ul className="space-y-2">
            {model.loras.map((lora) => {
              const chosen = v.loras.find((l) => l.name === lora.name);
              return (
                <li key={lora.name} className="flex flex-wrap items-center gap-3">
                  <label className="inline-flex min-w-0 items-center gap-1.5 text-sm [overflow-wrap:anywhere]">
                    <input type="checkbox" checked={Boolean(chosen)} className="accent-brand-600"
                      onChange={(e) => set('loras', e.target.checked
                        ? [...v.loras, { name: lora.name, weight: 1 }]
                        : v.loras.filter((l) => l.name !== lora.name))} />
                    {lora.name}
                  </label>
                  {chosen ? (
                    <label className="inline-flex items-center gap-1.5 text-sm">
                      Weight<span className="sr-only"> of {lora.name}</span>
                      <Input type="number" min={-4} max={4} step={0.05} className="w-24" value={Number.isFinite(chosen.weight) ? chosen.weight : ''}
                        invalid={!(Number.isFinite(chosen.weight) && Math.abs(chosen.weight) <= 4)}
                        onChange={(e) => set('loras', v.loras.map((l) => l.name === lora.name ? { ...l, weight: e.target.valueAsNumber } : l))} />
                    </label>
                  ) : null}
                </li>
              );
            })}
          </ul>
          {shown.loras ? <p role="alert" className="mt-1.5 text-sm text-rose-700 dark:text-rose-400">{shown.loras}</p> : null}
        </fieldset>
      ) : null}

      <SizePicker model={model} width={v.width} height={v.height} errors={{ width: errors.width, height: errors.height }}
        onChange={(w, h) => { setV((p) => ({ ...p, width: w, height: h })); clearSize.forEach(clearField); }} />

      <div className="grid gap-5 sm:grid-cols-2">
        <Field label="Style" error={errors.style}>
          {({ id, describedBy, invalid }) => (
            <Select id={id} name="style" value={v.style} aria-describedby={describedBy} invalid={invalid} disabled={model.styles.length === 0}
              onChange={(e) => set('style', e.target.value)}>
              <option value="">None</option>
              {model.styles.map((s) => <option key={s} value={s}>{styleLabel(s)}</option>)}
            </Select>
          )}
        </Field>
        <Field label="Number of images" error={errors.count}>
          {({ id, describedBy, invalid }) => (
            <Select id={id} name="count" value={v.count} aria-describedby={describedBy} invalid={invalid} onChange={(e) => set('count', Number(e.target.value))}>
              {Array.from({ length: model.max_count }, (_, i) => i + 1).map((n) => <option key={n} value={n}>{n}</option>)}
            </Select>
          )}
        </Field>
        <fieldset>
          <legend className="mb-1.5 text-sm font-medium text-slate-700 dark:text-slate-300">Seed</legend>
          <div className="flex flex-wrap items-center gap-3">
            <label className="inline-flex items-center gap-1.5 text-sm">
              <input type="radio" name="seedMode" value="random" checked={v.seedMode === 'random'} onChange={() => set('seedMode', 'random')} className="accent-brand-600" />
              Random
            </label>
            <label className="inline-flex items-center gap-1.5 text-sm">
              <input type="radio" name="seedMode" value="fixed" checked={v.seedMode === 'fixed'} onChange={() => set('seedMode', 'fixed')} className="accent-brand-600" />
              Fixed
            </label>
            <Button size="sm" variant="ghost" disabled={lastSeed === null} title={lastSeed === null ? 'No generation yet' : `Seed ${lastSeed}`}
              onClick={() => { if (lastSeed !== null) { setV((p) => ({ ...p, seedMode: 'fixed', seed: lastSeed })); clearField('seed'); } }}>
              ↺ Reuse last seed
            </Button>
          </div>
          {v.seedMode === 'fixed' ? (
            <Field label="Seed value" error={shown.seed} className="mt-2">
              {({ id, describedBy, invalid }) => (
                <Input id={id} name="seed" type="number" min={0} max={4294967295} value={Number.isFinite(v.seed) ? v.seed : ''}
                  aria-describedby={describedBy} invalid={invalid} onChange={(e) => set('seed', e.target.valueAsNumber)} />
              )}
            </Field>
          ) : errors.seed ? <p role="alert" className="mt-1.5 text-sm text-rose-700 dark:text-rose-400">{errors.seed}</p> : null}
        </fieldset>
      </div>

      {model.steps || model.cfg_scale ? (
        <div className="rounded-xl ring-1 ring-slate-200 dark:ring-slate-800">
          <button type="button" aria-expanded={advanced} aria-controls="advanced-settings" onClick={() => setAdvanced((a) => !a)}
            className="flex w-full items-center justify-between rounded-xl px-4 py-3 text-left text-sm font-medium focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500">
            Advanced settings
            <span aria-hidden="true" className={cx('transition-transform', advanced && 'rotate-180')}>▾</span>
          </button>
          {advanced || shown.steps || shown.cfg_scale ? (
            <div id="advanced-settings" className="grid gap-5 border-t border-slate-200 px-4 py-4 dark:border-slate-800 sm:grid-cols-2">
              {model.steps ? (
                <Field label={`Steps (${model.steps.min}–${model.steps.max})`} error={shown.steps}>
                  {({ id, describedBy, invalid }) => (
                    <div className="flex items-center gap-3">
                      <input type="range" aria-label="Steps slider" min={model.steps!.min} max={model.steps!.max} value={v.steps} onChange={(e) => set('steps', Number(e.target.value))} className="w-full accent-brand-600" />
                      <Input id={id} name="steps" type="number" className="w-20" min={model.steps!.min} max={model.steps!.max} value={Number.isFinite(v.steps) ? v.steps : ''}
                        aria-describedby={describedBy} invalid={invalid} onChange={(e) => set('steps', e.target.valueAsNumber)} />
                    </div>
                  )}
                </Field>
              ) : null}
              {model.cfg_scale ? (
                <Field label={`CFG scale (${model.cfg_scale.min}–${model.cfg_scale.max})`} error={shown.cfg_scale}>
                  {({ id, describedBy, invalid }) => (
                    <div className="flex items-center gap-3">
                      <input type="range" aria-label="CFG scale slider" min={model.cfg_scale!.min} max={model.cfg_scale!.max} step={0.5} value={v.cfg_scale} onChange={(e) => set('cfg_scale', Number(e.target.value))} className="w-full accent-brand-600" />
                      <Input id={id} name="cfg_scale" type="number" className="w-20" step={0.5} min={model.cfg_scale!.min} max={model.cfg_scale!.max} value={Number.isFinite(v.cfg_scale) ? v.cfg_scale : ''}
                        aria-describedby={describedBy} invalid={invalid} onChange={(e) => set('cfg_scale', e.target.valueAsNumber)} />
                    </div>
                  )}
                </Field>
              ) : null}
            </div>
          ) : null}
        </div>
      ) : null}

      {formError ? <div data-form-error><Alert>{formError}</Alert></div> : null}
      {blockedBy ? <p id={blockedId} className="text-sm text-rose-700 dark:text-rose-400" data-testid="generate-blocked">Fix this to generate: {blockedBy}</p> : null}
      <Button type="submit" variant="primary" className="w-full py-3 text-base" disabled={busy || Boolean(blockedBy)} aria-describedby={blockedBy ? blockedId : undefined}>
        {busy ? 'Queuing…' : `Generate ${v.count > 1 ? `${v.count} images` : 'image'}`}
      </Button>
      <p className="text-center text-xs text-slate-600 dark:text-slate-400">Tip: press Ctrl+Enter in the prompt to generate.</p>
    </form>
  );
}
