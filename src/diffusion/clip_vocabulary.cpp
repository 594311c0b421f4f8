// The CLIP vocabulary (assets/clip_tokenizer) assembled into the binary as two byte ranges that
// clip_tokenizer.cpp reads; RENDERMART_CLIP_TOKENIZER_DIR is that folder (set by CMake).

#define RENDERMART_STRINGIFY(x) #x
#define RENDERMART_PATH(x) RENDERMART_STRINGIFY(x)

asm(".section .rodata\n"
    ".global rendermart_clip_vocab\n"
    ".global rendermart_clip_vocab_end\n"
    ".global rendermart_clip_merges\n"
    ".global rendermart_clip_merges_end\n"
    "rendermart_clip_vocab:\n"
    ".incbin \"" RENDERMART_PATH(RENDERMART_CLIP_TOKENIZER_DIR) "/vocab.json\"\n"
    "rendermart_clip_vocab_end:\n"
    "rendermart_clip_merges:\n"
    ".incbin \"" RENDERMART_PATH(RENDERMART_CLIP_TOKENIZER_DIR) "/merges.txt\"\n"
    "rendermart_clip_merges_end:\n"
    ".previous\n");
