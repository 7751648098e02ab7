#pragma once
// Helpers for the emulator's self-tests.
#include <gtest/gtest.h>

#include <string>

#include <cuda_runtime_api.h>
#include <senti_emu/control.h>

#include "cuda/cuda_test_util.h"

namespace senti::emu_test {

// Declared first in a test that provokes a device fault: at the end (after the test's buffers are
// gone) resets the device, which clears the sticky error, as a GPU needs after a fault.
struct ResetDeviceAtEnd {
  ~ResetDeviceAtEnd() {
    cudaDeviceReset();
    cudaGetLastError();
  }
};

// Synchronises the device and expects the device fault `code` whose message contains `needle`.
inline ::testing::AssertionResult faults_with(cudaError_t code, const std::string& needle) {
  const cudaError_t e = cudaDeviceSynchronize();
  if (e != code)
    return ::testing::AssertionFailure() << "expected " << cudaGetErrorName(code) << ", got "
                                         << cudaGetErrorName(e) << " (" << cudaGetErrorString(e)
                                         << ")";
  const std::string m = emu::last_fault();
  if (m.find(needle) == std::string::npos)
    return ::testing::AssertionFailure() << "the fault message lacks \"" << needle << "\": " << m;
  return ::testing::AssertionSuccess() << m;
}

}  // namespace senti::emu_test
