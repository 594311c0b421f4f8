#!/usr/bin/env python3
"""The platform's cost per job on PostgreSQL and SQLite, with a provider that costs nothing.

Runs build/bench/job_overhead_bench (see its header) for each backend, round after round:
PostgreSQL 15 in a throw-away cluster on loopback (bench/pg_cluster.mjs: the integration tests'
cluster, fsync=off, synchronous_commit=off; "PostgreSQL-durable": another with both on, as in
production), and a SQLite file (WAL, synchronous=NORMAL, as the product opens it); local files as
the blob store (each file fsynced before it is named, as the product writes them), in a temporary
directory on the same disk (--files-dir /dev/shm takes the disk out). Each run gets a fresh
database and directory, one worker thread, and
  - queue:   --jobs jobs queued before the worker starts (enqueueing not counted): the median
             per job of each stage, claim to completed, and the cycle (one claim to the next);
  - trickle: --trickle-jobs jobs queued one at a time, each once the previous one has succeeded
             and the worker has idled --idle-ms: how long the idle worker takes to claim a queued
             job (wake-up); at 0 each job is queued as the worker finishes the last one.
Several builds can be compared in the same run (--bench LABEL=PATH, repeated), interleaved with
the backends round by round. Prints Markdown for docs/benchmarks.md: medians over the rounds of
each run's median, with every round's figure in brackets for the totals.
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import tempfile

from queue_bench import PostgresCluster

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# PostgreSQL-durable: a cluster with fsync and synchronous commits on, as in production.
BACKENDS = ("PostgreSQL", "SQLite", "PostgreSQL-durable")
STAGES = ("claim", "provider", "encoding", "blob_writes", "complete_job", "events",
          "renew_lease", "other")


def run_bench(binary, backend, mode, jobs, idle_ms, args, clusters):
    work = tempfile.mkdtemp(prefix="rendermart-job-overhead-", dir=args.files_dir)
    try:
        database = clusters[backend].new_database() if backend in clusters else \
            "sqlite://" + os.path.join(work, "bench.db")
        load = os.getloadavg()[0]
        result = subprocess.run(
            [binary, "--database", database, "--storage", os.path.join(work, "files"),
             "--mode", mode, "--jobs", str(jobs), "--users", str(args.users), "--size",
             str(args.size), "--idle-ms", str(idle_ms)],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, timeout=900, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"{binary} {backend} {mode} failed: {result.stderr[-2000:]}")
        data = json.loads(result.stdout)
        data["load"] = max(load, os.getloadavg()[0])
        return data
    finally:
        shutil.rmtree(work, ignore_errors=True)


def med(values):
    return statistics.median(values) if values else 0


def ms(us):
    return f"{us / 1000:.3f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bench", action="append", default=[],
                        help="LABEL=PATH of a job_overhead_bench build (repeat to compare)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", type=int, default=300)
    parser.add_argument("--trickle-jobs", type=int, default=40, help="0: no trickle runs")
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--idle-ms", default="20,0",
                        help="trickle: how long the worker idles before each job, ms; a list "
                             "runs each (0: each job queued as the worker finishes the last)")
    parser.add_argument("--files-dir", default=None,
                        help="where the blob directories go (default: the system's temporary "
                             "directory; /dev/shm takes the disk out)")
    parser.add_argument("--json", help="also write every run's figures to this file")
    parser.add_argument("--backends", default="PostgreSQL,SQLite",
                        help="a list of " + ", ".join(BACKENDS))
    args = parser.parse_args()
    benches = [tuple(b.split("=", 1)) for b in args.bench] or \
        [("current", os.path.join(ROOT, "build", "bench", "job_overhead_bench"))]
    backends = args.backends.split(",")
    idle_values = [int(v) for v in args.idle_ms.split(",")]

    started = datetime.datetime.now(datetime.timezone.utc)
    clusters = {}
    if "PostgreSQL" in backends:
        clusters["PostgreSQL"] = PostgresCluster()
    if "PostgreSQL-durable" in backends:
        clusters["PostgreSQL-durable"] = PostgresCluster(durable=True)
    results = {}
    try:
        for _ in range(args.rounds):
            for label, binary in benches:
                for backend in backends:
                    runs = [("queue", args.jobs, 0)] + \
                        [("trickle", args.trickle_jobs, idle) for idle in idle_values
                         if args.trickle_jobs > 0]
                    for mode, jobs, idle in runs:
                        key = (label, backend, mode) if mode == "queue" else \
                            (label, backend, mode, idle)
                        results.setdefault(key, []).append(
                            run_bench(binary, backend, mode, jobs, idle, args, clusters))
    finally:
        for cluster in clusters.values():
            cluster.stop()

    if args.json:
        with open(args.json, "w", encoding="utf-8") as out:
            json.dump([{"key": list(key), "runs": runs} for key, runs in results.items()], out)
    loads = [r["load"] for runs in results.values() for r in runs]
    print(f"Run on {started:%Y-%m-%d %H:%M} UTC: {args.rounds} rounds interleaved, "
          f"{args.jobs} jobs per queue run and {args.trickle_jobs} per trickle run, "
          f"{args.users} users, {args.size}x{args.size} images, 1 worker; load average "
          f"{min(loads):.2f}-{max(loads):.2f}{' (loaded)' if max(loads) > 2 else ''}.\n")

    print("Filled queue, per job, ms (medians over the rounds of each run's median):\n")
    print("| backend | build | " + " | ".join(STAGES) +
          " | claim to completed | cycle (rounds) | encoding share | jobs/s |")
    print("|---|---|" + "---|" * (len(STAGES) + 4))
    for backend in backends:
        for label, _ in benches:
            runs = results[(label, backend, "queue")]
            cells = [ms(med([r["median_us"].get(s, 0) for r in runs])) for s in STAGES]
            cycles = [r["median_us"]["cycle"] for r in runs]
            share = med([r["median_us"]["encoding"] / r["median_us"]["cycle"] for r in runs])
            rate = med([r["jobs_per_s"] for r in runs])
            print(f"| {backend} | {label} | " + " | ".join(cells) +
                  f" | {ms(med([r['median_us']['claim_to_completed'] for r in runs]))}"
                  f" | **{ms(med(cycles))}** ({', '.join(ms(c) for c in cycles)})"
                  f" | {100 * share:.0f}% | {rate:.0f} |")

    alone = {label: [r["encoding_alone_us"] for key, runs in results.items() if key[0] == label
                     for r in runs if "encoding_alone_us" in r] for label, _ in benches}
    if any(alone.values()):
        print("\nEncoding alone (the PNG with its parameters, its SHA-256, the thumbnails; writes "
              "that do nothing), median over the runs: " +
              ", ".join(f"{label} {ms(med(v))} ms" for label, v in alone.items() if v) + ".")
    renewals = {b: sum(r["heartbeat_renewals"] for label, _ in benches
                       for r in results[(label, b, "queue")]) for b in backends}
    print("\nLease renewals by the heartbeat thread during the queue runs: " +
          ", ".join(f"{b} {n}" for b, n in renewals.items()) + ".")

    if args.trickle_jobs <= 0:
        return
    print("\nOne job at a time, queued once the worker has idled for the time given (ms):\n")
    print("| backend | build | idle | wake-up median | p90 | max | claim to completed | "
          "enqueue to succeeded heard | wake-ups over 100 ms |")
    print("|---|---|---|---|---|---|---|---|---|")
    for backend in backends:
        for idle in idle_values:
            for label, _ in benches:
                runs = results[(label, backend, "trickle", idle)]
                print(f"| {backend} | {label} | {idle}"
                      f" | {ms(med([r['wake_us']['median'] for r in runs]))}"
                      f" | {ms(med([r['wake_us']['p90'] for r in runs]))}"
                      f" | {ms(max(r['wake_us']['max'] for r in runs))}"
                      f" | {ms(med([r['median_us']['claim_to_completed'] for r in runs]))}"
                      f" | {ms(med([r['enqueue_to_succeeded_us']['median'] for r in runs]))}"
                      f" | {sum(r['wakes_over_100ms'] for r in runs)} of "
                      f"{sum(r['jobs'] for r in runs)} |")


if __name__ == "__main__":
    main()
