import { useCallback, useEffect, useId, useState } from 'react';
import { errorMessage } from '@/shared/api/client';
import type { Image } from '@/shared/api/types';
import { listImages } from '@/shared/images/api';
import { Alert, Button, Spinner, cx } from '@/shared/ui/ui';

const PAGE = 24;

/** What a picture is called: its title, else its prompt, else what it is. */
const pictureName = (img: Image) => img.title || img.prompt || (img.origin === 'uploaded' ? 'Uploaded picture' : 'Untitled picture');

interface Props {
  /** The picture being edited, which is not offered as its own style. */
  sourceId: string;
  value: string;
  onChange: (id: string) => void;
}

/**
 * Style transfer's second picture, chosen among the user's own: a group of radio buttons, one per
 * thumbnail (Tab reaches the group, the arrow keys move the choice), newest first, a page at a time.
 */
export function StylePicker({ sourceId, value, onChange }: Props) {
  const id = useId();
  const [items, setItems] = useState<Image[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [loading, setLoading] = useState(true);
  const [error, setError] = useState<unknown>(null);

  const load = useCallback(async (from: string | null) => {
    setLoading(true);
    setError(null);
    try {
      const page = await listImages({}, from, PAGE);
      setItems((prev) => [...prev, ...page.items.filter((i) => i.id !== sourceId && !prev.some((p) => p.id === i.id))]);
      setCursor(page.next_cursor);
    } catch (e) {
      setError(e);
    } finally {
      setLoading(false);
    }
  }, [sourceId]);

  useEffect(() => { void load(null); }, [load]);

  return (
    <fieldset aria-describedby={`${id}-hint`}>
      <legend className="mb-1.5 text-sm font-medium text-slate-700 dark:text-slate-300">Style picture</legend>
      <p id={`${id}-hint`} className="mb-2 text-xs text-slate-500 dark:text-slate-400">One of your pictures, whose look is applied to this one.</p>
      {items.length > 0 ? (
        <div className="grid max-h-72 grid-cols-3 gap-2 overflow-y-auto p-0.5 sm:grid-cols-4" data-testid="style-pictures">
          {items.map((img) => (
            <label key={img.id} title={pictureName(img)}
              className={cx('relative block cursor-pointer overflow-hidden rounded-lg ring-2 has-[:focus-visible]:outline has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-offset-2 has-[:focus-visible]:outline-brand-500',
                value === img.id ? 'ring-brand-600' : 'ring-transparent hover:ring-slate-300 dark:hover:ring-slate-600')}>
              <input type="radio" name={`${id}-style`} value={img.id} checked={value === img.id} onChange={() => onChange(img.id)}
                aria-label={pictureName(img)} className="sr-only" />
              <img src={img.thumbnail_url} alt="" width={img.width} height={img.height} loading="lazy" className="aspect-square h-auto w-full object-cover" />
              {value === img.id ? <span aria-hidden="true" className="absolute right-1 top-1 rounded-full bg-brand-600 px-1.5 text-xs font-semibold text-white">✓</span> : null}
            </label>
          ))}
        </div>
      ) : null}
      {loading ? <Spinner label="Loading your pictures" /> : null}
      {error ? <Alert>{errorMessage(error)}</Alert> : null}
      {!loading && !error && items.length === 0 ? (
        <p className="text-sm text-slate-600 dark:text-slate-400">You have no other picture yet: create or upload one to take its style from.</p>
      ) : null}
      {cursor && !loading ? (
        <Button type="button" className="mt-2" onClick={() => void load(cursor)}>More pictures</Button>
      ) : null}
    </fieldset>
  );
}
