import { useState } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { InvitationWithCode } from '@/shared/api/types';
import { formatDate } from '@/shared/lib/format';
import { useAsync } from '@/shared/lib/useAsync';
import { ShownOnce } from '@/shared/ui/ShownOnce';
import { Alert, Button, Card, ConfirmButton, Spinner } from '@/shared/ui/ui';
import { createInvitation, listInvitations, revokeInvitation } from '../api/invitations';

/** For administrators while registration is by invitation: create, list and revoke invitations. */
export function Invitations() {
  const invitations = useAsync(listInvitations, []);
  const [created, setCreated] = useState<InvitationWithCode | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function onCreate() {
    setError(null);
    setBusy(true);
    try {
      setCreated(await createInvitation());
      invitations.reload();
    } catch (e) { setError(errorMessage(e)); } finally { setBusy(false); }
  }

  return (
    <Card>
      <h2 className="text-lg font-semibold">Invitations</h2>
      <p className="mt-1 text-sm text-slate-500 dark:text-slate-400">Registration on this server needs an invitation code. Each code registers one account and expires after 7 days.</p>
      <Button className="mt-5" variant="primary" disabled={busy} onClick={onCreate}>Create invitation</Button>
      {created ? (
        <ShownOnce key={created.id} message="Invitation created. Copy the code now: it will not be shown again." label="New invitation code"
          value={created.code} testId="invitation-code" onDone={() => setCreated(null)} />
      ) : null}
      {error ? <div className="mt-4"><Alert>{error}</Alert></div> : null}
      <div className="mt-6">
        {invitations.loading && !invitations.data ? <Spinner label="Loading invitations" /> : invitations.error ? <Alert>{errorMessage(invitations.error)}</Alert>
          : invitations.data && invitations.data.length > 0 ? (
            <ul className="divide-y divide-slate-100 dark:divide-slate-800" aria-label="Invitations">
              {invitations.data.map((i) => (
                <li key={i.id} className="flex flex-wrap items-center justify-between gap-3 py-3">
                  <p className="text-sm">
                    Created {formatDate(i.created_at)} · {i.used_at ? `used ${formatDate(i.used_at)}`
                      : Date.parse(i.expires_at) < Date.now() ? 'expired' : `unused, expires ${formatDate(i.expires_at)}`}
                  </p>
                  {i.used_at ? null : (
                    <ConfirmButton size="sm" confirmLabel="Revoke" question="Revoke this invitation?" onConfirm={async () => {
                      try { await revokeInvitation(i.id); invitations.reload(); } catch (e) { setError(errorMessage(e)); }
                    }}>Revoke</ConfirmButton>
                  )}
                </li>
              ))}
            </ul>
          ) : <p className="text-sm text-slate-500 dark:text-slate-400">No invitations yet.</p>}
      </div>
    </Card>
  );
}
