import { useEffect } from 'react';
import { Link, NavLink, Outlet, useNavigate } from 'react-router-dom';
import { cx } from '@/shared/ui/ui';
import { applyTheme, storedTheme } from '@/shared/lib/theme';
import { useAuth } from '@/shared/session/useAuth';
import { getPreferences } from '@/shared/preferences/api';
import { Logo } from '@/shared/ui/Logo';
import { JobsTray } from '@/features/jobs/components/JobsTray';
import { LiveRegion } from '@/shared/ui/announcer';

const links = [
  { to: '/', label: 'Create', end: true, admin: false },
  { to: '/edit', label: 'Edit', end: false, admin: false },
  { to: '/gallery', label: 'Gallery', end: false, admin: false },
  { to: '/models', label: 'Models', end: false, admin: true },
  { to: '/users', label: 'Users', end: false, admin: true },
  { to: '/settings', label: 'Settings', end: false, admin: false },
];

export function Layout() {
  const { user, logout } = useAuth();
  const navigate = useNavigate();

  // The theme lives in the account's preferences; follow it once signed in.
  useEffect(() => {
    getPreferences().then((p) => applyTheme(p.theme), () => undefined);
  }, [user?.id]);

  // "system" follows the operating system when it switches between light and dark.
  useEffect(() => {
    if (typeof window.matchMedia !== 'function') return;
    const mq = window.matchMedia('(prefers-color-scheme: dark)');
    const onChange = () => { if (storedTheme() === 'system') applyTheme('system'); };
    mq.addEventListener('change', onChange);
    return () => mq.removeEventListener('change', onChange);
  }, []);

  const navClass = ({ isActive }: { isActive: boolean }) => cx(
    'whitespace-nowrap rounded-lg px-3 py-2 text-sm font-medium transition-colors focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500',
    isActive ? 'bg-slate-900 text-white dark:bg-white dark:text-slate-900' : 'text-slate-600 hover:bg-slate-100 hover:text-slate-900 dark:text-slate-300 dark:hover:bg-slate-800 dark:hover:text-white',
  );

  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-4 focus:top-4 focus:z-50 focus:rounded-lg focus:bg-white focus:px-4 focus:py-2 focus:shadow">Skip to content</a>
      <header className="sticky top-0 z-40 border-b border-slate-200 bg-white/80 backdrop-blur dark:border-slate-800 dark:bg-slate-950/80">
        <div className="mx-auto flex max-w-7xl flex-wrap items-center gap-x-6 gap-y-2 px-4 py-3 sm:px-6">
          <Link to="/" className="rounded-lg focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500" aria-label="RenderMart home"><Logo /></Link>
          <nav aria-label="Main" className="order-3 -mx-1 flex w-full gap-1 overflow-x-auto px-1 sm:order-none sm:w-auto">
            {links.filter((l) => !l.admin || user?.is_admin).map((l) => <NavLink key={l.to} to={l.to} end={l.end} className={navClass}>{l.label}</NavLink>)}
          </nav>
          <div className="ml-auto flex items-center gap-3">
            <JobsTray />
            <span className="hidden max-w-[16rem] truncate text-sm text-slate-500 dark:text-slate-400 md:inline" data-testid="user-email">{user?.email}</span>
            <button type="button" onClick={async () => { await logout(); navigate('/login'); }}
              className="rounded-lg px-3 py-2 text-sm font-medium text-slate-600 ring-1 ring-inset ring-slate-300 hover:bg-slate-100 focus-visible:outline focus-visible:outline-2 focus-visible:outline-brand-500 dark:text-slate-300 dark:ring-slate-700 dark:hover:bg-slate-800">
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="mx-auto max-w-7xl px-4 py-6 sm:px-6 sm:py-8">
        <Outlet />
      </main>
      <LiveRegion />
    </div>
  );
}
