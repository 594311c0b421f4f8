import { Link } from 'react-router-dom';
import type { ModelPull } from '@/shared/api/types';
import { CloudSetupHint } from './CloudSetupHint';
import { QuickInstall } from './QuickInstall';

const code = 'rounded bg-white/70 px-1 py-0.5 font-mono text-xs text-slate-800 dark:bg-slate-900 dark:text-slate-200';

/** Shown on Create while the demo generator is the only model: what it is, and how to add a real one. */
export function NoAiModelNote({ isAdmin, onInstalled }: { isAdmin: boolean; onInstalled: (p: ModelPull) => void }) {
  return (
    <section aria-labelledby="no-ai-model-title" data-testid="no-ai-model"
      className="mb-6 rounded-2xl bg-amber-50 p-5 text-sm text-slate-800 ring-1 ring-inset ring-amber-200 dark:bg-amber-950/40 dark:text-slate-200 dark:ring-amber-900">
      <h2 id="no-ai-model-title" className="text-base font-semibold text-slate-900 dark:text-white">No AI model is installed</h2>
      <p className="mt-1">
        This server only has the demo generator. It is not AI: it draws simple scenes from a few words of the prompt, so most subjects will be missing.
      </p>
      <ul className="mt-3 list-disc space-y-1.5 pl-5">
        <li>
          <span className="font-medium">A local model:</span> an administrator installs one from the{' '}
          {isAdmin ? <Link to="/models" className="font-medium text-brand-700 underline dark:text-brand-300">Models page</Link> : 'Models page'} or runs{' '}
          <code className={code}>rendermart models pull stabilityai/sd-turbo</code> on the server.
        </li>
        <li><span className="font-medium">A cloud provider:</span> <CloudSetupHint /></li>
      </ul>
      {isAdmin ? <div className="mt-4"><QuickInstall onInstalled={onInstalled} /></div>
        : <p className="mt-3">Ask an administrator of this server to add one.</p>}
    </section>
  );
}
