// The painted mask as the request's `mask` takes it: a PNG of the source's size (white: repaint)
// as a data: URL.

/** RGBA pixels of `width` x `height` as a PNG data: URL. */
export function pngDataUrl(rgba: Uint8ClampedArray, width: number, height: number): string {
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('This browser cannot draw on a canvas, which painting a mask needs.');
  const data = ctx.createImageData(width, height);
  data.data.set(rgba);
  ctx.putImageData(data, 0, 0);
  return canvas.toDataURL('image/png');
}
