import { describe, expect, it } from 'vitest';
import { MaskModel, OVERLAY_RGBA } from '@/features/edit/lib/mask';

const at = (m: MaskModel, x: number, y: number) => m.pixels[y * m.width + x];
const count = (m: MaskModel) => m.pixels.reduce((n, v) => n + v, 0);

describe('MaskModel', () => {
  it('a dot paints a disc of the brush radius around its point, clipped to the picture', () => {
    const m = new MaskModel(40, 30);
    m.beginStroke({ x: 10, y: 10 }, 4, false);
    m.endStroke();
    expect(at(m, 10, 10)).toBe(1);
    expect(at(m, 13, 10)).toBe(1);
    expect(at(m, 15, 10)).toBe(0);
    expect(count(m)).toBeGreaterThan(40);
    expect(count(m)).toBeLessThan(60); // about pi r^2 = 50
    const corner = new MaskModel(8, 8);
    corner.beginStroke({ x: 0, y: 0 }, 3, false);
    expect(at(corner, 0, 0)).toBe(1);
  });

  it('a stroke covers the whole segment between its points, with no gaps', () => {
    const m = new MaskModel(100, 20);
    const r = m.beginStroke({ x: 5, y: 10 }, 3, false);
    expect(r).toEqual({ left: 2, top: 7, right: 9, bottom: 14 });
    m.extendStroke({ x: 95, y: 10 });
    m.endStroke();
    for (let x = 5; x <= 95; x++) expect(at(m, x, 10)).toBe(1);
    expect(at(m, 50, 2)).toBe(0);
  });

  it('the eraser takes paint away', () => {
    const m = new MaskModel(50, 50);
    m.beginStroke({ x: 25, y: 25 }, 10, false);
    m.endStroke();
    m.beginStroke({ x: 25, y: 25 }, 4, true);
    m.endStroke();
    expect(at(m, 25, 25)).toBe(0);
    expect(at(m, 25, 33)).toBe(1);
  });

  it('undo and redo replay the operations; a new one drops what was undone', () => {
    const m = new MaskModel(30, 30);
    expect([m.canUndo, m.canRedo]).toEqual([false, false]);
    m.beginStroke({ x: 5, y: 5 }, 3, false);
    m.endStroke();
    const one = count(m);
    m.beginStroke({ x: 20, y: 20 }, 3, false);
    m.endStroke();
    expect(count(m)).toBe(2 * one);
    expect(m.undo()).toBe(true);
    expect(count(m)).toBe(one);
    expect(at(m, 20, 20)).toBe(0);
    expect(m.redo()).toBe(true);
    expect(at(m, 20, 20)).toBe(1);
    m.undo();
    m.undo();
    expect(m.isEmpty()).toBe(true);
    expect(m.undo()).toBe(false);
    m.redo();
    m.invert();
    expect(m.canRedo).toBe(false);
    expect(count(m)).toBe(30 * 30 - one);
  });

  it('invert swaps painted and kept; clear empties it and can be undone', () => {
    const m = new MaskModel(10, 10);
    m.invert();
    expect(count(m)).toBe(100);
    m.beginStroke({ x: 5, y: 5 }, 2, true);
    m.endStroke();
    expect(at(m, 5, 5)).toBe(0);
    m.clear();
    expect(m.isEmpty()).toBe(true);
    m.undo();
    expect(at(m, 5, 5)).toBe(0);
    expect(at(m, 0, 0)).toBe(1);
  });

  it('exports opaque white (repaint) and black (keep) at the image size', () => {
    const m = new MaskModel(64, 48);
    m.beginStroke({ x: 32, y: 24 }, 5, false);
    m.endStroke();
    const rgba = m.exportRGBA();
    expect(rgba.length).toBe(64 * 48 * 4);
    const px = (x: number, y: number) => [...rgba.slice((y * 64 + x) * 4, (y * 64 + x) * 4 + 4)];
    expect(px(32, 24)).toEqual([255, 255, 255, 255]);
    expect(px(0, 0)).toEqual([0, 0, 0, 255]);
  });

  it('the overlay tints only the painted pixels of the part asked for', () => {
    const m = new MaskModel(20, 20);
    const r = m.beginStroke({ x: 10, y: 10 }, 2, false);
    const part = m.overlay(r);
    const w = r.right - r.left;
    expect(part.length).toBe(w * (r.bottom - r.top) * 4);
    const i = ((10 - r.top) * w + (10 - r.left)) * 4;
    expect([...part.slice(i, i + 4)]).toEqual([...OVERLAY_RGBA]);
    expect([...part.slice(0, 4)]).toEqual([0, 0, 0, 0]);
  });
});
