#include "host/tensorboard/confusion_image.h"

#include <zlib.h>

#include "kernels/common/error.h"

namespace senti::tb {
namespace {

void put_u32(std::string* out, uint32_t v) {
  for (int s = 24; s >= 0; s -= 8) out->push_back(static_cast<char>((v >> s) & 0xFF));
}

// A PNG chunk: length, type, data, CRC-32 of type and data.
void chunk(std::string* out, const char type[4], const std::string& data) {
  put_u32(out, static_cast<uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  out->append(body);
  put_u32(out, static_cast<uint32_t>(crc32(0L, reinterpret_cast<const Bytef*>(body.data()),
                                           static_cast<uInt>(body.size()))));
}

}  // namespace

RgbImage confusion_image(const std::vector<std::vector<int64_t>>& counts, int cell) {
  const int K = static_cast<int>(counts.size());
  SENTI_CHECK(K >= 1 && cell >= 2 && K <= 4096 / cell + 1, "confusion_image: ", K, " classes of ", cell, " px");
  RgbImage img;
  img.width = img.height = K * cell + 1;
  img.rgb.assign(static_cast<size_t>(img.width) * img.height * 3, 160);  // grey grid lines
  for (int r = 0; r < K; ++r) {
    SENTI_CHECK(static_cast<int>(counts[r].size()) == K, "confusion_image: row ", r, " is not ", K, " wide");
    int64_t row_total = 0;
    for (const int64_t c : counts[r]) row_total += c;
    for (int c = 0; c < K; ++c) {
      const double share = row_total > 0 ? static_cast<double>(counts[r][c]) / row_total : 0.0;
      // White (255, 255, 255) to dark blue (8, 48, 107), as matplotlib's "Blues".
      const uint8_t px[3] = {static_cast<uint8_t>(255 - share * (255 - 8)),
                             static_cast<uint8_t>(255 - share * (255 - 48)),
                             static_cast<uint8_t>(255 - share * (255 - 107))};
      for (int y = r * cell + 1; y < (r + 1) * cell; ++y)
        for (int x = c * cell + 1; x < (c + 1) * cell; ++x)
          for (int ch = 0; ch < 3; ++ch) img.rgb[(static_cast<size_t>(y) * img.width + x) * 3 + ch] = px[ch];
    }
  }
  return img;
}

std::string encode_png(const RgbImage& image) {
  // Scanlines, each after a filter byte 0 (none).
  std::string raw;
  raw.reserve(static_cast<size_t>(image.height) * (image.width * 3 + 1));
  for (int y = 0; y < image.height; ++y) {
    raw.push_back('\0');
    raw.append(reinterpret_cast<const char*>(image.rgb.data()) + static_cast<size_t>(y) * image.width * 3,
               static_cast<size_t>(image.width) * 3);
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  SENTI_CHECK(compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                        reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                        Z_BEST_COMPRESSION) == Z_OK,
              "encode_png: zlib failed");
  packed.resize(packed_size);
  std::string png("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  put_u32(&header, static_cast<uint32_t>(image.width));
  put_u32(&header, static_cast<uint32_t>(image.height));
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bits, RGB, deflate, filter 0, no interlace
  chunk(&png, "IHDR", header);
  chunk(&png, "IDAT", packed);
  chunk(&png, "IEND", "");
  return png;
}

}  // namespace senti::tb
