#pragma once
// The one OpenMP pattern of the blocked kernels: independent panels on a dynamic schedule, a
// scratch object per thread, exceptions carried out of the parallel region (a throw may not
// cross it) as one KernelError with the first message, and a thread team only where the work
// pays for one. Either way every BLAS call in a panel runs on the calling thread, so no GEMM is
// split over a thread-count-dependent set of tiles and results do not depend on the threads.

#include <omp.h>

#include <cstdint>
#include <exception>
#include <optional>
#include <string>

#include "hopcap/error.hpp"

namespace hopcap::kernels {

/// Work (in flops, roughly) below which a thread team costs more than it saves. Waking and
/// joining a team costs microseconds on an idle node, but a scheduler time slice (milliseconds)
/// for every region where the node is oversubscribed: many ranks per node, or several programs,
/// as under `ctest -j`. 2¹⁶ flops take some 20 µs on one core.
inline constexpr double kTeamWork = 65536.0;

/// Whether a loop of `work` flops is worth a thread team.
inline bool worth_a_team(double work) { return work >= kTeamWork; }

/// Runs f() on the calling thread, with every BLAS call in it on that thread too. A team of one
/// is not an active region, so an OpenMP-built BLAS would still open its own team of
/// omp_get_max_threads(); setting that to one inside the region (it reverts when the region
/// ends) keeps the GEMM here. A throw is carried out of the region.
template <class F>
void on_calling_thread(F f) {
  std::exception_ptr error;
#pragma omp parallel num_threads(1)
  {
    omp_set_num_threads(1);
    try {
      f();
    } catch (...) {
      error = std::current_exception();
    }
  }
  if (error) std::rethrow_exception(error);
}

/// Runs body(panel, scratch) for panel = begin .. end−1, scratch = make_scratch() per thread:
/// on a team of threads when there are several panels and `work` (flops of all of them) is
/// worth one, on the calling thread otherwise. Inside the team's active region an OpenMP-built
/// BLAS keeps each GEMM on its thread.
template <class MakeScratch, class Body>
void parallel_panels(std::int64_t begin, std::int64_t end, double work, MakeScratch make_scratch, Body body) {
  if (end <= begin) return;
  std::string error;
  const auto record = [&error](const std::exception& e) {
#pragma omp critical(hopcap_parallel_panels_error)
    if (error.empty()) error = e.what();
  };
  if (end - begin == 1 || !worth_a_team(work) || omp_get_max_threads() == 1) {
    on_calling_thread([&] {
      try {
        auto scratch = make_scratch();
        for (std::int64_t panel = begin; panel < end; ++panel) body(panel, scratch);
      } catch (const std::exception& e) {
        record(e);
      }
    });
  } else {
#pragma omp parallel default(shared)
    {
      std::optional<decltype(make_scratch())> scratch;
      try {
        scratch.emplace(make_scratch());
      } catch (const std::exception& e) {
        record(e);
      }
#pragma omp for schedule(dynamic, 1)
      for (std::int64_t panel = begin; panel < end; ++panel) {
        if (!scratch) continue;
        try {
          body(panel, *scratch);
        } catch (const std::exception& e) {
          record(e);
        }
      }
    }
  }
  if (!error.empty()) throw KernelError(error);
}

}  // namespace hopcap::kernels
