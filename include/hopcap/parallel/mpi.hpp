#pragma once
// MPI essentials hopcap's engine uses: one checked-call helper, RAII owners for the MPI
// session and for communicators, and the one way to end a whole job on a fatal error.
// Every communicator hopcap uses returns errors (MPI_ERRORS_RETURN) instead of aborting inside
// the library, so each failure reaches check_mpi() and is reported with its MPI error text.

#include <mpi.h>

#include <string>

namespace hopcap::parallel {

/// Throws MpiError "MPI error in WHAT: <MPI's error string>" unless rc is MPI_SUCCESS.
void check_mpi(int rc, const char* what);

/// MPI_Init_thread / MPI_Finalize for the life of the object (nothing if MPI was already
/// initialised by someone else). Sets MPI_ERRORS_RETURN on MPI_COMM_WORLD and MPI_COMM_SELF.
class MpiSession {
 public:
  /// Asks for `requested`; throws MpiError if MPI gives less than MPI_THREAD_FUNNELED, the
  /// least hopcap needs (OpenMP threads run between MPI calls of the main thread).
  explicit MpiSession(int requested);
  ~MpiSession();
  MpiSession(const MpiSession&) = delete;
  MpiSession& operator=(const MpiSession&) = delete;

  /// The thread level MPI provides (MPI_THREAD_FUNNELED, _SERIALIZED or _MULTIPLE).
  int provided() const { return provided_; }

 private:
  bool owns_ = false;
  int provided_ = MPI_THREAD_SINGLE;
};

/// An owned communicator (freed on destruction) that returns errors.
class Communicator {
 public:
  Communicator() = default;
  /// MPI_Comm_split of parent.
  static Communicator split(MPI_Comm parent, int color, int key);
  /// The ranks of parent that share this rank's node (MPI_COMM_TYPE_SHARED).
  static Communicator split_by_node(MPI_Comm parent);
  ~Communicator();
  Communicator(Communicator&& other) noexcept;
  Communicator& operator=(Communicator&& other) noexcept;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  MPI_Comm get() const { return comm_; }
  int rank() const;
  int size() const;

 private:
  explicit Communicator(MPI_Comm comm);
  void release() noexcept;
  MPI_Comm comm_ = MPI_COMM_NULL;
};

/// Writes `line` (one line, newline added) to stderr and ends every rank of the job with
/// `exit_code` (MPI_Abort on MPI_COMM_WORLD). For failures after the ranks have started
/// working: other ranks may be blocked in a collective or a receive and would wait forever.
[[noreturn]] void abort_job(int exit_code, const std::string& line);

}  // namespace hopcap::parallel
