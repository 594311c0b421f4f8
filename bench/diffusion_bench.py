#!/usr/bin/env python3
"""Benchmark of the local diffusion engine against the reference implementation on this machine.

Builds SD-1.5-sized, SD-Turbo-sized (SD 2.1 architecture) and SDXL-sized (SDXL base 1.0 and Turbo:
2.6 B-parameter UNet, CLIP-L and OpenCLIP bigG, the SDXL VAE, TAESDXL) model folders with configs
only (the engine's bench fills them with random weights; the time does not depend on the values),
then for float32 and bfloat16 and each size times with build/diffusion_bench: the text encoders,
one UNet evaluation (SD 1.5 with classifier-free guidance: batch 2), the VAE and TAESD decoders, a
whole Turbo image (1 step + TAESD); and the same UNet and decoders with diffusers 0.27.2 on Debian's
python3-torch, one side at a time. Each of --rounds rounds runs the engine then the reference once
(each a median of --runs runs after a warm-up); the table gives the median of the rounds. Prints
Markdown.

The reference needs the sources of huggingface/diffusers (tag v0.27.2) and huggingface/huggingface_hub
(tag v0.21.4), checked out outside the repository:
  git clone -b v0.27.2 https://github.com/huggingface/diffusers /tmp/diffusers
  git clone -b v0.21.4 https://github.com/huggingface/huggingface_hub /tmp/huggingface_hub
  python3 bench/diffusion_bench.py --diffusers /tmp/diffusers --hub /tmp/huggingface_hub
(or set DIFFUSERS_SRC / HF_HUB_SRC). Without them only the engine is timed (--no-reference).
--lora-ranks 32,128 times LoRAs instead (engine only): merging, switching, and their cost per step.
Both sides run with the same threads and with libtorch's traps handled (see docs/benchmarks.md).
"""
import argparse
import json
import os
import shutil
import subprocess
import sys
import statistics
import tempfile

from diffusion_flops import taesd_decoder_gflop, text_encoder_gflop, unet_gflop, vae_decoder_gflop

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(REPO, "tests", "fixtures", "diffusion")
XL_FIXTURES = os.path.join(REPO, "tests", "fixtures", "diffusion-xl")

SCHEDULER = {"_class_name": "EulerDiscreteScheduler", "beta_end": 0.012, "beta_schedule": "scaled_linear",
             "beta_start": 0.00085, "num_train_timesteps": 1000, "set_alpha_to_one": False,
             "steps_offset": 1, "clip_sample": False, "timestep_spacing": "trailing"}
UNET_COMMON = {"_class_name": "UNet2DConditionModel", "act_fn": "silu", "block_out_channels": [320, 640, 1280, 1280],
               "center_input_sample": False, "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0,
               "in_channels": 4, "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05,
               "norm_num_groups": 32, "out_channels": 4, "sample_size": 64,
               "down_block_types": ["CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "CrossAttnDownBlock2D", "DownBlock2D"],
               "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "CrossAttnUpBlock2D"]}
MODELS = {
    "SD 1.5": {
        "unet": dict(UNET_COMMON, attention_head_dim=8, cross_attention_dim=768, use_linear_projection=False),
        "text": {"architectures": ["CLIPTextModel"], "hidden_act": "quick_gelu", "hidden_size": 768,
                 "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12,
                 "max_position_embeddings": 77, "vocab_size": 49408},
        "cfg": 7.5,
    },
    "SD-Turbo": {
        "unet": dict(UNET_COMMON, attention_head_dim=[5, 10, 20, 20], cross_attention_dim=1024,
                     use_linear_projection=True),
        "text": {"architectures": ["CLIPTextModel"], "hidden_act": "gelu", "hidden_size": 1024,
                 "intermediate_size": 4096, "num_attention_heads": 16, "num_hidden_layers": 23,
                 "max_position_embeddings": 77, "vocab_size": 49408},
        "cfg": 0.0,
    },
    # stabilityai/stable-diffusion-xl-base-1.0 and sdxl-turbo (the same architecture), batch 1 as
    # Turbo runs it (SDXL 1.0 with guidance evaluates batch 2: twice the UNet's time).
    "SDXL": {
        "unet": {"_class_name": "UNet2DConditionModel", "act_fn": "silu", "addition_embed_type": "text_time",
                 "addition_time_embed_dim": 256, "attention_head_dim": [5, 10, 20],
                 "block_out_channels": [320, 640, 1280], "center_input_sample": False,
                 "cross_attention_dim": 2048, "down_block_types": ["DownBlock2D", "CrossAttnDownBlock2D",
                                                                    "CrossAttnDownBlock2D"],
                 "downsample_padding": 1, "flip_sin_to_cos": True, "freq_shift": 0, "in_channels": 4,
                 "layers_per_block": 2, "mid_block_scale_factor": 1, "norm_eps": 1e-05, "norm_num_groups": 32,
                 "out_channels": 4, "projection_class_embeddings_input_dim": 2816, "sample_size": 128,
                 "transformer_layers_per_block": [1, 2, 10], "up_block_types": [
                     "CrossAttnUpBlock2D", "CrossAttnUpBlock2D", "UpBlock2D"], "use_linear_projection": True},
        "text": {"architectures": ["CLIPTextModel"], "hidden_act": "quick_gelu", "hidden_size": 768,
                 "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12,
                 "max_position_embeddings": 77, "vocab_size": 49408},
        "text_2": {"architectures": ["CLIPTextModelWithProjection"], "hidden_act": "gelu", "hidden_size": 1280,
                   "intermediate_size": 5120, "num_attention_heads": 20, "num_hidden_layers": 32,
                   "max_position_embeddings": 77, "vocab_size": 49408, "projection_dim": 1280},
        "cfg": 0.0,
    },
}
VAE = {"_class_name": "AutoencoderKL", "act_fn": "silu", "block_out_channels": [128, 256, 512, 512],
       "down_block_types": ["DownEncoderBlock2D"] * 4, "up_block_types": ["UpDecoderBlock2D"] * 4,
       "in_channels": 3, "out_channels": 3, "latent_channels": 4, "layers_per_block": 2, "norm_num_groups": 32,
       "sample_size": 512, "scaling_factor": 0.18215}
TAESD = {"_class_name": "AutoencoderTiny", "act_fn": "relu", "latent_channels": 4, "out_channels": 3,
         "encoder_block_out_channels": [64, 64, 64, 64], "decoder_block_out_channels": [64, 64, 64, 64],
         "num_encoder_blocks": [1, 3, 3, 3], "num_decoder_blocks": [3, 3, 3, 1], "upsampling_scaling_factor": 2}
# SDXL's VAE: SD's architecture, another scaling, decoded in float32 (it overflows in 16 bits).
SDXL_VAE = dict(VAE, sample_size=1024, scaling_factor=0.13025, force_upcast=True)


def write_json(path, value):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        json.dump(value, f, indent=1)


def make_model(root, name, spec):
    d = os.path.join(root, name.replace(" ", "-").lower())
    index = {"_class_name": "StableDiffusionPipeline", "scheduler": ["diffusers", "EulerDiscreteScheduler"],
             "text_encoder": ["transformers", "CLIPTextModel"], "tokenizer": ["transformers", "CLIPTokenizer"],
             "unet": ["diffusers", "UNet2DConditionModel"], "vae": ["diffusers", "AutoencoderKL"]}
    sdxl = "text_2" in spec
    if sdxl:
        index.update(_class_name="StableDiffusionXLPipeline", force_zeros_for_empty_prompt=True,
                     text_encoder_2=["transformers", "CLIPTextModelWithProjection"],
                     tokenizer_2=["transformers", "CLIPTokenizer"])
        write_json(os.path.join(d, "text_encoder_2", "config.json"), spec["text_2"])
        shutil.copytree(os.path.join(XL_FIXTURES, "tiny-sdxl", "tokenizer_2"), os.path.join(d, "tokenizer_2"))
    write_json(os.path.join(d, "model_index.json"), index)
    write_json(os.path.join(d, "unet", "config.json"), spec["unet"])
    write_json(os.path.join(d, "text_encoder", "config.json"), spec["text"])
    write_json(os.path.join(d, "vae", "config.json"), SDXL_VAE if sdxl else VAE)
    write_json(os.path.join(d, "taesdxl" if sdxl else "taesd", "config.json"), TAESD)
    write_json(os.path.join(d, "scheduler", "scheduler_config.json"), SCHEDULER)
    shutil.copytree(os.path.join(FIXTURES, "tiny-sd1", "tokenizer"), os.path.join(d, "tokenizer"))
    return d


def text_gflop(spec):
    return sum(text_encoder_gflop(spec[key]) for key in ("text", "text_2") if key in spec)


def median_of_rounds(rounds):
    """One result from several rounds' results: each timing the median of the rounds' medians."""
    out = dict(rounds[-1])
    for key, value in rounds[-1].items():
        if isinstance(value, dict) and "median" in value:
            medians = [r[key]["median"] for r in rounds]
            out[key] = {"median": statistics.median(medians), "rounds": medians}
    out["peak_resident_bytes"] = max(r["peak_resident_bytes"] for r in rounds)
    return out


# What the engine's runtime sets for ATen and oneDNN at each instruction-set level
# (src/diffusion/runtime.cpp), so that the reference runs the same libraries' kernels.
ATEN_CAPABILITY = {"portable": "default", "avx2": "avx2", "avx512": "avx512", "avx512_bf16": "avx512"}
ONEDNN_MAX_ISA = {"portable": "SSE41", "avx2": "AVX2", "avx512": "AVX512_CORE"}
# OpenBLAS picks its kernels when it loads, before any setting of the engine: for a capped level
# both sides load it with the kernels of a CPU of that level.
OPENBLAS_CORE = {"portable": "Core2", "avx2": "Haswell", "avx512": "SkylakeX"}
LEVELS = ["portable", "avx2", "avx512", "avx512_bf16"]


def cpu_level(peaks):
    """The best level this CPU has, from fma_peak's report (its keys are the instruction sets found)."""
    if "avx512_bf16" in peaks:
        return "avx512_bf16"
    if "avx512_fp32" in peaks:
        return "avx512"
    return "avx2" if "avx2_fp32" in peaks else "portable"


def peak_gflops(peaks, level, dtype):
    """The measured peak of the multiply-adds the engine's kernels use at that level and dtype."""
    if dtype == "bfloat16":
        return peaks["avx512_bf16"]["best"]
    return peaks["avx512_fp32" if level.startswith("avx512") else "avx2_fp32"]["best"]


def share_of_peak(gflop_per_second, peaks, level, dtype):
    # On CPUs with AMX, oneDNN computes bfloat16 on its tiles, whose peak fma_peak does not measure.
    if dtype == "bfloat16" and "amx_bf16" in open("/proc/cpuinfo").read().split():
        return "AMX"
    return f"{100 * gflop_per_second / peak_gflops(peaks, level, dtype):.0f}%"


def level_env(level, cpu):
    env = dict(os.environ)
    if level != cpu:
        env["OPENBLAS_CORETYPE"] = OPENBLAS_CORE[level]
    return env


def traps_env(threads, level, cpu):
    env = level_env(level, cpu)
    env.update({"GLIBC_TUNABLES": "glibc.malloc.hugetlb=1", "ATEN_CPU_CAPABILITY": ATEN_CAPABILITY[level],
                "OMP_NUM_THREADS": str(threads)})
    if level != cpu:
        env["ONEDNN_MAX_CPU_ISA"] = ONEDNN_MAX_ISA[level]
    return env


def run_json(cmd, env):
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"{' '.join(cmd)} failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def gflops(gflop, seconds):
    return gflop / seconds if seconds else 0.0


def run_reference(args, model, dtype, size, batch, level, cpu):
    env = traps_env(args.threads, level, cpu)
    env["PYTHONPATH"] = ":".join([os.path.join(FIXTURES, "reference-env", "shims"),
                                  os.path.join(args.diffusers, "src"), os.path.join(args.hub, "src")])
    env["HF_HUB_OFFLINE"] = "1"
    return run_json(["/usr/bin/python3", os.path.join(REPO, "bench", "diffusion_reference.py"), model,
                     "--dtype", dtype, "--threads", str(args.threads), "--runs", str(args.runs),
                     "--batch", str(batch), "--size", str(size)], env)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", default=os.path.join(REPO, "build", "diffusion_bench"))
    ap.add_argument("--diffusers", default=os.environ.get("DIFFUSERS_SRC"))
    ap.add_argument("--hub", default=os.environ.get("HF_HUB_SRC"))
    ap.add_argument("--no-reference", action="store_true")
    ap.add_argument("--threads", type=int, default=os.cpu_count())
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=1,
                    help="rounds of engine-then-reference runs; each timing is the median of the rounds")
    ap.add_argument("--dtypes", default="float32,bfloat16",
                    help="bfloat16 is skipped where the level lacks AVX512-BF16 (the engine refuses it)")
    ap.add_argument("--models", default="SD 1.5,SD-Turbo,SDXL")
    ap.add_argument("--sizes", default="512", help="image sizes, e.g. 512,1024 (latents of size / 8)")
    ap.add_argument("--engine-only", default="",
                    help="MODEL:SIZE:DTYPE entries, comma-separated, for which the reference is not run "
                         "(e.g. SDXL:1024:float32 where its memory does not fit)")
    ap.add_argument("--lora-ranks", default="",
                    help="e.g. 32,128: time LoRAs instead (engine only): two random kohya LoRAs of each "
                         "rank over every attention and feed-forward Linear of the UNet; merge, switch, "
                         "and a UNet evaluation with and without one merged")
    ap.add_argument("--cpu-isa", default="auto", help="auto, avx512_bf16, avx512, avx2 or portable: "
                    "caps the engine's instruction set, and ATen's, oneDNN's and OpenBLAS's on both sides")
    args = ap.parse_args()
    peaks = run_json([os.path.join(os.path.dirname(args.bench), "bench", "fma_peak"),
                      "--threads", str(args.threads)], dict(os.environ))
    cpu = cpu_level(peaks)
    level = cpu if args.cpu_isa == "auto" else args.cpu_isa
    if LEVELS.index(level) > LEVELS.index(cpu):
        sys.exit(f"this CPU supports at most {cpu}")
    dtypes = [d for d in args.dtypes.split(",") if d != "bfloat16" or level == "avx512_bf16"]
    sizes = [int(size) for size in args.sizes.split(",")]
    engine_only = set(filter(None, args.engine_only.split(",")))
    reference = not args.no_reference
    if reference and not (args.diffusers and args.hub):
        sys.exit("the reference needs --diffusers and --hub (or DIFFUSERS_SRC / HF_HUB_SRC): see --help")

    if args.lora_ranks:
        lora_benchmark(args, dtypes, sizes, level, cpu)
        return
    root = tempfile.mkdtemp(prefix="rendermart-diffusion-bench-")
    cases = []
    try:
        for name in args.models.split(","):
            spec = MODELS[name]
            model = make_model(root, name, spec)
            batch = 2 if spec["cfg"] > 1 else 1
            cases += [(name, size, dtype, batch, model) for size in sizes for dtype in dtypes]
        results = {case[:3]: ([], []) for case in cases}
        for round_ in range(args.rounds):
            for name, size, dtype, batch, model in cases:
                engine_runs, ref_runs = results[(name, size, dtype)]
                engine = run_json([args.bench, model, "--dtype", dtype, "--threads", str(args.threads),
                                   "--runs", str(args.runs), "--cfg", str(MODELS[name]["cfg"]), "--steps", "1",
                                   "--size", str(size), "--decoder", "taesd", "--cpu-isa", level],
                                  level_env(level, cpu))
                engine_runs.append(engine)
                print(f"# round {round_ + 1}, {name} {size} {dtype}: engine {json.dumps(engine)}", file=sys.stderr)
                if reference and f"{name}:{size}:{dtype}" not in engine_only:
                    ref = run_reference(args, model, dtype, size, batch, level, cpu)
                    ref_runs.append(ref)
                    print(f"# round {round_ + 1}, {name} {size} {dtype}: reference {json.dumps(ref)}",
                          file=sys.stderr)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    rows = []
    for name, size, dtype, batch, _ in cases:
        engine_runs, ref_runs = results[(name, size, dtype)]
        rows.append((name, size, dtype, batch, median_of_rounds(engine_runs),
                     median_of_rounds(ref_runs) if ref_runs else None))

    print_tables(rows, peaks, level, cpu, args)


def lora_benchmark(args, dtypes, sizes, level, cpu):
    """The LoRA timings of diffusion_bench --lora-rank per model, size, dtype and rank; prints Markdown."""
    root = tempfile.mkdtemp(prefix="rendermart-lora-bench-")
    rows = []
    try:
        for name in args.models.split(","):
            model = make_model(root, name, MODELS[name])
            for size in sizes:
                for dtype in dtypes:
                    for rank in [int(r) for r in args.lora_ranks.split(",")]:
                        rounds = []
                        for round_ in range(args.rounds):
                            result = run_json([args.bench, model, "--dtype", dtype, "--threads", str(args.threads),
                                               "--runs", str(args.runs), "--cfg", str(MODELS[name]["cfg"]),
                                               "--size", str(size), "--cpu-isa", level, "--lora-rank", str(rank)],
                                              level_env(level, cpu))
                            print(f"# round {round_ + 1}, {name} {size} {dtype} rank {rank}: {json.dumps(result)}",
                                  file=sys.stderr)
                            rounds.append(result)
                        rows.append((name, size, dtype, rank, rounds))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"Threads: {args.threads}; instruction set {level} (CPU: {cpu}); medians of {args.rounds} round(s) of "
          f"{args.runs} runs after a warm-up; random weights, random LoRAs over every attention and feed-forward "
          "Linear of the UNet (the text encoders untouched).\n")
    print("| model | size | dtype | rank | modules (LoRA size) | first merge | merge (restore + merge) "
          "| switch (one LoRA to another) | UNet eval, base | UNet eval, LoRA merged | peak RSS (weights) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name, size, dtype, rank, rounds in rows:
        lora = [r["lora"] for r in rounds]
        med = lambda key: statistics.median(l[key]["median"] for l in lora)
        first = statistics.median(l["first_merge_seconds"] for l in lora)
        last = rounds[-1]
        print(f"| {name} | {size}x{size} | {dtype} | {rank} | {lora[-1]['modules']} ({lora[-1]['lora_bytes'] / 2**20:.0f} MiB) "
              f"| {first:.2f} s | {med('merge'):.2f} s | {med('switch'):.2f} s | {med('unet_base'):.2f} s "
              f"| {med('unet_merged'):.2f} s "
              f"| {max(r['peak_resident_bytes'] for r in rounds) / 2**30:.1f} GiB ({last['weight_bytes'] / 2**30:.1f} GiB) |")


def print_tables(rows, peaks, level, cpu, args):
    """Markdown of rows (model, size, dtype, batch, engine result, reference result or None)."""
    print(f"Threads: {args.threads}; instruction set {level} (CPU: {cpu}); medians of {args.rounds} round(s) "
          f"of {args.runs} runs after a warm-up, engine and reference in turn; random weights. Measured peak "
          "(fma_peak, same run): "
          + ", ".join(f"{k} {v['best']:.0f} GFLOP/s" for k, v in peaks.items() if k != "threads") + ".\n")
    print("| model | size | dtype | UNet eval (batch) | GFLOP/s (% of peak) | reference UNet | speed-up | VAE decode "
          "(% of peak) | reference VAE | speed-up | TAESD decode (% of peak) | reference TAESD | speed-up "
          "| text encoders (GFLOP/s) | peak RSS (weights) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")

    def timed(e, r, dtype, key, gflop, digits):
        mine = e[key]["median"]
        share = share_of_peak(gflops(gflop, mine), peaks, level, dtype)
        ref = r[key]["median"] if r else None
        return [f"{mine:.{digits}f} s ({share})", f"{ref:.{digits}f} s" if r else "-",
                f"{ref / mine:.2f}x" if r else "-"]

    for name, size, dtype, batch, e, r in rows:
        spec = MODELS[name]
        latent = size // 8
        vae = SDXL_VAE if "text_2" in spec else VAE
        # The SDXL VAE decodes in float32 whatever the model's dtype.
        vae_dtype = "float32" if vae.get("force_upcast") else dtype
        unet = e["unet"]["median"]
        rate = gflops(unet_gflop(spec["unet"], latent) * batch, unet)
        ref_unet = r["unet"]["median"] if r else None
        text = e["text_encoder"]["median"]
        cells = [name, f"{size}x{size}", dtype, f"{unet:.2f} s ({batch})",
                 f"{rate:.0f} ({share_of_peak(rate, peaks, level, dtype)})",
                 f"{ref_unet:.2f} s" if r else "-", f"{ref_unet / unet:.2f}x" if r else "-",
                 *timed(e, r, vae_dtype, "vae_decode", vae_decoder_gflop(vae, latent), 2),
                 *timed(e, r, dtype, "taesd_decode", taesd_decoder_gflop(TAESD, latent), 3),
                 f"{text:.3f} s ({gflops(text_gflop(spec), text):.0f})",
                 f"{e['peak_resident_bytes'] / 2**30:.1f} GiB ({e['weight_bytes'] / 2**30:.1f} GiB)"]
        print("| " + " | ".join(cells) + " |")
    print("\nWhole images (engine, measured end to end: text encoders, steps, decoder):\n")
    print("| model | size | dtype | image | reference (UNet steps + decoder, no text encoder) |")
    print("|---|---|---|---|---|")
    for name, size, dtype, batch, e, r in rows:
        if MODELS[name]["cfg"] > 1:
            steps = 25
            estimate = e["text_encoder"]["median"] + steps * e["unet"]["median"] + e["vae_decode"]["median"]
            ref = f"{steps * r['unet']['median'] + r['vae_decode']['median']:.1f} s" if r else "-"
            print(f"| {name}, {steps} steps + VAE (sum of the parts) | {size}x{size} | {dtype} | {estimate:.1f} s "
                  f"| {ref} |")
        else:
            ref = f"{r['unet']['median'] + r['taesd_decode']['median']:.2f} s" if r else "-"
            print(f"| {name}, 1 step + TAESD | {size}x{size} | {dtype} | {e['image']['median']:.2f} s | {ref} |")


if __name__ == "__main__":
    main()
