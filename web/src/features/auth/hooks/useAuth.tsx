import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, onUnauthenticated } from '@/shared/api/client';
import type { User } from '@/shared/api/types';
import { getMe, login as apiLogin, logout as apiLogout, register as apiRegister, type Credentials } from '../api/auth';

interface AuthValue {
  user: User | null;
  /** True until the first GET /auth/me answers. */
  checking: boolean;
  login: (c: Credentials) => Promise<void>;
  register: (c: Credentials) => Promise<void>;
  logout: () => Promise<void>;
}

const AuthContext = createContext<AuthValue | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [user, setUser] = useState<User | null>(null);
  const [checking, setChecking] = useState(true);

  useEffect(() => {
    let live = true;
    getMe().then(
      (u) => { if (live) { setUser(u); setChecking(false); } },
      (e) => { if (live) { if (!(e instanceof ApiError && e.status === 401)) console.warn(e); setUser(null); setChecking(false); } },
    );
    const off = onUnauthenticated(() => setUser(null));
    return () => { live = false; off(); };
  }, []);

  const login = useCallback(async (c: Credentials) => setUser(await apiLogin(c)), []);
  const register = useCallback(async (c: Credentials) => setUser(await apiRegister(c)), []);
  const logout = useCallback(async () => {
    try { await apiLogout(); } finally { setUser(null); }
  }, []);

  const value = useMemo(() => ({ user, checking, login, register, logout }), [user, checking, login, register, logout]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
