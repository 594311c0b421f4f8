// The pictures the edit view makes in the browser before a job: the painted mask as a PNG, and for
// outpainting the extended canvas with its mask. The server takes masks as images of the source's
// size (white: repaint), so both are made at full size here.
import type { Side } from './tasks';

function canvasOf(width: number, height: number): [HTMLCanvasElement, CanvasRenderingContext2D] {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw on a canvas, which editing needs.');
  return [canvas, ctx];
}

function pngOf(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('The picture could not be encoded as PNG.'))), 'image/png'));
}

/** RGBA pixels of `width` x `height` as a PNG file. */
export function encodePng(rgba: Uint8ClampedArray, width: number, height: number): Promise<Blob> {
  const [canvas, ctx] = canvasOf(width, height);
  const data = ctx.createImageData(width, height);
  data.data.set(rgba);
  ctx.putImageData(data, 0, 0);
  return pngOf(canvas);
}

function loadPicture(url: string): Promise<HTMLImageElement> {
  return new Promise((resolve, reject) => {
    const img = new Image();
    img.onload = () => resolve(img);
    img.onerror = () => reject(new Error('The picture could not be loaded: reload the page and try again.'));
    img.src = url;
  });
}

/**
 * The picture at `url` grown by `margins` (its edge pixels stretched into the new area, so the
 * fill starts from its colours), and the outpaint mask: white over the original picture, which
 * outpaint keeps, black where it paints.
 */
export async function extendPicture(url: string, width: number, height: number, margins: Record<Side, number>): Promise<{ picture: Blob; mask: Blob }> {
  const img = await loadPicture(url);
  const { top: t, right: r, bottom: b, left: l } = margins;
  const W = width + l + r;
  const H = height + t + b;
  const [canvas, ctx] = canvasOf(W, H);
  ctx.imageSmoothingEnabled = false;
  // [source x, y, w, h] -> [target x, y, w, h]: the picture, its four edges and four corners.
  const parts: Array<[number, number, number, number, number, number, number, number]> = [
    [0, 0, width, height, l, t, width, height],
    [0, 0, 1, height, 0, t, l, height], [width - 1, 0, 1, height, l + width, t, r, height],
    [0, 0, width, 1, l, 0, width, t], [0, height - 1, width, 1, l, t + height, width, b],
    [0, 0, 1, 1, 0, 0, l, t], [width - 1, 0, 1, 1, l + width, 0, r, t],
    [0, height - 1, 1, 1, 0, t + height, l, b], [width - 1, height - 1, 1, 1, l + width, t + height, r, b],
  ];
  for (const [sx, sy, sw, sh, dx, dy, dw, dh] of parts) {
    if (dw > 0 && dh > 0) ctx.drawImage(img, sx, sy, sw, sh, dx, dy, dw, dh);
  }
  const [maskCanvas, maskCtx] = canvasOf(W, H);
  maskCtx.fillStyle = '#000';
  maskCtx.fillRect(0, 0, W, H);
  maskCtx.fillStyle = '#fff';
  maskCtx.fillRect(l, t, width, height);
  return { picture: await pngOf(canvas), mask: await pngOf(maskCanvas) };
}
