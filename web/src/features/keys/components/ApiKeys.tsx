import { useRef, useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '@/shared/api/client';
import type { ApiKeyWithSecret } from '@/shared/api/types';
import { formatDate } from '@/shared/lib/format';
import { useAsync } from '@/shared/lib/useAsync';
import { ShownOnce } from '@/shared/ui/ShownOnce';
import { Alert, Button, Card, ConfirmButton, Field, Input, Spinner } from '@/shared/ui/ui';
import { useRevealErrors } from '@/shared/ui/revealErrors';
import { createKey, listKeys, revokeKey } from '../api/keys';

export function ApiKeys() {
  const keys = useAsync(listKeys, []);
  const [name, setName] = useState('');
  const [nameError, setNameError] = useState<string | undefined>();
  const [created, setCreated] = useState<ApiKeyWithSecret | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [failures, setFailures] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  useRevealErrors(formRef, failures);

  async function onCreate(ev: FormEvent) {
    ev.preventDefault();
    setNameError(undefined);
    setError(null);
    if (!name.trim()) { setNameError('Give the key a name, e.g. "laptop script".'); setFailures((n) => n + 1); return; }
    setBusy(true);
    try {
      const k = await createKey(name.trim());
      setCreated(k);
      setName('');
      keys.reload();
    } catch (e) {
      if (e instanceof ApiError && e.field === 'name') setNameError(e.message); else setError(errorMessage(e));
      setFailures((n) => n + 1);
    } finally { setBusy(false); }
  }

  return (
    <Card>
      <h2 className="text-lg font-semibold">API keys</h2>
      <p className="mt-1 text-sm text-slate-600 dark:text-slate-400">Programs use a key as <code className="rounded bg-slate-100 px-1 py-0.5 text-xs dark:bg-slate-800">Authorization: Bearer &lt;key&gt;</code>.</p>
      <form ref={formRef} onSubmit={onCreate} noValidate className="mt-5 flex flex-col gap-3 sm:flex-row sm:flex-wrap sm:items-start" aria-label="Create API key">
        <Field label="Key name" error={nameError} className="flex-1">
          {({ id, describedBy, invalid }) => (
            <Input id={id} name="key-name" value={name} maxLength={100} placeholder="e.g. laptop script" aria-describedby={describedBy} invalid={invalid} onChange={(e) => setName(e.target.value)} />
          )}
        </Field>
        <Button type="submit" variant="primary" disabled={busy} className="sm:mt-7">Create key</Button>
        {error ? <div data-form-error className="w-full"><Alert>{error}</Alert></div> : null}
      </form>
      {created ? (
        <ShownOnce key={created.id} message={`Key “${created.name}” created. Copy it now: it will not be shown again.`} label="New key secret"
          value={created.secret} testId="key-secret" onDone={() => setCreated(null)} />
      ) : null}
      <div className="mt-6">
        {keys.loading && !keys.data ? <Spinner label="Loading keys" /> : keys.error ? <Alert>{errorMessage(keys.error)}</Alert> : keys.data && keys.data.length > 0 ? (
          <ul className="divide-y divide-slate-100 dark:divide-slate-800" aria-label="API keys">
            {keys.data.map((k) => (
              <li key={k.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
                <div className="min-w-0">
                  <p className="truncate text-sm font-medium">{k.name}</p>
                  <p className="text-xs text-slate-500 dark:text-slate-400"><span className="font-mono">{k.prefix}…</span> · created {formatDate(k.created_at)} · {k.last_used_at ? `last used ${formatDate(k.last_used_at)}` : 'never used'}</p>
                </div>
                <ConfirmButton size="sm" confirmLabel="Revoke" question="Revoke this key?" onConfirm={async () => {
                  try { await revokeKey(k.id); keys.reload(); } catch (e) { setError(errorMessage(e)); }
                }}>Revoke</ConfirmButton>
              </li>
            ))}
          </ul>
        ) : <p className="text-sm text-slate-500 dark:text-slate-400">No keys yet.</p>}
      </div>
    </Card>
  );
}
