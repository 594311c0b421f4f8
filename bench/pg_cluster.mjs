// A throw-away PostgreSQL cluster for the benchmarks (the one the integration tests use):
// prints its URL, then answers each "database" line on stdin with the URL of a new empty
// database, and removes the cluster when stdin closes. With --durable, fsync and synchronous
// commits stay on, as in production (the tests turn them off).
import { createInterface } from 'node:readline';
import { startPostgres } from '../tests/integration/lib/postgres.mjs';

const pg = await startPostgres({ durable: process.argv.includes('--durable') });
console.log(pg.url);
const lines = createInterface({ input: process.stdin });
lines.on('line', (line) => {
  if (line.trim() === 'database') console.log(pg.createDatabase());
});
lines.on('close', async () => {
  await pg.stop();
  process.exit(0);
});
