#pragma once
// The one OpenMP pattern of the blocked kernels: independent panels on a dynamic schedule, a
// scratch object per thread, and exceptions carried out of the parallel region (a throw may
// not cross it) as one KernelError with the first message.

#include <cstdint>
#include <exception>
#include <string>

#include "hopcap/error.hpp"

namespace hopcap::kernels {

/// Runs body(panel, scratch) for panel = 0 .. count−1; scratch = make_scratch() per thread.
template <class MakeScratch, class Body>
void parallel_panels(std::int64_t count, MakeScratch make_scratch, Body body) {
  std::string error;
#pragma omp parallel default(shared) if (count > 1)  // one panel: no thread team to wake
  {
    auto scratch = make_scratch();
#pragma omp for schedule(dynamic, 1)
    for (std::int64_t panel = 0; panel < count; ++panel) {
      try {
        body(panel, scratch);
      } catch (const std::exception& e) {
#pragma omp critical(hopcap_parallel_panels_error)
        if (error.empty()) error = e.what();
      }
    }
  }
  if (!error.empty()) throw KernelError(error);
}

}  // namespace hopcap::kernels
