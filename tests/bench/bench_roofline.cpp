// Google Benchmark: how close the retrieval step comes to its floor on these cores. The floor is
// what the step cannot avoid at the shapes it uses: its GEMMs alone (scores and update, per
// panel of queries and block of memories, panels spread over the OpenMP threads as the step
// spreads them) plus its exponentials alone (one per score, at the vector exp's rate), in the
// step's precision (float32 retrieval: sgemm and the float exp). Every
// iteration times the step, the GEMMs and the exponentials one after the other, so the three
// see the same machine; the counters are medians over the iterations.
//   OMP_NUM_THREADS=2 build/tests/bench/bench_roofline
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/kernels/exp.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/memories.hpp"
#include "bench_timing.hpp"

namespace {

using hopcap::Distribution;
using hopcap::Matrix;

// The step's panels, each on one thread with its own buffers (as the step's workspace holds
// them), and every GEMM single-threaded inside the region, as in the step. Real is the
// precision of the step's scores, weights and update GEMMs.
template <class Real>
struct Floor {
  std::int64_t m, d, b, panel, block;
  std::vector<Real> memories, queries;
  std::vector<Real> augmented;                 // memories with a column of ones
  std::vector<std::vector<Real>> scores, upd;  // per thread

  Floor(const Matrix& mem, const Matrix& q, std::int64_t panel_rows, std::int64_t memory_block)
      : m(mem.rows), d(mem.cols), b(q.rows), panel(panel_rows), block(memory_block),
        memories(mem.data.begin(), mem.data.end()), queries(q.data.begin(), q.data.end()) {
    augmented.resize(static_cast<std::size_t>(m * (d + 1)));
    for (std::int64_t i = 0; i < m; ++i) {
      std::copy_n(memories.data() + i * d, d, augmented.data() + i * (d + 1));
      augmented[static_cast<std::size_t>(i * (d + 1) + d)] = Real(1);
    }
    const int threads = omp_get_max_threads();
    scores.assign(static_cast<std::size_t>(threads), std::vector<Real>(static_cast<std::size_t>(panel * m), Real(0)));
    upd.assign(static_cast<std::size_t>(threads), std::vector<Real>(static_cast<std::size_t>(panel * (d + 1))));
  }

  std::int64_t panels() const { return (b + panel - 1) / panel; }

  void gemms() {
#pragma omp parallel for schedule(static)
    for (std::int64_t c = 0; c < panels(); ++c) {
      const std::int64_t rows = std::min(panel, b - c * panel);
      Real* z = scores[static_cast<std::size_t>(omp_get_thread_num())].data();
      Real* u = upd[static_cast<std::size_t>(omp_get_thread_num())].data();
      for (std::int64_t b0 = 0; b0 < m; b0 += block) {
        const std::int64_t s = std::min(block, m - b0);
        hopcap::blas::gemm_nt(rows, s, d, Real(8), queries.data() + c * panel * d, d, memories.data() + b0 * d, d,
                              Real(0), z + b0, m);
      }
      for (std::int64_t b0 = 0; b0 < m; b0 += block) {
        const std::int64_t s = std::min(block, m - b0);
        hopcap::blas::gemm_nn(rows, d + 1, s, Real(1), z + b0, m, augmented.data() + b0 * (d + 1), d + 1, Real(0), u,
                              d + 1);
      }
    }
  }

  double exps() {
    double total = 0.0;
#pragma omp parallel for schedule(static) reduction(+ : total)
    for (std::int64_t c = 0; c < panels(); ++c) {
      const std::int64_t rows = std::min(panel, b - c * panel);
      Real* z = scores[static_cast<std::size_t>(omp_get_thread_num())].data();
      // Shift by the largest possible score (β·1): every argument ≤ 0, as after the row maxima.
      for (std::int64_t i = 0; i < rows; ++i) total += hopcap::kernels::exp_shifted_sum(z + i * m, Real(8), m, z + i * m);
    }
    return total;
  }
};

template <class Real>
void roofline(benchmark::State& state, hopcap::Precision precision) {
  const auto m = state.range(0);
  const auto d = state.range(1);
  const auto b = state.range(2);
  hopcap::RetrievalSettings settings;
  settings.beta = 8.0;
  settings.precision = precision;
  const Matrix memories = hopcap::generate_memories(Distribution::sphere, d, m, 1, 0);
  const Matrix queries = hopcap::generate_memories(Distribution::sphere, d, b, 2, 0);
  const hopcap::Retriever retriever(memories, settings);
  const auto workspace = retriever.workspace(b);
  Matrix next(b, d);
  Floor<Real> floor(memories, queries, retriever.panel_rows(b), hopcap::Retriever::memory_block(settings, m));
  hopcap::bench::time_against_floor(state, [&] { retriever.advance(queries, next, *workspace); }, floor);
  state.counters["panel_rows"] = static_cast<double>(floor.panel);
  state.counters["memory_block"] = static_cast<double>(floor.block);
  state.SetLabel(std::string(hopcap::kPrecisionNames.name(precision)));
}

// Args: M, d, B (queries), precision (0 float64, 1 float32). Softmax at β = 8, the step
// `hopcap run` takes in a group of one.
void BM_RetrievalRoofline(benchmark::State& state) {
  if (state.range(3) == 1) {
    roofline<float>(state, hopcap::Precision::float32);
  } else {
    roofline<double>(state, hopcap::Precision::float64);
  }
}
BENCHMARK(BM_RetrievalRoofline)
    ->ArgsProduct({{4096}, {64}, {1024}, {0, 1}})
    ->ArgsProduct({{16384}, {64}, {256}, {0, 1}})
    ->ArgsProduct({{1024}, {256}, {1024}, {0, 1}})
    ->Iterations(40)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
