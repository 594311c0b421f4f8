import { useId } from 'react';
import { cx } from './ui';

export function Logo({ inverted = false }: { inverted?: boolean }) {
  // Unique per instance: a gradient defined inside a hidden SVG would not paint the visible one.
  const gid = `rm-logo-${useId().replace(/:/g, '')}`;
  return (
    <span className="inline-flex items-center gap-2">
      <svg className="h-8 w-8" viewBox="0 0 32 32" aria-hidden="true">
        <defs><linearGradient id={gid} x1="0" y1="0" x2="1" y2="1"><stop offset="0" stopColor="#6366f1" /><stop offset="1" stopColor="#ec4899" /></linearGradient></defs>
        <rect width="32" height="32" rx="8" fill={inverted ? '#ffffff33' : `url(#${gid})`} />
        <path d="M9 22V10h7a4 4 0 0 1 0 8h-7m7 0 5 4" fill="none" stroke="#fff" strokeWidth="2.5" strokeLinecap="round" strokeLinejoin="round" />
      </svg>
      <span className={cx('text-lg font-semibold tracking-tight', inverted ? 'text-white' : 'text-slate-900 dark:text-white')}>RenderMart</span>
    </span>
  );
}
