// The backend factory with and without a GPU. Never skipped: on a machine without a GPU it checks
// the error and the fallback; with one, that CUDA is picked.
#include <gtest/gtest.h>

#include <string>

#include "engine/backend.h"
#include "kernels/common/error.h"
#include "engine/cuda/cuda_backend.h"

namespace senti {
namespace {

BackendOptions tiny() {
  BackendOptions o;
  o.model.vocab_size = 50;
  o.model.embed_dim = 8;
  o.model.hidden = 4;
  o.max_batch = 4;
  o.maxlen = 8;
  return o;
}

TEST(CudaFactory, DevicePresenceExplainsItself) {
  std::string why = "unset";
  const bool present = cuda_device_present(&why);
  EXPECT_EQ(present, cuda_available(nullptr));
  if (present)
    EXPECT_TRUE(why.empty()) << why;
  else
    EXPECT_FALSE(why.empty()) << "no reason given for the missing GPU";
}

TEST(CudaFactory, CudaWithoutGpuIsAClearUsageError) {
  std::string why;
  if (cuda_device_present(&why)) {
    auto b = make_backend(Device::Cuda, tiny());
    EXPECT_EQ(b->describe().rfind("cuda (", 0), 0u) << b->describe();
    return;
  }
  try {
    make_backend(Device::Cuda, tiny());
    FAIL() << "make_backend(Device::Cuda) succeeded without a GPU";
  } catch (const UsageError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("no usable GPU"), std::string::npos) << msg;
    EXPECT_NE(msg.find(why), std::string::npos) << "the reason is missing: " << msg;
  }
}

TEST(CudaFactory, AutoFallsBackToCpuWithoutGpu) {
  bool fell_back = true;
  auto b = make_backend(Device::Auto, tiny(), &fell_back);
  ASSERT_NE(b, nullptr);
  if (cuda_device_present(nullptr)) {
    EXPECT_FALSE(fell_back);
    EXPECT_EQ(b->describe().rfind("cuda (", 0), 0u) << b->describe();
  } else {
    EXPECT_TRUE(fell_back);
    EXPECT_EQ(b->describe().rfind("cpu (", 0), 0u) << b->describe();
  }
}

// With the fused LSTM (--lstm auto) every model option runs on CUDA: --device auto no longer falls
// back for them; an LSTM kind that lacks one falls back and says why, naming --lstm and the flag.
TEST(CudaFactory, FusedAutoRunsEveryModelOptionOnCuda) {
  BackendOptions o = tiny();
  o.model.mask = o.model.bidirectional = o.model.spatial_dropout = true;
  o.model.pool = Pool::Concat;
  o.model.dropout = o.model.dense_dropout = 0.2f;
  o.optimizer.embedding_clip_norm = EmbeddingClipNorm::Sparse;
  EXPECT_EQ(cuda_unsupported(o), "");
  if (!cuda_device_present(nullptr)) return;  // the rest needs a (possibly emulated) device
  bool fell_back = true;
  std::string why = "unset";
  auto b = make_backend(Device::Auto, o, &fell_back, &why);
  EXPECT_FALSE(fell_back) << why;
  EXPECT_NE(b->describe().find("LSTM: fused"), std::string::npos) << b->describe();

  o.lstm = LstmKind::Cudnn;  // cuDNN: the seed model's LSTM only
  b = make_backend(Device::Auto, o, &fell_back, &why);
  EXPECT_TRUE(fell_back);
  EXPECT_EQ(b->describe().rfind("cpu (", 0), 0u) << b->describe();
  EXPECT_NE(why.find("--lstm cudnn does not implement --bidirectional"), std::string::npos) << why;
  EXPECT_THROW(make_backend(Device::Cuda, o), UsageError);
}

}  // namespace
}  // namespace senti
