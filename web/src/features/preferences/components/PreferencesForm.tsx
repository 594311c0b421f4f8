import { useState, type FormEvent } from 'react';
import type { Model, Preferences } from '@/shared/api/types';
import { applyTheme, type Theme } from '@/shared/lib/theme';
import { Alert, Button, Card, Field, Select, Textarea, cx } from '@/shared/ui/ui';
import { useFormErrors } from '@/shared/ui/revealErrors';
import { SizePicker } from '@/shared/models/SizePicker';
import { modelOptionLabel, styleLabel } from '@/shared/models/lib';

const FIELDS = ['model', 'style', 'width', 'height', 'negative_prompt', 'theme'] as const;

export function PreferencesForm({ models, initial, save }: { models: Model[]; initial: Preferences; save: (p: Preferences) => Promise<Preferences> }) {
  const [p, setP] = useState<Preferences>(initial);
  const { formRef, errors, formError, clear, fail } = useFormErrors(FIELDS);
  const [saved, setSaved] = useState(false);
  const [busy, setBusy] = useState(false);
  const model = models.find((m) => m.id === p.model) ?? models[0];
  const useModelSize = !p.width || !p.height;

  async function onSubmit(ev: FormEvent) {
    ev.preventDefault();
    clear();
    setSaved(false);
    setBusy(true);
    try {
      const stored = await save(p);
      setP(stored);
      applyTheme(stored.theme);
      setSaved(true);
    } catch (e) {
      fail(e);
    } finally { setBusy(false); }
  }

  return (
    <Card>
      <h2 className="text-lg font-semibold">Preferences</h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">Defaults for new generations, and how the app looks.</p>
      <form ref={formRef} onSubmit={onSubmit} noValidate className="mt-5 space-y-5" aria-label="Preferences">
        <div className="grid gap-5 sm:grid-cols-2">
          <Field label="Default model" error={errors.model}>
            {({ id, describedBy, invalid }) => (
              <Select id={id} name="pref-model" value={p.model} aria-describedby={describedBy} invalid={invalid}
                onChange={(e) => setP((x) => ({ ...x, model: e.target.value, style: '', width: 0, height: 0 }))}>
                <option value="">Server default</option>
                {models.map((m) => <option key={m.id} value={m.id}>{modelOptionLabel(m)}</option>)}
              </Select>
            )}
          </Field>
          <Field label="Default style" error={errors.style}>
            {({ id, describedBy, invalid }) => (
              <Select id={id} name="pref-style" value={p.style} aria-describedby={describedBy} invalid={invalid} onChange={(e) => setP((x) => ({ ...x, style: e.target.value }))}>
                <option value="">None</option>
                {model.styles.map((s) => <option key={s} value={s}>{styleLabel(s)}</option>)}
              </Select>
            )}
          </Field>
        </div>
        <div>
          <label className="mb-3 inline-flex items-center gap-2 text-sm">
            <input type="checkbox" className="h-4 w-4 accent-brand-600" checked={useModelSize}
              onChange={(e) => setP((x) => (e.target.checked ? { ...x, width: 0, height: 0 } : { ...x, width: model.default_size.width, height: model.default_size.height }))} />
            Use the model’s default size
          </label>
          {!useModelSize ? (
            <SizePicker model={model} width={p.width} height={p.height} errors={{ width: errors.width, height: errors.height }}
              onChange={(w, h) => setP((x) => ({ ...x, width: w, height: h }))} />
          ) : null}
        </div>
        <Field label="Default negative prompt" error={errors.negative_prompt}>
          {({ id, describedBy, invalid }) => (
            <Textarea id={id} name="pref-negative" rows={2} value={p.negative_prompt} aria-describedby={describedBy} invalid={invalid}
              onChange={(e) => setP((x) => ({ ...x, negative_prompt: e.target.value }))} />
          )}
        </Field>
        <fieldset>
          <legend className="mb-1.5 text-sm font-medium text-slate-700 dark:text-slate-300">Theme</legend>
          <div className="inline-flex rounded-lg bg-slate-100 p-1 dark:bg-slate-800">
            {(['light', 'dark', 'system'] as Theme[]).map((t) => (
              <label key={t} className={cx('cursor-pointer rounded-md px-3 py-1.5 text-sm font-medium capitalize focus-within:outline focus-within:outline-2 focus-within:outline-brand-500',
                p.theme === t ? 'bg-white text-slate-900 shadow dark:bg-slate-950 dark:text-white' : 'text-slate-600 dark:text-slate-300')}>
                <input type="radio" name="theme" value={t} checked={p.theme === t} className="sr-only"
                  onChange={() => { setP((x) => ({ ...x, theme: t })); applyTheme(t); }} />
                {t}
              </label>
            ))}
          </div>
          {errors.theme ? <p role="alert" className="mt-1.5 text-sm text-rose-700 dark:text-rose-400">{errors.theme}</p> : null}
        </fieldset>
        {formError ? <div data-form-error><Alert>{formError}</Alert></div> : null}
        <div className="flex items-center gap-3">
          <Button type="submit" variant="primary" disabled={busy}>{busy ? 'Saving…' : 'Save preferences'}</Button>
          {saved ? <span role="status" className="text-sm text-emerald-700 dark:text-emerald-400">Saved</span> : null}
        </div>
      </form>
    </Card>
  );
}
