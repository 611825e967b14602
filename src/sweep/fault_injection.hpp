#pragma once
// Faults on request, for the tests of the engine's failure handling (tests/sweep/failures.sh):
//   HOPCAP_FAULT=compute:R:N  world rank R fails when it starts its N-th configuration (N >= 1);
//   HOPCAP_FAULT=writer:N     the coordinator fails when it writes its N-th result.
// A fault is thrown as hopcap::Error outside the configuration's own error handling, as an MPI
// or memory failure would be. Unset (the normal case), nothing happens.

#include <cstdint>

namespace hopcap::sweep {

struct FaultInjection {
  int compute_rank = -1;
  std::int64_t compute_at = 0;
  std::int64_t writer_at = 0;

  /// Reads HOPCAP_FAULT; throws ConfigError on a value it cannot parse.
  static FaultInjection from_environment();
  /// Throws when rank `rank` starts its `count`-th configuration and that is the fault asked for.
  void on_compute(int rank, std::int64_t count) const;
  /// Throws when the coordinator writes its `count`-th result and that is the fault asked for.
  void on_write(std::int64_t count) const;
};

}  // namespace hopcap::sweep
