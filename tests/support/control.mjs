// How the local test servers (S3, Bedrock, OpenAI) talk to the test that started them: one JSON
// object per line on stdout (first the server's description, then one answer per command) and
// one JSON command per line on stdin. The server stops on SIGTERM, SIGINT or when stdin closes.

import { createInterface } from 'node:readline';

export function reply(object) {
  process.stdout.write(`${JSON.stringify(object)}\n`);
}

// Runs `handle(command)` (which may be async) for each command and answers {ok: true, ...what it
// returns}, or {ok: false, error} when it throws; calls `stop` on a signal or when stdin closes.
export function serveCommands(handle, stop) {
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  const commands = createInterface({ input: process.stdin });
  commands.on('line', async (line) => {
    if (!line.trim()) return;
    try {
      reply({ ok: true, ...(await handle(JSON.parse(line))) });
    } catch (error) {
      reply({ ok: false, error: String(error?.message ?? error) });
    }
  });
  commands.on('close', stop);
}
