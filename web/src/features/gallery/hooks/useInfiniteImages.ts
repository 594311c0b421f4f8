import { useCallback, useEffect, useRef, useState } from 'react';
import type { Image } from '@/shared/api/types';
import type { ImageFilters } from '@/shared/api/types';
import { listImages } from '@/shared/images/api';

/** Pages of images for the filters, following next_cursor on demand. */
export function useInfiniteImages(filters: ImageFilters) {
  const [items, setItems] = useState<Image[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const [hasMore, setHasMore] = useState(true);
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const generation = useRef(0);
  const key = JSON.stringify(filters);

  const load = useCallback(async (reset: boolean, from: string | null) => {
    const gen = generation.current;
    setLoading(true);
    setError(null);
    try {
      const page = await listImages(JSON.parse(key) as ImageFilters, reset ? null : from);
      if (gen !== generation.current) return;
      setItems((prev) => (reset ? page.items : [...prev, ...page.items.filter((i) => !prev.some((p) => p.id === i.id))]));
      setCursor(page.next_cursor);
      setHasMore(page.next_cursor !== null);
    } catch (e) {
      if (gen === generation.current) setError(e);
    } finally {
      if (gen === generation.current) setLoading(false);
    }
  }, [key]);

  useEffect(() => {
    generation.current += 1;
    setItems([]);
    setCursor(null);
    setHasMore(true);
    void load(true, null);
  }, [load]);

  const loadMore = useCallback(() => {
    if (!loading && hasMore && cursor) void load(false, cursor);
  }, [loading, hasMore, cursor, load]);

  const remove = useCallback((ids: string[]) => setItems((prev) => prev.filter((i) => !ids.includes(i.id))), []);
  const replace = useCallback((img: Image) => setItems((prev) => prev.map((i) => (i.id === img.id ? img : i))), []);

  return { items, cursor, loading, error, hasMore, loadMore, remove, replace, initialLoading: loading && items.length === 0 };
}
