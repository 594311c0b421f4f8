import { useCallback, useEffect, useState } from 'react';
import type { AdminUser, AdminUserPage } from '@/shared/api/types';

/** The accounts page by page (newest first); `replace` puts a changed account in its place. */
export function useUserPages(load: (cursor?: string | null) => Promise<AdminUserPage>) {
  const [users, setUsers] = useState<AdminUser[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [more, setMore] = useState(false);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(undefined);

  const fetchPage = useCallback(async (after: string | null) => {
    setLoading(true);
    setError(undefined);
    try {
      const page = await load(after);
      setUsers((prev) => (after ? [...prev, ...page.items] : page.items));
      setCursor(page.next_cursor);
      setMore(page.next_cursor !== null);
    } catch (err) {
      setError(err);
    } finally {
      setLoading(false);
    }
  }, [load]);

  useEffect(() => { void fetchPage(null); }, [fetchPage]);

  return {
    users, more, loading, error,
    loadMore: () => { void fetchPage(cursor); },
    replace: (changed: AdminUser) => setUsers((prev) => prev.map((u) => (u.id === changed.id ? changed : u))),
  };
}
