#pragma once
// Emulated CUDA device, internal: a validated kernel launch, as the op queue stores it and the
// block runner executes it.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "cuda_runtime_api.h"

namespace senti::emu {

struct KernelRecord {
  dim3 grid, block;
  size_t dynamic_shared = 0;
  void (*invoke)(const void* closure) = nullptr;
  std::shared_ptr<const void> closure;
  std::string site;  // "kernels/adam.cu:41 in adam": where the launch was written
  std::vector<std::pair<int, const void*>> pointer_params;
};

}  // namespace senti::emu
