// The one place that picks the CUDA backend's LSTM layer. See device_lstm.h.
#include "engine/cuda/device_lstm.h"

#include "engine/cuda/fused_lstm.h"
#include "kernels/common/error.h"
#if defined(SENTI_CUDA_EMU)
#include "engine/cuda/cpu_standin_lstm.h"
#else
#include "engine/cuda/cudnn_lstm.h"
#endif

namespace senti::cuda {

DeviceLstm::DeviceLstm(const DeviceLstmShape& shape) : shape_(shape) {
  SENTI_CHECK(shape.input_size > 0 && shape.hidden > 0 && shape.max_batch > 0 && shape.maxlen > 0,
              "LSTM layer: bad sizes E=", shape.input_size, " H=", shape.hidden, " max_batch=",
              shape.max_batch, " maxlen=", shape.maxlen);
}

void DeviceLstm::check_call(const char* what, int B, int T, const int32_t* lengths,
                            const float* dy) const {
  SENTI_CHECK(B >= 1 && B <= shape_.max_batch && T >= 1 && T <= shape_.maxlen, what, ": B=", B,
              " T=", T, " outside [1, ", shape_.max_batch, "] x [1, ", shape_.maxlen, "]");
  SENTI_CHECK(lengths == nullptr || shape_.lengths, what,
              ": per-sample lengths passed to a layer made without them");
  SENTI_CHECK(dy == nullptr || shape_.sequence_gradient, what,
              ": dL/dy passed to a layer made without sequence gradients");
}

void DeviceLstm::load_keras_reverse(const float*) {
  SENTI_CHECK(false, "load_keras_reverse on a unidirectional LSTM layer");
}

void DeviceLstm::gradient_to_keras_reverse(float*) {
  SENTI_CHECK(false, "gradient_to_keras_reverse on a unidirectional LSTM layer");
}

LstmKind resolve_lstm_kind(LstmKind requested) {
  // senti's fused kernels in both builds (they pass the emulated-device tests against the
  // double-precision twin); cuDNN stays selectable as the reference and fallback on a GPU.
  return requested == LstmKind::Auto ? LstmKind::Fused : requested;
}

std::unique_ptr<DeviceLstm> make_device_lstm(LstmKind kind, const DeviceLstmShape& shape,
                                             cudaStream_t stream, bool deterministic) {
  // Users are told by cuda_unsupported (engine/backend.cpp) before a backend is made. cuDNN runs
  // lengths (post padding) and dL/dy, not the bidirectional layer; the stand-in the seed's LSTM.
  const LstmKind resolved = resolve_lstm_kind(kind);
  SENTI_CHECK(resolved == LstmKind::Fused ||
                  (shape.directions == 1 &&
                   (resolved == LstmKind::Cudnn || (!shape.lengths && !shape.sequence_gradient))),
              "--lstm ", lstm_kind_name(kind), ": only the fused LSTM implements every layer option");
  switch (resolved) {
    case LstmKind::Cudnn:
#if defined(SENTI_CUDA_EMU)
      SENTI_FAIL("--lstm cudnn: cuDNN is not emulated; on the emulated CUDA device use --lstm "
                 "stand-in (or auto)");
#else
      return std::make_unique<CudnnLstm>(shape, stream, deterministic);
#endif
    case LstmKind::StandIn:
#if defined(SENTI_CUDA_EMU)
      (void)deterministic;  // the stand-in is always deterministic
      return std::make_unique<CpuStandInLstm>(shape, stream);
#else
      SENTI_FAIL("--lstm stand-in runs only on the emulated CUDA device (tests); on a GPU use "
                 "--lstm cudnn (or auto)");
#endif
    case LstmKind::Fused:
      return std::make_unique<FusedLstm>(shape, stream);  // deterministic by construction
    case LstmKind::Auto:
      break;
  }
  SENTI_CHECK(false, "unresolved LstmKind ", static_cast<int>(kind));
  return nullptr;
}

}  // namespace senti::cuda
