#pragma once
// Fork/join over a fixed number of parts. Each part's work is fixed by its index, never by which
// thread runs it or when, so results do not depend on scheduling.
#include <algorithm>
#include <exception>
#include <thread>
#include <vector>

namespace senti {

// Runs fn(0) .. fn(parts-1) concurrently (part 0 on the calling thread) and waits for all. The
// first exception thrown by any part is rethrown after all have finished. Meant for a few coarse
// tasks per call (thread start-up is tens of microseconds).
template <typename Fn>
void run_parts(int parts, Fn&& fn) {
  if (parts <= 1) {
    fn(0);
    return;
  }
  std::vector<std::exception_ptr> errors(parts);
  std::vector<std::thread> workers;
  workers.reserve(parts - 1);
  for (int p = 1; p < parts; ++p)
    workers.emplace_back([&fn, &errors, p] {
      try {
        fn(p);
      } catch (...) {
        errors[p] = std::current_exception();
      }
    });
  try {
    fn(0);
  } catch (...) {
    errors[0] = std::current_exception();
  }
  for (std::thread& w : workers) w.join();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

// Work cut into `chunks` pieces whose boundaries the caller fixes without looking at the thread
// count: runs fn(c) for every c in [0, chunks) on min(chunks, threads) threads, thread p taking
// chunks p, p + threads, ... Every chunk is computed by the same calls whatever the thread count,
// so results are bit-identical for any thread count.
template <typename Fn>
void run_chunks(int chunks, int threads, Fn&& fn) {
  const int parts = std::max(1, std::min(chunks, threads));
  run_parts(parts, [&](int p) {
    for (int c = p; c < chunks; c += parts) fn(c);
  });
}

// Chunk c of n items cut into chunks of `size`: [c·size, min(n, (c+1)·size)).
inline int chunk_count(int n, int size) { return (n + size - 1) / size; }
inline void chunk_range(int n, int size, int c, int* begin, int* end) {
  *begin = c * size;
  *end = std::min(n, (c + 1) * size);
}

}  // namespace senti
