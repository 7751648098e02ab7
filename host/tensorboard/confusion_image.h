#pragma once
// The confusion matrix as a picture for TensorBoard's image dashboard: one square cell per (true
// class row, predicted class column), shaded by the share of the row's documents it holds (white
// 0 to dark blue 1), so a good model shows a dark diagonal whatever the class sizes. Encoded as an
// RGB PNG (zlib does the deflate and the CRC-32 of the chunks).
#include <cstdint>
#include <string>
#include <vector>

namespace senti::tb {

struct RgbImage {
  int width = 0, height = 0;
  std::vector<uint8_t> rgb;  // (height, width, 3)
};

// K×K counts (rows true, columns predicted) -> the picture, cell pixels a side (grid lines 1 px).
RgbImage confusion_image(const std::vector<std::vector<int64_t>>& counts, int cell = 24);

// The PNG file bytes of an RGB image (8 bits a channel, no interlace).
std::string encode_png(const RgbImage& image);

}  // namespace senti::tb
