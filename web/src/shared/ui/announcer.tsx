// What screen readers are told of events that happen away from the focus (a job that finished or
// failed, images copied or selected): one live region in the app shell, fed by announce() from
// anywhere. A region must be in the page before its text changes to be read, so the shell renders
// it once and messages only change its text.
import { useEffect, useState } from 'react';

/** polite: read when the reader is idle (news); assertive: read at once (failures). */
export type Politeness = 'polite' | 'assertive';

type Listener = (message: string, politeness: Politeness) => void;
const listeners = new Set<Listener>();

export function announce(message: string, politeness: Politeness = 'polite'): void {
  for (const listener of listeners) listener(message, politeness);
}

// A message equal to the one shown is not read again unless the text changes in between.
const REPEAT_GAP_MS = 50;

export function LiveRegion() {
  const [text, setText] = useState<Record<Politeness, string>>({ polite: '', assertive: '' });
  useEffect(() => {
    const timers: ReturnType<typeof setTimeout>[] = [];
    const listener: Listener = (message, politeness) => {
      setText((t) => ({ ...t, [politeness]: '' }));
      timers.push(setTimeout(() => setText((t) => ({ ...t, [politeness]: message })), REPEAT_GAP_MS));
    };
    listeners.add(listener);
    return () => { listeners.delete(listener); timers.forEach(clearTimeout); };
  }, []);
  return (
    <div className="sr-only" data-testid="live-region">
      <div aria-live="polite" aria-atomic="true" data-testid="live-polite">{text.polite}</div>
      <div aria-live="assertive" aria-atomic="true" data-testid="live-assertive">{text.assertive}</div>
    </div>
  );
}
