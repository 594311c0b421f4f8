// A throw-away PostgreSQL cluster for integration tests: initdb into a temporary directory, a
// server on a free loopback port, stopped and deleted at the end.
//
//   const pg = await startPostgres();   // { url, port, dir, createDatabase(), restart(), stop() }
//   startPostgres({ durable: true })     // fsync and synchronous commits on, as in production
//   ... RENDERMART_DATABASE_URL = pg.url ...
//   await pg.stop();
//
// The server binaries come from $RENDERMART_PG_BIN, else Debian's /usr/lib/postgresql/15/bin.
// PostgreSQL refuses to run as root, so when the tests run as root the cluster belongs to `nobody`
// and every server command runs through `runuser -u nobody --` (as tests/support/pg_test_server.hpp
// does for the C++ tests).
//
// Cleanup happens three ways: stop(); the process 'exit' handler (an immediate shutdown); and a
// detached watchdog shell that waits on a pipe from this process and stops the server and deletes
// its directory once the pipe closes, which the kernel does however this process ends.

import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

const PG_BIN = process.env.RENDERMART_PG_BIN || '/usr/lib/postgresql/15/bin';
const PG_CTL_TIMEOUT_S = 60; // pg_ctl's wait for the server to start or stop
const COMMAND_TIMEOUT_MS = (PG_CTL_TIMEOUT_S + 30) * 1000;
const WATCHDOG_ROUNDS = 10; // attempts, a second apart, to remove a cluster after its owner died

const liveClusters = new Set();

process.on('exit', () => {
  for (const cluster of liveClusters) cluster.stopSync('immediate');
});

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function shellQuote(text) {
  return `'${String(text).replaceAll("'", "'\\''")}'`;
}

class Cluster {
  constructor(dir, port, durable) {
    this.dir = dir;
    this.port = port;
    this.durable = durable;
    this.dataDir = path.join(dir, 'data');
    this.logFile = path.join(dir, 'server.log');
    this.asNobody = process.getuid?.() === 0;
    this.running = false;
    this.databases = 0;
    this.url = this.urlFor('postgres');
  }

  urlFor(database) {
    return `postgresql://postgres@127.0.0.1:${this.port}/${database}`;
  }

  // Runs a server binary (as nobody when root); throws with the server log on failure.
  run(binary, args) {
    const command = this.asNobody ? 'runuser' : path.join(PG_BIN, binary);
    const argv = this.asNobody ? ['-u', 'nobody', '--', path.join(PG_BIN, binary), ...args] : args;
    try {
      const options = { stdio: 'pipe', timeout: COMMAND_TIMEOUT_MS };
      return execFileSync(command, argv, options).toString();
    } catch (error) {
      let log = '';
      try { log = fs.readFileSync(this.logFile, 'utf8'); } catch { /* none yet */ }
      throw new Error(`test PostgreSQL: ${binary} ${args.join(' ')} failed: ` +
                      `${error.stderr?.toString() ?? error.message}\n--- server.log\n${log}`);
    }
  }

  pgCtlArgs() {
    return ['-w', '-t', String(PG_CTL_TIMEOUT_S), '-D', this.dataDir];
  }

  initdb() {
    this.run('initdb', ['-D', this.dataDir, '-A', 'trust', '-U', 'postgres', '--encoding=UTF8',
                        '--locale=C.UTF-8', '--no-sync']);
  }

  startWatchdog() {
    const pgCtl = [this.asNobody ? 'runuser -u nobody --' : '',
                   shellQuote(path.join(PG_BIN, 'pg_ctl')),
                   ...this.pgCtlArgs().map(shellQuote)].join(' ');
    // Repeated while the directory reappears: an initdb or pg_ctl started by the dead process may
    // still be writing to it.
    const dir = shellQuote(this.dir);
    const script = `cat > /dev/null; i=0; while [ -e ${dir} ] && [ $i -lt ${WATCHDOG_ROUNDS} ]; do ` +
                   `${pgCtl} -m immediate stop; rm -rf ${dir}; i=$((i + 1)); sleep 1; done`;
    this.watchdog = spawn('/bin/sh', ['-c', script],
                          { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    this.watchdog.unref();
    // The pipe must not keep this process alive either.
    this.watchdog.stdin.on('error', () => {});
    this.watchdog.stdin._handle?.unref?.();
  }

  // Tests need no durability: nothing waits for the disk unless `durable` (for benchmarks that
  // measure what production's settings cost).
  start() {
    const durability = this.durable ? '' :
      '-c fsync=off -c full_page_writes=off -c synchronous_commit=off';
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 ${durability}`;
    this.run('pg_ctl', [...this.pgCtlArgs(), '-l', this.logFile, '-o', options, 'start']);
    this.running = true;
  }

  stopSync(mode = 'fast') {
    if (!this.running) return;
    try {
      this.run('pg_ctl', [...this.pgCtlArgs(), '-m', mode, 'stop']);
    } finally {
      this.running = false;
    }
  }

  // Creates an empty database (a copy of template1) and returns its URL.
  createDatabase() {
    const name = `test_${++this.databases}`;
    const psql = fs.existsSync(path.join(PG_BIN, 'psql')) ? path.join(PG_BIN, 'psql') : 'psql';
    execFileSync(psql,
                 ['-X', '-q', '-v', 'ON_ERROR_STOP=1', '-d', this.url, '-c', `CREATE DATABASE ${name}`],
                 { stdio: 'pipe', timeout: COMMAND_TIMEOUT_MS });
    return this.urlFor(name);
  }

  destroy() {
    this.stopSync('fast');
    liveClusters.delete(this);
    fs.rmSync(this.dir, { recursive: true, force: true });
    this.watchdog?.stdin.end();
  }
}

// Starts a fresh cluster. The returned object's url names the "postgres" database; use
// createDatabase() for an empty one per test.
export async function startPostgres({ durable = false } = {}) {
  if (!fs.existsSync(path.join(PG_BIN, 'initdb'))) {
    throw new Error(`PostgreSQL server binaries not found in ${PG_BIN}; install postgresql-15 ` +
                    'or set RENDERMART_PG_BIN');
  }
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'rendermart-pg-'));
  const cluster = new Cluster(dir, await freePort(), durable);
  if (cluster.asNobody) execFileSync('chown', ['nobody', dir]);
  liveClusters.add(cluster);
  cluster.startWatchdog();
  try {
    cluster.initdb();
    cluster.start();
  } catch (error) {
    cluster.destroy();
    throw error;
  }
  return {
    url: cluster.url,
    port: cluster.port,
    dir,
    createDatabase: () => cluster.createDatabase(),
    // Fast shutdown (sessions terminated, as in a real restart), then start on the same port.
    restart: async () => {
      cluster.stopSync('fast');
      cluster.start();
    },
    stop: async () => cluster.destroy(),
  };
}
