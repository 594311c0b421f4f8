// The gallery's current order: the images it has loaded under its filters, newest first, and the
// cursor of the page after them. The image page walks it for previous and next, so that they
// follow what the gallery showed; kept in sessionStorage so that a reload of the image page keeps
// it (per tab, as the gallery's filters are).
import type { ImageFilters } from '@/shared/api/types';

export interface GalleryOrder {
  filters: ImageFilters;
  ids: string[];
  /** next_cursor of the last page loaded; null when the gallery holds every image. */
  cursor: string | null;
}

const KEY = 'rm-gallery-order';

export function rememberOrder(order: GalleryOrder): void {
  try { sessionStorage.setItem(KEY, JSON.stringify(order)); } catch { /* storage full or off: no previous/next */ }
}

export function recalledOrder(): GalleryOrder | null {
  try {
    const text = sessionStorage.getItem(KEY);
    return text ? (JSON.parse(text) as GalleryOrder) : null;
  } catch { return null; }
}

/** The images before (newer) and after (older) `id` in the order; null at either end or when `id` is not in it. */
export function neighbours(order: GalleryOrder | null, id: string): { previous: string | null; next: string | null; position: number | null } {
  const i = order ? order.ids.indexOf(id) : -1;
  if (!order || i < 0) return { previous: null, next: null, position: null };
  return { previous: order.ids[i - 1] ?? null, next: order.ids[i + 1] ?? null, position: i };
}
