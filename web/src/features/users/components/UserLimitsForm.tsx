import { useState, type FormEvent } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { AdminUser, UserLimits } from '@/shared/api/types';
import { Alert, Button, Field, Input } from '@/shared/ui/ui';

type LimitName = keyof UserLimits;

const LIMITS: Array<{ name: LimitName; label: string; effective: (u: AdminUser) => number }> = [
  { name: 'jobs_in_flight', label: 'Generations in flight', effective: (u) => u.usage.jobs_in_flight.limit },
  { name: 'images_per_day', label: 'Images per day', effective: (u) => u.usage.images_per_day.limit },
  { name: 'stored_bytes', label: 'Stored bytes', effective: (u) => u.usage.stored_bytes.limit },
  { name: 'requests_per_minute', label: 'Requests per minute', effective: (u) => u.usage.requests.per_minute },
  { name: 'request_burst', label: 'Request burst', effective: (u) => u.usage.requests.burst },
];

/** An empty field is the server's default; a number is this user's own limit. */
export function UserLimitsForm({ user, save }: { user: AdminUser; save: (limits: UserLimits) => Promise<void> }) {
  const [values, setValues] = useState<Record<LimitName, string>>(() => Object.fromEntries(
    LIMITS.map(({ name }) => [name, user.limits[name] == null ? '' : String(user.limits[name])])) as Record<LimitName, string>);
  const [error, setError] = useState<string | null>(null);
  const [saving, setSaving] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setError(null);
    setSaving(true);
    try {
      await save(Object.fromEntries(LIMITS.map(({ name }) => [name, values[name].trim() === '' ? null : Number(values[name])])) as UserLimits);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  };

  return (
    <form onSubmit={submit} className="space-y-3" aria-label={`Limits of ${user.email}`}>
      <div className="grid gap-3 sm:grid-cols-2">
        {LIMITS.map(({ name, label, effective }) => (
          <Field key={name} label={label} hint={user.limits[name] == null ? `Default: ${effective(user)}` : 'Own limit; empty for the default'}>
            {({ id, describedBy }) => (
              <Input id={id} aria-describedby={describedBy} type="number" min={1} inputMode="numeric" value={values[name]}
                placeholder={String(effective(user))} onChange={(e) => setValues((v) => ({ ...v, [name]: e.target.value }))} />
            )}
          </Field>
        ))}
      </div>
      {error ? <Alert>{error}</Alert> : null}
      <Button type="submit" disabled={saving}>{saving ? 'Saving…' : 'Save limits'}</Button>
    </form>
  );
}
