#!/usr/bin/env python3
"""Queue and read benchmarks on PostgreSQL against SQLite.

For each backend (a throw-away PostgreSQL 15 cluster, and SQLite) and 1, 2 and 4 workers, starts
`rendermart serve --workers N` with a fresh database, posts jobs of the built-in generator at
64x64 (1 step), and reports
  - jobs/s: jobs / (last finished_at - first started_at), from the API's own timestamps,
  - claim latency: the mean of rendermart_queue_claim_seconds from /metrics (the time one claim
    takes in the database),
then, with the images of those runs in the gallery, GET /api/v1/images?limit=50 with wrk.
Medians of several runs; the backends are interleaved run by run, so that both see the same
machine. Prints Markdown for docs/benchmarks.md.
"""

import argparse
import os
import re
import shutil
import signal
import statistics
import subprocess
import tempfile
import time

from platform_bench import (ROOT, Client, api_time, free_port, post_jobs, wait_for_jobs, wrk)


class PostgresCluster:
    def __init__(self, durable=False):
        self.process = subprocess.Popen(
            ["node", os.path.join(ROOT, "bench", "pg_cluster.mjs")] +
            (["--durable"] if durable else []),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=os.path.join(ROOT, "tests"))
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("postgres"):
            raise RuntimeError("the PostgreSQL cluster did not start")

    def new_database(self):
        self.process.stdin.write("database\n")
        self.process.stdin.flush()
        return self.process.stdout.readline().strip()

    def stop(self):
        self.process.stdin.close()
        self.process.wait(timeout=60)


def start_server(binary, data_dir, workers, database_url):
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENDERMART_")}
    args = [binary, "serve", "--port", str(port), "--data-dir", data_dir, "--workers", str(workers),
            "--log-level", "warn"]
    if database_url:
        args += ["--database-url", database_url]
    process = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = Client(port)
    for _ in range(200):
        try:
            if client.call("GET", "/healthz")[0] == 200:
                return process, client
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("the server did not start")


def stop_server(process):
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)


def claim_mean_ms(client):
    _, text = client.call("GET", "/metrics")
    text = text.decode()
    total = float(re.search(r"^rendermart_queue_claim_seconds_sum (\S+)", text, re.M).group(1))
    count = float(re.search(r"^rendermart_queue_claim_seconds_count (\S+)", text, re.M).group(1))
    return 1000 * total / count


def run_once(binary, backend, workers, jobs, pg, list_seconds):
    data_dir = tempfile.mkdtemp(prefix="rendermart-queue-bench-")
    try:
        database_url = pg.new_database() if backend == "PostgreSQL" else ""
        process, client = start_server(binary, data_dir, workers, database_url)
        try:
            status, _ = client.call("POST", "/api/v1/auth/register",
                                    {"email": "bench@example.com", "password": "bench password"})
            assert status == 201, status
            done = wait_for_jobs(client, post_jobs(client, jobs, size=64), 600)
            first = min(api_time(j["started_at"]) for j in done)
            last = max(api_time(j["finished_at"]) for j in done)
            result = {"jobs_per_s": jobs / (last - first), "claim_ms": claim_mean_ms(client)}
            if list_seconds:
                result["list_rps"] = wrk(f"http://127.0.0.1:{client.port}/api/v1/images?limit=50",
                                         client.cookie, list_seconds, 32)[0]
            return result
        finally:
            stop_server(process)
    finally:
        shutil.rmtree(data_dir, ignore_errors=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "rendermart"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    args = parser.parse_args()

    pg = PostgresCluster()
    try:
        results = {}
        for _ in range(args.runs):
            for workers in (1, 2, 4):
                for backend in ("PostgreSQL", "SQLite"):
                    # The image list is measured once per run, with 2 workers' gallery.
                    seconds = args.seconds if workers == 2 else 0
                    results.setdefault((backend, workers), []).append(
                        run_once(args.binary, backend, workers, args.jobs, pg, seconds))
    finally:
        pg.stop()

    print(f"{args.jobs} jobs of 64x64 (1 step) per run, {args.runs} runs interleaved, medians "
          "(all runs in brackets).\n")
    print("| Backend | Workers | jobs/s | mean claim ms |")
    print("|---|---|---|---|")
    for (backend, workers), runs in sorted(results.items()):
        rates = [r["jobs_per_s"] for r in runs]
        claims = [r["claim_ms"] for r in runs]
        print(f"| {backend} | {workers} | {statistics.median(rates):.1f} "
              f"({', '.join(f'{x:.1f}' for x in rates)}) | {statistics.median(claims):.2f} "
              f"({', '.join(f'{x:.2f}' for x in claims)}) |")
    print(f"\n`GET /api/v1/images?limit=50` with {args.jobs} images, wrk -t2 -c32 -d{args.seconds}s:")
    for backend in ("PostgreSQL", "SQLite"):
        rps = [r["list_rps"] for r in results[(backend, 2)]]
        print(f"- {backend}: {statistics.median(rps):,.0f} req/s ({', '.join(f'{x:,.0f}' for x in rps)})")


if __name__ == "__main__":
    main()
