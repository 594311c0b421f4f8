import { useRef, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, errorMessage } from '@/shared/api/client';
import { Alert, Button, Field, Input } from '@/shared/ui/ui';
import { useRevealErrors } from '@/shared/ui/revealErrors';
import type { Registration } from '@/shared/api/types';

export type AuthMode = 'login' | 'register';

/** Turns an auth error into what the person should read, and the field it concerns. */
type FieldName = 'email' | 'password' | 'invite';

export function describeAuthError(mode: AuthMode, e: unknown): { field?: FieldName; message: string } {
  if (e instanceof ApiError) {
    if (mode === 'login' && e.status === 401) return { message: 'Wrong e-mail or password. Check both and try again.' };
    if (mode === 'register' && e.status === 409) return { field: 'email', message: 'An account with this e-mail already exists. Sign in instead.' };
    if (mode === 'register' && e.status === 403 && e.field === 'invite') {
      return { field: 'invite', message: 'This invitation code is not valid: it may be used or expired. Ask an administrator for a new one.' };
    }
    if (mode === 'register' && e.status === 403) return { message: 'Registration is closed on this server. Ask an administrator for an account.' };
    if (e.status === 400 && (e.field === 'email' || e.field === 'password')) return { field: e.field, message: e.message };
  }
  return { message: errorMessage(e) };
}

/** needsInvite: the server registers only with an invitation code (registration `invite`). */
export function AuthForm({ mode, needsInvite = false, onSubmit }: { mode: AuthMode; needsInvite?: boolean; onSubmit: (r: Registration) => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [invite, setInvite] = useState('');
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<Partial<Record<FieldName, string>>>({});
  const [formError, setFormError] = useState<string | null>(null);
  const isRegister = mode === 'register';
  const [failures, setFailures] = useState(0);
  const formRef = useRef<HTMLFormElement>(null);
  useRevealErrors(formRef, failures);

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    setFieldErrors({});
    setFormError(null);
    const withInvite = isRegister && needsInvite;
    const local: Partial<Record<FieldName, string>> = {};
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) local.email = 'Enter a valid e-mail address.';
    if (isRegister && password.length < 8) local.password = 'Use at least 8 characters.';
    if (!isRegister && password.length === 0) local.password = 'Enter your password.';
    if (withInvite && !invite.trim()) local.invite = 'Enter the invitation code an administrator gave you.';
    if (Object.keys(local).length > 0) { setFieldErrors(local); setFailures((n) => n + 1); return; }
    setBusy(true);
    try {
      await onSubmit(withInvite ? { email: email.trim(), password, invite: invite.trim() } : { email: email.trim(), password });
    } catch (e) {
      const d = describeAuthError(mode, e);
      if (d.field) setFieldErrors({ [d.field]: d.message });
      else setFormError(d.message);
      setFailures((n) => n + 1);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form ref={formRef} onSubmit={submit} noValidate className="space-y-5" aria-label={isRegister ? 'Create account' : 'Sign in'}>
      <Field label="E-mail" error={fieldErrors.email}>
        {({ id, describedBy, invalid }) => (
          <Input id={id} name="email" type="email" autoComplete="email" value={email} onChange={(e) => setEmail(e.target.value)}
            aria-describedby={describedBy} invalid={invalid} required autoFocus />
        )}
      </Field>
      <Field label="Password" error={fieldErrors.password} hint={isRegister ? 'At least 8 characters.' : undefined}>
        {({ id, describedBy, invalid }) => (
          <Input id={id} name="password" type="password" autoComplete={isRegister ? 'new-password' : 'current-password'} value={password}
            onChange={(e) => setPassword(e.target.value)} aria-describedby={describedBy} invalid={invalid} required />
        )}
      </Field>
      {isRegister && needsInvite ? (
        <Field label="Invitation code" error={fieldErrors.invite} hint="Registration on this server is by invitation.">
          {({ id, describedBy, invalid }) => (
            <Input id={id} name="invite" autoComplete="off" spellCheck={false} value={invite} onChange={(e) => setInvite(e.target.value)}
              aria-describedby={describedBy} invalid={invalid} required />
          )}
        </Field>
      ) : null}
      {formError ? <div data-form-error><Alert>{formError}</Alert></div> : null}
      <Button type="submit" variant="primary" className="w-full py-2.5" disabled={busy}>
        {busy ? 'Please wait…' : isRegister ? 'Create account' : 'Sign in'}
      </Button>
      <p className="text-center text-sm text-slate-600 dark:text-slate-400">
        {isRegister ? (
          <>Already have an account? <Link className="rounded font-medium text-brand-700 hover:underline dark:text-brand-300" to="/login">Sign in</Link></>
        ) : (
          <>New to RenderMart? <Link className="rounded font-medium text-brand-700 hover:underline dark:text-brand-300" to="/register">Create an account</Link></>
        )}
      </p>
    </form>
  );
}
