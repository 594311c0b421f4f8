#include "imaging/webp.hpp"

#include <webp/decode.h>
#include <webp/demux.h>
#include <webp/encode.h>

#include <cstdint>
#include <memory>
#include <vector>

#include "core/error.hpp"
#include "imaging/pixel_limit.hpp"
#include "imaging/resize.hpp"

namespace rendermart {

namespace {

// WebP's format stores each side in 14 bits.
constexpr int max_webp_side = 16383;

// Quality 80 is where lossy WebP artefacts stop being visible at thumbnail size while the file
// stays a few kilobytes.
constexpr int thumbnail_quality = 80;
// libwebp's speed/size trade-off, 0 (fastest) to 6; 4 is its default. Every image stored gets
// its thumbnails encoded, so they take 2: at 256 and 512 pixels it encodes 2.2-2.6x faster than 4
// for 4-5% more bytes and 0.1-0.2 dB less PSNR (docs/benchmarks.md, "Platform overhead per
// job"); below 2 the files grow by 15-40%.
constexpr int thumbnail_method = 2;
// What libwebp's simple API (WebPEncodeRGB) takes.
constexpr int default_method = 4;

// libwebp's encoder state, released on every path out.
struct Encoder {
  WebPConfig config{};
  WebPPicture picture{};
  WebPMemoryWriter output{};
  Encoder() { WebPMemoryWriterInit(&output); }
  ~Encoder() {
    WebPPictureFree(&picture);
    WebPMemoryWriterClear(&output);
  }
  Encoder(const Encoder&) = delete;
  Encoder& operator=(const Encoder&) = delete;
};

// Lossy WebP as libwebp's simple API makes it (WebPEncodeRGB, WebPEncodeRGBA), with the given
// speed/size trade-off.
std::string encode(const RawImage& image, int quality, int method) {
  validate_raw_image(image);
  if (image.width > max_webp_side || image.height > max_webp_side) {
    throw invalid_argument("image", "image is too large for WebP");
  }
  if (quality < 0 || quality > 100) throw invalid_argument("quality", "quality must be 0..100");

  Encoder encoder;
  if (!WebPPictureInit(&encoder.picture) ||
      !WebPConfigPreset(&encoder.config, WEBP_PRESET_DEFAULT, static_cast<float>(quality))) {
    throw Error(ErrorCode::internal, "libwebp does not match the headers it was built with");
  }
  encoder.config.method = method;
  encoder.picture.width = image.width;
  encoder.picture.height = image.height;
  encoder.picture.writer = WebPMemoryWrite;
  encoder.picture.custom_ptr = &encoder.output;
  bool ok = false;
  if (image.alpha.empty()) {
    ok = WebPPictureImportRGB(&encoder.picture, image.rgb.data(), image.width * 3) != 0;
  } else {
    const auto rgba = interleave_rgba(image);
    ok = WebPPictureImportRGBA(&encoder.picture, rgba.data(), image.width * 4) != 0;
  }
  if (!ok || !WebPEncode(&encoder.config, &encoder.picture) || encoder.output.size == 0) {
    throw Error(ErrorCode::internal, "WebP encoding failed");
  }
  return std::string(reinterpret_cast<const char*>(encoder.output.mem), encoder.output.size);
}

}  // namespace

std::string encode_webp(const RawImage& image, int quality) {
  return encode(image, quality, default_method);
}

std::string make_thumbnail(const RawImage& image, int max_side) {
  return encode(resize_to_fit(image, max_side), thumbnail_quality, thumbnail_method);
}

DecodedWebp decode_webp(std::string_view bytes, std::int64_t max_pixels) {
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  WebPBitstreamFeatures features;
  if (WebPGetFeatures(data, bytes.size(), &features) != VP8_STATUS_OK) {
    throw invalid_argument("file", "the file is not a readable WebP: upload the whole file");
  }
  check_pixel_count(features.width, features.height, max_pixels);

  DecodedWebp out;
  int width = 0;
  int height = 0;
  const std::unique_ptr<std::uint8_t, decltype(&WebPFree)> rgba(
      WebPDecodeRGBA(data, bytes.size(), &width, &height), &WebPFree);
  if (!rgba) {
    throw invalid_argument("file", "the WebP file is truncated or corrupt: upload the whole file");
  }
  out.image.width = width;
  out.image.height = height;
  const std::size_t pixels = static_cast<std::size_t>(width) * static_cast<std::size_t>(height);
  out.image.rgb.resize(pixels * 3);
  if (features.has_alpha) out.image.alpha.resize(pixels);
  for (std::size_t i = 0; i < pixels; ++i) {
    for (int c = 0; c < 3; ++c) out.image.rgb[i * 3 + c] = rgba.get()[i * 4 + c];
    if (features.has_alpha) out.image.alpha[i] = rgba.get()[i * 4 + 3];
  }

  const WebPData whole{data, bytes.size()};
  const std::unique_ptr<WebPDemuxer, decltype(&WebPDemuxDelete)> demux(WebPDemux(&whole),
                                                                       &WebPDemuxDelete);
  WebPChunkIterator chunk;
  if (demux && WebPDemuxGetChunk(demux.get(), "EXIF", 1, &chunk)) {
    out.exif.assign(reinterpret_cast<const char*>(chunk.chunk.bytes), chunk.chunk.size);
    WebPDemuxReleaseChunkIterator(&chunk);
  }
  return out;
}

}  // namespace rendermart
