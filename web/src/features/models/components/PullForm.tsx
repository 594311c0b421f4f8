import { useState, type FormEvent } from 'react';
import type { ModelPull, ModelPullRequest } from '@/shared/api/types';
import { Alert, Button, Field, Input, Select } from '@/shared/ui/ui';
import { useFormErrors } from '@/shared/ui/revealErrors';
import { startPull } from '../api/library';
import { checkPullSource, isHubSource } from '../lib';

type Variant = NonNullable<ModelPullRequest['variant']>;

/** Starts a pull by Hub repository (`owner/name[@revision]`) or https URL of a .safetensors file. */
export function PullForm({ onStarted }: { onStarted: (p: ModelPull) => void }) {
  const [source, setSource] = useState('');
  const [variant, setVariant] = useState<Variant>('auto');
  const { formRef, errors, formError, clear, clearField, refuse, fail } = useFormErrors(['source', 'variant'] as const);
  const [busy, setBusy] = useState(false);
  const hub = isHubSource(source.trim());

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    clear();
    const s = source.trim();
    const problem = checkPullSource(s);
    if (problem) { refuse({ source: problem }); return; }
    setBusy(true);
    try {
      const request: ModelPullRequest = { source: s };
      if (hub && variant !== 'auto') request.variant = variant;
      onStarted(await startPull(request));
      setSource('');
    } catch (e) {
      fail(e);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="space-y-4" aria-label="Pull a model">
      <div className="grid gap-4 sm:grid-cols-[minmax(0,2fr)_minmax(0,1fr)]">
        <Field label="Hub repository or file URL" error={errors.source}
          hint="owner/name from the Hugging Face Hub, optionally @revision (e.g. stabilityai/sd-turbo), or an https URL of a .safetensors checkpoint.">
          {({ id, describedBy, invalid }) => (
            <Input id={id} name="source" value={source} placeholder="stabilityai/sd-turbo" autoComplete="off" spellCheck={false} autoCapitalize="none"
              aria-describedby={describedBy} invalid={invalid} onChange={(e) => { setSource(e.target.value); clearField('source'); }} />
          )}
        </Field>
        <Field label="Weights" error={errors.variant} hint={hub ? 'fp16 (half precision) is about half the download.' : 'A URL is one file: taken as it is.'}>
          {({ id, describedBy, invalid }) => (
            <Select id={id} name="variant" value={variant} disabled={!hub} aria-describedby={describedBy} invalid={invalid}
              onChange={(e) => setVariant(e.target.value as Variant)}>
              <option value="auto">Auto: fp16 if offered</option>
              <option value="fp16">fp16 only</option>
              <option value="full">Full precision</option>
            </Select>
          )}
        </Field>
      </div>
      {formError ? <div data-form-error><Alert>{formError}</Alert></div> : null}
      <Button type="submit" variant="primary" disabled={busy}>{busy ? 'Starting…' : 'Pull model'}</Button>
    </form>
  );
}
