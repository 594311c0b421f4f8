import type { ModelKind } from '@/shared/api/types';
import { cx } from '@/shared/ui/ui';
import { KIND_LABEL } from './lib';

// Opaque colours with dark text: the badge also sits on top of pictures in the gallery.
const styles: Record<ModelKind, string> = {
  demo: 'bg-amber-100 text-amber-900 ring-amber-300 dark:bg-amber-900 dark:text-amber-50 dark:ring-amber-700',
  local: 'bg-emerald-100 text-emerald-900 ring-emerald-300 dark:bg-emerald-900 dark:text-emerald-50 dark:ring-emerald-700',
  cloud: 'bg-sky-100 text-sky-900 ring-sky-300 dark:bg-sky-900 dark:text-sky-50 dark:ring-sky-700',
};

/** Says what made an image or what a model is; for the demo generator, that it is not AI. */
export function ModelKindBadge({ kind, short = false, className }: { kind: ModelKind; short?: boolean; className?: string }) {
  return (
    <span data-testid="model-kind" data-kind={kind}
      className={cx('inline-flex items-center whitespace-nowrap rounded-full px-2 py-0.5 text-xs font-semibold ring-1 ring-inset', styles[kind], className)}>
      {short ? KIND_LABEL[kind].short : KIND_LABEL[kind].long}
    </span>
  );
}
