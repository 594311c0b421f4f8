#!/usr/bin/env python3
"""Resident memory of the `api` role on PostgreSQL: idle, and under wrk load.

The API pods get a 64Mi request and a 128Mi limit (deploy/k8s/base/backend.yaml); the api
process should idle at <= 48 MiB and stay <= 64 MiB under load. This starts a throw-away
PostgreSQL cluster (bench/pg_cluster.mjs), makes one user's gallery of --images images (a
generation of 4 real images through the queue, then copies of their rows made in SQL, so that a
few thousand take seconds; the list and detail requests read rows, not files), then starts the
binary's `api` role alone on it and reports, per environment variant:
  - VmRSS once it is ready, and after a sign-in and a few authenticated requests (idle),
  - VmHWM after the sign-in, whose password hash takes 64 MiB for a moment; then the peak is
    reset (/proc/PID/clear_refs) so that the load is measured alone,
  - VmHWM (the peak) after wrk -t2 -c64 on GET /api/v1/images?limit=50, then on
    GET /api/v1/images/{id}, --seconds each,
  - RSS split into anonymous and file-backed memory (RssAnon, RssFile), and the thread count,
    at the end.
Variants: the default, and with glibc's malloc held to 2 arenas (MALLOC_ARENA_MAX=2): each
thread that allocates may otherwise get an arena of its own, up to 8 per core.
Uses the Python standard library, wrk, psql and Node.js (for the cluster). Prints Markdown.
"""

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from platform_bench import ROOT, Client, free_port, wait_for_jobs, wrk  # noqa: E402

NO_LIMITS = {
    "RENDERMART_REQUESTS_PER_MINUTE": "100000000", "RENDERMART_REQUEST_BURST": "100000000",
    "RENDERMART_MAX_IMAGES_PER_DAY": "100000000", "RENDERMART_MAX_JOBS_IN_FLIGHT": "100000",
}
VARIANTS = {"default": {}, "MALLOC_ARENA_MAX=2": {"MALLOC_ARENA_MAX": "2"}}


def status_fields(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.split()[0] if value.split() else ""
    return fields


def mib(kib):
    return int(kib) / 1024


def start(binary, role, port, data_dir, database_url, extra_env):
    env = {k: v for k, v in os.environ.items() if not k.startswith("RENDERMART_") and k != "MALLOC_ARENA_MAX"}
    env.update(NO_LIMITS)
    env.update(extra_env)
    env.update({"RENDERMART_LOG_LEVEL": "warn", "RENDERMART_DATABASE_URL": database_url})
    process = subprocess.Popen([binary, role, "--port", str(port), "--data-dir", data_dir], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    client = Client(port)
    for _ in range(300):
        try:
            if client.call("GET", "/readyz")[0] == 200:
                return process, client
        except OSError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError(f"{binary} {role} did not become ready")


def stop(process):
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def psql(url, sql):
    return subprocess.run(["psql", "-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", url, "-c", sql],
                          check=True, capture_output=True, text=True).stdout.strip()


# The prompts of the copied rows, in turn: one in eight mentions a lighthouse, so that a search
# for it matches an eighth of a gallery (thousands of rows to choose 50 from).
PROMPTS = [
    "a lighthouse on a cliff at sunset", "a red fox in a snowy birch forest", "portrait of an old sailor",
    "a bowl of ripe peaches on a wooden table", "city street at night in the rain", "mountain lake at dawn",
    "a cozy reading nook with plants", "astronaut riding a horse on the moon",
]


def seed(binary, data_dir, database_url, images, users=1):
    """`users` users with `images` images each (4 real ones, the rest copies of their rows made in
    SQL, newest first a second apart); returns their (email, password) pairs."""
    port = free_port()
    server, client = start(binary, "serve", port, data_dir, database_url, {})
    accounts = []
    try:
        for u in range(users):
            email, password = f"bench{u}@example.com", "bench password"
            client.cookie = None
            status, _ = client.call("POST", "/api/v1/auth/register", {"email": email, "password": password})
            assert status == 201, status
            status, job = client.call("POST", "/api/v1/generations", {
                "prompt": PROMPTS[0], "width": 256, "height": 256, "steps": 1, "count": 4, "seed": 1 + u})
            assert status == 202, job
            wait_for_jobs(client, [job["id"]], 120)
            accounts.append((email, password))
    finally:
        stop(server)
    columns = psql(database_url, "SELECT column_name FROM information_schema.columns WHERE table_name = 'images' "
                                 "AND is_generated = 'NEVER' ORDER BY ordinal_position").split("\n")
    prompts = "ARRAY[" + ", ".join("'" + p + "'" for p in PROMPTS) + "]"
    changed = {
        "id": "i.id || '-' || g", "idx": "i.idx + 4 * g", "prompt": f"({prompts})[1 + g % {len(PROMPTS)}] || ' ' || g",
        "seed": "i.seed + 4 * g", "created_at": "i.created_at - g * 1000",
    }
    copies = max(images // 4 - 1, 0)
    psql(database_url, f"INSERT INTO images ({', '.join(columns)}) "
                       f"SELECT {', '.join(changed.get(c, 'i.' + c) for c in columns)} "
                       f"FROM images i, generate_series(1, {copies}) g; ANALYZE images")
    return accounts


def measure(binary, data_dir, database_url, account, extra_env, seconds):
    port = free_port()
    process, client = start(binary, "api", port, data_dir, database_url, extra_env)
    try:
        ready = status_fields(process.pid)["VmRSS"]
        status, _ = client.call("POST", "/api/v1/auth/login", {"email": account[0], "password": account[1]})
        assert status == 200, status
        status, page = client.call("GET", "/api/v1/images?limit=50")
        assert status == 200 and len(page["items"]) == 50, status
        image_id = page["items"][0]["id"]
        assert client.call("GET", f"/api/v1/images/{image_id}")[0] == 200
        time.sleep(1)
        fields = status_fields(process.pid)
        idle, after_login = fields["VmRSS"], fields["VmHWM"]
        # The sign-in's password hash (Argon2id, 64 MiB while it works) set the peak so far: the
        # peak is reset here so that what follows measures the reads alone.
        with open(f"/proc/{process.pid}/clear_refs", "w") as f:
            f.write("5")
        results = {}
        base = f"http://127.0.0.1:{port}"
        for name, path in [("list", "/api/v1/images?limit=50"), ("detail", f"/api/v1/images/{image_id}")]:
            results[name] = wrk(base + path, client.cookie, seconds, 64)[0]
            results[name + " hwm"] = status_fields(process.pid)["VmHWM"]
        end = status_fields(process.pid)
        return ready, idle, after_login, results, end
    finally:
        stop(process)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, "build", "rendermart-slim"))
    parser.add_argument("--images", type=int, default=4000)
    parser.add_argument("--seconds", type=int, default=10, help="duration of each wrk run")
    parser.add_argument("--runs", type=int, default=2, help="runs of each variant, interleaved")
    args = parser.parse_args()

    cluster = subprocess.Popen(["node", os.path.join(ROOT, "bench", "pg_cluster.mjs")], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    data_dir = tempfile.mkdtemp(prefix="rendermart-memory-")
    try:
        cluster.stdout.readline()
        cluster.stdin.write("database\n")
        cluster.stdin.flush()
        database_url = cluster.stdout.readline().strip()
        account = seed(args.binary, data_dir, database_url, args.images)[0]
        count = psql(database_url, "SELECT count(*) FROM images")
        print(f"`{os.path.basename(args.binary)} api` on PostgreSQL, {count} images of one user; "
              f"wrk -t2 -c64 -d{args.seconds}s on the list, then on one image; {args.runs} runs per "
              "variant, interleaved.\n")
        print("| variant | ready MiB | idle MiB | peak with the sign-in MiB | list req/s | peak after list MiB | "
              "detail req/s | peak after detail MiB | end: anon / file MiB | threads |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for _ in range(args.runs):
            for name, env in VARIANTS.items():
                ready, idle, after_login, results, end = measure(args.binary, data_dir, database_url, account, env, args.seconds)
                print(f"| {name} | {mib(ready):.1f} | {mib(idle):.1f} | {mib(after_login):.1f} | {results['list']:,.0f} | "
                      f"{mib(results['list hwm']):.1f} | {results['detail']:,.0f} | {mib(results['detail hwm']):.1f} | "
                      f"{mib(end['RssAnon']):.1f} / {mib(end['RssFile']):.1f} | {end['Threads']} |", flush=True)
    finally:
        cluster.stdin.close()
        cluster.wait(timeout=60)
        subprocess.run(["rm", "-rf", data_dir], check=False)


if __name__ == "__main__":
    main()
