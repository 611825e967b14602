#include "cli/work_threads.hpp"

#include <omp.h>

#include <cstdlib>

namespace hopcap::cli {

void fit_threads_to_work(double flops_per_region) {
  const char* requested = std::getenv("OMP_NUM_THREADS");
  if (requested != nullptr && *requested != '\0') return;
  omp_set_num_threads(threads_for_work(flops_per_region, omp_get_max_threads()));
}

}  // namespace hopcap::cli
