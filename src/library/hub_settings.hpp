#pragma once

// The Hugging Face Hub as huggingface_hub configures it from the environment, so that a machine
// set up for the Python tools pulls the same way: HF_ENDPOINT (a mirror), HF_TOKEN (gated and
// private repositories; else the token file `huggingface-cli login` writes) and HF_HUB_OFFLINE.

#include <string>

namespace rendermart::library {

struct HubSettings {
  std::string endpoint = "https://huggingface.co";  // without a trailing '/'
  std::string token;                                // a secret: never logged or printed
  bool offline = false;  // HF_HUB_OFFLINE: pulls fail at once instead of trying the network

  // HF_ENDPOINT; HF_TOKEN, else HUGGING_FACE_HUB_TOKEN, else the file at HF_TOKEN_PATH (default
  // $HF_HOME/token, HF_HOME defaulting to $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface);
  // HF_HUB_OFFLINE=1 (or ON, YES, TRUE, any case).
  static HubSettings from_environment();
};

}  // namespace rendermart::library
