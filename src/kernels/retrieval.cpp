#include "hopcap/kernels/retrieval.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <string>
#include <type_traits>

#include <omp.h>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"
#include "hopcap/kernels/exp.hpp"
#include "hopcap/sizes.hpp"
#include "kernels/fixed_point.hpp"
#include "kernels/parallel_panels.hpp"
#include "kernels/threshold_bracket.hpp"

namespace hopcap {

using kernels::fixed::Fixed;
using kernels::fixed::Scale;

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
// Auto block size keeps one block's score matrix near 2^22 doubles (32 MiB).
constexpr std::int64_t kScoresPerBlock = std::int64_t{1} << 22;
// Scores per thread panel (2 MiB of doubles), kept by one thread through scores, separation
// and update. Taller panels make the GEMMs faster more than they cost in cache: against 2^15
// (a panel in L2), 2^18 took 8–12 % less time per float64 step and 18–22 % less per float32
// step at M = 1024–4096 (docs/performance.md). At least kMinPanelRows rows, or the GEMMs
// degrade to matrix-vector speed; at most kMaxPanelRows, and at least ~16 panels when there
// are enough rows.
constexpr std::int64_t kPanelScores = std::int64_t{1} << 18;
constexpr std::int64_t kMinPanelRows = 32;
constexpr std::int64_t kMaxPanelRows = 512;
// A safety net only: a threshold's bracket reaches adjacent doubles in about 60 bisection
// steps, and ThresholdBracket takes at most about twice bisection's.
constexpr int kMaxThresholdTrials = 400;
constexpr double kFloat32ToleranceUlps = 16.0;

std::size_t sz(std::int64_t v) { return static_cast<std::size_t>(v); }

double squared_norm(const double* x, std::int64_t n) {
  double s = 0.0;
  for (std::int64_t j = 0; j < n; ++j) s += x[j] * x[j];
  return s;
}

// α of the separation (1 for softmax).
double alpha_of(const Separation& sep) {
  switch (sep.kind) {
    case SeparationKind::softmax: return 1.0;
    case SeparationKind::sparsemax: return 2.0;
    case SeparationKind::entmax15: return 1.5;
    case SeparationKind::entmax: return sep.alpha;
  }
  return 1.0;
}

// [(α−1) u]^{1/(α−1)} for u > 0, without pow for sparsemax and 1.5-entmax.
double entmax_weight(double am1, double u) {
  if (u <= 0.0) return 0.0;
  if (am1 == 1.0) return u;
  if (am1 == 0.5) return 0.25 * u * u;
  return std::pow(am1 * u, 1.0 / am1);
}

// features := X Wᵀ (+ b) for `rows` rows, normalised when asked; false on a zero (or
// non-finite) norm.
bool map_rows(const FeatureMap& map, bool normalize, const double* x, std::int64_t rows, double* features) {
  const std::int64_t dphi = map.feature_dim();
  const std::int64_t d = map.input_dim();
  if (rows == 0) return true;
  blas::gemm_nt(rows, dphi, d, 1.0, x, d, map.weight.data.data(), d, 0.0, features, dphi);
  for (std::int64_t i = 0; i < rows; ++i) {
    double* f = features + i * dphi;
    if (map.has_bias()) {
      for (std::int64_t k = 0; k < dphi; ++k) f[k] += map.bias[sz(k)];
    }
    if (!normalize) continue;
    const double n = std::sqrt(squared_norm(f, dphi));
    if (!(n > 0.0) || !std::isfinite(n)) return false;
    for (std::int64_t k = 0; k < dphi; ++k) f[k] /= n;
  }
  return true;
}

const char* kZeroFeature =
    "KHM: a feature vector Phi(x) has norm 0 and cannot be normalised (x lies in the null space of W)";

}  // namespace

// Buffers of one run() (or one public call), sized once for `capacity` state rows. Scores,
// weights and block updates come in the precision of the iterations: Real is double or float.
template <class Real>
struct PanelBuffers {
  std::vector<Real> z;          // panel scores, then weights (panel × local rows)
  std::vector<Real> update;     // panel × (d + 1) update of one memory block
  std::vector<Real> converted;  // float32: the panel's queries (or their features) in float
};

template <class Real>
struct BlockBuffers {
  std::vector<Real> z, w;  // the general path's scores and (kept) weights, block rows × local rows
};

struct Retriever::Workspace {
  struct Thread {
    PanelBuffers<double> f64;
    PanelBuffers<float> f32;
    std::vector<double> features;              // panel × D_Φ query features (KHM)
    std::vector<std::int64_t> digits;          // 3 × panel × d digit lanes of the exact update sums
    std::vector<double> candidates;            // entmax: scores within reach of the threshold
    std::vector<std::int64_t> candidate_ends;  // per row and local block: end of its candidates
    std::vector<Fixed> sums, updates;          // exact normalisers and updates of the panel
    template <class Real>
    PanelBuffers<Real>& in() {
      if constexpr (std::is_same_v<Real, float>) return f32;
      else return f64;
    }
  };
  std::int64_t capacity = 0;
  std::vector<double> current, next;  // active states and their update
  std::vector<std::int64_t> active;
  std::vector<Thread> threads;
  // The general path (several parts, the final pass, step()): whole-block arrays.
  BlockBuffers<double> f64;
  BlockBuffers<float> f32;
  template <class Real>
  BlockBuffers<Real>& in() {
    if constexpr (std::is_same_v<Real, float>) return f32;
    else return f64;
  }
  std::vector<double> row_max, trial, threshold;
  std::vector<kernels::ThresholdBracket> brackets;  // entmax: one per row
  std::vector<double> candidates;
  std::vector<std::int64_t> candidate_ends, limbs;
  std::vector<Fixed> sums, updates, masses;
  std::vector<unsigned char> moving;
};

std::int64_t Retriever::memory_block(const RetrievalSettings& settings, std::int64_t memory_count) {
  if (settings.memory_block > 0) return settings.memory_block;
  std::int64_t block = 16;
  while (block < 1024 && 2 * block * 4 <= memory_count) block *= 2;
  return block;
}

void RetrievalSettings::validate() const {
  require(std::isfinite(beta) && beta > 0.0, "beta must be a finite number > 0");
  require(max_iterations >= 1, "max_iterations (t_max) must be >= 1");
  require(std::isfinite(tolerance) && tolerance >= 0.0, "tolerance must be >= 0");
  require(std::isfinite(epsilon) && epsilon >= 0.0, "epsilon must be >= 0");
  require(block_size >= 0, "block_size must be >= 0 (0 = automatic)");
  require(memory_block >= 0, "memory_block must be >= 0 (0 = automatic)");
}

Retriever::Retriever(const Matrix& memories, const RetrievalSettings& settings,
                     std::optional<FeatureMap> feature_map)
    : Retriever(memories, kernels::RowPartition::whole(memories.rows), settings, std::move(feature_map)) {}

Retriever::Retriever(const Matrix& local_memories, kernels::RowPartition partition,
                     const RetrievalSettings& settings, std::optional<FeatureMap> feature_map)
    : memories_(local_memories),
      partition_(std::move(partition)),
      settings_(settings),
      feature_map_(std::move(feature_map)) {
  settings_.validate();
  const std::int64_t m = partition_.total;
  require(m >= 1 && memories_.cols >= 1, "retrieval needs at least one memory of dimension >= 1");
  block_ = memory_block(settings_, m);
  const int parts = partition_.parts();
  bool aligned = parts >= 1 && partition_.part >= 0 && partition_.part < parts &&
                 partition_.part_first.front() == 0 && partition_.part_first.back() == m;
  for (int p = 0; aligned && p <= parts; ++p) {
    const std::int64_t f = partition_.part_first[sz(p)];
    aligned = (f % block_ == 0 || f == m) && (p == 0 || f >= partition_.part_first[sz(p) - 1]);
  }
  require(aligned && partition_.first == partition_.part_first[sz(partition_.part)] &&
              memories_.rows == partition_.rows_of(partition_.part),
          "retrieval: the row partition does not hold whole memory blocks of " + std::to_string(block_) +
              " rows, or the local rows do not match it");
  if (feature_map_) {
    feature_map_->validate();
    require(feature_map_->input_dim() == memories_.cols,
            "feature map input dimension " + std::to_string(feature_map_->input_dim()) +
                " does not match the memory dimension d = " + std::to_string(memories_.cols));
  }
  // Collective checks, so that every process throws alike: non-finite entries, zero features,
  // and the largest |ξ| that bounds the update.
  // For float32: checks[3], the largest score a memory can give another (squared key norm), and
  // checks[4], the largest squared norm of a memory, which bounds every state.
  std::vector<double> checks{0.0, 0.0, 0.0, 0.0, 0.0};
  for (double v : memories_.data) {
    if (!std::isfinite(v)) checks[0] = 1.0;
    else checks[2] = std::max(checks[2], std::abs(v));
  }
  if (feature_map_ && checks[0] == 0.0) {
    const std::int64_t dphi = feature_map_->feature_dim();
    memory_features_ = Matrix(memories_.rows, dphi);
    // Per memory block, so each memory's features are computed alike whatever part owns it.
    for (std::int64_t b0 = 0; b0 < memories_.rows; b0 += block_) {
      const std::int64_t rows = std::min(block_, memories_.rows - b0);
      if (!map_rows(*feature_map_, settings_.khm_scores == KhmScores::normalized, memories_.row(b0), rows,
                    memory_features_.row(b0))) {
        checks[1] = 1.0;
      }
    }
  }
  if (checks[0] == 0.0) {
    const Matrix& keys = feature_map_ ? memory_features_ : memories_;
    for (std::int64_t i = 0; i < keys.rows; ++i) checks[3] = std::max(checks[3], squared_norm(keys.row(i), keys.cols));
    for (std::int64_t i = 0; i < memories_.rows; ++i) {
      checks[4] = std::max(checks[4], squared_norm(memories_.row(i), memories_.cols));
    }
  }
  partition_.max(checks);
  if (checks[0] != 0.0) throw ConfigError("memories contain a non-finite value");
  if (single_precision() && checks[1] == 0.0 && settings_.beta * checks[3] > kFloat32ScoreLimit) {
    throw ConfigError("precision float32: beta x the largest score max|K(xi, xi)| = " + std::to_string(settings_.beta) +
                      " x " + std::to_string(checks[3]) + " exceeds " + std::to_string(static_cast<int>(kFloat32ScoreLimit)) +
                      ", where float32 rounding of the scores moves the weights by more than 1e-3; use precision "
                      "float64");
  }
  augmented_ = Matrix(memories_.rows, memories_.cols + 1);
  for (std::int64_t i = 0; i < memories_.rows; ++i) {
    std::copy_n(memories_.row(i), memories_.cols, augmented_.row(i));
    augmented_(i, memories_.cols) = 1.0;
  }
  if (checks[1] != 0.0) throw KernelError(kZeroFeature);
  tolerance_ = settings_.tolerance;
  if (single_precision()) {
    // Below 16 float ulps of the largest state the float32 update cycles through rounding
    // (measured: changes of up to 6e-8 that never reach 0) instead of settling.
    tolerance_ = std::max(tolerance_, kFloat32ToleranceUlps * std::ldexp(std::sqrt(checks[4]), -24));
    const Matrix& keys = feature_map_ ? memory_features_ : memories_;
    keys_float_.assign(keys.data.begin(), keys.data.end());
    augmented_float_.assign(augmented_.data.begin(), augmented_.data.end());
  }
  scale_sum_ = kernels::fixed::exponent_for(1.0, m);
  scale_update_ = kernels::fixed::exponent_for(checks[2], m);
}

std::int64_t Retriever::block_rows() const {
  if (settings_.block_size > 0) return settings_.block_size;
  return std::max<std::int64_t>(1, kScoresPerBlock / memory_count());
}

// Depends on M and n only (never on threads or the partition): the panels, and so every GEMM
// a row takes part in, are the same in every process layout.
std::int64_t Retriever::panel_rows(std::int64_t n) const {
  const std::int64_t by_cache = std::clamp(kPanelScores / memory_count(), kMinPanelRows, kMaxPanelRows);
  const std::int64_t by_count = std::max(kMinPanelRows, (n + 15) / 16);
  return std::max<std::int64_t>(1, std::min({by_cache, by_count, n}));
}

namespace {

// The arithmetic shared by the fused and the general paths. Every function works on `rows`
// rows of a panel; scores and weights have row stride `ld` (the local rows).
struct Blocks {
  std::int64_t local = 0;  // local rows
  std::int64_t block = 0;  // rows per memory block (the last may be shorter)
  std::int64_t count() const { return (local + block - 1) / block; }
};

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define HOPCAP_SCAN_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define HOPCAP_SCAN_CLONES
#endif

// Row maxima (exact in double for either Real); false if a score is not finite. AVX2 where
// the CPU has it: the scan reads every score once and was a fifth of the float32 step.
template <class Real>
HOPCAP_SCAN_CLONES bool row_maxima(const Real* z, std::int64_t rows, std::int64_t ld, double* row_max) {
  bool finite = true;
  for (std::int64_t i = 0; i < rows; ++i) {
    const Real* zi = z + i * ld;
    Real m = -std::numeric_limits<Real>::infinity();
    Real bad = 0;  // z − z is 0 for a finite z and NaN otherwise
#pragma omp simd reduction(max : m) reduction(+ : bad)
    for (std::int64_t j = 0; j < ld; ++j) {
      m = zi[j] > m ? zi[j] : m;
      bad += zi[j] - zi[j];
    }
    if (!(bad == 0.0)) finite = false;
    row_max[i] = m;
  }
  return finite;
}

// The maximum is one of the row's scores, so converting it back to Real is exact.
template <class Real>
void softmax_weights(const Real* z, Real* w, std::int64_t rows, std::int64_t ld, const double* row_max) {
  for (std::int64_t i = 0; i < rows; ++i) kernels::exp_shifted_sum(z + i * ld, static_cast<Real>(row_max[i]), ld, w + i * ld);
}

// Scores u = z − max above −1/(α−1), the only ones that can weigh, grouped by memory block.
// The threshold's search runs in double on them, whatever the precision of the scores. Few
// scores are candidates: a vectorised test of each run of kCandidateRun scores skips the runs
// without one, and only the others are compacted one by one.
constexpr std::int64_t kCandidateRun = 32;

template <class Real>
HOPCAP_SCAN_CLONES void gather_candidates(const Real* z, std::int64_t rows, const Blocks& blocks,
                                          const double* row_max, double am1, double* candidates, std::int64_t* ends) {
  const std::int64_t nb = blocks.count();
  const double reach = -1.0 / am1;
  for (std::int64_t i = 0; i < rows; ++i) {
    const Real* zi = z + i * blocks.local;
    const double top = row_max[i];
    double* ci = candidates + i * blocks.local;
    std::int64_t count = 0;
    for (std::int64_t b = 0; b < nb; ++b) {
      const std::int64_t end = std::min(blocks.local, (b + 1) * blocks.block);
      for (std::int64_t j0 = b * blocks.block; j0 < end; j0 += kCandidateRun) {
        const std::int64_t j1 = std::min(end, j0 + kCandidateRun);
        int any = 0;
#pragma omp simd reduction(| : any)
        for (std::int64_t j = j0; j < j1; ++j) any |= static_cast<double>(zi[j]) - top > reach ? 1 : 0;
        if (any == 0) continue;
        for (std::int64_t j = j0; j < j1; ++j) {
          const double u = static_cast<double>(zi[j]) - top;
          if (u > reach) ci[count++] = u;
        }
      }
      ends[i * nb + b] = count;
    }
  }
}

// Σ weight(c_k − t) over one block's candidates in eight interleaved lanes, added in a fixed
// order at the end: the order is the source's, not the vector width of the CPU's clone, so
// every machine and process sums a block alike.
template <class Weight>
double block_mass(const double* c, std::int64_t n, double t, Weight weight) {
  double lane[8] = {};
  std::int64_t k = 0;
  for (; k + 8 <= n; k += 8) {
    for (int l = 0; l < 8; ++l) lane[l] += weight(c[k + l] - t);
  }
  for (int l = 0; k < n; ++k, ++l) lane[l] += weight(c[k] - t);
  return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7]));
}

// Σ_μ w_μ(t) of one row: per block in double, then exactly. Non-increasing in t: each weight,
// each rounded addition and the conversion to fixed point are.
template <class Weight>
Fixed row_mass_of(const double* candidates, const std::int64_t* ends, std::int64_t nb, double t, const Scale& scale,
                  Weight weight) {
  Fixed mass = 0;
  std::int64_t begin = 0;
  for (std::int64_t b = 0; b < nb; ++b) {
    if (ends[b] > begin) mass += kernels::fixed::to_fixed(block_mass(candidates + begin, ends[b] - begin, t, weight), scale);
    begin = ends[b];
  }
  return mass;
}

Fixed row_mass(const double* candidates, const std::int64_t* ends, std::int64_t nb, double am1, double t,
               const Scale& scale) {
  if (am1 == 1.0) return row_mass_of(candidates, ends, nb, t, scale, [](double u) { return u > 0.0 ? u : 0.0; });
  if (am1 == 0.5) {
    return row_mass_of(candidates, ends, nb, t, scale, [](double u) {
      const double v = u > 0.0 ? u : 0.0;
      return 0.25 * v * v;
    });
  }
  return row_mass_of(candidates, ends, nb, t, scale, [am1](double u) { return entmax_weight(am1, u); });
}

// g = mass^(α−1) − 1 of a trial, for the threshold bracket's interpolation only (its side is
// decided by the exact mass).
double mass_excess(const Fixed& mass, double am1, const Scale& inverse) {
  const double m = kernels::fixed::to_double(mass, inverse);
  if (am1 == 1.0) return m - 1.0;
  if (am1 == 0.5) return std::sqrt(m) - 1.0;
  return std::pow(m, am1) - 1.0;
}

// Weights in double from the (double) threshold, stored in Real; sparsemax and 1.5-entmax
// branch-free (the same values as entmax_weight), so the loop vectorises.
template <class Real>
HOPCAP_SCAN_CLONES void entmax_weights(const Real* z, Real* w, std::int64_t rows, std::int64_t ld,
                                       const double* row_max, const double* threshold, double am1) {
  for (std::int64_t i = 0; i < rows; ++i) {
    const double top = row_max[i], t = threshold[i];
    const Real* zi = z + i * ld;
    Real* wi = w + i * ld;
    if (am1 == 1.0) {
#pragma omp simd
      for (std::int64_t j = 0; j < ld; ++j) {
        const double u = (static_cast<double>(zi[j]) - top) - t;
        wi[j] = static_cast<Real>(u > 0.0 ? u : 0.0);
      }
    } else if (am1 == 0.5) {
#pragma omp simd
      for (std::int64_t j = 0; j < ld; ++j) {
        const double u = (static_cast<double>(zi[j]) - top) - t;
        const double v = u > 0.0 ? u : 0.0;
        wi[j] = static_cast<Real>(0.25 * v * v);
      }
    } else {
      for (std::int64_t j = 0; j < ld; ++j) {
        wi[j] = static_cast<Real>(entmax_weight(am1, (static_cast<double>(zi[j]) - top) - t));
      }
    }
  }
}

// sums += Σ_blocks fix(Σ w), updates += Σ_blocks fix(w_b Ξ_b): one GEMM per block against the
// memories with a column of ones appended, whose last column is the block's weight sum. The
// updates gather in digit lanes (3 × rows × d int64, vectorised) and are folded into the Fixed
// sums once per kDigitTerms blocks: the same integers as a to_fixed per entry and block. In
// float32 the block's partials are floats, converted exactly to double and then to fixed point
// like any other.
template <class Real>
void accumulate(const Real* w, std::int64_t rows, const Blocks& blocks, const Real* augmented, std::int64_t d,
                Real* update, std::int64_t* digits, Fixed* sums, Fixed* updates, const Scale& sum_scale,
                const Scale& update_scale) {
  const std::int64_t width = d + 1;
  const std::int64_t lane = rows * d;
  std::int64_t* high = digits;
  std::int64_t* middle = digits + lane;
  std::int64_t* low = digits + 2 * lane;
  std::fill_n(digits, 3 * lane, std::int64_t{0});
  std::int64_t pending = 0;
  for (std::int64_t b0 = 0; b0 < blocks.local; b0 += blocks.block) {
    const std::int64_t s = std::min(blocks.block, blocks.local - b0);
    blas::gemm_nn(rows, width, s, Real(1), w + b0, blocks.local, augmented + b0 * width, width, Real(0), update, width);
    for (std::int64_t i = 0; i < rows; ++i) {
      const Real* ui = update + i * width;
      sums[i] += kernels::fixed::to_fixed(static_cast<double>(ui[d]), sum_scale);
      kernels::fixed::add_digits(ui, d, update_scale, high + i * d, middle + i * d, low + i * d);
    }
    if (++pending == kernels::fixed::kDigitTerms) {
      kernels::fixed::fold_digits(lane, high, middle, low, updates);
      pending = 0;
    }
  }
  if (pending > 0) kernels::fixed::fold_digits(lane, high, middle, low, updates);
}

void finish(std::int64_t rows, std::int64_t d, const Fixed* sums, const Fixed* updates, const Scale& sum_inverse,
            const Scale& update_inverse, double* next) {
  for (std::int64_t i = 0; i < rows; ++i) {
    const double total = kernels::fixed::to_double(sums[i], sum_inverse);
    for (std::int64_t j = 0; j < d; ++j) next[i * d + j] = kernels::fixed::to_double(updates[i * d + j], update_inverse) / total;
  }
}

void reduce_fixed(const kernels::RowPartition& partition, std::span<Fixed> values, std::vector<std::int64_t>& limbs) {
  if (partition.parts() == 1) return;
  const std::size_t n = values.size() * kernels::fixed::kLimbs;
  if (limbs.size() < n) limbs.resize(n);
  const std::span<std::int64_t> view(limbs.data(), n);
  kernels::fixed::to_limbs(values, view);
  partition.sum_integers(view);
  kernels::fixed::from_limbs(view, values);
}

}  // namespace

// The query features of a KHM are computed in double and, in float32, rounded like the keys.
template <class Real>
void Retriever::panel_scores(const double* x, std::int64_t rows, Real* z, double* features, Real* converted) const {
  const std::int64_t local = local_count();
  const std::int64_t d = dim();
  if (rows == 0 || local == 0) return;
  std::int64_t width = d;
  const double* source = x;
  if (feature_map_) {
    if (!map_rows(*feature_map_, settings_.khm_scores == KhmScores::normalized, x, rows, features)) {
      throw KernelError(kZeroFeature);
    }
    width = feature_map_->feature_dim();
    source = features;
  }
  const Real* queries = nullptr;
  const Real* keys = nullptr;
  if constexpr (std::is_same_v<Real, float>) {
    std::copy_n(source, rows * width, converted);
    queries = converted;
    keys = keys_float_.data();
  } else {
    queries = source;
    keys = feature_map_ ? memory_features_.data.data() : memories_.data.data();
  }
  const auto beta = static_cast<Real>(settings_.beta);
  for (std::int64_t b0 = 0; b0 < local; b0 += block_) {
    const std::int64_t s = std::min(block_, local - b0);
    blas::gemm_nt(rows, s, width, beta, queries, width, keys + b0 * width, width, Real(0), z + b0, local);
  }
}

namespace {

Retriever::Workspace::Thread& thread_scratch(Retriever::Workspace& ws) {
  return ws.threads[sz(omp_get_thread_num())];
}

// Flops of one retrieval update of n states against `local` memories of dimension d, roughly:
// what decides whether its panels are worth a thread team.
double update_work(std::int64_t n, std::int64_t local, std::int64_t d) {
  return 2.0 * static_cast<double>(n) * static_cast<double>(local) * static_cast<double>(d + 1);
}

}  // namespace

template <class Real>
const Real* Retriever::augmented_rows() const {
  if constexpr (std::is_same_v<Real, float>) return augmented_float_.data();
  else return augmented_.data.data();
}

// One process: each thread runs scores → Sep → update on its panel.
template <class Real>
void Retriever::fused_update(const double* x, std::int64_t n, double* next, Workspace& ws) const {
  const std::int64_t d = dim();
  const std::int64_t local = local_count();
  const Blocks blocks{local, block_};
  const std::int64_t nb = blocks.count();
  const std::int64_t panel = panel_rows(n);
  const double alpha = alpha_of(settings_.separation);
  const double am1 = alpha - 1.0;
  const Scale sum_scale(scale_sum_), update_scale(scale_update_);
  const Fixed one = kernels::fixed::to_fixed(1.0, sum_scale);
  kernels::parallel_panels(
      0, (n + panel - 1) / panel, update_work(n, local, d), [&ws] { return std::ref(thread_scratch(ws)); },
      [&](std::int64_t c, Workspace::Thread& t) {
        const std::int64_t first = c * panel;
        const std::int64_t rows = std::min(panel, n - first);
        double row_max[kMaxPanelRows] = {}, threshold[kMaxPanelRows] = {};
        PanelBuffers<Real>& own = t.template in<Real>();
        Real* z = own.z.data();
        panel_scores(x + first * d, rows, z, t.features.data(), own.converted.data());
        if (!row_maxima(z, rows, local, row_max)) throw KernelError("retrieval: non-finite score");
        if (alpha == 1.0) {
          softmax_weights(z, z, rows, local, row_max);
        } else {
          gather_candidates(z, rows, blocks, row_max, am1, t.candidates.data(), t.candidate_ends.data());
          for (std::int64_t i = 0; i < rows; ++i) {
            kernels::ThresholdBracket bracket(-1.0 / am1, 0.0, -1.0);  // mass(0) = 0
            double trial = 0.0;
            for (int step = 0; step < kMaxThresholdTrials && bracket.next(trial); ++step) {
              const Fixed mass = row_mass(t.candidates.data() + i * local, t.candidate_ends.data() + i * nb, nb, am1,
                                          trial, sum_scale);
              bracket.update(trial, mass >= one, mass_excess(mass, am1, sum_scale.inverse()));
            }
            threshold[i] = bracket.lo();
          }
          entmax_weights(z, z, rows, local, row_max, threshold, am1);
        }
        std::fill_n(t.sums.begin(), rows, Fixed{0});
        std::fill_n(t.updates.begin(), rows * d, Fixed{0});
        accumulate(z, rows, blocks, augmented_rows<Real>(), d, own.update.data(), t.digits.data(), t.sums.data(),
                   t.updates.data(), sum_scale, update_scale);
        finish(rows, d, t.sums.data(), t.updates.data(), sum_scale.inverse(), update_scale.inverse(), next + first * d);
      });
}

// Any partition: scores of the whole block, then the collectives (maxima, entmax masses,
// normalisers and updates). keep_scores leaves the scores in z and the weights in w of the Real buffers;
// otherwise the weights overwrite the scores. next may be null.
template <class Real>
void Retriever::general_update(const double* x, std::int64_t n, double* next, Workspace& ws, bool keep_scores) const {
  const std::int64_t d = dim();
  const std::int64_t local = local_count();
  const Blocks blocks{local, block_};
  const std::int64_t nb = blocks.count();
  const std::int64_t panel = panel_rows(n);
  const std::int64_t panels = (n + panel - 1) / panel;
  const double alpha = alpha_of(settings_.separation);
  const double am1 = alpha - 1.0;
  const Scale sum_scale(scale_sum_), update_scale(scale_update_);
  BlockBuffers<Real>& block = ws.template in<Real>();
  Real* z = block.z.data();
  Real* w = keep_scores ? block.w.data() : block.z.data();
  double* row_max = ws.row_max.data();
  const auto scratch = [&ws] { return std::ref(thread_scratch(ws)); };
  const double work = update_work(n, local, d);

  double flag = 0.0;
  kernels::parallel_panels(0, panels, work, scratch, [&](std::int64_t c, Workspace::Thread& t) {
    const std::int64_t first = c * panel;
    const std::int64_t rows = std::min(panel, n - first);
    panel_scores(x + first * d, rows, z + first * local, t.features.data(), t.template in<Real>().converted.data());
    if (!row_maxima(z + first * local, rows, local, row_max + first)) {
#pragma omp atomic write
      flag = 1.0;
    }
  });
  partition_.max(std::span<double>(&flag, 1));
  if (flag != 0.0) throw KernelError("retrieval: non-finite score");
  partition_.max(std::span<double>(row_max, sz(n)));

  if (alpha == 1.0) {
    kernels::parallel_panels(0, panels, work, scratch, [&](std::int64_t c, Workspace::Thread&) {
      const std::int64_t first = c * panel;
      softmax_weights(z + first * local, w + first * local, std::min(panel, n - first), local, row_max + first);
    });
  } else {
    const Fixed one = kernels::fixed::to_fixed(1.0, sum_scale);
    kernels::parallel_panels(0, panels, work, scratch, [&](std::int64_t c, Workspace::Thread&) {
      const std::int64_t first = c * panel;
      gather_candidates(z + first * local, std::min(panel, n - first), blocks, row_max + first, am1,
                        ws.candidates.data() + first * local, ws.candidate_ends.data() + first * nb);
    });
    ws.brackets.assign(sz(n), kernels::ThresholdBracket(-1.0 / am1, 0.0, -1.0));  // capacity reserved: no allocation
    for (int step = 0; step < kMaxThresholdTrials; ++step) {
      bool any = false;
      for (std::int64_t i = 0; i < n; ++i) {
        ws.moving[sz(i)] = ws.brackets[sz(i)].next(ws.trial[sz(i)]) ? 1 : 0;
        any = any || ws.moving[sz(i)] != 0;
      }
      if (!any) break;  // the same on every process: the brackets are
#pragma omp parallel for schedule(static) if (kernels::worth_a_team(static_cast<double>(n) * static_cast<double>(local)))
      for (std::int64_t i = 0; i < n; ++i) {
        ws.masses[sz(i)] = ws.moving[sz(i)] ? row_mass(ws.candidates.data() + i * local, ws.candidate_ends.data() + i * nb,
                                                       nb, am1, ws.trial[sz(i)], sum_scale)
                                            : Fixed{0};
      }
      reduce_fixed(partition_, std::span<Fixed>(ws.masses.data(), sz(n)), ws.limbs);
      for (std::int64_t i = 0; i < n; ++i) {
        if (ws.moving[sz(i)]) {
          ws.brackets[sz(i)].update(ws.trial[sz(i)], ws.masses[sz(i)] >= one,
                                    mass_excess(ws.masses[sz(i)], am1, sum_scale.inverse()));
        }
      }
    }
    for (std::int64_t i = 0; i < n; ++i) ws.threshold[sz(i)] = ws.brackets[sz(i)].lo();
    kernels::parallel_panels(0, panels, work, scratch, [&](std::int64_t c, Workspace::Thread&) {
      const std::int64_t first = c * panel;
      entmax_weights(z + first * local, w + first * local, std::min(panel, n - first), local, row_max + first,
                     ws.threshold.data() + first, am1);
    });
  }
  std::fill_n(ws.sums.begin(), n, Fixed{0});
  std::fill_n(ws.updates.begin(), n * d, Fixed{0});
  kernels::parallel_panels(0, panels, work, scratch, [&](std::int64_t c, Workspace::Thread& t) {
    const std::int64_t first = c * panel;
    accumulate(w + first * local, std::min(panel, n - first), blocks, augmented_rows<Real>(), d,
               t.template in<Real>().update.data(), t.digits.data(), ws.sums.data() + first,
               ws.updates.data() + first * d, sum_scale, update_scale);
  });
  reduce_fixed(partition_, std::span<Fixed>(ws.sums.data(), sz(n)), ws.limbs);
  if (next == nullptr) return;
  reduce_fixed(partition_, std::span<Fixed>(ws.updates.data(), sz(n * d)), ws.limbs);
  finish(n, d, ws.sums.data(), ws.updates.data(), sum_scale.inverse(), update_scale.inverse(), next);
}

std::shared_ptr<Retriever::Workspace> Retriever::workspace(std::int64_t capacity) const {
  auto ws = std::make_shared<Workspace>();
  const std::int64_t n = std::max<std::int64_t>(1, capacity);
  const std::int64_t d = dim();
  const std::int64_t local = local_count();
  const std::int64_t nb = Blocks{local, block_}.count();
  const std::int64_t panel = panel_rows(n);  // the widest panel of any n' ≤ n
  const std::int64_t dphi = feature_map_ ? feature_map_->feature_dim() : 0;
  const bool sparse = settings_.separation.kind != SeparationKind::softmax;
  ws->capacity = n;
  ws->current.resize(checked_size(n, d, "retrieval: states"));
  ws->next.resize(ws->current.size());
  ws->active.resize(sz(n));
  ws->threads.resize(sz(std::max(1, omp_get_max_threads())));
  const bool fused = partition_.parts() == 1;
  for (Workspace::Thread& t : ws->threads) {
    t.features.resize(sz(panel * dphi));
    // The final pass (general, float64) needs the double update in either precision.
    t.f64.update.resize(sz(panel * (d + 1)));
    if (single_precision()) {
      t.f32.update.resize(sz(panel * (d + 1)));
      t.f32.converted.resize(sz(panel * std::max(d, dphi)));
    }
    t.digits.resize(sz(3 * panel * d));
    if (!fused) continue;
    const std::size_t scores = checked_size(panel, local, "retrieval: score panel rows x M");
    if (single_precision()) {
      t.f32.z.resize(scores);
    } else {
      t.f64.z.resize(scores);
    }
    t.sums.resize(sz(panel));
    t.updates.resize(sz(panel * d));
    if (sparse) {
      t.candidates.resize(scores);
      t.candidate_ends.resize(sz(panel * nb));
    }
  }
  return ws;
}

void Retriever::reserve_general(Workspace& ws, std::int64_t n, bool keep_scores, Precision precision) const {
  const std::int64_t d = dim();
  const std::int64_t local = local_count();
  const std::int64_t nb = Blocks{local, block_}.count();
  const std::size_t scores = checked_size(n, local, "retrieval: block rows x M");
  const auto reserve = [&](auto& block) {
    if (block.z.size() < scores) block.z.resize(scores);
    if (keep_scores && block.w.size() < scores) block.w.resize(scores);
  };
  if (precision == Precision::float32) {
    reserve(ws.f32);
  } else {
    reserve(ws.f64);
  }
  if (ws.row_max.size() < sz(n)) ws.row_max.resize(sz(n));
  if (ws.sums.size() < sz(n)) ws.sums.resize(sz(n));
  if (ws.updates.size() < sz(n * d)) ws.updates.resize(sz(n * d));
  const std::size_t limbs = sz(std::max(n * d, 3 * n)) * kernels::fixed::kLimbs;  // the widest exact reduction
  if (partition_.parts() > 1 && ws.limbs.size() < limbs) ws.limbs.resize(limbs);
  if (settings_.separation.kind != SeparationKind::softmax) {
    if (ws.candidates.size() < scores) ws.candidates.resize(scores);
    if (ws.candidate_ends.size() < sz(n * nb)) ws.candidate_ends.resize(sz(n * nb));
    for (auto* v : {&ws.trial, &ws.threshold}) {
      if (v->size() < sz(n)) v->resize(sz(n));
    }
    ws.brackets.reserve(sz(n));
    if (ws.masses.size() < sz(n)) ws.masses.resize(sz(n));
    if (ws.moving.size() < sz(n)) ws.moving.resize(sz(n));
  }
}

void Retriever::scores(const Matrix& states, Matrix& out) const {
  if (states.cols != dim()) throw KernelError("scores: state dimension does not match d");
  if (out.rows != states.rows || out.cols != local_count()) out = Matrix(states.rows, local_count());
  const auto ws = workspace(states.rows);
  const std::int64_t n = states.rows;
  const std::int64_t panel = panel_rows(n);
  kernels::parallel_panels(
      0, (n + panel - 1) / panel, update_work(n, local_count(), dim()), [&ws] { return std::ref(thread_scratch(*ws)); },
      [&](std::int64_t c, Workspace::Thread& t) {
        const std::int64_t first = c * panel;
        panel_scores<double>(states.row(first), std::min(panel, n - first), out.row(first), t.features.data(), nullptr);
      });
}

void Retriever::step(const Matrix& states, Matrix& next, Matrix& probabilities) const {
  if (states.cols != dim()) throw KernelError("step: state dimension does not match d");
  const std::int64_t n = states.rows;
  const std::int64_t local = local_count();
  if (next.rows != n || next.cols != dim()) next = Matrix(n, dim());
  if (probabilities.rows != n || probabilities.cols != local) probabilities = Matrix(n, local);
  if (n == 0) return;
  const auto ws = workspace(n);
  reserve_general(*ws, n, true, settings_.precision);
  const auto probabilities_from = [&](const auto& weights) {
    const Scale inverse = Scale(scale_sum_).inverse();
    for (std::int64_t i = 0; i < n; ++i) {
      const double total = kernels::fixed::to_double(ws->sums[sz(i)], inverse);
      for (std::int64_t j = 0; j < local; ++j) probabilities(i, j) = static_cast<double>(weights[sz(i * local + j)]) / total;
    }
  };
  if (single_precision()) {
    general_update<float>(states.data.data(), n, next.data.data(), *ws, true);
    probabilities_from(ws->f32.w);
  } else {
    general_update<double>(states.data.data(), n, next.data.data(), *ws, true);
    probabilities_from(ws->f64.w);
  }
}

void Retriever::advance(const Matrix& states, Matrix& next) const {
  const auto ws = workspace(states.rows);
  advance(states, next, *ws);
}

void Retriever::advance(const Matrix& states, Matrix& next, Workspace& ws) const {
  if (states.cols != dim()) throw KernelError("advance: state dimension does not match d");
  const std::int64_t n = states.rows;
  if (next.rows != n || next.cols != dim()) next = Matrix(n, dim());
  if (n == 0) return;
  if (n > ws.capacity) throw KernelError("advance: more states than the workspace holds");
  if (partition_.parts() > 1) reserve_general(ws, n, false, settings_.precision);
  update(states.data.data(), n, next.data.data(), ws);
}

void Retriever::update(const double* x, std::int64_t n, double* next, Workspace& ws) const {
  const bool fused = partition_.parts() == 1;
  if (single_precision()) {
    if (fused) fused_update<float>(x, n, next, ws);
    else general_update<float>(x, n, next, ws, false);
  } else {
    if (fused) fused_update<double>(x, n, next, ws);
    else general_update<double>(x, n, next, ws, false);
  }
}

double Retriever::energy(std::span<const double> state) const {
  if (static_cast<std::int64_t>(state.size()) != dim()) throw KernelError("energy: wrong state dimension");
  Matrix x(1, dim());
  std::copy(state.begin(), state.end(), x.data.begin());
  const auto ws = workspace(1);
  const std::vector<std::int64_t> none{-1};
  std::vector<QueryOutcome> out(1);
  outcomes_of(x, 0, 1, none, out, *ws);
  return out[0].energy;
}

void Retriever::run(Matrix& states, std::span<const std::int64_t> targets, std::span<QueryOutcome> outcomes) const {
  const std::int64_t n = states.rows;
  if (states.cols != dim() || static_cast<std::int64_t>(targets.size()) != n ||
      static_cast<std::int64_t>(outcomes.size()) != n) {
    throw KernelError("run: states, targets and outcomes disagree in size");
  }
  for (std::int64_t t : targets) {
    if (t < -1 || t >= memory_count()) throw KernelError("run: target index out of range");
  }
  if (n == 0) return;
  const std::int64_t block = std::min(block_rows(), n);
  const auto ws = workspace(block);
  reserve_general(*ws, block, true, Precision::float64);  // the final pass
  if (partition_.parts() > 1) reserve_general(*ws, block, false, settings_.precision);
  for (std::int64_t first = 0; first < n; first += block) {
    const std::int64_t rows = std::min(block, n - first);
    run_block(states, first, rows, targets, outcomes, *ws);
  }
}

void Retriever::run_block(Matrix& states, std::int64_t first, std::int64_t rows, std::span<const std::int64_t> targets,
                          std::span<QueryOutcome> outcomes, Workspace& ws) const {
  const std::int64_t d = dim();
  for (std::int64_t i = 0; i < rows; ++i) outcomes[sz(first + i)] = QueryOutcome{};
  // Queries still moving; converged ones are frozen so they cost nothing further.
  std::int64_t na = rows;
  for (std::int64_t i = 0; i < rows; ++i) ws.active[sz(i)] = first + i;
  for (int t = 0; t < settings_.max_iterations && na > 0; ++t) {
    for (std::int64_t a = 0; a < na; ++a) std::copy_n(states.row(ws.active[sz(a)]), d, ws.current.data() + a * d);
    update(ws.current.data(), na, ws.next.data(), ws);
    std::int64_t still = 0;
    for (std::int64_t a = 0; a < na; ++a) {
      const std::int64_t i = ws.active[sz(a)];
      const double* xn = ws.next.data() + a * d;
      const double* xc = ws.current.data() + a * d;
      double diff2 = 0.0;
      for (std::int64_t j = 0; j < d; ++j) diff2 += (xn[j] - xc[j]) * (xn[j] - xc[j]);
      if (!std::isfinite(diff2)) throw KernelError("retrieval produced a non-finite state");
      std::copy_n(xn, d, states.row(i));
      QueryOutcome& o = outcomes[sz(i)];
      o.iterations = t + 1;
      if (std::sqrt(diff2) <= tolerance_) {
        o.converged = true;
      } else {
        ws.active[sz(still++)] = i;
      }
    }
    na = still;
  }
  outcomes_of(states, first, rows, targets, outcomes, ws);
}

// Final weights p(x_T) of rows [first, first + rows): argmax, metastable size, distance and
// energy, each reduced exactly over the parts.
void Retriever::outcomes_of(const Matrix& states, std::int64_t first, std::int64_t rows,
                            std::span<const std::int64_t> targets, std::span<QueryOutcome> outcomes,
                            Workspace& ws) const {
  const std::int64_t d = dim();
  const std::int64_t local = local_count();
  const std::int64_t offset = partition_.first;
  reserve_general(ws, rows, true, Precision::float64);
  general_update<double>(states.row(first), rows, nullptr, ws, true);
  const double alpha = alpha_of(settings_.separation);
  const double am1 = alpha - 1.0;
  const double threshold = settings_.separation.metastable_threshold();
  const Scale sum_inverse = Scale(scale_sum_).inverse();
  const Scale entropy_scale(kernels::fixed::exponent_for(1.0, 2));
  // Per row: best weight, (−index of the best), dist², and exact integer / fixed-point sums.
  std::vector<double> best(sz(rows), kNegInf), best_index(sz(rows), kNegInf), dist2(sz(rows), 0.0);
  std::vector<Fixed> sums(sz(3 * rows), Fixed{0});  // metastable count, Σ p z, Σ (p − p^α)
  std::vector<std::int64_t> local_best(sz(rows), -1);
#pragma omp parallel for schedule(static) if (kernels::worth_a_team(update_work(rows, local, dim())))
  for (std::int64_t i = 0; i < rows; ++i) {
    const double total = kernels::fixed::to_double(ws.sums[sz(i)], sum_inverse);
    const double* zi = ws.f64.z.data() + i * local;
    const double* wi = ws.f64.w.data() + i * local;
    // |p z| ≤ p (|max| + 1/(α−1)) on the support of an entmax.
    const Scale inner_scale(kernels::fixed::exponent_for(std::abs(ws.row_max[sz(i)]) + (alpha == 1.0 ? 0.0 : 1.0 / am1), 2));
    std::int64_t above = 0;
    for (std::int64_t b0 = 0; b0 < local; b0 += block_) {
      const std::int64_t end = std::min(local, b0 + block_);
      double inner = 0.0, entropy = 0.0;
      for (std::int64_t j = b0; j < end; ++j) {
        const double p = wi[j] / total;
        if (p > best[sz(i)]) {
          best[sz(i)] = p;
          local_best[sz(i)] = j;
        }
        if (p > threshold) ++above;
        if (alpha != 1.0 && p > 0.0) {
          inner += p * zi[j];
          entropy += p - std::pow(p, alpha);
        }
      }
      if (alpha != 1.0) {
        sums[sz(3 * i + 1)] += kernels::fixed::to_fixed(inner, inner_scale);
        sums[sz(3 * i + 2)] += kernels::fixed::to_fixed(entropy, entropy_scale);
      }
    }
    sums[sz(3 * i)] = above;
  }
  partition_.max(best);
  for (std::int64_t i = 0; i < rows; ++i) {
    if (local_best[sz(i)] >= 0 && ws.f64.w[sz(i * local + local_best[sz(i)])] /
                                          kernels::fixed::to_double(ws.sums[sz(i)], sum_inverse) == best[sz(i)]) {
      best_index[sz(i)] = -static_cast<double>(offset + local_best[sz(i)]);
    }
  }
  partition_.max(best_index);  // the smallest index among equal weights
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::int64_t q = first + i;
    const std::int64_t target = targets[sz(q)];
    const std::int64_t reference = target >= 0 ? target : static_cast<std::int64_t>(-best_index[sz(i)]);
    if (reference >= offset && reference < offset + local) {
      const double* xi = memories_.row(reference - offset);
      const double* x = states.row(q);
      double s = 0.0;
      for (std::int64_t j = 0; j < d; ++j) s += (x[j] - xi[j]) * (x[j] - xi[j]);
      dist2[sz(i)] = s;
    }
  }
  partition_.max(dist2);  // only the owner of the reference memory contributes
  reduce_fixed(partition_, sums, ws.limbs);
  for (std::int64_t i = 0; i < rows; ++i) {
    const std::int64_t q = first + i;
    QueryOutcome& o = outcomes[sz(q)];
    o.argmax = static_cast<std::int64_t>(-best_index[sz(i)]);
    o.metastable_size = static_cast<std::int64_t>(sums[sz(3 * i)]);
    o.distance = std::sqrt(dist2[sz(i)]);
    const std::int64_t target = targets[sz(q)];
    o.retrieved = target >= 0 && o.argmax == target && o.distance <= settings_.epsilon;
    double self = 1.0;
    if (!feature_map_) {
      self = squared_norm(states.row(q), d);
    } else if (settings_.khm_scores == KhmScores::raw_features) {
      std::vector<double> f(sz(feature_map_->feature_dim()));
      map_rows(*feature_map_, false, states.row(q), 1, f.data());
      self = squared_norm(f.data(), feature_map_->feature_dim());
    }
    double psi = 0.0;
    if (alpha == 1.0) {
      psi = ws.row_max[sz(i)] + std::log(kernels::fixed::to_double(ws.sums[sz(i)], sum_inverse));
    } else {
      const Scale inner_inverse =
          Scale(kernels::fixed::exponent_for(std::abs(ws.row_max[sz(i)]) + 1.0 / am1, 2)).inverse();
      psi = kernels::fixed::to_double(sums[sz(3 * i + 1)], inner_inverse) +
            kernels::fixed::to_double(sums[sz(3 * i + 2)], entropy_scale.inverse()) / (alpha * am1);
    }
    o.energy = 0.5 * self - psi / settings_.beta;
  }
}

RetrievalSummary summarize(std::span<const QueryOutcome> outcomes, std::int64_t memory_count) {
  RetrievalSummary s;
  s.queries = static_cast<std::int64_t>(outcomes.size());
  s.metastable_histogram.assign(static_cast<std::size_t>(memory_count + 1), 0);
  if (outcomes.empty()) return s;
  s.iterations_min = std::numeric_limits<std::int32_t>::max();
  double iterations = 0.0, distance = 0.0, energy = 0.0, metastable = 0.0;
  for (const QueryOutcome& o : outcomes) {
    s.retrieved += o.retrieved ? 1 : 0;
    s.converged += o.converged ? 1 : 0;
    iterations += o.iterations;
    s.iterations_min = std::min(s.iterations_min, o.iterations);
    s.iterations_max = std::max(s.iterations_max, o.iterations);
    distance += o.distance;
    s.distance_max = std::max(s.distance_max, o.distance);
    energy += o.energy;
    metastable += static_cast<double>(o.metastable_size);
    const auto bin = std::clamp<std::int64_t>(o.metastable_size, 0, memory_count);
    ++s.metastable_histogram[static_cast<std::size_t>(bin)];
  }
  const auto n = static_cast<double>(s.queries);
  s.success_rate = static_cast<double>(s.retrieved) / n;
  s.converged_rate = static_cast<double>(s.converged) / n;
  s.iterations_mean = iterations / n;
  s.distance_mean = distance / n;
  s.energy_mean = energy / n;
  s.metastable_mean = metastable / n;
  return s;
}

}  // namespace hopcap
