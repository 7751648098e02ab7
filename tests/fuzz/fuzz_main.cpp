// The libFuzzer entry point of one target: compiled once a target with
// -DSENTI_FUZZ_TARGET=<name> (tests/fuzz/CMakeLists.txt).
#include "targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  return senti::fuzz::SENTI_FUZZ_TARGET(data, size);
}
