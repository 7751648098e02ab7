#include "engine/collective/mpi_collective.h"

// The C API only: no MPI C++ bindings (removed from MPI-3; Open MPI still ships them).
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <cstdlib>

#include "kernels/common/error.h"

namespace senti {
namespace {

// MPI's error text for `code`.
std::string mpi_error_text(int code) {
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  if (MPI_Error_string(code, text, &len) != MPI_SUCCESS) return "MPI error " + std::to_string(code);
  return std::string(text, static_cast<size_t>(len));
}

#define SENTI_MPI_CHECK(call)                                                              \
  do {                                                                                     \
    const int senti_mpi_rc_ = (call);                                                      \
    if (senti_mpi_rc_ != MPI_SUCCESS) SENTI_FAIL(#call, " failed: ", mpi_error_text(senti_mpi_rc_)); \
  } while (0)

// MPI counts are int: long buffers go in chunks (never at the seed's 1.3 M parameters).
constexpr size_t kMaxChunk = static_cast<size_t>(INT_MAX) / 2;

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

class MpiCollective final : public Collective {
 public:
  explicit MpiCollective(const LaunchInfo& env) : info_(env) {
    int initialized = 0;
    SENTI_MPI_CHECK(MPI_Initialized(&initialized));
    if (!initialized) {
      int provided = 0;
      SENTI_MPI_CHECK(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided));
      std::atexit(finalize_at_exit);
    }
    // Errors come back as codes and become exceptions; the CLI's handler then ends the job with
    // abort_job (one message, exit != 0, no rank left waiting).
    SENTI_MPI_CHECK(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN));
    int rank = 0, size = 1;
    SENTI_MPI_CHECK(MPI_Comm_rank(MPI_COMM_WORLD, &rank));
    SENTI_MPI_CHECK(MPI_Comm_size(MPI_COMM_WORLD, &size));
    if (rank != env.rank || size != env.size)
      SENTI_FAIL("the launcher (", env.launcher, ") says rank ", env.rank, " of ", env.size,
                 " but MPI sees rank ", rank, " of ", size,
                 ": senti's collectives run on MPI, so start it with mpirun, mpiexec or srun "
                 "--mpi=pmix (torchrun's RANK/WORLD_SIZE alone do not connect the processes)");
    int version = 0, subversion = 0;
    MPI_Get_version(&version, &subversion);
    version_ = std::to_string(version) + "." + std::to_string(subversion);
  }

  const LaunchInfo& info() const override { return info_; }

  void allreduce_sum(float* data, size_t n) override { allreduce(data, n, MPI_FLOAT); }
  void allreduce_sum(double* data, size_t n) override { allreduce(data, n, MPI_DOUBLE); }

  void broadcast(void* data, size_t bytes, int root) override {
    SENTI_CHECK(root >= 0 && root < info_.size, "broadcast from rank ", root, " of ", info_.size);
    auto* p = static_cast<char*>(data);
    for (size_t at = 0; at < bytes; at += kMaxChunk)  // every rank passes the same size
      SENTI_MPI_CHECK(MPI_Bcast(p + at, static_cast<int>(std::min(kMaxChunk, bytes - at)), MPI_BYTE,
                                root, MPI_COMM_WORLD));
  }

  void barrier() override { SENTI_MPI_CHECK(MPI_Barrier(MPI_COMM_WORLD)); }

  void abort_job(int code) override {
    std::fflush(stdout);
    std::fflush(stderr);
    MPI_Abort(MPI_COMM_WORLD, code);
  }

  std::string describe() const override {
    return std::to_string(info_.size) + " processes (" + info_.launcher + ", MPI " + version_ + ")";
  }

  Traffic traffic() const override { return traffic_; }

 private:
  void allreduce(void* data, size_t n, MPI_Datatype type) {
    const double t0 = MPI_Wtime();
    int elem = 0;
    MPI_Type_size(type, &elem);
    auto* p = static_cast<char*>(data);
    for (size_t at = 0; at < n; at += kMaxChunk) {
      const size_t count = std::min(kMaxChunk, n - at);
      SENTI_MPI_CHECK(MPI_Allreduce(MPI_IN_PLACE, p + at * static_cast<size_t>(elem),
                                    static_cast<int>(count), type, MPI_SUM, MPI_COMM_WORLD));
    }
    traffic_.seconds += MPI_Wtime() - t0;
    traffic_.bytes += static_cast<double>(n) * elem;
  }

  LaunchInfo info_;
  std::string version_;
  Traffic traffic_;
};

}  // namespace

std::shared_ptr<Collective> make_mpi_collective(const LaunchInfo& env) {
  return std::make_shared<MpiCollective>(env);
}

}  // namespace senti
