#include "engine/collective/collective.h"

#include <mutex>

#include "engine/collective/launch_env.h"
#include "engine/collective/mpi_collective.h"
#include "kernels/common/error.h"

namespace senti {
namespace {

class SingleProcess final : public Collective {
 public:
  const LaunchInfo& info() const override { return info_; }
  void allreduce_sum(float*, size_t) override {}
  void allreduce_sum(double*, size_t) override {}
  void broadcast(void*, size_t, int root) override {
    SENTI_CHECK(root == 0, "broadcast from rank ", root, " in a job of 1 process");
  }
  void barrier() override {}
  void abort_job(int) override {}
  std::string describe() const override { return "1 process"; }

 private:
  LaunchInfo info_;
};

}  // namespace

std::shared_ptr<Collective> single_process() { return std::make_shared<SingleProcess>(); }

namespace {
std::mutex world_mutex;
std::shared_ptr<Collective> world;
}  // namespace

std::shared_ptr<Collective> world_collective() {
  std::lock_guard<std::mutex> lock(world_mutex);
  if (world) return world;
  const LaunchInfo env = read_launch_env();
  if (env.size <= 1) return world = single_process();
#if SENTI_WITH_MPI
  return world = make_mpi_collective(env);
#else
  SENTI_FAIL("launched by ", env.launcher, " as rank ", env.rank, " of ", env.size,
             " but this senti was built without MPI, which data-parallel training needs "
             "(scripts/setup.sh installs openmpi-bin and libopenmpi-dev; then rebuild)");
#endif
}

std::shared_ptr<Collective> existing_world_collective() {
  std::lock_guard<std::mutex> lock(world_mutex);
  return world;
}

}  // namespace senti
