#!/usr/bin/env python3
"""The fused CPU kernels of the diffusion engine against the plain torch ops they replace.

Runs build/bench/attention_bench and build/bench/group_norm_bench (Google Benchmark; each sets up torch as the
engine does: 2 threads, the instruction set of --cpu-isa for our kernels, ATen's and oneDNN's,
GLIBC_TUNABLES=glibc.malloc.hugetlb=1, and OMP_WAIT_POLICY=passive unless set) with
several repetitions in random interleaved order, so that the fused kernel and its torch baseline
see the same machine, and prints Markdown tables of medians for docs/benchmarks.md: time per call,
speed-up over torch, and GFLOP/s against the machine's peak at that instruction set, measured in
the same run by build/bench/fma_peak (attention), or GB/s against its memory bandwidth (GroupNorm
+ SiLU, counting x read once and y written once).
"""

import argparse
import json
import os
import statistics
import subprocess
import tempfile

from diffusion_bench import OPENBLAS_CORE

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_benchmark(binary, repetitions, name_filter, min_time, env):
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run([binary, f"--benchmark_filter={name_filter}",
                        f"--benchmark_repetitions={repetitions}",
                        f"--benchmark_min_time={min_time}",
                        "--benchmark_enable_random_interleaving=true",
                        f"--benchmark_out={out.name}", "--benchmark_out_format=json"],
                       check=True, stdout=subprocess.DEVNULL, env=env)
        text = open(out.name).read()
    if not text:  # the filter matched none of this binary's benchmarks
        return {}, {}
    report = json.loads(text)
    runs = {}
    for b in report["benchmarks"]:
        if b.get("run_type") != "iteration" or b.get("error_occurred"):
            continue
        runs.setdefault(b["run_name"].removesuffix("/real_time"), []).append(b)
    return report["context"], runs


def median(runs, key):
    return statistics.median(r[key] for r in runs)


def all_times(runs):
    return ", ".join(f"{r['real_time']:.3g}" for r in runs)


def print_table(runs, rate, share, share_label):
    """One row per shape and dtype: the fused kernel against torch. The rate and its share of
    the machine's limit are given at the median and at the best run of the fused kernel."""
    print(f"| Shape | dtype | fused ms | torch ms | speed-up | fused {rate}, median / best "
          f"| {share_label}, median / best |")
    print("|---|---|---|---|---|---|---|")
    for name in sorted(n for n in runs if n.endswith("/fused")):
        base = name.removesuffix("/fused")
        torch = runs.get(base + "/torch")
        fused = runs[name]
        # <kernel>/<shape>/<dtype>[/<layout>]
        parts = base.split("/")
        shape, dtype = " ".join([parts[1]] + parts[3:]), parts[2]
        fused_ms = median(fused, "real_time")
        torch_ms = median(torch, "real_time") if torch else float("nan")
        print(f"| {shape} | {dtype} | {fused_ms:.3g} ({all_times(fused)}) | "
              f"{torch_ms:.3g} ({all_times(torch) if torch else ''}) | {torch_ms / fused_ms:.1f}x | "
              f"{median(fused, rate):.3g} / {max(r[rate] for r in fused):.3g} | "
              f"{100 * median(fused, share):.0f}% / {100 * max(r[share] for r in fused):.0f}% |")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--build", default=os.path.join(ROOT, "build"))
    parser.add_argument("--repetitions", type=int, default=5)
    parser.add_argument("--min-time", type=float, default=0.2,
                        help="seconds each repetition runs at least (one call if longer)")
    parser.add_argument("--filter", default=".", help="regular expression over benchmark names")
    parser.add_argument("--cpu-isa", default="auto",
                        help="instruction set: auto, avx512_bf16, avx512, avx2 or portable")
    args = parser.parse_args()
    env = dict(os.environ, RENDERMART_CPU_ISA=args.cpu_isa)
    # OpenBLAS (the torch baseline's matrix products) picks its kernels when it loads.
    if args.cpu_isa in OPENBLAS_CORE:
        env["OPENBLAS_CORETYPE"] = OPENBLAS_CORE[args.cpu_isa]

    load_before = open("/proc/loadavg").read().split()[:3]
    peaks = json.loads(subprocess.run([os.path.join(args.build, "bench", "fma_peak")],
                                      check=True, capture_output=True, text=True).stdout)
    context, attention = run_benchmark(os.path.join(args.build, "bench", "attention_bench"),
                                       args.repetitions, args.filter, args.min_time, env)
    _, group_norm = run_benchmark(os.path.join(args.build, "bench", "group_norm_bench"),
                                  args.repetitions, args.filter, args.min_time, env)
    load_after = open("/proc/loadavg").read().split()[:3]

    # The peak of the instructions the kernels use at this level: bfloat16 without AVX512-BF16
    # is computed in float32.
    isa = context.get("kernel_isa")
    fp32_peak = peaks["avx512_fp32" if isa.startswith("avx512") else "avx2_fp32"]["best"]
    bf16_peak = peaks["avx512_bf16"]["best"] if isa == "avx512_bf16" else fp32_peak
    for name, runs in attention.items():
        peak = bf16_peak if "/bf16/" in name else fp32_peak
        for r in runs:
            r["of_peak"] = r["GFLOP/s"] / peak

    print(f"{context['num_cpus']} CPUs, {context.get('runtime')}, "
          f"GLIBC_TUNABLES {context.get('GLIBC_TUNABLES')}, "
          f"OMP_WAIT_POLICY {context.get('OMP_WAIT_POLICY')}; "
          f"{args.repetitions} repetitions interleaved, medians (each run in brackets); "
          f"load average {' '.join(load_before)} before, {' '.join(load_after)} after.\n")
    if attention:
        print(f"Attention, softmax(q kᵀ / sqrt(d)) v (measured peak: {fp32_peak:.0f} GFLOP/s "
              f"float32, {bf16_peak:.0f} bfloat16 at {isa}):\n")
        print_table(attention, "GFLOP/s", "of_peak", "of peak")
        print()
    if group_norm:
        print("GroupNorm (32 groups) + SiLU (bandwidth: 53 GB/s):\n")
        print_table(group_norm, "GB/s", "of_bandwidth", "of bandwidth")


if __name__ == "__main__":
    main()
