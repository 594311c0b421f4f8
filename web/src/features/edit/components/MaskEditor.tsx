import { useCallback, useEffect, useId, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { Button, cx } from '@/shared/ui/ui';
import type { MaskModel, Point, Rect } from '../lib/mask';

export const BRUSH_MIN = 4;
export const BRUSH_MAX = 256;
const BRUSH_STEP = 8;

interface Props {
  mask: MaskModel;
  src: string;
  alt: string;
  /** Called after every change of the mask (to re-render what depends on it). */
  onChange: () => void;
}

/**
 * The picture with the mask painted over it. Pointer events, so mouse, pen and touch all paint;
 * the canvas has the image's own size and CSS scales it, so a stroke lands at image pixels.
 */
export function MaskEditor({ mask, src, alt, onChange }: Props) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [brush, setBrush] = useState(() => Math.max(BRUSH_MIN, Math.min(BRUSH_MAX, Math.round(Math.min(mask.width, mask.height) / 10))));
  const [erase, setErase] = useState(false);
  // Where the pointer is, in image pixels: the brush's outline follows it.
  const [cursor, setCursor] = useState<Point | null>(null);
  const shortcutsId = useId();

  const draw = useCallback((r: Rect = mask.all()) => {
    const ctx = canvasRef.current?.getContext('2d');
    const w = r.right - r.left;
    const h = r.bottom - r.top;
    if (!ctx || w <= 0 || h <= 0) return;
    const data = ctx.createImageData(w, h);
    data.data.set(mask.overlay(r));
    ctx.putImageData(data, r.left, r.top);
  }, [mask]);

  useEffect(() => { draw(); }, [draw]);

  const changed = (r?: Rect) => { draw(r); onChange(); };

  const toImage = (e: { clientX: number; clientY: number }): Point => {
    const box = canvasRef.current!.getBoundingClientRect();
    return {
      x: ((e.clientX - box.left) * mask.width) / (box.width || mask.width),
      y: ((e.clientY - box.top) * mask.height) / (box.height || mask.height),
    };
  };

  const onPointerDown = (e: PointerEvent<HTMLCanvasElement>) => {
    if (e.button !== 0) return;
    e.preventDefault();
    e.currentTarget.setPointerCapture?.(e.pointerId);
    // Focused for the keyboard shortcuts, without scrolling: the page must not move under a stroke
    // that starts on a partly visible canvas.
    e.currentTarget.focus({ preventScroll: true });
    changed(mask.beginStroke(toImage(e), brush / 2, erase));
  };
  const onPointerMove = (e: PointerEvent<HTMLCanvasElement>) => {
    setCursor(toImage(e));
    if (!mask.painting) return;
    // A fast pen reports several positions per frame: take them all, for a smooth stroke.
    const events = e.nativeEvent.getCoalescedEvents?.() ?? [e.nativeEvent];
    for (const ev of events.length ? events : [e.nativeEvent]) {
      const r = mask.extendStroke(toImage(ev));
      if (r) draw(r);
    }
    onChange();
  };
  const onPointerUp = () => { if (mask.painting) { mask.endStroke(); onChange(); } };

  const undo = () => { if (mask.undo()) changed(); };
  const redo = () => { if (mask.redo()) changed(); };
  const resize = (by: number) => setBrush((b) => Math.max(BRUSH_MIN, Math.min(BRUSH_MAX, b + by)));

  const onKeyDown = (e: KeyboardEvent) => {
    const mod = e.ctrlKey || e.metaKey;
    const key = e.key.toLowerCase();
    let action: (() => void) | null = null;
    if (mod && key === 'z') action = e.shiftKey ? redo : undo;
    else if (mod && key === 'y') action = redo;
    else if (!mod && e.key === '[') action = () => resize(-BRUSH_STEP);
    else if (!mod && e.key === ']') action = () => resize(BRUSH_STEP);
    else if (!mod && key === 'e') action = () => setErase((x) => !x);
    if (action) { e.preventDefault(); action(); }
  };

  return (
    <div className="space-y-3" onKeyDown={onKeyDown}>
      <div role="toolbar" aria-label="Mask tools" className="flex flex-wrap items-center gap-2">
        <div role="group" aria-label="Brush mode" className="inline-flex gap-1">
          <Button size="sm" aria-pressed={!erase} variant={erase ? 'secondary' : 'primary'} onClick={() => setErase(false)}>Brush</Button>
          <Button size="sm" aria-pressed={erase} variant={erase ? 'primary' : 'secondary'} onClick={() => setErase(true)}>Eraser</Button>
        </div>
        <span className="inline-flex items-center gap-2 text-sm text-slate-700 dark:text-slate-300">
          <label className="inline-flex items-center gap-2">
            Brush size
            <input type="range" min={BRUSH_MIN} max={BRUSH_MAX} value={brush} aria-valuetext={`${brush} pixels`}
              onChange={(e) => setBrush(Number(e.target.value))} className="w-28 accent-brand-600" />
          </label>
          <span className="w-12 tabular-nums" aria-hidden="true">{brush}px</span>
        </span>
        <Button size="sm" onClick={undo} disabled={!mask.canUndo}>Undo</Button>
        <Button size="sm" onClick={redo} disabled={!mask.canRedo}>Redo</Button>
        <Button size="sm" onClick={() => { mask.invert(); changed(); }}>Invert</Button>
        <Button size="sm" onClick={() => { mask.clear(); changed(); }} disabled={mask.isEmpty()}>Clear</Button>
      </div>
      <div className="relative overflow-hidden rounded-xl bg-slate-100 ring-1 ring-slate-200 dark:bg-slate-900 dark:ring-slate-800">
        <img src={src} alt={alt} width={mask.width} height={mask.height} className="block h-auto w-full select-none" draggable={false} />
        <canvas
          ref={canvasRef}
          width={mask.width}
          height={mask.height}
          tabIndex={0}
          role="img"
          aria-label="Mask: paint over the parts to repaint"
          aria-describedby={shortcutsId}
          data-testid="mask-canvas"
          className={cx('absolute inset-0 h-full w-full touch-none focus-visible:outline focus-visible:outline-4 focus-visible:-outline-offset-4 focus-visible:outline-brand-500', erase ? 'cursor-cell' : 'cursor-crosshair')}
          onPointerDown={onPointerDown}
          onPointerMove={onPointerMove}
          onPointerUp={onPointerUp}
          onPointerCancel={onPointerUp}
          onPointerLeave={() => setCursor(null)}
        />
        {cursor ? (
          <div aria-hidden="true" className="pointer-events-none absolute aspect-square -translate-x-1/2 -translate-y-1/2 rounded-full border-2 border-white ring-1 ring-slate-900/70"
            style={{ left: `${(cursor.x / mask.width) * 100}%`, top: `${(cursor.y / mask.height) * 100}%`, width: `${(brush / mask.width) * 100}%` }} />
        ) : null}
      </div>
      <p id={shortcutsId} className="text-xs text-slate-600 dark:text-slate-400">
        Painted parts (shown in rose) are repainted. Keys: Ctrl+Z undo, Ctrl+Shift+Z or Ctrl+Y redo, [ and ] brush size, E eraser.
      </p>
    </div>
  );
}
