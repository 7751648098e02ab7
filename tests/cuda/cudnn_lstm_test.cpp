// cuDNN's LSTM against the CPU twin (reference.h): the Keras <-> weight-space map, forward (every
// step's output and hy) and backward (dx and the Keras-layout dW, dR, db). Odd E and H on purpose.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "cuda_test_util.h"
#include "engine/cuda/cudnn_lstm.h"
#include "engine/cuda/cudnn_objects.h"
#include "engine/cuda/stream.h"
#include "reference.h"

namespace senti {
namespace {

using test::all_close;
using test::to_device;
using test::to_host;
namespace ref = test::ref;

struct Fixture {
  cuda::Stream stream;
  cuda::CudnnHandle handle;
  std::unique_ptr<cuda::CudnnLstm> lstm;
  Fixture(int E, int H, int max_batch, int maxlen) {
    SENTI_CUDNN_CHECK(cudnnSetStream(handle, stream));
    lstm = std::make_unique<cuda::CudnnLstm>(handle, stream, E, H, max_batch, maxlen);
  }
};

TEST(CudnnLstm, WeightMapCoversEveryKerasElementOnce) {
  SENTI_REQUIRE_GPU();
  const int E = 37, H = 13, G = 4 * H;
  Fixture f(E, H, 5, 23);
  const auto& map = f.lstm->keras_to_weight_space();
  ASSERT_EQ(map.size(), static_cast<size_t>(E * G + H * G + G));
  std::set<int32_t> distinct(map.begin(), map.end());
  EXPECT_EQ(distinct.size(), map.size()) << "two Keras elements share a weight-space element";
  EXPECT_GE(*distinct.begin(), 0);
  EXPECT_LT(*distinct.rbegin(), static_cast<int32_t>(f.lstm->weight_space_floats()));
  // What is left is cuDNN's input-side bias, 4H floats (more only if cuDNN pads its layout).
  EXPECT_GE(f.lstm->weight_space_floats() - map.size(), static_cast<size_t>(G));

  // Keras -> weight space -> Keras is the identity, and the rest of the weight space stays zero.
  const auto keras = test::random_floats(map.size(), -1.f, 1.f, 99);
  auto d_keras = to_device(keras);
  cuda::DeviceBuffer<float> back(map.size());
  f.lstm->load_keras(d_keras.get());
  f.lstm->store_keras(back.get());
  EXPECT_EQ(keras, to_host(back));
  const auto ws = to_host(f.lstm->weights(), f.lstm->weight_space_floats());
  for (size_t i = 0; i < ws.size(); ++i)
    if (!distinct.count(static_cast<int32_t>(i))) {
      ASSERT_EQ(ws[i], 0.f) << "unmapped element " << i;
    }
}

void check_lstm(int E, int H, int B, int T, int max_batch, int maxlen, Fixture* fixture) {
  const int G = 4 * H;
  std::unique_ptr<Fixture> own;
  if (!fixture) own = std::make_unique<Fixture>(E, H, max_batch, maxlen);
  Fixture& f = fixture ? *fixture : *own;
  ref::Lstm r{B, T, E, H, test::random_floats(static_cast<size_t>(E) * G, -0.3f, 0.3f, 1),
              test::random_floats(static_cast<size_t>(H) * G, -0.3f, 0.3f, 2),
              test::random_floats(G, -0.5f, 0.5f, 3), {}, {}, {}, {}};
  const auto x = test::random_floats(static_cast<size_t>(T) * B * E, -1.f, 1.f, 4);
  const auto hy_ref = r.forward(x);

  std::vector<float> keras(r.W);
  keras.insert(keras.end(), r.R.begin(), r.R.end());
  keras.insert(keras.end(), r.bias.begin(), r.bias.end());
  auto d_keras = to_device(keras);
  f.lstm->load_keras(d_keras.get());
  auto d_x = to_device(x);
  cuda::DeviceBuffer<float> y(static_cast<size_t>(T) * B * H), hy(static_cast<size_t>(B) * H);
  f.lstm->forward(B, T, d_x.get(), y.get(), hy.get(), /*training=*/false);
  const auto hy_infer = to_host(hy);
  f.lstm->forward(B, T, d_x.get(), y.get(), hy.get(), /*training=*/true);
  EXPECT_TRUE(all_close(hy_ref, to_host(hy), 2e-6, 1e-4, "hy"));
  EXPECT_TRUE(all_close(hy_ref, hy_infer, 2e-6, 1e-4, "hy (inference mode)"));
  const std::vector<float> y_ref(r.h.begin() + static_cast<long>(B) * H, r.h.end());  // steps 1..T
  EXPECT_TRUE(all_close(y_ref, to_host(y), 2e-6, 1e-4, "y"));

  const auto dhy = test::random_floats(static_cast<size_t>(B) * H, -1.f, 1.f, 5);
  std::vector<float> dx_ref, dW, dR, db;
  r.backward(dhy, &dx_ref, &dW, &dR, &db);
  auto d_dhy = to_device(dhy);
  cuda::DeviceBuffer<float> dx(static_cast<size_t>(T) * B * E), grad(keras.size());
  f.lstm->backward(B, T, d_x.get(), y.get(), d_dhy.get(), dx.get());
  f.lstm->gradient_to_keras(grad.get());
  const auto g = to_host(grad);
  const std::vector<float> gW(g.begin(), g.begin() + dW.size());
  const std::vector<float> gR(g.begin() + dW.size(), g.begin() + dW.size() + dR.size());
  const std::vector<float> gb(g.end() - G, g.end());
  auto scaled = [](const std::vector<float>& v) { return 1e-5 * test::max_abs(v.data(), v.size()); };
  EXPECT_TRUE(all_close(dx_ref, to_host(dx), scaled(dx_ref), 1e-3, "dx"));
  EXPECT_TRUE(all_close(dW, gW, scaled(dW), 1e-3, "dW (kernel)"));
  EXPECT_TRUE(all_close(dR, gR, scaled(dR), 1e-3, "dR (recurrent_kernel)"));
  EXPECT_TRUE(all_close(db, gb, scaled(db), 1e-3, "db (bias)"));

  // dL/db_W == dL/db_R: the unmapped part of the weight gradient (cuDNN's input-side bias, when the
  // weight space holds nothing else) carries the same 4H values as the Keras bias gradient.
  const auto& map = f.lstm->keras_to_weight_space();
  std::set<int32_t> mapped(map.begin(), map.end());
  const auto dws = to_host(f.lstm->dweights(), f.lstm->weight_space_floats());
  std::vector<float> unmapped;
  for (size_t i = 0; i < dws.size(); ++i)
    if (!mapped.count(static_cast<int32_t>(i))) unmapped.push_back(dws[i]);
  if (unmapped.size() == static_cast<size_t>(G)) {
    std::vector<float> a = gb;
    std::sort(a.begin(), a.end());
    std::sort(unmapped.begin(), unmapped.end());
    EXPECT_TRUE(all_close(a, unmapped, scaled(db), 1e-4, "input-side vs recurrent-side bias grad"));
  }
}

TEST(CudnnLstm, ForwardAndBackwardMatchCpuTwin) {
  SENTI_REQUIRE_GPU();
  check_lstm(37, 13, 5, 23, 5, 23, nullptr);
}

TEST(CudnnLstm, SeedModelWidthsMatchCpuTwin) {
  SENTI_REQUIRE_GPU();
  check_lstm(128, 64, 4, 40, 8, 64, nullptr);
}

TEST(CudnnLstm, ShapeChangesReuseOneLayer) {
  SENTI_REQUIRE_GPU();
  Fixture f(24, 8, 16, 50);
  check_lstm(24, 8, 16, 50, 16, 50, &f);
  check_lstm(24, 8, 3, 7, 16, 50, &f);   // a short last batch
  check_lstm(24, 8, 16, 50, 16, 50, &f); // and back
}

}  // namespace
}  // namespace senti
