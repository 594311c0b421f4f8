#include "imaging/jpeg.hpp"

// jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>

#include <csetjmp>
#include <cstring>
#include <vector>

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

}  // namespace

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
