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
# no cuDNN, no cuBLAS, no NCCL (device_allreduce_host.cpp is the emulated device's allreduce)
list(FILTER SENTI_EMU_BACKEND_SOURCES EXCLUDE REGEX
  "/(cudnn_[^/]*|gemm_cublas\\.cpp|device_allreduce_nccl\\.cpp)$")
add_library(senti_backends_emu STATIC ${PROJECT_SOURCE_DIR}/engine/backend.cpp
  ${SENTI_EMU_BACKEND_SOURCES})
target_compile_definitions(senti_backends_emu PRIVATE SENTI_WITH_CUDA=1)  # SENTI_CUDA_EMU: emulator
target_compile_options(senti_backends_emu PRIVATE ${SENTI_EMU_CODE_FLAGS})
target_link_libraries(senti_backends_emu PUBLIC senti_kernels_emu senti_engine)

add_executable(senti_cuda_emu_backend_tests
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/backend_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/backend_model_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/backend_head_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/backend_lm_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/device_lstm_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/fused_lstm_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/factory_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/trainer_path_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/step_graph_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/cuda/data_parallel_test.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/emu/selftest/emu_main.cpp)  # prints what ran as kernels / stand-ins
target_include_directories(senti_cuda_emu_backend_tests PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
target_compile_options(senti_cuda_emu_backend_tests PRIVATE ${SENTI_EMU_CODE_FLAGS})
target_link_libraries(senti_cuda_emu_backend_tests PRIVATE senti_backends_emu senti_host
  GTest::gtest)
# The prefix keeps the names apart from the same tests in senti_cuda_tests (label cuda), which a
# build with nvcc also has: ctest names must be unique.
# DataParallel.* needs a launcher (without one it skips): left out here, run by mpirun below.
gtest_discover_tests(senti_cuda_emu_backend_tests TEST_PREFIX "emu/" DISCOVERY_TIMEOUT 120
  TEST_FILTER "-DataParallel.*:*/DataParallel.*"
  PROPERTIES LABELS cuda-emu
  ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1")

# Data-parallel training (tests/cuda/data_parallel_test.cpp): the same binary as 2 and 3 ranks of
# one Open MPI job on this machine, each on its own emulated device (one per process), comparing
# with the single-process reference it also runs. --oversubscribe: more ranks than cores is fine
# here; --bind-to none: the ranks must not be pinned to one core each on a small CI machine.
# Open MPI leaks at exit (its own allocations): no LeakSanitizer; root (containers) allowed.
foreach(np 2 3)
  add_test(NAME emu/DataParallel.np${np}
    COMMAND ${MPIEXEC_EXECUTABLE} --oversubscribe --bind-to none ${MPIEXEC_NUMPROC_FLAG} ${np}
      $<TARGET_FILE:senti_cuda_emu_backend_tests> --gtest_filter=*DataParallel.*)
  set_tests_properties(emu/DataParallel.np${np} PROPERTIES LABELS cuda-emu TIMEOUT 300
    PROCESSORS ${np}
    ENVIRONMENT "OMPI_ALLOW_RUN_AS_ROOT=1;OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1;ASAN_OPTIONS=detect_leaks=0;\
UBSAN_OPTIONS=print_stacktrace=1"
    # A rank that skips (no launcher seen) or runs nothing must not pass as a run.
    FAIL_REGULAR_EXPRESSION "SKIPPED|0 tests from 0 test suites ran")
endforeach()
