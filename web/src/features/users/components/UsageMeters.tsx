import type { Usage, UsageCount } from '@/shared/api/types';
import { formatBytes, formatDate } from '@/shared/lib/format';
import { cx } from '@/shared/ui/ui';

function Meter({ label, count, format = String, resets }: { label: string; count: UsageCount; format?: (n: number) => string; resets: string }) {
  const share = Math.min(1, count.used / count.limit);
  const text = `${format(count.used)} of ${format(count.limit)}`;
  return (
    <div data-testid="usage-meter">
      <div className="flex flex-wrap items-baseline justify-between gap-x-3 text-sm">
        <span className="font-medium">{label}</span>
        <span className="text-slate-600 dark:text-slate-400">{text}</span>
      </div>
      <div role="meter" aria-label={label} aria-valuemin={0} aria-valuemax={count.limit} aria-valuenow={Math.min(count.used, count.limit)} aria-valuetext={text}
        className="mt-1 h-2 overflow-hidden rounded-full bg-slate-200 dark:bg-slate-800">
        <div className={cx('h-full rounded-full', share >= 1 ? 'bg-rose-600' : share >= 0.8 ? 'bg-amber-500' : 'bg-brand-600')} style={{ width: `${share * 100}%` }} />
      </div>
      <p className="mt-1 text-xs text-slate-500 dark:text-slate-400">{resets}</p>
    </div>
  );
}

/** Usage against each limit, with when each count starts again. */
export function UsageMeters({ usage }: { usage: Usage }) {
  return (
    <div className="space-y-4">
      <Meter label="Generations in flight" count={usage.jobs_in_flight} resets="A place frees when a generation finishes or is canceled." />
      <Meter label="Images today" count={usage.images_per_day} resets={`Starts again ${formatDate(usage.images_per_day.resets_at)} (midnight UTC). Failed and canceled generations do not count.`} />
      <Meter label="Storage" count={usage.stored_bytes} format={formatBytes} resets="Images and their thumbnails; deleting images frees space." />
      <p className="text-sm text-slate-600 dark:text-slate-400">
        Requests: {usage.requests.per_minute} a minute, in bursts of up to {usage.requests.burst}.
      </p>
    </div>
  );
}
