import { useState } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { AdminUser, AdminUserPatch } from '@/shared/api/types';
import { formatDate } from '@/shared/lib/format';
import { Alert, Button, Card, EmptyState, PageHeader, Spinner } from '@/shared/ui/ui';
import { useAuth } from '@/shared/session/useAuth';
import { listUsers, updateUser } from '../api/users';
import { UsageMeters } from './UsageMeters';
import { UserLimitsForm } from './UserLimitsForm';
import { useUserPages } from '../hooks/useUserPages';

function Badge({ children, tone }: { children: string; tone: 'red' | 'slate' }) {
  return <span className={tone === 'red' ? 'rounded bg-rose-100 px-2 py-0.5 text-xs font-medium text-rose-800 dark:bg-rose-950 dark:text-rose-200' : 'rounded bg-slate-100 px-2 py-0.5 text-xs font-medium text-slate-700 dark:bg-slate-800 dark:text-slate-200'}>{children}</span>;
}

function UserCard({ user, self, changed }: { user: AdminUser; self: boolean; changed: (u: AdminUser) => void }) {
  const [editing, setEditing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const patch = async (body: AdminUserPatch) => changed(await updateUser(user.id, body));
  const toggle = async () => {
    setError(null);
    try { await patch({ disabled: !user.disabled }); } catch (err) { setError(errorMessage(err)); }
  };
  return (
    <Card>
      <article aria-label={user.email} data-testid="admin-user" className="space-y-4">
        <header className="flex flex-wrap items-center gap-2">
          <h2 className="min-w-0 font-semibold [overflow-wrap:anywhere]">{user.email}</h2>
          {user.is_admin ? <Badge tone="slate">Administrator</Badge> : null}
          {user.disabled ? <Badge tone="red">Disabled</Badge> : null}
          <span className="text-xs text-slate-500 dark:text-slate-400">since {formatDate(user.created_at)}</span>
        </header>
        <UsageMeters usage={user.usage} />
        {error ? <Alert>{error}</Alert> : null}
        <div className="flex flex-wrap gap-2">
          <Button variant="secondary" size="sm" aria-expanded={editing} onClick={() => setEditing((e) => !e)}>{editing ? 'Close limits' : 'Edit limits'}</Button>
          {self ? null : (
            <Button variant={user.disabled ? 'secondary' : 'danger'} size="sm" onClick={toggle}>
              {user.disabled ? 'Enable account' : 'Disable account'}
            </Button>
          )}
        </div>
        {editing ? <UserLimitsForm user={user} save={async (limits) => { await patch({ limits }); setEditing(false); }} /> : null}
      </article>
    </Card>
  );
}

function UserList() {
  const { user: me } = useAuth();
  const pages = useUserPages(listUsers);
  if (pages.loading && pages.users.length === 0) return <Spinner label="Loading the users" />;
  if (pages.error && pages.users.length === 0) return <Alert>Cannot load the users: {errorMessage(pages.error)}</Alert>;
  return (
    <div className="space-y-4">
      <ul className="space-y-4">
        {pages.users.map((u) => <li key={u.id}><UserCard user={u} self={u.id === me?.id} changed={pages.replace} /></li>)}
      </ul>
      {pages.error ? <Alert>{errorMessage(pages.error)}</Alert> : null}
      {pages.more ? <Button variant="secondary" onClick={pages.loadMore} disabled={pages.loading}>Show more users</Button> : null}
    </div>
  );
}

/** Administrators see every account with its usage, change its limits, disable or enable it. */
export function UsersPage() {
  const { user } = useAuth();
  if (!user?.is_admin) {
    return <EmptyState title="Not available">The Users page is for administrators of this server.</EmptyState>;
  }
  return (
    <div className="mx-auto max-w-4xl">
      <PageHeader title="Users" description="Every account with its usage and limits. Disabling an account ends its sessions and API keys at once." />
      <UserList />
    </div>
  );
}
