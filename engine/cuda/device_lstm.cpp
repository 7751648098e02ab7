// The one place that picks the CUDA backend's LSTM layer. See device_lstm.h.
#include "engine/cuda/device_lstm.h"

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

void DeviceLstm::check_call(const char* what, int B, int T, const int32_t* lengths) const {
  SENTI_CHECK(B >= 1 && B <= shape_.max_batch && T >= 1 && T <= shape_.maxlen, what, ": B=", B,
              " T=", T, " outside [1, ", shape_.max_batch, "] x [1, ", shape_.maxlen, "]");
  SENTI_CHECK(lengths == nullptr, what, ": per-sample lengths (masking) are not implemented yet");
}

LstmKind resolve_lstm_kind(LstmKind requested) {
  if (requested != LstmKind::Auto) return requested;
#if defined(SENTI_CUDA_EMU)
  return LstmKind::StandIn;  // cuDNN is not emulated; the fused kernels will take over here
#else
  return LstmKind::Cudnn;
#endif
}

std::unique_ptr<DeviceLstm> make_device_lstm(LstmKind kind, const DeviceLstmShape& shape,
                                             cudaStream_t stream, bool deterministic) {
  switch (resolve_lstm_kind(kind)) {
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
      SENTI_FAIL("--lstm fused: senti's fused LSTM kernels are not built yet; use --lstm auto");
    case LstmKind::Auto:
      break;
  }
  SENTI_CHECK(false, "unresolved LstmKind ", static_cast<int>(kind));
  return nullptr;
}

}  // namespace senti::cuda
