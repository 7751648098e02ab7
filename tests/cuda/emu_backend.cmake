# The CUDA backend on the emulated CUDA device (tests/emu; docs/testing.md), included from
# tests/CMakeLists.txt after tests/emu when SENTI_CUDA_EMU is on:
#   senti_backends_emu              engine/backend.cpp (the factory, with CUDA) and engine/cuda
#                                   compiled by the host compiler against the emulator's CUDA
#                                   headers, without the cuDNN files (cuDNN is not emulated: the
#                                   LSTM is the CPU stand-in), on the emulated kernels
#   senti_cuda_emu_backend_tests    the CUDA backend's tests of tests/cuda that do not need cuDNN
#                                   (label cuda-emu), AddressSanitizer + UBSan like the kernels'
# The cuDNN-only tests (cudnn_lstm_test.cpp: the weight-space map) stay real-GPU-only.
get_target_property(SENTI_EMU_CODE_FLAGS senti_kernels_emu COMPILE_OPTIONS)

file(GLOB SENTI_EMU_BACKEND_SOURCES CONFIGURE_DEPENDS ${PROJECT_SOURCE_DIR}/engine/cuda/*.cpp)
list(FILTER SENTI_EMU_BACKEND_SOURCES EXCLUDE REGEX "/(cudnn_[^/]*|gemm_cublas\\.cpp)$")  # no cuDNN, no cuBLAS
add_library(senti_backends_emu STATIC ${PROJECT_SOURCE_DIR}/engine/backend.cpp
  ${SENTI_EMU_BACKEND_SOURCES})
target_compile_definitions(senti_backends_emu PRIVATE SENTI_WITH_CUDA=1)  # SENTI_CUDA_EMU: emulator
target_compile_options(senti_backends_emu PRIVATE ${SENTI_EMU_CODE_FLAGS})
target_link_libraries(senti_backends_emu PUBLIC senti_kernels_emu senti_engine)

add_executable(senti_cuda_emu_backend_tests
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/backend_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/backend_model_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/backend_head_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/device_lstm_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/fused_lstm_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/factory_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/trainer_path_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/step_graph_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/emu/selftest/emu_main.cpp)  # prints what ran as kernels / stand-ins
target_include_directories(senti_cuda_emu_backend_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(senti_cuda_emu_backend_tests PRIVATE ${SENTI_EMU_CODE_FLAGS})
target_link_libraries(senti_cuda_emu_backend_tests PRIVATE senti_backends_emu senti_host
  GTest::gtest)
# The prefix keeps the names apart from the same tests in senti_cuda_tests (label cuda), which a
# build with nvcc also has: ctest names must be unique.
gtest_discover_tests(senti_cuda_emu_backend_tests TEST_PREFIX "emu/" DISCOVERY_TIMEOUT 120
  PROPERTIES LABELS cuda-emu
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1")
