import { useState, type FormEvent } from 'react';
import { ApiError, errorMessage } from '@/shared/api/client';
import { Alert, Button, Card, Field, Input } from '@/shared/ui/ui';
import { changePassword } from '../api/auth';
import { useAuth } from '@/shared/session/useAuth';

/** Password change, signing out everywhere and deleting the account, on the Settings page. */
export function AccountSecurity() {
  return (
    <Card>
      <h2 className="text-lg font-semibold">Account</h2>
      <div className="mt-5 space-y-8">
        <ChangePassword />
        <SignOutEverywhere />
        <DeleteAccount />
      </div>
    </Card>
  );
}

function ChangePassword() {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [errors, setErrors] = useState<{ current?: string; next?: string }>({});
  const [status, setStatus] = useState<{ kind: 'error' | 'success'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    setErrors({});
    setStatus(null);
    const local: { current?: string; next?: string } = {};
    if (!current) local.current = 'Enter your current password.';
    if (next.length < 8) local.next = 'Use at least 8 characters.';
    if (local.current || local.next) { setErrors(local); return; }
    setBusy(true);
    try {
      await changePassword(current, next);
      setCurrent('');
      setNext('');
      setStatus({ kind: 'success', text: 'Password changed. You were signed out on every other device; API keys still work.' });
    } catch (e) {
      if (e instanceof ApiError && e.field === 'current_password') setErrors({ current: 'That is not your current password.' });
      else if (e instanceof ApiError && e.field === 'new_password') setErrors({ next: e.message });
      else setStatus({ kind: 'error', text: errorMessage(e) });
    } finally { setBusy(false); }
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-4" aria-label="Change password">
      <h3 className="font-medium">Change password</h3>
      {status ? <Alert kind={status.kind}>{status.text}</Alert> : null}
      <div className="grid gap-4 sm:grid-cols-2">
        <Field label="Current password" error={errors.current}>
          {({ id, describedBy, invalid }) => (
            <Input id={id} type="password" autoComplete="current-password" value={current} onChange={(e) => setCurrent(e.target.value)}
              aria-describedby={describedBy} invalid={invalid} />
          )}
        </Field>
        <Field label="New password" error={errors.next} hint="At least 8 characters.">
          {({ id, describedBy, invalid }) => (
            <Input id={id} type="password" autoComplete="new-password" value={next} onChange={(e) => setNext(e.target.value)}
              aria-describedby={describedBy} invalid={invalid} />
          )}
        </Field>
      </div>
      <Button type="submit" variant="primary" disabled={busy}>Change password</Button>
    </form>
  );
}

function SignOutEverywhere() {
  const auth = useAuth();
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  return (
    <div className="space-y-3">
      <h3 className="font-medium">Sign out everywhere</h3>
      <p className="text-sm text-slate-500 dark:text-slate-400">Ends every session of your account, this one too. API keys keep working: revoke them below.</p>
      {error ? <Alert>{error}</Alert> : null}
      <Button disabled={busy} onClick={async () => {
        setBusy(true);
        setError(null);
        try { await auth.logoutEverywhere(); } catch (e) { setError(errorMessage(e)); setBusy(false); }
      }}>End all sessions</Button>
    </div>
  );
}

function DeleteAccount() {
  const auth = useAuth();
  const [asking, setAsking] = useState(false);
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string | undefined>();
  const [busy, setBusy] = useState(false);

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    setError(undefined);
    if (!password) { setError('Type your password to confirm.'); return; }
    setBusy(true);
    try {
      await auth.deleteAccount(password);
    } catch (e) {
      setError(e instanceof ApiError && e.field === 'password' ? 'That is not your password.' : errorMessage(e));
      setBusy(false);
    }
  }

  return (
    <div className="space-y-3">
      <h3 className="font-medium text-red-700 dark:text-red-400">Delete account</h3>
      <p className="text-sm text-slate-500 dark:text-slate-400">Deletes your images, generations, API keys and settings for good.</p>
      {asking ? (
        <form onSubmit={submit} noValidate className="flex flex-col gap-3 sm:flex-row sm:items-start" aria-label="Delete account">
          <Field label="Your password" error={error} className="flex-1">
            {({ id, describedBy, invalid }) => (
              <Input id={id} type="password" autoComplete="current-password" value={password} autoFocus
                onChange={(e) => setPassword(e.target.value)} aria-describedby={describedBy} invalid={invalid} />
            )}
          </Field>
          <div className="flex gap-2 sm:mt-7">
            <Button type="submit" variant="danger" disabled={busy}>Delete my account</Button>
            <Button variant="ghost" onClick={() => { setAsking(false); setPassword(''); setError(undefined); }}>Cancel</Button>
          </div>
        </form>
      ) : (
        <Button variant="danger-outline" onClick={() => setAsking(true)}>Delete account…</Button>
      )}
    </div>
  );
}
