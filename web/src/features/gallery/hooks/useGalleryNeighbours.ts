import { useState } from 'react';
import { listImages } from '@/shared/images/api';
import { neighbours, recalledOrder, rememberOrder } from '../lib/order';

/**
 * Previous (newer) and next (older) images of `id` in the gallery's current order and filters.
 * At the end of what the gallery loaded, loadNext() fetches its next page, as scrolling would.
 */
export function useGalleryNeighbours(id: string) {
  const [order, setOrder] = useState(recalledOrder);
  const { previous, next, position } = neighbours(order, id);
  const canLoadNext = order !== null && next === null && position !== null && order.cursor !== null;

  async function loadNext(): Promise<string | null> {
    if (!order?.cursor) return null;
    const page = await listImages(order.filters, order.cursor);
    const known = new Set(order.ids);
    const grown = { ...order, ids: [...order.ids, ...page.items.map((i) => i.id).filter((i) => !known.has(i))], cursor: page.next_cursor };
    rememberOrder(grown);
    setOrder(grown);
    return neighbours(grown, id).next;
  }

  return { previous, next, inOrder: position !== null, canLoadNext, loadNext };
}
