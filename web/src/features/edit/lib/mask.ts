// The inpainting mask as the user paints it: one byte per pixel of the source image (1: repaint,
// 0: keep), made from a list of operations so that undo and redo replay them. No DOM here: the
// canvas shows `overlay` and the upload is made from `exportRGBA`, both at the image's size.

export interface Point { x: number; y: number }

/** What changed, in image pixels (inclusive left/top, exclusive right/bottom). */
export interface Rect { left: number; top: number; right: number; bottom: number }

export type MaskOp =
  | { kind: 'stroke'; erase: boolean; radius: number; points: Point[] }
  | { kind: 'invert' }
  | { kind: 'clear' };

/** The colour the painted area is shown in over the picture (rose, half transparent). */
export const OVERLAY_RGBA = [244, 63, 94, 150] as const;

export class MaskModel {
  readonly width: number;
  readonly height: number;
  /** 1 where the picture is repainted. */
  readonly pixels: Uint8Array;
  private done: MaskOp[] = [];
  private undone: MaskOp[] = [];
  private stroke: Extract<MaskOp, { kind: 'stroke' }> | null = null;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.pixels = new Uint8Array(width * height);
  }

  get canUndo(): boolean { return this.done.length > 0; }
  get canRedo(): boolean { return this.undone.length > 0; }
  get painting(): boolean { return this.stroke !== null; }

  /** Whether nothing would be repainted. */
  isEmpty(): boolean { return !this.pixels.includes(1); }

  /** A stroke starts: a dot of `radius` pixels at `p`, painted (or erased). */
  beginStroke(p: Point, radius: number, erase: boolean): Rect {
    this.stroke = { kind: 'stroke', erase, radius, points: [p] };
    this.done.push(this.stroke);
    this.undone = [];
    return this.stamp(p, p, radius, erase ? 0 : 1);
  }

  /** The stroke goes on to `p`: the segment from its last point is covered without gaps. */
  extendStroke(p: Point): Rect | null {
    const s = this.stroke;
    if (!s) return null;
    const last = s.points[s.points.length - 1];
    s.points.push(p);
    return this.stamp(last, p, s.radius, s.erase ? 0 : 1);
  }

  endStroke(): void { this.stroke = null; }

  invert(): void { this.apply({ kind: 'invert' }); }

  clear(): void { this.apply({ kind: 'clear' }); }

  /** Takes back the last operation; false when there is none. */
  undo(): boolean {
    const op = this.done.pop();
    if (!op) return false;
    this.endStroke();
    this.undone.push(op);
    this.replay();
    return true;
  }

  redo(): boolean {
    const op = this.undone.pop();
    if (!op) return false;
    this.done.push(op);
    this.run(op);
    return true;
  }

  /** The whole mask as the API takes it: opaque white (repaint) and black (keep), RGBA. */
  exportRGBA(): Uint8ClampedArray {
    const out = new Uint8ClampedArray(this.width * this.height * 4);
    for (let i = 0; i < this.pixels.length; i++) {
      const v = this.pixels[i] ? 255 : 0;
      out[i * 4] = v;
      out[i * 4 + 1] = v;
      out[i * 4 + 2] = v;
      out[i * 4 + 3] = 255;
    }
    return out;
  }

  /** The part `r` of what the canvas shows over the picture: the painted area tinted, the rest clear. */
  overlay(r: Rect = this.all()): Uint8ClampedArray {
    const w = r.right - r.left;
    const out = new Uint8ClampedArray(w * (r.bottom - r.top) * 4);
    for (let y = r.top; y < r.bottom; y++) {
      for (let x = r.left; x < r.right; x++) {
        if (!this.pixels[y * this.width + x]) continue;
        out.set(OVERLAY_RGBA, ((y - r.top) * w + (x - r.left)) * 4);
      }
    }
    return out;
  }

  all(): Rect { return { left: 0, top: 0, right: this.width, bottom: this.height }; }

  private apply(op: MaskOp): void {
    this.endStroke();
    this.done.push(op);
    this.undone = [];
    this.run(op);
  }

  private replay(): void {
    this.pixels.fill(0);
    for (const op of this.done) this.run(op);
  }

  private run(op: MaskOp): void {
    if (op.kind === 'clear') { this.pixels.fill(0); return; }
    if (op.kind === 'invert') {
      for (let i = 0; i < this.pixels.length; i++) this.pixels[i] ^= 1;
      return;
    }
    const value = op.erase ? 0 : 1;
    op.points.forEach((p, i) => this.stamp(op.points[Math.max(0, i - 1)], p, op.radius, value));
  }

  /**
   * Discs of `radius` along a to b, an eighth of the radius apart (further apart, a wide brush's
   * edge would be scalloped); returns the pixels touched.
   */
  private stamp(a: Point, b: Point, radius: number, value: 0 | 1): Rect {
    const steps = Math.max(1, Math.ceil(Math.hypot(b.x - a.x, b.y - a.y) / Math.max(1, radius / 8)));
    for (let i = 0; i <= steps; i++) {
      const t = i / steps;
      this.disc(a.x + (b.x - a.x) * t, a.y + (b.y - a.y) * t, radius, value);
    }
    const clampX = (v: number) => Math.min(this.width, Math.max(0, v));
    const clampY = (v: number) => Math.min(this.height, Math.max(0, v));
    return {
      left: clampX(Math.floor(Math.min(a.x, b.x) - radius)),
      top: clampY(Math.floor(Math.min(a.y, b.y) - radius)),
      right: clampX(Math.ceil(Math.max(a.x, b.x) + radius) + 1),
      bottom: clampY(Math.ceil(Math.max(a.y, b.y) + radius) + 1),
    };
  }

  /** The pixels whose centres lie within `radius` of (cx, cy). */
  private disc(cx: number, cy: number, radius: number, value: 0 | 1): void {
    const top = Math.max(0, Math.ceil(cy - radius - 0.5));
    const bottom = Math.min(this.height - 1, Math.floor(cy + radius - 0.5));
    for (let y = top; y <= bottom; y++) {
      const dy = y + 0.5 - cy;
      const half = Math.sqrt(Math.max(0, radius * radius - dy * dy));
      const left = Math.max(0, Math.ceil(cx - half - 0.5));
      const right = Math.min(this.width - 1, Math.floor(cx + half - 0.5));
      if (left <= right) this.pixels.fill(value, y * this.width + left, y * this.width + right + 1);
    }
  }
}
