// MPI process setup and the MPI Exchange of distributed runs (see mpi.hpp).
#include "sim/mpi.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <stdexcept>

#ifdef FABRICSIM_HAVE_MPI
#include <mpi.h>
#endif

namespace fabricsim::sim::mpi {

int launched_size() {
  for (const char* var : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"}) {
    if (const char* v = std::getenv(var)) {
      const int n = std::atoi(v);
      if (n > 0) return n;
    }
  }
  return 1;
}

std::string unavailable_reason() {
  return "this fabricsim was built without MPI: install libopenmpi-dev and openmpi-bin "
         "(scripts/setup installs them) and rebuild";
}

#ifdef FABRICSIM_HAVE_MPI

namespace {

void check(int code, const char* what) {
  if (code != MPI_SUCCESS) throw std::runtime_error(fmt::format("MPI: {} failed ({})", what, code));
}

void finalize_at_exit() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (finalized == 0) MPI_Finalize();
}

class WorldExchange final : public Exchange {
 public:
  WorldExchange() {
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  std::size_t rank() const override { return static_cast<std::size_t>(rank_); }
  std::size_t size() const override { return static_cast<std::size_t>(size_); }
  std::int64_t min(std::int64_t local) override {
    std::int64_t out = 0;
    check(MPI_Allreduce(&local, &out, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD), "Allreduce");
    return out;
  }
  std::int64_t max(std::int64_t local) override {
    std::int64_t out = 0;
    check(MPI_Allreduce(&local, &out, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD), "Allreduce");
    return out;
  }
  void sum(std::vector<std::uint64_t>& values) override { reduce(values, MPI_SUM); }
  void max(std::vector<std::uint64_t>& values) override { reduce(values, MPI_MAX); }
  std::vector<std::uint64_t> all_gather(const std::vector<std::uint64_t>& mine) override {
    std::vector<std::uint64_t> all(mine.size() * size());
    check(MPI_Allgather(mine.data(), static_cast<int>(mine.size()), MPI_UINT64_T, all.data(),
                        static_cast<int>(mine.size()), MPI_UINT64_T, MPI_COMM_WORLD),
          "Allgather");
    return all;
  }
  std::vector<std::vector<std::byte>> all_to_all(
      const std::vector<std::vector<std::byte>>& to) override {
    const auto n = size();
    std::vector<int> send_counts(n), recv_counts(n), send_displs(n), recv_displs(n);
    std::vector<std::byte> send;
    for (std::size_t q = 0; q < n; ++q) {
      send_displs[q] = static_cast<int>(send.size());
      send_counts[q] = static_cast<int>(to[q].size());
      send.insert(send.end(), to[q].begin(), to[q].end());
    }
    check(MPI_Alltoall(send_counts.data(), 1, MPI_INT, recv_counts.data(), 1, MPI_INT,
                       MPI_COMM_WORLD),
          "Alltoall");
    int total = 0;
    for (std::size_t q = 0; q < n; ++q) {
      recv_displs[q] = total;
      total += recv_counts[q];
    }
    std::vector<std::byte> recv(static_cast<std::size_t>(total));
    check(MPI_Alltoallv(send.data(), send_counts.data(), send_displs.data(), MPI_BYTE, recv.data(),
                        recv_counts.data(), recv_displs.data(), MPI_BYTE, MPI_COMM_WORLD),
          "Alltoallv");
    std::vector<std::vector<std::byte>> from(n);
    for (std::size_t q = 0; q < n; ++q) {
      from[q].assign(recv.begin() + recv_displs[q], recv.begin() + recv_displs[q] + recv_counts[q]);
    }
    return from;
  }

 private:
  void reduce(std::vector<std::uint64_t>& values, MPI_Op op) {
    std::vector<std::uint64_t> out(values.size());
    check(MPI_Allreduce(values.data(), out.data(), static_cast<int>(values.size()), MPI_UINT64_T,
                        op, MPI_COMM_WORLD),
          "Allreduce");
    values = std::move(out);
  }
  int rank_ = 0;
  int size_ = 1;
};

}  // namespace

bool available() {
  return true;
}

void init() {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (initialized != 0) return;
  check(MPI_Init(nullptr, nullptr), "Init");
  std::atexit(finalize_at_exit);
}

int rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

int size() {
  int n = 1;
  MPI_Comm_size(MPI_COMM_WORLD, &n);
  return n;
}

std::unique_ptr<Exchange> world_exchange() {
  return std::make_unique<WorldExchange>();
}

#else

bool available() {
  return false;
}
void init() {
  throw std::runtime_error(unavailable_reason());
}
int rank() {
  return 0;
}
int size() {
  return 1;
}
std::unique_ptr<Exchange> world_exchange() {
  throw std::runtime_error(unavailable_reason());
}

#endif

}  // namespace fabricsim::sim::mpi
