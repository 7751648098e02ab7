#pragma once
// Emulated CUDA device: the kernel launch behind senti::kernels::launch (kernels/launch.cuh) when
// SENTI_CUDA_EMU=1. The arguments are converted to the kernel's parameter types and copied now, as
// a <<<>>> launch does; the launch is validated like an sm_90 device (cudaGetLastError reports a bad
// configuration) and queued on its stream; the blocks run when the stream is synchronised.
#include <cstddef>
#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "cuda_runtime_api.h"

namespace senti::emu {

struct LaunchSite {
  const char* file;
  int line;
  const char* function;
};

// A kernel launch with its parameters type-erased: invoke(closure) runs the kernel body once, for
// the CUDA thread the block runner has made current.
struct KernelLaunch {
  const void* function = nullptr;
  dim3 grid, block;
  size_t dynamic_shared = 0;
  cudaStream_t stream = nullptr;
  LaunchSite site{};
  void (*invoke)(const void* closure) = nullptr;
  std::shared_ptr<const void> closure;
  size_t param_bytes = 0;
  std::vector<std::pair<int, const void*>> pointer_params;  // (index, value) of pointer parameters
};

// Validates and queues (or, during stream capture, records) the launch; errors go to
// cudaGetLastError as a real launch's do.
void submit_launch(KernelLaunch launch);

template <typename P, typename A>
P as_param(A&& a) {  // implicit conversion, as for the arguments of a <<<>>> launch
  return std::forward<A>(a);
}

template <size_t I, typename T>
void note_pointer_param(const T& value, std::vector<std::pair<int, const void*>>* out) {
  if constexpr (std::is_pointer_v<T> && !std::is_function_v<std::remove_pointer_t<T>>)
    out->emplace_back(static_cast<int>(I),
                      const_cast<const void*>(static_cast<const volatile void*>(value)));
}
template <typename Tuple, size_t... I>
void collect_pointer_params([[maybe_unused]] const Tuple& params,
                            [[maybe_unused]] std::vector<std::pair<int, const void*>>* out,
                            std::index_sequence<I...>) {
  (note_pointer_param<I>(std::get<I>(params), out), ...);
}

template <typename... Params, typename... Args>
void launch_kernel(void (*kernel)(Params...), dim3 grid, dim3 block, size_t dynamic_shared,
                   cudaStream_t stream, LaunchSite site, Args&&... args) {
  using Tuple = std::tuple<std::decay_t<Params>...>;
  struct Closure {
    void (*kernel)(Params...);
    Tuple params;
  };
  auto closure = std::make_shared<const Closure>(
      Closure{kernel, Tuple(as_param<std::decay_t<Params>>(std::forward<Args>(args))...)});
  KernelLaunch l;
  l.function = reinterpret_cast<const void*>(kernel);
  l.grid = grid;
  l.block = block;
  l.dynamic_shared = dynamic_shared;
  l.stream = stream;
  l.site = site;
  l.param_bytes = sizeof(Tuple);
  l.invoke = [](const void* c) {
    const auto* cl = static_cast<const Closure*>(c);
    std::apply(cl->kernel, cl->params);  // each thread gets its own copy of the parameters
  };
  collect_pointer_params(closure->params, &l.pointer_params, std::index_sequence_for<Params...>{});
  l.closure = std::move(closure);
  submit_launch(std::move(l));
}

}  // namespace senti::emu
