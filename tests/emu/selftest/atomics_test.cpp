// Atomics on the emulated device, across blocks and threads, and the seeded shuffled block order.
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <numeric>
#include <vector>

#include "emu_kernels.h"
#include "emu_test_util.h"

namespace senti::emu_test {
namespace {

using test::to_device;
using test::to_host;

TEST(EmuAtomics, AddMaxMinCasIncAcrossBlocks) {
  const int n = 1000;
  std::vector<int> values(n);
  for (int i = 0; i < n; ++i) values[i] = (i * 7919) % 2001 - 1000;
  AtomicTotals zero{};
  zero.imax = INT_MIN;
  zero.imin = INT_MAX;
  zero.last_block = 12345;
  auto d_values = to_device(values);
  auto d_totals = to_device(std::vector<AtomicTotals>{zero});
  auto d_cas = to_device(std::vector<unsigned>{0u});
  atomic_totals(d_values.get(), n, d_totals.get(), d_cas.get(), nullptr);
  const AtomicTotals t = to_host(d_totals)[0];
  long long isum = 0;
  for (int v : values) isum += v;
  EXPECT_EQ(t.isum, isum);
  EXPECT_EQ(t.usum, static_cast<unsigned long long>(isum + 1000LL * n));
  EXPECT_EQ(t.fsum, static_cast<float>(isum)) << "small integers: exact in any order";
  EXPECT_EQ(t.dsum, 0.5 * static_cast<double>(isum));
  EXPECT_EQ(t.imax, *std::max_element(values.begin(), values.end()));
  EXPECT_EQ(t.imin, *std::min_element(values.begin(), values.end()));
  EXPECT_EQ(t.cas_winners, 1u);
  EXPECT_EQ(t.counter, 0u) << "atomicInc wraps to 0 at gridDim.x - 1";
  EXPECT_LT(t.last_block, static_cast<unsigned>((n + 127) / 128)) << "one block saw itself last";
}

TEST(EmuAtomics, BlocksRunInAShuffledOrder) {
  const int blocks = 64;
  cuda::DeviceBuffer<unsigned> order(blocks);
  auto next = to_device(std::vector<unsigned>{0u});
  record_block_order(order.get(), next.get(), blocks, nullptr);
  std::vector<unsigned> got = to_host(order);
  std::vector<unsigned> sorted = got;
  std::sort(sorted.begin(), sorted.end());
  std::vector<unsigned> identity(blocks);
  std::iota(identity.begin(), identity.end(), 0u);
  EXPECT_EQ(sorted, identity) << "every block ran once";
  EXPECT_NE(got, identity) << "blocks ran in index order";
}

}  // namespace
}  // namespace senti::emu_test
