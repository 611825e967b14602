#include "hopcap/parallel/mpi.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "hopcap/error.hpp"

namespace hopcap::parallel {

void check_mpi(int rc, const char* what) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING] = {};
  int length = 0;
  std::string detail;
  if (MPI_Error_string(rc, text, &length) == MPI_SUCCESS) detail = ": " + std::string(text, static_cast<std::size_t>(length));
  throw MpiError(std::string("MPI error in ") + what + detail);
}

MpiSession::MpiSession(int requested) {
  int initialized = 0;
  check_mpi(MPI_Initialized(&initialized), "MPI_Initialized");
  if (initialized) {
    check_mpi(MPI_Query_thread(&provided_), "MPI_Query_thread");
  } else {
    check_mpi(MPI_Init_thread(nullptr, nullptr, requested, &provided_), "MPI_Init_thread");
    owns_ = true;
  }
  check_mpi(MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  check_mpi(MPI_Comm_set_errhandler(MPI_COMM_SELF, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  if (provided_ < MPI_THREAD_FUNNELED) {
    throw MpiError("the MPI library provides thread level " + std::to_string(provided_) +
                   "; hopcap needs at least MPI_THREAD_FUNNELED (its OpenMP threads run between MPI calls)");
  }
}

MpiSession::~MpiSession() {
  if (!owns_) return;
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

Communicator::Communicator(MPI_Comm comm) : comm_(comm) {
  if (comm_ != MPI_COMM_NULL) check_mpi(MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
}

Communicator Communicator::split(MPI_Comm parent, int color, int key) {
  MPI_Comm comm = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split(parent, color, key, &comm), "MPI_Comm_split");
  return Communicator(comm);
}

Communicator Communicator::split_by_node(MPI_Comm parent) {
  int rank = 0;
  check_mpi(MPI_Comm_rank(parent, &rank), "MPI_Comm_rank");
  MPI_Comm comm = MPI_COMM_NULL;
  check_mpi(MPI_Comm_split_type(parent, MPI_COMM_TYPE_SHARED, rank, MPI_INFO_NULL, &comm), "MPI_Comm_split_type");
  return Communicator(comm);
}

void Communicator::release() noexcept {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (comm_ != MPI_COMM_NULL && !finalized) MPI_Comm_free(&comm_);
  comm_ = MPI_COMM_NULL;
}

Communicator::~Communicator() { release(); }

Communicator::Communicator(Communicator&& other) noexcept : comm_(std::exchange(other.comm_, MPI_COMM_NULL)) {}

Communicator& Communicator::operator=(Communicator&& other) noexcept {
  if (this != &other) {
    release();
    comm_ = std::exchange(other.comm_, MPI_COMM_NULL);
  }
  return *this;
}

int Communicator::rank() const {
  int r = 0;
  check_mpi(MPI_Comm_rank(comm_, &r), "MPI_Comm_rank");
  return r;
}

int Communicator::size() const {
  int s = 0;
  check_mpi(MPI_Comm_size(comm_, &s), "MPI_Comm_size");
  return s;
}

void abort_job(int exit_code, const std::string& line) {
  std::fprintf(stderr, "%s\n", one_line(line).c_str());
  std::fflush(stderr);
  std::fflush(stdout);
  // Alone in the job there is nobody to release: end quietly, without MPI_Abort's banner.
  int size = 0;
  if (MPI_Comm_size(MPI_COMM_WORLD, &size) == MPI_SUCCESS && size == 1) std::_Exit(exit_code);
  MPI_Abort(MPI_COMM_WORLD, exit_code);
  std::_Exit(exit_code);  // MPI_Abort does not return; if an implementation does, end this rank
}

}  // namespace hopcap::parallel
