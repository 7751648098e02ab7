// The backend factory: the one engine file that creates backends. Built into senti_backends (with
// the real CUDA backend when this build has one) and, for the emulated-device tests, into
// senti_backends_emu (SENTI_WITH_CUDA on the emulated device).
#include "engine/backend.h"

#include "kernels/common/error.h"
#include "engine/cpu/cpu_backend.h"
#if defined(SENTI_WITH_CUDA)
#include "engine/cuda/cuda_backend.h"
#endif

namespace senti {

bool cuda_available(std::string* why) {
#if defined(SENTI_WITH_CUDA)
  return cuda_device_present(why);
#else
  if (why) *why = "this senti was built without CUDA (configure with -DSENTI_CUDA=ON and nvcc/cuDNN present)";
  return false;
#endif
}

std::string cuda_unsupported(const BackendOptions& opts) {
  // The CUDA backend runs every model option with senti's fused LSTM (--lstm fused, which auto
  // means in every build: engine/cuda/device_lstm.h). cuDNN adds per-row lengths (--mask, post
  // padding) and dL/dy (--pool) but not the bidirectional layer; the CPU stand-in (emulated device
  // only) implements the seed model's LSTM. What the backend does around the LSTM (dropout, the
  // sparse embedding clip norm, the n-gram features of --ngrams, every head: sigmoid, softmax and
  // multi-label over up to kMaxClasses outputs, with or without class weights) works with any of
  // them, so none of those is refused here. The language-model head (`senti pretrain`) needs every
  // step's state and dL/dy for a masked model in both directions: the fused LSTM only.
  if (opts.lstm == LstmKind::Auto || opts.lstm == LstmKind::Fused) return "";
  const ModelConfig& m = opts.model;
  const bool cudnn = opts.lstm == LstmKind::Cudnn;
  const char* flag = m.language_model()               ? "the language-model head (senti pretrain)"
                     : m.bidirectional                ? "--bidirectional"
                     : !cudnn && m.mask               ? "--mask"
                     : !cudnn && m.pool != Pool::Last ? "--pool other than last"
                                                      : nullptr;
  if (!flag) return "";
  return std::string("--lstm ") + lstm_kind_name(opts.lstm) + " does not implement " + flag +
         " yet (use --lstm fused, the default, or --device cpu)";
}

std::unique_ptr<Backend> make_backend(Device device, const BackendOptions& opts, bool* fell_back,
                                      std::string* why_fell_back) {
  if (fell_back) *fell_back = false;
  std::string why;
  switch (device) {
    case Device::Cpu:
      return make_cpu_backend(opts);
    case Device::Cuda:
      if (!cuda_available(&why)) SENTI_FAIL("--device cuda: no usable GPU: ", why);
      why = cuda_unsupported(opts);
      if (!why.empty()) SENTI_FAIL(why);
#if defined(SENTI_WITH_CUDA)
      return make_cuda_backend(opts);
#else
      break;
#endif
    case Device::Auto:
      if (cuda_available(&why)) {
        why = cuda_unsupported(opts);
#if defined(SENTI_WITH_CUDA)
        if (why.empty()) return make_cuda_backend(opts);
#endif
      }
      if (fell_back) *fell_back = true;
      if (why_fell_back) *why_fell_back = why;
      return make_cpu_backend(opts);
  }
  SENTI_FAIL("unknown device");
}

}  // namespace senti
