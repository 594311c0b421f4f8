import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import { ApiError, onUnauthenticated } from '@/shared/api/client';
import type { Credentials, Registration, User } from '@/shared/api/types';
import {
  deleteAccount as apiDeleteAccount, getMe, login as apiLogin, logout as apiLogout, logoutEverywhere as apiLogoutEverywhere,
  register as apiRegister,
} from './api';

interface AuthValue {
  user: User | null;
  /** True until the first GET /auth/me answers. */
  checking: boolean;
  login: (c: Credentials) => Promise<void>;
  register: (r: Registration) => Promise<void>;
  logout: () => Promise<void>;
  /** Ends every session of the account, this one too. */
  logoutEverywhere: () => Promise<void>;
  /** Deletes the account (needs its password); signed out once it is gone. */
  deleteAccount: (password: string) => Promise<void>;
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
  const register = useCallback(async (r: Registration) => setUser(await apiRegister(r)), []);
  const logout = useCallback(async () => {
    try { await apiLogout(); } finally { setUser(null); }
  }, []);
  const logoutEverywhere = useCallback(async () => { await apiLogoutEverywhere(); setUser(null); }, []);
  const deleteAccount = useCallback(async (password: string) => { await apiDeleteAccount(password); setUser(null); }, []);

  const value = useMemo(() => ({ user, checking, login, register, logout, logoutEverywhere, deleteAccount }),
    [user, checking, login, register, logout, logoutEverywhere, deleteAccount]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthValue {
  const v = useContext(AuthContext);
  if (!v) throw new Error('useAuth outside AuthProvider');
  return v;
}
