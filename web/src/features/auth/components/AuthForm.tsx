import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { ApiError, errorMessage } from '@/shared/api/client';
import { Alert, Button, Field, Input } from '@/shared/ui/ui';
import type { Credentials } from '../api/auth';

export type AuthMode = 'login' | 'register';

/** Turns an auth error into what the person should read, and the field it concerns. */
export function describeAuthError(mode: AuthMode, e: unknown): { field?: 'email' | 'password'; message: string } {
  if (e instanceof ApiError) {
    if (mode === 'login' && e.status === 401) return { message: 'Wrong e-mail or password. Check both and try again.' };
    if (mode === 'register' && e.status === 409) return { field: 'email', message: 'An account with this e-mail already exists. Sign in instead.' };
    if (mode === 'register' && e.status === 403) return { message: 'Registration is closed on this server. Ask an administrator for an account.' };
    if (e.status === 400 && (e.field === 'email' || e.field === 'password')) return { field: e.field, message: e.message };
  }
  return { message: errorMessage(e) };
}

export function AuthForm({ mode, onSubmit }: { mode: AuthMode; onSubmit: (c: Credentials) => Promise<void> }) {
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [busy, setBusy] = useState(false);
  const [fieldErrors, setFieldErrors] = useState<{ email?: string; password?: string }>({});
  const [formError, setFormError] = useState<string | null>(null);
  const isRegister = mode === 'register';

  async function submit(ev: FormEvent) {
    ev.preventDefault();
    setFieldErrors({});
    setFormError(null);
    const local: { email?: string; password?: string } = {};
    if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(email.trim())) local.email = 'Enter a valid e-mail address.';
    if (isRegister && password.length < 8) local.password = 'Use at least 8 characters.';
    if (!isRegister && password.length === 0) local.password = 'Enter your password.';
    if (local.email || local.password) { setFieldErrors(local); return; }
    setBusy(true);
    try {
      await onSubmit({ email: email.trim(), password });
    } catch (e) {
      const d = describeAuthError(mode, e);
      if (d.field) setFieldErrors({ [d.field]: d.message });
      else setFormError(d.message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="space-y-5" aria-label={isRegister ? 'Create account' : 'Sign in'}>
      {formError ? <Alert>{formError}</Alert> : null}
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
      <Button type="submit" variant="primary" className="w-full py-2.5" disabled={busy}>
        {busy ? 'Please wait…' : isRegister ? 'Create account' : 'Sign in'}
      </Button>
      <p className="text-center text-sm text-slate-500 dark:text-slate-400">
        {isRegister ? (
          <>Already have an account? <Link className="font-medium text-brand-600 hover:underline dark:text-brand-400" to="/login">Sign in</Link></>
        ) : (
          <>New to RenderMart? <Link className="font-medium text-brand-600 hover:underline dark:text-brand-400" to="/register">Create an account</Link></>
        )}
      </p>
    </form>
  );
}
