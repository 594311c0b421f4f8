import { describe, expect, it } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { neighbours, recalledOrder, rememberOrder } from '@/features/gallery/lib/order';
import { parseTags } from '@/features/gallery/components/ImageLabels';
import { LiveRegion, announce } from '@/shared/ui/announcer';

describe('the gallery order', () => {
  const order = { filters: { q: 'fox' }, ids: ['c', 'b', 'a'], cursor: null };

  it('gives the newer image as previous and the older as next', () => {
    expect(neighbours(order, 'c')).toEqual({ previous: null, next: 'b', position: 0 });
    expect(neighbours(order, 'b')).toEqual({ previous: 'c', next: 'a', position: 1 });
    expect(neighbours(order, 'a')).toEqual({ previous: 'b', next: null, position: 2 });
  });

  it('has no neighbours for an image it does not hold, or without an order', () => {
    expect(neighbours(order, 'z')).toEqual({ previous: null, next: null, position: null });
    expect(neighbours(null, 'a')).toEqual({ previous: null, next: null, position: null });
  });

  it('outlives a reload of the tab', () => {
    rememberOrder(order);
    expect(recalledOrder()).toEqual(order);
  });
});

describe('tags typed as a list', () => {
  it('splits on commas, trims, drops empty and repeated tags', () => {
    expect(parseTags(' sunset, fox , , fox,日本 ')).toEqual(['sunset', 'fox', '日本']);
    expect(parseTags('')).toEqual([]);
  });
});

describe('the live region', () => {
  it('reads news politely and failures at once', async () => {
    render(<LiveRegion />);
    await act(async () => { announce('Generation finished'); await new Promise((r) => setTimeout(r, 80)); });
    expect(screen.getByTestId('live-polite').textContent).toBe('Generation finished');
    expect(screen.getByTestId('live-polite').getAttribute('aria-live')).toBe('polite');
    await act(async () => { announce('Generation failed', 'assertive'); await new Promise((r) => setTimeout(r, 80)); });
    expect(screen.getByTestId('live-assertive').textContent).toBe('Generation failed');
    expect(screen.getByTestId('live-assertive').getAttribute('aria-live')).toBe('assertive');
  });
});
