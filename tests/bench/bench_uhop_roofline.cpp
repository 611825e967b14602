// Google Benchmark: how close the U-Hop+ step (loss and ∂L/∂W, kernels::uhop_loss) comes to
// its floor on these cores. The floor is what the step cannot avoid at the shapes it uses:
// its GEMMs alone (the features per block; per tile of the Gram triangle the Gram GEMM and the
// gradient GEMM of each end; per_memory's tiles not kept formed again; ∂L/∂W per block), each
// on one thread, tiles and blocks spread over the OpenMP threads as the kernel spreads them,
// plus its exponentials alone (one per tile entry exponentiated, exp_shifted_sum in the step's
// precision). Every iteration times the step, the GEMMs and the exponentials one after the
// other, so the three see the same machine; the counters are medians over the iterations. The
// GEMMs the floor issues are checked against kernels::uhop_work, the count the cost model uses.
//   OMP_NUM_THREADS=1 build/tests/bench/bench_uhop_roofline
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/exp.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/memories.hpp"
#include "kernels/parallel_panels.hpp"
#include "kernels/tile_rounds.hpp"
#include "bench_timing.hpp"

namespace {

using hopcap::Distribution;
using hopcap::Matrix;
using hopcap::UhopLossKind;
using hopcap::kernels::BlockTile;
using hopcap::kernels::TileRounds;

// The step's GEMMs and exponentials at its shapes. Real is the precision of the tiles, their
// exponentials and the gradient GEMMs; the features are double in both precisions, as in the
// kernel. Every thread has its own tile and its own gradient rows: the kernel orders the
// tiles' additions to a block, which the floor leaves out (so no two threads write one row).
// The kernel's kept tiles live in one large array; the floor's tiles stay in the thread's
// buffer, in cache, and the traffic of keeping them is left to the step.
template <class Real>
struct UhopFloor {
  std::int64_t m, d, dphi;
  hopcap::UhopLossOptions options;
  hopcap::kernels::UhopTiling tiling;
  TileRounds schedule;
  std::vector<double> x, weight, features;  // M×d, D_Φ×d, M×D_Φ
  std::vector<Real> fh, xr;                 // normalised features and memories in Real
  std::vector<std::vector<Real>> tile, ghat, block_w;  // per thread
  double flops = 0.0, exponentials = 0.0;   // what one gemms() and one exps() issue

  UhopFloor(const Matrix& memories, const hopcap::FeatureMap& map, const hopcap::UhopLossOptions& opts)
      : m(memories.rows), d(memories.cols), dphi(map.feature_dim()), options(opts),
        tiling(hopcap::kernels::uhop_tiling(m, opts, true)), schedule(tiling.blocks),
        x(memories.data), weight(map.weight.data), features(static_cast<std::size_t>(m * dphi)) {
    const Matrix f = hopcap::normalized_features(map, memories);
    fh.assign(f.data.begin(), f.data.end());
    xr.assign(memories.data.begin(), memories.data.end());
    const auto threads = static_cast<std::size_t>(omp_get_max_threads());
    const auto entries = static_cast<std::size_t>(tiling.block_rows * tiling.block_rows);
    tile.assign(threads, std::vector<Real>(entries, Real(0)));
    ghat.assign(threads, std::vector<Real>(static_cast<std::size_t>(m * dphi), Real(0)));
    block_w.assign(threads, std::vector<Real>(static_cast<std::size_t>(dphi * d), Real(0)));
  }

  std::int64_t rows(std::int64_t b) const { return std::min(tiling.block_rows, m - b * tiling.block_rows); }
  BlockTile tile_of(std::int64_t id) const {
    const auto [round, k] = schedule.round_of(id);
    return schedule.tile(round, k);
  }
  static int thread() { return omp_get_thread_num(); }
  const Real* frow(std::int64_t i) const { return fh.data() + i * dphi; }

  // Runs body(i) for i in [begin, end) as the kernel runs its blocks and tiles.
  template <class Body>
  void spread(std::int64_t begin, std::int64_t end, double work, Body body) {
    hopcap::kernels::parallel_panels(begin, end, work, [] { return 0; }, [&](std::int64_t i, int&) { body(i); });
  }

  // The Gram tile into the thread's buffer: 2·r_a·r_b·D_Φ.
  void gram(BlockTile t, Real* z, double& issued) {
    const std::int64_t a0 = t.first * tiling.block_rows, ra = rows(t.first);
    const std::int64_t b0 = t.second * tiling.block_rows, rb = rows(t.second);
    hopcap::blas::gemm_nt(ra, rb, dphi, static_cast<Real>(1.0 / options.tau), frow(a0), dphi, frow(b0), dphi, Real(0),
                          z, rb);
    issued += 2.0 * static_cast<double>(ra * rb * dphi);
  }

  // The tile's gradient GEMMs: block a's rows, and block b's off the diagonal (not as coded).
  void ends(BlockTile t, const Real* z, Real* g, double& issued) {
    const std::int64_t a0 = t.first * tiling.block_rows, ra = rows(t.first);
    const std::int64_t b0 = t.second * tiling.block_rows, rb = rows(t.second);
    hopcap::blas::gemm_nn(ra, dphi, rb, Real(1), z, rb, frow(b0), dphi, Real(1), g + a0 * dphi, dphi);
    issued += 2.0 * static_cast<double>(ra * rb * dphi);
    if (!t.diagonal() && options.kind != UhopLossKind::as_coded) {
      hopcap::blas::gemm_tn(rb, dphi, ra, Real(1), z, rb, frow(a0), dphi, Real(1), g + b0 * dphi, dphi);
      issued += 2.0 * static_cast<double>(ra * rb * dphi);
    }
  }

  void gemms() {
    const std::int64_t blocks = tiling.blocks, tiles = tiling.tiles;
    const double tile_work = 2.0 * static_cast<double>(tiling.block_rows * tiling.block_rows * dphi);
    std::vector<double> issued(tile.size(), 0.0);
    spread(0, blocks, 2.0 * static_cast<double>(m * dphi * d), [&](std::int64_t b) {
      const std::int64_t b0 = b * tiling.block_rows;
      hopcap::blas::gemm_nt(rows(b), dphi, d, 1.0, x.data() + b0 * d, d, weight.data(), d, 0.0,
                            features.data() + b0 * dphi, dphi);
      issued[static_cast<std::size_t>(thread())] += 2.0 * static_cast<double>(rows(b) * dphi * d);
    });
    const bool per_memory = options.kind == UhopLossKind::per_memory;
    spread(0, tiles, static_cast<double>(tiles) * tile_work * (per_memory ? 1.0 : 3.0), [&](std::int64_t id) {
      const auto me = static_cast<std::size_t>(thread());
      gram(tile_of(id), tile[me].data(), issued[me]);
      if (!per_memory) ends(tile_of(id), tile[me].data(), ghat[me].data(), issued[me]);
    });
    if (per_memory) {  // the gradient pass: the tiles not kept formed again
      spread(0, tiles, static_cast<double>(tiles) * tile_work * 3.0, [&](std::int64_t id) {
        const auto me = static_cast<std::size_t>(thread());
        if (id >= tiling.kept_tiles) gram(tile_of(id), tile[me].data(), issued[me]);
        ends(tile_of(id), tile[me].data(), ghat[me].data(), issued[me]);
      });
    }
    spread(0, blocks, 2.0 * static_cast<double>(m * dphi * d), [&](std::int64_t b) {
      const auto me = static_cast<std::size_t>(thread());
      const std::int64_t b0 = b * tiling.block_rows;
      hopcap::blas::gemm_tn(dphi, d, rows(b), Real(1), ghat[me].data() + b0 * dphi, dphi, xr.data() + b0 * d, d, Real(0),
                            block_w[me].data(), d);
      issued[me] += 2.0 * static_cast<double>(rows(b) * dphi * d);
    });
    flops = 0.0;
    for (double f : issued) flops += f;
  }

  // One exponential per entry of every tile exponentiated, in place in the thread's tile (the
  // kernel's footprint), shifted by the largest possible entry, 1/τ: every argument ≤ 0, as
  // after the tile's maximum. The first call of a thread sees its last Gram tile, the later
  // ones the previous call's values (arguments in [−1/τ, 1 − 1/τ]), all normal numbers.
  double exps() {
    const double shift = 1.0 / options.tau;
    const bool again = options.kind == UhopLossKind::per_memory;
    const std::int64_t calls = tiling.tiles + (again ? tiling.tiles - tiling.kept_tiles : 0);
    std::vector<double> total(tile.size(), 0.0), counted(tile.size(), 0.0);
    spread(0, calls, static_cast<double>(calls) * 2.0 * static_cast<double>(tiling.block_rows * tiling.block_rows),
           [&](std::int64_t call) {
             const std::int64_t id = call < tiling.tiles ? call : tiling.kept_tiles + (call - tiling.tiles);
             const BlockTile t = tile_of(id);
             const std::int64_t n = rows(t.first) * rows(t.second);
             const auto me = static_cast<std::size_t>(thread());
             total[me] += hopcap::kernels::exp_shifted_sum(tile[me].data(), static_cast<Real>(shift), n, tile[me].data());
             counted[me] += static_cast<double>(n);
           });
    exponentials = 0.0;
    double sum = 0.0;
    for (std::size_t i = 0; i < total.size(); ++i) {
      sum += total[i];
      exponentials += counted[i];
    }
    return sum;
  }
};

template <class Real>
void uhop_roofline(benchmark::State& state, UhopLossKind kind, hopcap::Precision precision) {
  const auto m = state.range(0);
  const auto d = state.range(1);
  const auto dphi = state.range(2);
  hopcap::UhopLossOptions options;
  options.kind = kind;
  options.tau = 0.1;
  options.precision = precision;
  const Matrix memories = hopcap::generate_memories(Distribution::sphere, d, m, 1, 0);
  hopcap::FeatureMap map;  // linear, as BM_UhopStep
  map.weight = hopcap::generate_memories(Distribution::gaussian, d, dphi, 4, 0);
  Matrix grad_weight;
  UhopFloor<Real> floor(memories, map, options);
  const hopcap::bench::FloorTimes t = hopcap::bench::time_against_floor(
      state,
      [&] {
        const auto value = hopcap::kernels::uhop_loss(memories, map, options, &grad_weight);
        benchmark::DoNotOptimize(value.loss);
      },
      floor);
  const hopcap::kernels::UhopWork work = hopcap::kernels::uhop_work(m, d, dphi, options, true);
  if (floor.flops != work.gemm_flops || floor.exponentials != work.exponentials) {
    state.SkipWithError(("the floor issued " + std::to_string(floor.flops) + " flops and " +
                         std::to_string(floor.exponentials) + " exponentials, uhop_work counts " +
                         std::to_string(work.gemm_flops) + " and " + std::to_string(work.exponentials))
                            .c_str());
    return;
  }
  state.counters["gemm_GFLOPs"] = work.gemm_flops / t.gemm / 1e9;
  state.counters["exp_ns"] = 1e9 * t.exp / work.exponentials;
  state.counters["block_rows"] = static_cast<double>(floor.tiling.block_rows);
  state.counters["tiles"] = static_cast<double>(floor.tiling.tiles);
  state.counters["kept_tiles"] = static_cast<double>(floor.tiling.kept_tiles);
  state.SetLabel(hopcap::to_string(kind) + " " + std::string(hopcap::kPrecisionNames.name(precision)) + " " +
                 hopcap::blas::config_string());
}

// Args: M, d, D_Φ, loss kind (0 pairwise, 1 per_memory, 2 as_coded), precision (0 float64,
// 1 float32). τ = 0.1, a linear map, the step `hopcap train` takes.
void BM_UhopRoofline(benchmark::State& state) {
  const UhopLossKind kinds[] = {UhopLossKind::pairwise, UhopLossKind::per_memory, UhopLossKind::as_coded};
  const UhopLossKind kind = kinds[state.range(3)];
  if (state.range(4) == 1) {
    uhop_roofline<float>(state, kind, hopcap::Precision::float32);
  } else {
    uhop_roofline<double>(state, kind, hopcap::Precision::float64);
  }
}
BENCHMARK(BM_UhopRoofline)
    ->ArgsProduct({{1024}, {16}, {8, 32, 64}, {0, 1}, {0, 1}})
    ->Iterations(30)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_UhopRoofline)
    ->ArgsProduct({{4096}, {16}, {8, 32, 64}, {0, 1}, {0, 1}})
    ->Iterations(10)
    ->UseManualTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace
