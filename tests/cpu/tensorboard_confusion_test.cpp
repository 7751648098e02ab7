// The validation confusion matrix in TensorBoard: the PNG is a valid file (signature, IHDR, chunk
// CRCs, inflatable pixels), its cells are shaded by the share of their row, and TrainingLog writes
// it with the macro-F1 scalar and the class order once.
#include <gtest/gtest.h>

#include <zlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "host/tensorboard/confusion_image.h"
#include "host/tensorboard/tensorboard.pb.h"
#include "host/tensorboard/training_log.h"
#include "test_env.h"

namespace senti {
namespace {

namespace fs = std::filesystem;

uint32_t be32(const std::string& s, size_t at) {
  return (static_cast<uint32_t>(static_cast<uint8_t>(s[at])) << 24) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 1])) << 16) |
         (static_cast<uint32_t>(static_cast<uint8_t>(s[at + 2])) << 8) | static_cast<uint8_t>(s[at + 3]);
}

// Checks the chunks and returns the inflated scanlines (filter byte + RGB per row).
std::string decode_png(const std::string& png, int* w, int* h) {
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::string idat;
  for (size_t pos = 8; pos < png.size();) {
    const uint32_t len = be32(png, pos);
    const std::string type = png.substr(pos + 4, 4), data = png.substr(pos + 8, len);
    const uint32_t crc = static_cast<uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(png.data() + pos + 4), static_cast<uInt>(len + 4)));
    EXPECT_EQ(be32(png, pos + 8 + len), crc) << type;
    if (type == "IHDR") {
      *w = static_cast<int>(be32(data, 0));
      *h = static_cast<int>(be32(data, 4));
      EXPECT_EQ(data[8], 8);  // bit depth
      EXPECT_EQ(data[9], 2);  // RGB
    }
    if (type == "IDAT") idat += data;
    pos += 12 + len;
  }
  std::string raw(static_cast<size_t>(*h) * (*w * 3 + 1), '\0');
  uLongf n = raw.size();
  EXPECT_EQ(uncompress(reinterpret_cast<Bytef*>(raw.data()), &n, reinterpret_cast<const Bytef*>(idat.data()),
                       static_cast<uLong>(idat.size())),
            Z_OK);
  EXPECT_EQ(n, raw.size());
  return raw;
}

TEST(ConfusionImage, CellsAreShadedByTheShareOfTheirRow) {
  // Row 0 all right; row 1 half wrong; row 2 empty (no documents: white).
  const std::vector<std::vector<int64_t>> counts = {{10, 0, 0}, {3, 3, 0}, {0, 0, 0}};
  const tb::RgbImage img = tb::confusion_image(counts, 10);
  int w = 0, h = 0;
  const std::string raw = decode_png(tb::encode_png(img), &w, &h);
  ASSERT_EQ(w, 31);
  ASSERT_EQ(h, 31);
  auto pixel = [&](int row, int col, int ch) {  // the centre of a cell
    const int y = row * 10 + 5, x = col * 10 + 5;
    return static_cast<uint8_t>(raw[static_cast<size_t>(y) * (w * 3 + 1) + 1 + x * 3 + ch]);
  };
  EXPECT_EQ(pixel(0, 0, 0), 8);    // share 1: dark blue
  EXPECT_EQ(pixel(0, 0, 2), 107);
  EXPECT_EQ(pixel(0, 1, 0), 255);  // share 0: white
  EXPECT_EQ(pixel(1, 0, 0), static_cast<uint8_t>(255 - 0.5 * 247));
  EXPECT_EQ(pixel(1, 1, 0), pixel(1, 0, 0));
  EXPECT_EQ(pixel(2, 2, 1), 255);
  EXPECT_ANY_THROW(tb::confusion_image({{1, 2}, {3}}));
}

TEST(ConfusionImage, TrainingLogWritesMacroF1TheImageAndTheClassOrderOnce) {
  const std::string dir = test::scratch_dir("tb-confusion");
  {
    tb::TrainingLogOptions o;
    o.dir = dir;
    o.hparams = nlohmann::json::object();
    tb::TrainingLog log(o, ParamLayout(ModelConfig{20, 4, 3}));
    EpochEvent e;
    e.train = Metrics{6.0, 6, 10};
    e.validation = Metrics{2.0, 3, 4};
    e.val_macro_f1 = 0.625;
    e.val_confusion = {{2, 0, 0}, {0, 1, 1}, {0, 0, 0}};
    e.classes = {"a", "b", "c"};
    for (int epoch = 1; epoch <= 2; ++epoch) {
      e.epoch = epoch;
      log.on_epoch(e);
    }
  }
  std::string path;
  for (const auto& f : fs::directory_iterator(dir + "/validation")) path = f.path().string();
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  int images = 0, legends = 0;
  bool f1 = false;
  for (size_t pos = 0; pos + 12 <= bytes.size();) {
    uint64_t len;
    std::memcpy(&len, bytes.data() + pos, 8);
    tb::Event ev;
    ASSERT_TRUE(ev.ParseFromString(bytes.substr(pos + 12, len)));
    for (const auto& v : ev.summary().value()) {
      if (v.tag() == "epoch_macro_f1") f1 = v.simple_value() == 0.625f;
      if (v.tag() == "confusion_matrix") {
        ++images;
        EXPECT_EQ(v.image().width(), 3 * 24 + 1);
        EXPECT_EQ(v.image().encoded_image_string().substr(1, 3), "PNG");
      }
      if (v.tag() == "confusion_matrix_classes") {
        ++legends;
        EXPECT_NE(v.tensor().string_val(0).find("0 a, 1 b, 2 c"), std::string::npos);
      }
    }
    pos += 12 + len + 4;
  }
  EXPECT_TRUE(f1);
  EXPECT_EQ(images, 2);
  EXPECT_EQ(legends, 1);
}

}  // namespace
}  // namespace senti
