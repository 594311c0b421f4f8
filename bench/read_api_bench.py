#!/usr/bin/env python3
"""The read API on PostgreSQL against the original service's stack doing the same reads.

Starts a throw-away PostgreSQL 15 cluster (bench/pg_cluster.mjs), makes --users users with
--images images each (bench/api_memory_bench.py's seed: real images through the queue, then
copies of their rows in SQL, one prompt in eight mentioning a lighthouse), then serves them from
the same cluster and the same files with
  - the binary's `api` role (the process an API pod runs), and
  - bench/express-pg-baseline: Express 4 + pg + express-session with connect-pg-simple (sessions
    in PostgreSQL, touched on every request) + passport-local (the user deserialized from the
    database on every request), the original service's stack,
and measures with wrk -t2 -c<connections> -d<seconds>s, each of the user's own reads in turn:
  - list:      GET /api/v1/images?limit=50
  - search:    GET /api/v1/images?limit=50&q=lighthouse
  - detail:    GET /api/v1/images/{id}
  - thumbnail: GET /api/v1/images/{id}/thumbnail?size=256
Each round runs every endpoint on both servers, one after the other; the table gives medians over
--rounds rounds (every round in brackets): requests/s, p50 and p99 latency, the CPU time per
request of the server process and of PostgreSQL's processes (from /proc, over the wrk run), and
the servers' resident memory (VmHWM, the peak, at the end). Both servers run at once; only one is
loaded at a time. Prints Markdown for docs/benchmarks.md.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from api_memory_bench import seed, start, status_fields, stop  # noqa: E402
from platform_bench import ROOT, Client, free_port, wrk  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pids):
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except FileNotFoundError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def postgres_pids():
    out = subprocess.run(["pgrep", "-x", "postgres"], capture_output=True, text=True).stdout
    return [int(p) for p in out.split()]


def start_baseline(port, data_dir, database_url):
    here = os.path.join(ROOT, "bench", "express-pg-baseline")
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "npm-install.sh"), here], check=True,
                   stdout=subprocess.DEVNULL)
    process = subprocess.Popen(["node", "server.mjs", "--port", str(port), "--data-dir", data_dir,
                                "--database-url", database_url], cwd=here, stdout=subprocess.PIPE, text=True)
    if process.stdout.readline().strip() != "listening":
        raise RuntimeError("the Express + pg baseline did not start")
    return process


def signed_in(port, account, register_path, login_path):
    client = Client(port)
    if register_path:
        status, _ = client.call("POST", register_path, {"email": account[0], "password": account[1]})
        assert status == 201, status
    status, _ = client.call("POST", login_path, {"email": account[0], "password": account[1]})
    assert status == 200, status
    return client


def median_text(values, fmt):
    return f"{fmt(statistics.median(values))} ({', '.join(fmt(v) for v in values)})"


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "rendermart-slim"))
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--images", type=int, default=5000, help="images per user")
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--api-env", action="append", default=[], metavar="NAME=VALUE",
                        help="a setting of the api process (e.g. RENDERMART_HTTP_THREADS=8), to measure a lever")
    args = parser.parse_args()

    cluster = subprocess.Popen(["node", os.path.join(ROOT, "bench", "pg_cluster.mjs")], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True, cwd=os.path.join(ROOT, "tests"))
    data_dir = tempfile.mkdtemp(prefix="rendermart-read-")
    servers = {}
    try:
        cluster.stdout.readline()
        cluster.stdin.write("database\n")
        cluster.stdin.flush()
        database_url = cluster.stdout.readline().strip()
        accounts = seed(args.binary, data_dir, database_url, args.images, args.users)

        api_port, baseline_port = free_port(), free_port()
        api_env = dict(setting.split("=", 1) for setting in args.api_env)
        api, _ = start(args.binary, "api", api_port, data_dir, database_url, api_env)
        baseline = start_baseline(baseline_port, data_dir, database_url)
        servers = {"rendermart api": (api, api_port), "Express + pg": (baseline, baseline_port)}
        # The reads are the last user's own; the others' rows make the tables their real size.
        account = accounts[-1]
        clients = {
            "rendermart api": signed_in(api_port, account, None, "/api/v1/auth/login"),
            "Express + pg": signed_in(baseline_port, account, "/register", "/login"),
        }
        status, page = clients["rendermart api"].call("GET", "/api/v1/images?limit=50")
        assert status == 200 and len(page["items"]) == 50, status
        image_id = page["items"][0]["id"]
        for name, client in clients.items():
            status, found = client.call("GET", "/api/v1/images?limit=50&q=lighthouse")
            assert status == 200 and len(found["items"]) == 50, (name, status)
        endpoints = {
            "`GET /api/v1/images?limit=50`": "/api/v1/images?limit=50",
            "`... &q=lighthouse`": "/api/v1/images?limit=50&q=lighthouse",
            "`GET /api/v1/images/{id}`": f"/api/v1/images/{image_id}",
            "`GET /api/v1/images/{id}/thumbnail?size=256`": f"/api/v1/images/{image_id}/thumbnail?size=256",
        }
        results = {(e, s): [] for e in endpoints for s in servers}
        for round_index in range(args.rounds):
            for endpoint, path in endpoints.items():
                for name, (process, port) in servers.items():
                    pg_pids = postgres_pids()
                    server_before, pg_before = cpu_seconds([process.pid]), cpu_seconds(pg_pids)
                    rps, latency = wrk(f"http://127.0.0.1:{port}{path}", clients[name].cookie, args.seconds,
                                       args.connections)
                    requests = rps * args.seconds
                    results[(endpoint, name)].append({
                        "rps": rps, "p50": latency["50"], "p99": latency["99"],
                        "server_us": (cpu_seconds([process.pid]) - server_before) / requests * 1e6,
                        "pg_us": (cpu_seconds(pg_pids) - pg_before) / requests * 1e6,
                    })
                    print(f"# round {round_index + 1} {endpoint} {name}: {results[(endpoint, name)][-1]}",
                          file=sys.stderr, flush=True)

        cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"],
                             capture_output=True, text=True).stdout.strip()
        print(f"{args.users} users x {args.images:,} images on PostgreSQL 15 (one cluster, local files); "
              f"wrk -t2 -c{args.connections} -d{args.seconds}s per run; medians of {args.rounds} rounds "
              f"(each round in brackets); CPU: {cpu}, {os.cpu_count()} vCPUs; api settings: "
              f"{' '.join(args.api_env) or 'defaults'}.\n")
        print("| endpoint | server | req/s | ratio | p50 ms | p99 ms | server CPU us/req | PostgreSQL CPU us/req |")
        print("|---|---|---|---|---|---|---|---|")
        for endpoint in endpoints:
            ours = statistics.median(r["rps"] for r in results[(endpoint, "rendermart api")])
            theirs = statistics.median(r["rps"] for r in results[(endpoint, "Express + pg")])
            for name in servers:
                runs = results[(endpoint, name)]
                ratio = f"{ours / theirs:.1f}x" if name == "rendermart api" else ""
                print(f"| {endpoint} | {name} | {median_text([r['rps'] for r in runs], lambda v: f'{v:,.0f}')} | "
                      f"{ratio} | {statistics.median(r['p50'] for r in runs):.2f} | "
                      f"{median_text([r['p99'] for r in runs], lambda v: f'{v:.1f}')} | "
                      f"{statistics.median(r['server_us'] for r in runs):.0f} | "
                      f"{statistics.median(r['pg_us'] for r in runs):.0f} |")
        print()
        for name, (process, _) in servers.items():
            fields = status_fields(process.pid)
            print(f"- {name}: peak RSS {int(fields['VmHWM']) / 1024:.1f} MiB, RSS at the end "
                  f"{int(fields['VmRSS']) / 1024:.1f} MiB")
    finally:
        for process, _ in servers.values():
            stop(process)
        cluster.stdin.close()
        cluster.wait(timeout=60)
        subprocess.run(["rm", "-rf", data_dir], check=False)


if __name__ == "__main__":
    main()
