export type Theme = 'light' | 'dark' | 'system';

const KEY = 'rm-theme';

export function applyTheme(theme: Theme): void {
  try { localStorage.setItem(KEY, theme); } catch { /* private mode */ }
  const dark = theme === 'dark' || (theme === 'system' && typeof window.matchMedia === 'function' && window.matchMedia('(prefers-color-scheme: dark)').matches);
  document.documentElement.classList.toggle('dark', dark);
}

export function storedTheme(): Theme {
  try {
    const t = localStorage.getItem(KEY);
    if (t === 'light' || t === 'dark' || t === 'system') return t;
  } catch { /* ignore */ }
  return 'system';
}
