#!/usr/bin/env python3
"""Benchmarks of the running platform over loopback HTTP.

Starts `rendermart serve` on a free port with a temporary data directory and measures, each
over several runs (medians are reported, with every run listed):
  - GET /api/v1/images?limit=50 and GET /api/v1/images/{id}/thumbnail with wrk
    (requests/s and latency percentiles),
  - queue throughput with the built-in generator at 256x256: jobs posted concurrently, then
    jobs/s over the time from the first job's started_at to the last one's finished_at (the
    API's own timestamps, so neither posting nor polling is counted),
  - the server's resident memory at idle and under load.
The same two read requests are also measured, interleaved run by run, against a baseline: the
same work written with Node.js and Express (bench/express-baseline, the original service's
stack) over the same SQLite database and files.
Uses the Python standard library, Debian's wrk and Node.js. Prints Markdown for
docs/benchmarks.md.
"""

import argparse
import concurrent.futures
import datetime
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Client:
    def __init__(self, port):
        self.port = port
        self.cookie = None

    def call(self, method, path, body=None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        # From the server's own origin, as the web app's requests are: the API refuses a cookie
        # request from another site.
        headers = {"content-type": "application/json", "origin": f"http://127.0.0.1:{self.port}"}
        if self.cookie:
            headers["cookie"] = self.cookie
        conn.request(method, path, json.dumps(body) if body is not None else None, headers)
        response = conn.getresponse()
        data = response.read()
        cookie = response.getheader("set-cookie")
        if cookie:
            self.cookie = cookie.split(";")[0]
        conn.close()
        return response.status, (json.loads(data) if data and response.getheader("content-type", "").startswith("application/json") else data)


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def wrk(url, cookie, seconds, connections, threads=2):
    out = subprocess.run(
        ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency",
         "-H", f"Cookie: {cookie}", url],
        check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for p in ("50", "90", "99"):
        m = re.search(rf"\s{p}%\s+([\d.]+)(us|ms|s)", out)
        value = float(m.group(1)) * {"us": 0.001, "ms": 1, "s": 1000}[m.group(2)]
        lat[p] = value
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if errors:
        raise RuntimeError(f"wrk saw {errors.group(1)} error responses for {url}")
    return rps, lat


def start_baseline(port, data_dir):
    here = os.path.join(ROOT, "bench", "express-baseline")
    subprocess.run(["bash", os.path.join(ROOT, "scripts", "npm-install.sh"), here], check=True,
                   stdout=subprocess.DEVNULL)
    process = subprocess.Popen(["node", "server.mjs", "--port", str(port), "--data-dir", data_dir],
                               cwd=here, stdout=subprocess.PIPE, text=True)
    if process.stdout.readline().strip() != "listening":
        raise RuntimeError("the Express baseline did not start")
    return process


def wait_for_jobs(client, ids, timeout):
    """Waits until every job succeeded; returns the final job bodies."""
    deadline = time.time() + timeout
    pending = set(ids)
    done = {}
    while pending and time.time() < deadline:
        for job_id in list(pending):
            status, body = client.call("GET", f"/api/v1/generations/{job_id}")
            if status == 200 and body["status"] in ("succeeded", "failed", "canceled"):
                if body["status"] != "succeeded":
                    raise RuntimeError(f"job {job_id} ended {body['status']}: {body['error']}")
                pending.discard(job_id)
                done[job_id] = body
        time.sleep(0.05)
    if pending:
        raise RuntimeError(f"{len(pending)} jobs did not finish in {timeout} s")
    return list(done.values())


def api_time(text):
    """Seconds since the epoch from the API's ISO-8601 UTC timestamps."""
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def post_jobs(client, count, threads=4, size=256):
    """Posts `count` generations from a few threads at once, so that the workers, not the
    posting, set the pace; returns their ids."""
    ids = [None] * count

    def post(i):
        worker = Client(client.port)
        worker.cookie = client.cookie
        status, body = worker.call("POST", "/api/v1/generations", {
            "prompt": f"benchmark {i} mountains at sunset", "width": size, "height": size,
            "steps": 1, "seed": i})
        assert status == 202, body
        ids[i] = body["id"]

    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(post, range(count)))
    return ids


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "rendermart"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5, help="duration of each wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--jobs", type=int, default=200, help="jobs per queue run")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    data_dir = tempfile.mkdtemp(prefix="rendermart-bench-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENDERMART_")}
    server = subprocess.Popen(
        [args.binary, "serve", "--port", str(port), "--data-dir", data_dir,
         "--workers", str(args.workers), "--log-level", "warn"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = Client(port)
        for _ in range(100):
            try:
                if client.call("GET", "/healthz")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        status, _ = client.call("POST", "/api/v1/auth/register",
                                {"email": "bench@example.com", "password": "bench password"})
        assert status == 201, status

        # Queue throughput from the API's own timestamps: jobs over the time from the first job
        # started to the last one finished, so that neither posting nor polling is counted.
        queue_runs = []
        for _ in range(args.runs):
            jobs = wait_for_jobs(client, post_jobs(client, args.jobs), 600)
            first_started = min(api_time(job["started_at"]) for job in jobs)
            last_finished = max(api_time(job["finished_at"]) for job in jobs)
            queue_runs.append(len(jobs) / max(last_finished - first_started, 0.001))

        status, page = client.call("GET", "/api/v1/images?limit=1")
        image_id = page["items"][0]["id"]
        idle_rss = rss_kib(server.pid)

        peak = [0]
        stop = threading.Event()

        def sample():
            while not stop.is_set():
                peak[0] = max(peak[0], rss_kib(server.pid))
                time.sleep(0.1)

        sampler = threading.Thread(target=sample)
        sampler.start()
        baseline_port = free_port()
        baseline = start_baseline(baseline_port, data_dir)
        servers = {"rendermart": f"http://127.0.0.1:{port}",
                   "Express baseline": f"http://127.0.0.1:{baseline_port}"}
        paths = {"GET /api/v1/images?limit=50": "/api/v1/images?limit=50",
                 "GET /api/v1/images/{id}/thumbnail?size=256":
                     f"/api/v1/images/{image_id}/thumbnail?size=256"}
        results = {(name, server): [] for name in paths for server in servers}
        try:
            for _ in range(args.runs):
                for name, path in paths.items():
                    for server_name, base in servers.items():
                        results[(name, server_name)].append(
                            wrk(base + path, client.cookie, args.seconds, args.connections))
        finally:
            stop.set()
            sampler.join()
            baseline.terminate()
            baseline.wait(timeout=10)

        print(f"Images in the gallery: {args.jobs * args.runs}; wrk -t2 -c{args.connections} "
              f"-d{args.seconds}s, {args.runs} runs interleaved, medians (all runs in brackets).\n")
        print("| Request | Server | req/s | p50 ms | p90 ms | p99 ms |")
        print("|---|---|---|---|---|---|")
        for (name, server_name), runs in results.items():
            rps = [r[0] for r in runs]
            med = lambda p: statistics.median(r[1][p] for r in runs)
            print(f"| `{name}` | {server_name} | {statistics.median(rps):,.0f} "
                  f"({', '.join(f'{x:,.0f}' for x in rps)}) "
                  f"| {med('50'):.2f} | {med('90'):.2f} | {med('99'):.2f} |")
        for name in paths:
            ratio = (statistics.median(r[0] for r in results[(name, "rendermart")]) /
                     statistics.median(r[0] for r in results[(name, "Express baseline")]))
            print(f"\n`{name}`: rendermart serves {ratio:.1f}x the requests per second of the "
                  f"Express baseline.")
        print(f"\nQueue, {args.jobs} jobs of 256x256 (1 step), {args.workers} workers, first "
              f"started to last finished: {statistics.median(queue_runs):.1f} jobs/s "
              f"({', '.join(f'{x:.1f}' for x in queue_runs)}).")
        print(f"\nServer memory (RSS): {idle_rss / 1024:.1f} MiB at idle after the queue runs, "
              f"{peak[0] / 1024:.1f} MiB peak under load.")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
