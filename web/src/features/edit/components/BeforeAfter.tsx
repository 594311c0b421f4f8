import { useState } from 'react';

interface Props {
  before: { src: string; alt: string };
  after: { src: string; alt: string };
  width: number;
  height: number;
}

/**
 * The result over its source, split where the slider says: left of the line is the source, right
 * the result. The slider is a native range input, so arrows, Home and End move it.
 */
export function BeforeAfter({ before, after, width, height }: Props) {
  const [split, setSplit] = useState(50);
  return (
    <figure className="space-y-2" data-testid="before-after">
      <div className="relative overflow-hidden rounded-xl bg-slate-100 ring-1 ring-slate-200 dark:bg-slate-900 dark:ring-slate-800" style={{ aspectRatio: `${width} / ${height}` }}>
        <img src={after.src} alt={after.alt} className="absolute inset-0 h-full w-full object-contain" />
        <img src={before.src} alt={before.alt} className="absolute inset-0 h-full w-full object-contain" style={{ clipPath: `inset(0 ${100 - split}% 0 0)` }} />
        <div aria-hidden="true" className="absolute inset-y-0 w-0.5 bg-white shadow-[0_0_0_1px_rgba(15,23,42,0.5)]" style={{ left: `${split}%` }} />
      </div>
      <figcaption className="flex items-center gap-3 text-sm text-slate-700 dark:text-slate-300">
        <span aria-hidden="true">Before</span>
        <input type="range" min={0} max={100} value={split} onChange={(e) => setSplit(Number(e.target.value))}
          aria-label="Before and after: how much of the source to show" aria-valuetext={`${split}% source, ${100 - split}% result`}
          className="w-full accent-brand-600" />
        <span aria-hidden="true">After</span>
      </figcaption>
    </figure>
  );
}
