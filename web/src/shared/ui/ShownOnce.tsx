import { useState } from 'react';
import { copyText } from '@/shared/lib/format';
import { Button } from './ui';

/**
 * A secret the server shows only in the answer that created it (an API key, an invitation code):
 * selectable, with a Copy button, until the person is done with it.
 */
export function ShownOnce({ message, label, value, testId, onDone }: {
  message: string; label: string; value: string; testId: string; onDone: () => void;
}) {
  const [copied, setCopied] = useState(false);
  return (
    <div className="mt-4 rounded-xl bg-emerald-50 p-4 ring-1 ring-emerald-200 dark:bg-emerald-950/40 dark:ring-emerald-900" role="status">
      <p className="text-sm font-medium text-emerald-900 dark:text-emerald-200">{message}</p>
      <div className="mt-2 flex flex-col gap-2 sm:flex-row">
        <label htmlFor={testId} className="sr-only">{label}</label>
        <input id={testId} readOnly value={value} onFocus={(e) => e.target.select()} data-testid={testId}
          className="flex-1 rounded-lg border-0 bg-white px-3 py-2 font-mono text-xs ring-1 ring-inset ring-emerald-300 dark:bg-slate-900 dark:ring-emerald-800" />
        <Button size="sm" onClick={async () => setCopied(await copyText(value))}>{copied ? '✓ Copied' : 'Copy'}</Button>
        <Button size="sm" variant="ghost" onClick={onDone}>Done</Button>
      </div>
    </div>
  );
}
