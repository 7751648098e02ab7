// The pieces of data-parallel training that need no second process: which launcher a process was
// started by (engine/collective/launch_env.h) and how global batches are cut into the ranks'
// shares (host/run/data_parallel.h). The runs under mpirun are in data_parallel_cli_test.cpp.
#include <gtest/gtest.h>

#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "engine/collective/collective.h"
#include "engine/collective/launch_env.h"
#include "host/run/data_parallel.h"
#include "kernels/common/error.h"

namespace senti {
namespace {

LaunchInfo read(const std::map<std::string, std::string>& env) {
  return read_launch_env([&](const char* name) -> const char* {
    const auto it = env.find(name);
    return it == env.end() ? nullptr : it->second.c_str();
  });
}

TEST(LaunchEnv, NoLauncherIsOneProcess) {
  const LaunchInfo i = read({{"HOME", "/root"}, {"SLURM_NTASKS", "8"}, {"SLURM_PROCID", "0"}});
  EXPECT_EQ(i.size, 1);  // a batch script's own shell: SLURM_NTASKS without a job step
  EXPECT_EQ(i.rank, 0);
  EXPECT_EQ(i.launcher, "none");
}

TEST(LaunchEnv, ReadsEachLauncher) {
  LaunchInfo i = read({{"OMPI_COMM_WORLD_RANK", "2"}, {"OMPI_COMM_WORLD_SIZE", "3"},
                       {"OMPI_COMM_WORLD_LOCAL_RANK", "1"}, {"RANK", "0"}, {"WORLD_SIZE", "9"}});
  EXPECT_EQ(i.launcher, "mpirun (Open MPI)");  // Open MPI's own variables win over torchrun's
  EXPECT_EQ(i.rank, 2);
  EXPECT_EQ(i.size, 3);
  EXPECT_EQ(i.local_rank, 1);
  i = read({{"SLURM_PROCID", "5"}, {"SLURM_STEP_NUM_TASKS", "8"}, {"SLURM_LOCALID", "1"}});
  EXPECT_EQ(i.launcher, "srun (Slurm)");
  EXPECT_EQ(i.rank, 5);
  EXPECT_EQ(i.size, 8);
  EXPECT_EQ(i.local_rank, 1);
  i = read({{"PMI_RANK", "1"}, {"PMI_SIZE", "2"}});
  EXPECT_EQ(i.launcher, "mpiexec (MPICH Hydra)");
  EXPECT_EQ(i.local_rank, 0);
  i = read({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "3"}});
  EXPECT_EQ(i.launcher, "torchrun");
  EXPECT_EQ(i.rank, 3);
  EXPECT_EQ(i.size, 4);
}

TEST(LaunchEnv, BadValuesNameTheVariable) {
  auto message = [](const std::map<std::string, std::string>& env) {
    try {
      read(env);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("(no error)");
  };
  EXPECT_NE(message({{"OMPI_COMM_WORLD_SIZE", "2"}, {"OMPI_COMM_WORLD_RANK", "2"}})
                .find("OMPI_COMM_WORLD_RANK must be an integer in 0..1"),
            std::string::npos);
  EXPECT_NE(message({{"WORLD_SIZE", "two"}, {"RANK", "0"}}).find("WORLD_SIZE must be an integer"),
            std::string::npos);
  EXPECT_NE(message({{"WORLD_SIZE", "2"}}).find("RANK is not set"), std::string::npos);
  EXPECT_NE(message({{"PMI_SIZE", "0"}, {"PMI_RANK", "0"}}).find("PMI_SIZE must be an integer in 1.."),
            std::string::npos);
}

TEST(LaunchEnv, OneProcessCollectiveIsANoOp) {
  auto world = single_process();
  EXPECT_FALSE(world->distributed());
  float x[2] = {1.5f, -2.f};
  world->allreduce_sum(x, 2);
  EXPECT_EQ(x[0], 1.5f);
  EXPECT_EQ(x[1], -2.f);
  EXPECT_EQ(world->describe(), "1 process");
}

TEST(BatchShares, CoverEveryRowOnceAndDifferByAtMostOne) {
  for (int rows : {1, 2, 7, 32, 33})
    for (int ranks : {1, 2, 3, 5}) {
      int next = 0;
      for (int r = 0; r < ranks; ++r) {
        const Share s = batch_share(rows, r, ranks);
        EXPECT_EQ(s.begin, next) << rows << " rows, rank " << r << " of " << ranks;
        EXPECT_GE(s.size(), rows / ranks);
        EXPECT_LE(s.size(), (rows + ranks - 1) / ranks);
        next = s.end;
      }
      EXPECT_EQ(next, rows);
    }
  EXPECT_EQ(batch_share(2, 0, 3).size(), 0);  // a short last batch leaves a share empty
}

TEST(BatchShares, RankRowsCutBackIntoTheShares) {
  // 70 rows in global batches of 32: 32, 32, 6; three ranks.
  std::vector<int64_t> order(70);
  std::iota(order.begin(), order.end(), 100);
  std::vector<int64_t> all;
  for (int r = 0; r < 3; ++r) {
    const std::vector<int64_t> mine = rank_rows(order, 32, r, 3);
    const int per_batch = batch_share(32, r, 3).size();
    for (int k = 0; k < 3; ++k) {  // consecutive cuts of per_batch rows are this rank's shares
      const int rows_k = k < 2 ? 32 : 6;
      const Share s = batch_share(rows_k, r, 3);
      for (int i = 0; i < s.size(); ++i)
        EXPECT_EQ(mine[static_cast<size_t>(k * per_batch + i)], order[static_cast<size_t>(k * 32 + s.begin + i)]);
    }
    all.insert(all.end(), mine.begin(), mine.end());
  }
  std::sort(all.begin(), all.end());
  EXPECT_EQ(all, order);
  EXPECT_THROW(rank_rows(order, 2, 0, 3), Error);  // fewer rows per batch than ranks
}

TEST(BatchShares, EvaluationRowsSplitEvenly) {
  int64_t covered = 0;
  for (int r = 0; r < 3; ++r) {
    const auto [first, last] = eval_rows(10, r, 3);
    EXPECT_EQ(first, covered);
    covered = last;
  }
  EXPECT_EQ(covered, 10);
}

}  // namespace
}  // namespace senti
