#include "imaging/uploaded_image.hpp"

#include <gtest/gtest.h>

// jpeglib.h needs size_t and FILE declared before it.
#include <cstddef>
#include <cstdio>

#include <jpeglib.h>

#include <cstdint>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "imaging/orientation.hpp"
#include "imaging/png.hpp"
#include "imaging/webp.hpp"

namespace rendermart {
namespace {

constexpr std::int64_t kMaxPixels = 40'000'000;

// Left half black, right half white: turning it shows which way it went.
RawImage halves(int width, int height) {
  RawImage image{width, height, {}, {}};
  image.rgb.resize(static_cast<std::size_t>(width) * height * 3);
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      const std::uint8_t v = x < width / 2 ? 0 : 255;
      for (int c = 0; c < 3; ++c) image.rgb[(static_cast<std::size_t>(y) * width + x) * 3 + c] = v;
    }
  }
  return image;
}

std::uint8_t red_at(const RawImage& image, int x, int y) {
  return image.rgb[(static_cast<std::size_t>(y) * image.width + x) * 3];
}

// A TIFF block holding only the Orientation tag, in either byte order.
std::string exif_block(int orientation, bool little_endian, bool with_prefix) {
  std::string tiff = little_endian ? std::string("II*\0", 4) : std::string("MM\0*", 4);
  const auto put = [&](std::uint32_t value, int size) {
    for (int i = 0; i < size; ++i) {
      const int shift = little_endian ? 8 * i : 8 * (size - 1 - i);
      tiff.push_back(static_cast<char>((value >> shift) & 0xff));
    }
  };
  put(8, 4);       // the first directory follows the header
  put(1, 2);       // one entry
  put(0x0112, 2);  // Orientation
  put(3, 2);       // SHORT
  put(1, 4);       // one value
  put(static_cast<std::uint32_t>(orientation), 2);
  put(0, 2);  // padding of the value field
  put(0, 4);  // no next directory
  return (with_prefix ? std::string("Exif\0\0", 6) : std::string()) + tiff;
}

// A baseline JPEG of the image, with an APP1 Exif segment when exif is not empty.
std::string encode_jpeg(const RawImage& image, const std::string& exif) {
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr errors{};
  cinfo.err = jpeg_std_error(&errors);
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long size = 0;
  jpeg_mem_dest(&cinfo, &buffer, &size);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, 95, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  if (!exif.empty()) {
    jpeg_write_marker(&cinfo, JPEG_APP0 + 1, reinterpret_cast<const JOCTET*>(exif.data()),
                      static_cast<unsigned>(exif.size()));
  }
  const std::size_t stride = static_cast<std::size_t>(image.width) * 3;
  while (cinfo.next_scanline < cinfo.image_height) {
    auto* row = const_cast<JSAMPLE*>(image.rgb.data() + stride * cinfo.next_scanline);
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  jpeg_destroy_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buffer), size);
  std::free(buffer);
  return out;
}

ErrorCode code_of(const std::string& bytes, std::int64_t max_pixels = kMaxPixels) {
  try {
    decode_uploaded_image(bytes, max_pixels);
  } catch (const Error& e) {
    EXPECT_EQ(e.field(), "file") << e.what();
    return e.code();
  }
  ADD_FAILURE() << "decoded";
  return ErrorCode::internal;
}

TEST(Orientation, ReadsTheTagInBothByteOrdersWithOrWithoutThePrefix) {
  EXPECT_EQ(exif_orientation(exif_block(6, true, false)), 6);
  EXPECT_EQ(exif_orientation(exif_block(8, false, false)), 8);
  EXPECT_EQ(exif_orientation(exif_block(3, true, true)), 3);
}

TEST(Orientation, AMissingOrBrokenBlockMeansUpright) {
  EXPECT_EQ(exif_orientation(""), 1);
  EXPECT_EQ(exif_orientation("not a tiff at all"), 1);
  EXPECT_EQ(exif_orientation(exif_block(6, true, false).substr(0, 14)), 1);
  EXPECT_EQ(exif_orientation(exif_block(9, true, false)), 1);
}

TEST(Orientation, TurnsEachWayTheTagSays) {
  const RawImage image = halves(4, 2);  // black left, white right
  // 6: 90 degrees clockwise; the left (black) half ends on top.
  const auto six = apply_orientation(image, 6);
  ASSERT_EQ(six.width, 2);
  ASSERT_EQ(six.height, 4);
  EXPECT_EQ(red_at(six, 0, 0), 0);
  EXPECT_EQ(red_at(six, 1, 3), 255);
  // 8: counter-clockwise; the left half ends at the bottom.
  const auto eight = apply_orientation(image, 8);
  EXPECT_EQ(red_at(eight, 0, 0), 255);
  EXPECT_EQ(red_at(eight, 0, 3), 0);
  // 2 and 3 mirror left and right.
  EXPECT_EQ(red_at(apply_orientation(image, 2), 0, 0), 255);
  EXPECT_EQ(red_at(apply_orientation(image, 3), 0, 1), 255);
  EXPECT_EQ(apply_orientation(image, 1).rgb, image.rgb);
}

TEST(UploadedImage, AJpegIsTurnedUprightAsItsExifSays) {
  const auto jpeg = encode_jpeg(halves(32, 16), exif_block(6, false, true));
  const auto image = decode_uploaded_image(jpeg, kMaxPixels);
  ASSERT_EQ(image.width, 16);
  ASSERT_EQ(image.height, 32);
  EXPECT_LT(red_at(image, 8, 2), 40);
  EXPECT_GT(red_at(image, 8, 29), 215);
  EXPECT_TRUE(image.alpha.empty());
}

TEST(UploadedImage, APngKeepsItsTransparency) {
  RawImage image = halves(8, 8);
  image.alpha.assign(64, 128);
  const auto decoded = decode_uploaded_image(encode_png(image, {{"Comment", "hi"}}), kMaxPixels);
  EXPECT_EQ(decoded.rgb, image.rgb);
  EXPECT_EQ(decoded.alpha, image.alpha);
}

TEST(UploadedImage, AWebpIsDecodedWithItsAlpha) {
  RawImage image = halves(16, 8);
  image.alpha.assign(128, 255);
  image.alpha[0] = 0;
  const auto decoded = decode_uploaded_image(encode_webp(image, 90), kMaxPixels);
  EXPECT_EQ(decoded.width, 16);
  EXPECT_EQ(decoded.height, 8);
  EXPECT_EQ(decoded.alpha.size(), 128u);
}

TEST(UploadedImage, RefusesWhatIsNotAWholePicture) {
  const auto png = encode_png(halves(16, 16), {});
  const auto jpeg = encode_jpeg(halves(64, 64), "");
  EXPECT_EQ(code_of(""), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of("GIF89a and more"), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of(png.substr(0, png.size() / 2)), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of(png.substr(0, 20)), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of(jpeg.substr(0, jpeg.size() / 2)), ErrorCode::invalid_argument);
  EXPECT_EQ(code_of(std::string("RIFF\0\0\0\0WEBPVP8 ", 16)), ErrorCode::invalid_argument);
}

TEST(UploadedImage, ABombIsRefusedFromItsHeader) {
  // A PNG whose header claims 100000 x 100000 pixels: refused before libpng sees it.
  auto png = encode_png(halves(16, 16), {});
  const char huge[4] = {0, 1, static_cast<char>(0x86), static_cast<char>(0xa0)};  // 100000
  png.replace(16, 4, huge, 4);
  png.replace(20, 4, huge, 4);
  EXPECT_EQ(code_of(png), ErrorCode::payload_too_large);
  // A JPEG whose frame header claims 60000 x 60000.
  auto jpeg = encode_jpeg(halves(16, 16), "");
  const auto frame = jpeg.find("\xff\xc0");
  ASSERT_NE(frame, std::string::npos);
  const char side[2] = {static_cast<char>(0xea), 0x60};  // 60000
  jpeg.replace(frame + 5, 2, side, 2);
  jpeg.replace(frame + 7, 2, side, 2);
  EXPECT_EQ(code_of(jpeg), ErrorCode::payload_too_large);
  // Within the limit's own terms: 16 x 16 is over a limit of 255 pixels.
  EXPECT_EQ(code_of(encode_webp(halves(16, 16), 80), 255), ErrorCode::payload_too_large);
}

TEST(MaskFromTransparency, TransparentPixelsAreTheAreaToEdit) {
  RawImage image = halves(2, 1);
  EXPECT_FALSE(mask_from_transparency(image).has_value());
  image.alpha = {0, 255};
  EXPECT_FALSE(mask_from_transparency(halves(2, 1)).has_value());
  const auto mask = mask_from_transparency(image);
  ASSERT_TRUE(mask.has_value());
  EXPECT_EQ(mask->rgb, (std::vector<std::uint8_t>{255, 255, 255, 0, 0, 0}));
  EXPECT_TRUE(mask->alpha.empty());
  image.alpha = {255, 255};
  EXPECT_FALSE(mask_from_transparency(image).has_value());
}

}  // namespace
}  // namespace rendermart
