#include "engine/collective/launch_env.h"

#include <cerrno>
#include <cstdlib>

#include "kernels/common/error.h"

namespace senti {
namespace {

// The largest job senti accepts (far above any cluster it will meet; keeps int arithmetic safe).
constexpr long kMaxRanks = 1 << 20;

// `name`'s value as an integer in [lo, hi]; an error naming it when unset or out of range.
long read_int(const std::function<const char*(const char*)>& getenv, const char* name, long lo,
              long hi, const std::string& launcher) {
  const char* v = getenv(name);
  if (!v || !*v)
    SENTI_FAIL("launched by ", launcher, " but ", name, " is not set (it is set with the other ",
               launcher, " variables)");
  char* end = nullptr;
  errno = 0;
  const long x = std::strtol(v, &end, 10);
  if (*end != '\0' || errno == ERANGE || x < lo || x > hi)
    SENTI_FAIL(name, " must be an integer in ", lo, "..", hi, " (", launcher, "), got '", v, "'");
  return x;
}

bool has(const std::function<const char*(const char*)>& getenv, const char* name) {
  const char* v = getenv(name);
  return v && *v;
}

}  // namespace

LaunchInfo read_launch_env(const std::function<const char*(const char*)>& getenv) {
  struct Source {
    const char* launcher;
    const char *rank, *size, *local_rank;  // local_rank may be absent (0)
    const char* marker;                    // the variable whose presence names the launcher
  };
  static const Source kSources[] = {
      {"mpirun (Open MPI)", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
       "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_SIZE"},
      {"srun (Slurm)", "SLURM_PROCID", "SLURM_STEP_NUM_TASKS", "SLURM_LOCALID",
       "SLURM_STEP_NUM_TASKS"},
      {"mpiexec (MPICH Hydra)", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "PMI_SIZE"},
      {"torchrun", "RANK", "WORLD_SIZE", "LOCAL_RANK", "WORLD_SIZE"},
  };
  for (const Source& s : kSources) {
    if (!has(getenv, s.marker)) continue;
    LaunchInfo info;
    info.launcher = s.launcher;
    info.size = static_cast<int>(read_int(getenv, s.size, 1, kMaxRanks, s.launcher));
    info.rank = static_cast<int>(read_int(getenv, s.rank, 0, info.size - 1, s.launcher));
    info.local_rank = has(getenv, s.local_rank)
                          ? static_cast<int>(read_int(getenv, s.local_rank, 0, kMaxRanks, s.launcher))
                          : 0;
    return info;
  }
  return LaunchInfo{};
}

LaunchInfo read_launch_env() {
  return read_launch_env([](const char* name) { return std::getenv(name); });
}

}  // namespace senti
