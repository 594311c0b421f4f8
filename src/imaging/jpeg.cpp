#include "imaging/jpeg.hpp"

// jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>

#include <csetjmp>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/error.hpp"
#include "imaging/pixel_limit.hpp"

namespace rendermart {
namespace {

constexpr int kExifMarker = JPEG_APP0 + 1;
constexpr std::string_view kExifPrefix{"Exif\0\0", 6};

// libjpeg reports a fatal error by calling error_exit, which must not return: it records the
// message and longjmps back to run_decode's setjmp.
struct ErrorSink {
  jpeg_error_mgr manager{};
  std::jmp_buf jump{};
  char message[JMSG_LENGTH_MAX] = "invalid JPEG data";
};

[[noreturn]] void on_jpeg_error(j_common_ptr cinfo) {
  auto* sink = reinterpret_cast<ErrorSink*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, sink->message);
  std::longjmp(sink->jump, 1);
}

// Corrupt-data warnings (a premature end, a bad Huffman code) leave grey or garbage rows; a
// truncated upload must be refused, not stored half grey.
void on_jpeg_warning(j_common_ptr cinfo, int level) {
  if (level < 0) on_jpeg_error(cinfo);
}

// What run_decode fills in; allocated storage lives here, in the caller's frame, so that no
// object with a destructor lives between setjmp and longjmp.
struct DecodeTarget {
  int width = 0;
  int height = 0;
  std::int64_t max_pixels = 0;
  std::vector<std::uint8_t> pixels;
  std::string exif;
};

bool run_decode(jpeg_decompress_struct& cinfo, ErrorSink& sink, std::string_view bytes,
                DecodeTarget& target) {
  if (setjmp(sink.jump)) return false;
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  jpeg_save_markers(&cinfo, kExifMarker, 0xffff);
  jpeg_read_header(&cinfo, TRUE);
  target.width = static_cast<int>(cinfo.image_width);
  target.height = static_cast<int>(cinfo.image_height);
  // Refused by the caller, before any pixel is allocated.
  if (std::int64_t{target.width} * target.height > target.max_pixels || target.width <= 0 ||
      target.height <= 0) {
    return true;
  }
  for (auto* marker = cinfo.marker_list; marker != nullptr; marker = marker->next) {
    const std::string_view data(reinterpret_cast<const char*>(marker->data), marker->data_length);
    if (marker->marker == kExifMarker && data.substr(0, kExifPrefix.size()) == kExifPrefix) {
      target.exif.assign(data.substr(kExifPrefix.size()));
      break;
    }
  }
  cinfo.out_color_space = JCS_RGB;
  jpeg_start_decompress(&cinfo);
  const std::size_t stride = static_cast<std::size_t>(target.width) * 3;
  target.pixels.resize(stride * static_cast<std::size_t>(target.height));
  while (cinfo.output_scanline < cinfo.output_height) {
    JSAMPROW row = target.pixels.data() + stride * cinfo.output_scanline;
    jpeg_read_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_decompress(&cinfo);
  return true;
}

// What run_encode makes: libjpeg's own buffer (malloc'ed; the caller frees it).
struct EncodeTarget {
  unsigned char* bytes = nullptr;
  unsigned long size = 0;
};

bool run_encode(jpeg_compress_struct& cinfo, ErrorSink& sink, const RawImage& image, int quality,
                EncodeTarget& target) {
  if (setjmp(sink.jump)) return false;
  jpeg_create_compress(&cinfo);
  jpeg_mem_dest(&cinfo, &target.bytes, &target.size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  const std::size_t stride = static_cast<std::size_t>(image.width) * 3;
  while (cinfo.next_scanline < cinfo.image_height) {
    // libjpeg takes rows as non-const pointers but does not write to them.
    auto* row = const_cast<JSAMPLE*>(image.rgb.data() + stride * cinfo.next_scanline);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  return true;
}

}  // namespace

std::string encode_jpeg(const RawImage& image, int quality) {
  if (quality < 0 || quality > 100) throw invalid_argument("quality", "quality must be 0..100");
  if (image.width <= 0 || image.height <= 0 ||
      image.rgb.size() != static_cast<std::size_t>(image.width) * image.height * 3) {
    throw Error(ErrorCode::internal, "not an RGB image");
  }
  jpeg_compress_struct cinfo{};
  ErrorSink sink;
  cinfo.err = jpeg_std_error(&sink.manager);
  sink.manager.error_exit = on_jpeg_error;
  EncodeTarget target;
  const bool ok = run_encode(cinfo, sink, image, quality, target);
  jpeg_destroy_compress(&cinfo);
  std::string out;
  if (ok) out.assign(reinterpret_cast<const char*>(target.bytes), target.size);
  std::free(target.bytes);
  if (!ok) throw Error(ErrorCode::internal, std::string("JPEG encoding failed: ") + sink.message);
  return out;
}

DecodedJpeg decode_jpeg(std::string_view bytes, std::int64_t max_pixels) {
  jpeg_decompress_struct cinfo{};
  ErrorSink sink;
  cinfo.err = jpeg_std_error(&sink.manager);
  sink.manager.error_exit = on_jpeg_error;
  sink.manager.emit_message = on_jpeg_warning;
  DecodeTarget target;
  target.max_pixels = max_pixels;
  const bool ok = run_decode(cinfo, sink, bytes, target);
  jpeg_destroy_decompress(&cinfo);
  if (!ok) {
    throw invalid_argument("file", std::string("the file is not a readable JPEG (") + sink.message +
                                       "): upload the whole, unaltered file");
  }
  check_pixel_count(target.width, target.height, max_pixels);
  DecodedJpeg out;
  out.image.width = target.width;
  out.image.height = target.height;
  out.image.rgb = std::move(target.pixels);
  out.exif = std::move(target.exif);
  return out;
}

}  // namespace rendermart
