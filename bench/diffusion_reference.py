#!/usr/bin/env python3
"""Times the reference implementation (diffusers 0.27.2 on Debian's python3-torch) on the same
architectures as bench/diffusion_bench.cpp, with random weights: one UNet evaluation (with SDXL's
pooled text embedding and size conditioning where the UNet takes them), the VAE decoder (in float32
where its config says force_upcast, as StableDiffusionXLPipeline decodes) and the TAESD decoder
(taesdxl/ of an SDXL folder). Run by bench/diffusion_bench.py (which sets the thread count and the libtorch
traps: GLIBC_TUNABLES=glibc.malloc.hugetlb=1, ATEN_CPU_CAPABILITY of the level), under /usr/bin/python3 with
PYTHONPATH = the reference shims, diffusers/src and huggingface_hub/src. Prints one JSON object.

  diffusion_reference.py MODEL_DIR --dtype float32|bfloat16 --threads N --runs N --size PX --batch B
"""
import argparse
import json
import resource
import statistics
import time

import torch
from diffusers import AutoencoderKL, AutoencoderTiny, UNet2DConditionModel


def timed(runs, fn):
    fn()  # warm-up, as the engine's bench does
    seconds = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return {"median": statistics.median(seconds), "runs": seconds}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("--dtype", default="float32")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--size", type=int, default=512)
    ap.add_argument("--batch", type=int, default=1)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    dtype = torch.bfloat16 if args.dtype == "bfloat16" else torch.float32
    torch.manual_seed(0)

    def prepare(module):
        return module.to(dtype).to(memory_format=torch.channels_last).eval()

    out = {"dtype": args.dtype, "threads": torch.get_num_threads(), "torch": torch.__version__}
    with torch.inference_mode():
        unet = prepare(UNet2DConditionModel.from_config(UNet2DConditionModel.load_config(args.model + "/unet")))
        latent = args.size // 8
        sample = torch.randn(args.batch, 4, latent, latent).to(dtype).to(memory_format=torch.channels_last)
        context = torch.randn(args.batch, 77, unet.config.cross_attention_dim).to(dtype)
        t = torch.tensor([999.0] * args.batch)
        added = None
        sdxl = unet.config.addition_embed_type == "text_time"
        if sdxl:
            pooled = unet.config.projection_class_embeddings_input_dim - 6 * unet.config.addition_time_embed_dim
            added = {"text_embeds": torch.randn(args.batch, pooled).to(dtype),
                     "time_ids": torch.tensor([[args.size, args.size, 0, 0, args.size, args.size]] * args.batch)
                     .to(dtype)}
        out["unet"] = timed(args.runs, lambda: unet(sample, t, encoder_hidden_states=context,
                                                    added_cond_kwargs=added).sample)
        del unet
        vae = AutoencoderKL.from_config(AutoencoderKL.load_config(args.model + "/vae"))
        vae_dtype = torch.float32 if vae.config.force_upcast and sdxl else dtype
        vae = vae.to(vae_dtype).to(memory_format=torch.channels_last).eval()
        z = torch.randn(1, 4, latent, latent).to(memory_format=torch.channels_last)
        scaling = vae.config.scaling_factor
        out["vae_decode"] = timed(max(1, args.runs - 1), lambda: vae.decode((z / scaling).to(vae_dtype)).sample)
        del vae
        tiny = args.model + ("/taesdxl" if sdxl else "/taesd")
        taesd = prepare(AutoencoderTiny.from_config(AutoencoderTiny.load_config(tiny)))
        out["taesd_decode"] = timed(args.runs, lambda: taesd.decode(z.to(dtype)).sample)
    out["peak_resident_bytes"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps(out))


if __name__ == "__main__":
    main()
