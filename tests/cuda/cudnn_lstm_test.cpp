// What only the cuDNN LSTM has: the Keras <-> weight-space index map. Real GPU only (cuDNN is not
// emulated). Its forward and backward against the reference are in device_lstm_test.cpp.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <set>
#include <vector>

#include "cuda_test_util.h"
#include "engine/cuda/cudnn_lstm.h"
#include "engine/cuda/stream.h"

namespace senti {
namespace {

using test::all_close;
using test::to_device;
using test::to_host;

struct Fixture {
  cuda::Stream stream;
  std::unique_ptr<cuda::CudnnLstm> lstm;
  Fixture(int E, int H, int max_batch, int maxlen)
      : lstm(std::make_unique<cuda::CudnnLstm>(cuda::DeviceLstmShape{E, H, max_batch, maxlen},
                                               stream, /*deterministic=*/true)) {}
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

// dL/db_W == dL/db_R: the unmapped part of the weight gradient (cuDNN's input-side bias, when the
// weight space holds nothing else) carries the same 4H values as the Keras bias gradient.
TEST(CudnnLstm, InputSideBiasGradientEqualsKerasBiasGradient) {
  SENTI_REQUIRE_GPU();
  const int E = 24, H = 8, B = 5, T = 17, G = 4 * H;
  Fixture f(E, H, B, T);
  auto keras = to_device(test::random_floats(static_cast<size_t>(f.lstm->keras_size()), -0.3f,
                                             0.3f, 1));
  auto x = to_device(test::random_floats(static_cast<size_t>(T) * B * E, -1.f, 1.f, 2));
  auto dhy = to_device(test::random_floats(static_cast<size_t>(B) * H, -1.f, 1.f, 3));
  cuda::DeviceBuffer<float> y(static_cast<size_t>(T) * B * H), hy(static_cast<size_t>(B) * H),
      dx(static_cast<size_t>(T) * B * E), grad(static_cast<size_t>(f.lstm->keras_size()));
  f.lstm->load_keras(keras.get());
  f.lstm->forward(B, T, nullptr, x.get(), y.get(), hy.get(), /*training=*/true);
  f.lstm->backward(B, T, nullptr, x.get(), y.get(), nullptr, dhy.get(), dx.get());
  f.lstm->gradient_to_keras(grad.get());
  const auto g = to_host(grad);
  std::vector<float> gb(g.end() - G, g.end());

  const auto& map = f.lstm->keras_to_weight_space();
  std::set<int32_t> mapped(map.begin(), map.end());
  const auto dws = to_host(f.lstm->dweights(), f.lstm->weight_space_floats());
  std::vector<float> unmapped;
  for (size_t i = 0; i < dws.size(); ++i)
    if (!mapped.count(static_cast<int32_t>(i))) unmapped.push_back(dws[i]);
  if (unmapped.size() != static_cast<size_t>(G))
    GTEST_SKIP() << "cuDNN pads its weight space (" << unmapped.size() << " unmapped floats)";
  std::sort(gb.begin(), gb.end());
  std::sort(unmapped.begin(), unmapped.end());
  EXPECT_TRUE(all_close(gb, unmapped, 1e-5 * test::max_abs(gb.data(), gb.size()), 1e-4,
                        "input-side vs recurrent-side bias grad"));
}

}  // namespace
}  // namespace senti
