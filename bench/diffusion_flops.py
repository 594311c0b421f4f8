"""FLOPs of one batch-1 evaluation of the diffusion components, from their diffusers configs
(2 FLOPs per multiply-add; convolutions, linear layers and attention products, not the
normalisations and activations). For the SD 1.5 UNet at 512x512 this gives 803 GFLOP, its VAE
decoder 2,514 GFLOP and TAESD's 141 GFLOP. Used by bench/diffusion_bench.py.
"""


def _conv(cin, cout, pixels, kernel=3):
    return 2 * cin * cout * kernel * kernel * pixels


def _resnet(cin, cout, pixels, temb):
    flop = _conv(cin, cout, pixels) + _conv(cout, cout, pixels) + 2 * temb * cout
    return flop + (_conv(cin, cout, pixels, 1) if cin != cout else 0)


def _transformer(c, tokens, layers, context_tokens, context_dim):
    layer = (2 * 4 * c * c * tokens + 4 * tokens * tokens * c  # self-attention
             + 2 * 2 * c * c * tokens + 2 * 2 * context_tokens * context_dim * c  # cross-attention
             + 4 * tokens * context_tokens * c
             + 2 * 12 * c * c * tokens)  # GEGLU feed-forward (c -> 2 x 4c -> c)
    return 2 * 2 * c * c * tokens + layers * layer  # proj_in, proj_out


def unet_gflop(config, latent, context_tokens=77):
    """One UNet evaluation of a latent of latent x latent."""
    channels = config["block_out_channels"]
    layers = config.get("transformer_layers_per_block", 1)
    layers = layers if isinstance(layers, list) else [layers] * len(channels)
    per_block = config["layers_per_block"]
    context = config["cross_attention_dim"]
    cross = ["CrossAttn" in t for t in config["down_block_types"]]
    temb = 4 * channels[0]
    flop = _conv(4, channels[0], latent * latent) + 2 * (channels[0] * temb + temb * temb)
    if config.get("addition_embed_type") == "text_time":
        flop += 2 * (config["projection_class_embeddings_input_dim"] * temb + temb * temb)
    side = latent
    skips = [channels[0]]
    previous = channels[0]
    for i, c in enumerate(channels):
        for j in range(per_block):
            flop += _resnet(previous if j == 0 else c, c, side * side, temb)
            if cross[i]:
                flop += _transformer(c, side * side, layers[i], context_tokens, context)
            skips.append(c)
        previous = c
        if i < len(channels) - 1:
            side //= 2
            flop += _conv(c, c, side * side)
            skips.append(c)
    flop += 2 * _resnet(channels[-1], channels[-1], side * side, temb)
    flop += _transformer(channels[-1], side * side, layers[-1], context_tokens, context)
    for i, (c, n, attends) in enumerate(zip(reversed(channels), reversed(layers), reversed(cross))):
        for j in range(per_block + 1):
            flop += _resnet((previous if j == 0 else c) + skips.pop(), c, side * side, temb)
            if attends:
                flop += _transformer(c, side * side, n, context_tokens, context)
        previous = c
        if i < len(channels) - 1:
            side *= 2
            flop += _conv(c, c, side * side)
    return (flop + _conv(channels[0], 4, side * side)) / 1e9


def vae_decoder_gflop(config, latent):
    """The AutoencoderKL decoder on a latent of latent x latent."""
    channels = list(reversed(config["block_out_channels"]))
    side = latent
    c = channels[0]
    pixels = side * side
    flop = _conv(4, 4, pixels, 1) + _conv(4, c, pixels)
    flop += 2 * _resnet(c, c, pixels, 0) + 2 * 4 * c * c * pixels + 4 * pixels * pixels * c
    previous = c
    for i, c in enumerate(channels):
        for j in range(config["layers_per_block"] + 1):
            flop += _resnet(previous if j == 0 else c, c, side * side, 0)
        previous = c
        if i < len(channels) - 1:
            side *= 2
            flop += _conv(c, c, side * side)
    return (flop + _conv(channels[-1], 3, side * side)) / 1e9


def taesd_decoder_gflop(config, latent):
    """The AutoencoderTiny (TAESD) decoder on a latent of latent x latent."""
    side = latent
    channels = config["decoder_block_out_channels"]
    flop = _conv(4, channels[0], side * side)
    for i, (c, blocks) in enumerate(zip(channels, config["num_decoder_blocks"])):
        flop += blocks * 3 * _conv(c, c, side * side)
        if i < len(channels) - 1:
            side *= 2
            flop += _conv(c, channels[i + 1], side * side)
    return (flop + _conv(channels[-1], 3, side * side)) / 1e9


def text_encoder_gflop(config, tokens=77):
    """A CLIP text encoder on one prompt of `tokens` tokens."""
    hidden, inter = config["hidden_size"], config["intermediate_size"]
    layer = 2 * tokens * (4 * hidden * hidden + 2 * hidden * inter) + 4 * tokens * tokens * hidden
    return config["num_hidden_layers"] * layer / 1e9
