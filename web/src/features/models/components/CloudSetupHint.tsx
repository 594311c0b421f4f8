const code = 'rounded bg-slate-100 px-1 py-0.5 font-mono text-xs text-slate-800 dark:bg-slate-800 dark:text-slate-200';

/** Cloud providers are set up in the server's environment, not in the app: say which variables. */
export function CloudSetupHint() {
  return (
    <>
      Amazon Bedrock: set <code className={code}>RENDERMART_BEDROCK_REGION</code> (the server needs AWS credentials).
      An OpenAI-compatible service: set <code className={code}>RENDERMART_OPENAI_API_KEY</code>, plus{' '}
      <code className={code}>RENDERMART_OPENAI_BASE_URL</code> for a service other than OpenAI; its image models are
      discovered, or <code className={code}>RENDERMART_OPENAI_MODELS</code> names the ones to offer. Then restart
      RenderMart; the “Cloud models” section of its README has the details.
    </>
  );
}
