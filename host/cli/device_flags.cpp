#include "host/cli/device_flags.h"

#include "kernels/common/error.h"

namespace senti::cli {

void add_device_flag(CLI::App* cmd, std::string* device) {
  cmd->add_option("--device", *device,
                  "Where to run: cuda (needs a GPU), cpu, or auto (cuda when a GPU is usable, else cpu)")
      ->default_val("auto");
}

void add_lstm_flag(CLI::App* cmd, std::string* lstm) {
  cmd->add_option("--lstm", *lstm,
                  "LSTM layer of the CUDA backend: fused (senti's own kernels; every model option), "
                  "cudnn (cuDNN, the reference and fallback; real GPU only; --mask with post "
                  "padding only, no --bidirectional), stand-in (CPU twin of the seed's LSTM; "
                  "emulated device only) or auto (fused). Ignored on the CPU")
      ->default_val("auto");
}

void add_cuda_graph_flag(CLI::App* cmd, std::string* value) {
  cmd->add_option("--cuda-graph", *value,
                  "on: the CUDA backend captures each batch shape's train step as a CUDA graph and "
                  "replays it (one launch a step instead of one per kernel; docs/performance.md); "
                  "off: every kernel launched from the host. Ignored on the CPU")
      ->default_val("on");
}

Device parse_device(const std::string& device) {
  if (device == "cpu") return Device::Cpu;
  if (device == "cuda" || device == "gpu") return Device::Cuda;
  if (device == "auto") return Device::Auto;
  SENTI_FAIL("--device: expected cpu, cuda or auto, got '", device, "'");
}

void require_device(const std::string& device) {
  std::string why;
  if (parse_device(device) == Device::Cuda && !cuda_available(&why))
    SENTI_FAIL("--device cuda: no usable GPU: ", why);
}

std::unique_ptr<Backend> open_backend(const std::string& device, const BackendOptions& opts, FILE* log) {
  const Device d = parse_device(device);
  bool fell_back = false;
  std::string why;
  auto backend = make_backend(d, opts, &fell_back, &why);
  if (fell_back && log) {
    if (cuda_available(nullptr))
      std::fprintf(log, "senti: --device auto: %s; running on the CPU\n", why.c_str());
    else
      std::fprintf(log, "senti: --device auto: no usable GPU (%s); falling back to the CPU\n", why.c_str());
  }
  if (log) std::fprintf(log, "senti: backend: %s\n", backend->describe().c_str());
  return backend;
}

}  // namespace senti::cli
