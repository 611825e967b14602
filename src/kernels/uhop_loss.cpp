#include "hopcap/kernels/uhop_loss.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <exception>
#include <functional>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"
#include "hopcap/kernels/exp.hpp"
#include "hopcap/name_table.hpp"
#include "hopcap/sizes.hpp"
#include "kernels/fixed_point.hpp"
#include "kernels/parallel_panels.hpp"

namespace hopcap {

namespace {

constexpr NameTable kLossNames{"U-Hop+ loss", std::array<Named<UhopLossKind>, 3>{{{UhopLossKind::pairwise, "pairwise"},
                                                                                  {UhopLossKind::per_memory, "per_memory"},
                                                                                  {UhopLossKind::as_coded, "as_coded"}}}};

}  // namespace

UhopLossKind parse_uhop_loss(std::string_view text) { return kLossNames.parse(text); }

std::string to_string(UhopLossKind kind) { return std::string(kLossNames.name(kind)); }

namespace kernels {
namespace {

using fixed::Fixed;
using fixed::Scale;

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
// Automatic blocks hold about 2^20 Gram entries (8 MiB) per thread, and at least 16 blocks
// when M allows, so that small sets still spread over threads and processes.
constexpr std::int64_t kPanelEntries = std::int64_t{1} << 20;

// What one block of memory rows contributes; exponentials are relative to the block's maximum.
struct BlockSums {
  double max_z = kNegInf;  ///< largest s/τ over the block's entries
  double sum = 0.0;        ///< Σ exp(s/τ − max_z) over the block's entries, summed in row order
  double best_s = kNegInf;  ///< largest s over off-diagonal entries (for s_max)
  std::int64_t best_i = -1, best_j = -1;
};

// Entries ν of row μ that the loss sums over: every ν ≠ μ, or only ν > μ (as coded).
bool upper_only(UhopLossKind kind) { return kind == UhopLossKind::as_coded; }

// Rows per block: a function of M and the options only, never of the partition or threads.
std::int64_t block_rows_for(std::int64_t m, std::int64_t panel_rows) {
  if (panel_rows > 0) return std::min(panel_rows, m);
  const std::int64_t rows = std::max<std::int64_t>(16, std::min(kPanelEntries / m, (m + 15) / 16));
  return std::min(rows, m);
}

// Exact sum of fixed-point values over the processes.
void reduce_fixed(const RowPartition& partition, std::vector<Fixed>& values) {
  std::vector<std::int64_t> limbs(values.size() * fixed::kLimbs);
  fixed::to_limbs(values, limbs);
  partition.sum_integers(limbs);
  fixed::from_limbs(limbs, values);
}

}  // namespace

UhopLossValue uhop_loss(const Matrix& x, const FeatureMap& map, const UhopLossOptions& options,
                        Matrix* grad_weight, std::vector<double>* grad_bias) {
  return uhop_loss_partitioned(x, RowPartition::whole(x.rows), map, options, grad_weight, grad_bias);
}

// Determinism: the memories are cut into fixed global blocks of rows (block_rows_for), and
// block b is computed by the part that holds its first row, from the gathered memories and
// features, with the same GEMM shapes whoever computes it. Sums over blocks (the loss's sum of
// exponentials, ∂L/∂W, ∂L/∂b) are exact in 128-bit fixed point within and across processes;
// maxima and per-row values travel by exact maxima. So the result is bitwise the same for
// any partition (empty parts included) and any thread count.
UhopLossValue uhop_loss_partitioned(const Matrix& x, const RowPartition& partition, const FeatureMap& map,
                                    const UhopLossOptions& options, Matrix* grad_weight,
                                    std::vector<double>* grad_bias) {
  require(std::isfinite(options.tau) && options.tau > 0.0, "tau must be a finite number > 0");
  require(options.panel_rows >= 0, "panel_rows must be >= 0 (0 = automatic)");
  map.validate();
  require(partition.total >= 2, "the U-Hop+ loss needs at least 2 memories");
  require(partition.first >= 0 && partition.first + x.rows <= partition.total, "row partition out of range");
  require(map.input_dim() == x.cols, "feature map input dimension " +
                                         std::to_string(map.input_dim()) +
                                         " does not match the memory dimension " +
                                         std::to_string(x.cols));
  const std::int64_t m = partition.total;  // every memory, over all processes
  const std::int64_t d = x.cols;
  const std::int64_t dphi = map.feature_dim();
  const double tau = options.tau;
  const UhopLossKind kind = options.kind;
  const bool want_grad = grad_weight != nullptr || grad_bias != nullptr;
  const std::int64_t block = block_rows_for(m, options.panel_rows);
  const std::int64_t blocks = (m + block - 1) / block;
  // The blocks of this process: those whose first row it holds (none for an empty part).
  const bool one_part = partition.parts() <= 1;
  require(!one_part || x.rows == m, "row partition out of range");
  const std::int64_t part_begin = one_part ? 0 : partition.part_first[static_cast<std::size_t>(partition.part)];
  const std::int64_t part_end = one_part ? m : partition.part_first[static_cast<std::size_t>(partition.part) + 1];
  const std::int64_t first_block = (part_begin + block - 1) / block;
  const std::int64_t end_block = std::max(first_block, (part_end + block - 1) / block);
  const auto block_size = [&](std::int64_t b) { return std::min(block, m - b * block); };

  // Every memory on every process (M×d), and its normalised feature φ̂ and feature norm,
  // computed block by block alike everywhere.
  Matrix gathered;
  if (!one_part) {
    gathered = Matrix(m, d);
    partition.gather_rows(x.data, gathered.data, d);
  }
  const Matrix& xa = one_part ? x : gathered;
  Matrix fh(m, dphi);
  std::vector<double> norms(static_cast<std::size_t>(m));
  parallel_panels(0, blocks, 2.0 * static_cast<double>(m) * static_cast<double>(dphi) * static_cast<double>(d), [] { return 0; }, [&](std::int64_t b, int&) {
    const std::int64_t b0 = b * block, rows = block_size(b);
    Matrix xb(rows, d);
    std::copy_n(xa.row(b0), rows * d, xb.data.begin());
    const Matrix fb = apply_feature_map(map, xb);
    for (std::int64_t r = 0; r < rows; ++r) {
      const double* f = fb.row(r);
      double s = 0.0;
      for (std::int64_t k = 0; k < dphi; ++k) s += f[k] * f[k];
      const double n = std::sqrt(s);
      norms[static_cast<std::size_t>(b0 + r)] = n;
      double* out = fh.row(b0 + r);
      for (std::int64_t k = 0; k < dphi; ++k) out[k] = f[k] / n;
    }
  });
  // A zero feature stops every process alike (each sees every norm).
  for (std::int64_t i = 0; i < m; ++i) {
    const double n = norms[static_cast<std::size_t>(i)];
    if (!(n > 0.0) || !std::isfinite(n)) {
      throw KernelError("U-Hop+ loss: memory " + std::to_string(i) + " has feature norm " + std::to_string(n) +
                        " and cannot be normalised");
    }
  }

  std::vector<BlockSums> sums(static_cast<std::size_t>(blocks));
  // per_memory: lse[μ] = log Σ_{ν≠μ} exp(s_{μν}/τ), −∞ until known.
  std::vector<double> lse(kind == UhopLossKind::per_memory ? static_cast<std::size_t>(m) : 0, kNegInf);
  // Gradient rows with respect to φ̂ (this process's blocks), before the block's scale factor.
  Matrix ghat = want_grad ? Matrix(m, dphi) : Matrix();
  const bool grad_in_first_pass = want_grad && kind != UhopLossKind::per_memory;
  // Flops of one pass over this process's Gram blocks.
  const double gram_work = 2.0 * static_cast<double>((end_block - first_block) * block) * static_cast<double>(m) *
                           static_cast<double>(dphi);
  const auto gram_buffer = [block, m] {
    return std::vector<double>(checked_size(block, m, "U-Hop+ loss: Gram block rows x M"));
  };

  // ---- pass 1: Gram blocks, maxima, sums (and the gradient rows where one pass suffices)
  parallel_panels(first_block, end_block, gram_work, gram_buffer, [&](std::int64_t b, std::vector<double>& z) {
    const std::int64_t b0 = b * block, rows = block_size(b);
    blas::gemm_nt(rows, m, dphi, 1.0 / tau, fh.row(b0), dphi, fh.data.data(), dphi, 0.0, z.data(), m);
    BlockSums& bs = sums[static_cast<std::size_t>(b)];
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t mu = b0 + r;
      double* zr = z.data() + r * m;
      // s_max over every other memory, with the first pair among exact ties.
      for (std::int64_t nu = 0; nu < m; ++nu) {
        if (nu == mu) continue;
        const double s = zr[nu] * tau;
        const std::int64_t i = std::min(mu, nu), j = std::max(mu, nu);
        if (s > bs.best_s || (s == bs.best_s && (i < bs.best_i || (i == bs.best_i && j < bs.best_j)))) {
          bs.best_s = s;
          bs.best_i = i;
          bs.best_j = j;
        }
      }
      // Entries outside the loss's sum become −∞ and so weigh exactly 0.
      if (upper_only(kind)) {
        std::fill(zr, zr + mu + 1, kNegInf);
      } else {
        zr[mu] = kNegInf;
      }
      if (kind == UhopLossKind::per_memory) {
        const double row_max = *std::max_element(zr, zr + m);
        exp_shifted_sum(zr, row_max, m, zr);
        double row_sum = 0.0;
        for (std::int64_t nu = 0; nu < m; ++nu) row_sum += zr[nu];
        lse[static_cast<std::size_t>(mu)] = row_max + std::log(row_sum);
      } else {
        for (std::int64_t nu = 0; nu < m; ++nu) bs.max_z = std::max(bs.max_z, zr[nu]);
      }
    }
    if (kind != UhopLossKind::per_memory && bs.max_z > kNegInf) {
      // One shift for the whole block, so its gradient rows share one scale factor; the sum
      // in plain index order (the vector exponential's own sum may depend on alignment).
      const std::int64_t n = checked_product(rows, m, "U-Hop+ loss: block rows x M");
      exp_shifted_sum(z.data(), bs.max_z, n, z.data());
      double sum = 0.0;
      for (std::int64_t i = 0; i < n; ++i) sum += z[static_cast<std::size_t>(i)];
      bs.sum = sum;
      if (grad_in_first_pass) {
        blas::gemm_nn(rows, dphi, m, 1.0, z.data(), m, fh.data.data(), dphi, 0.0, ghat.row(b0), dphi);
      }
    }
  });

  // ---- combine: maxima exactly over blocks and processes
  UhopLossValue value;
  for (std::int64_t b = first_block; b < end_block; ++b) {
    const BlockSums& bs = sums[static_cast<std::size_t>(b)];
    if (bs.best_i >= 0 && (value.closest[0] < 0 || bs.best_s > value.s_max)) {
      value.s_max = bs.best_s;
      value.closest[0] = bs.best_i;
      value.closest[1] = bs.best_j;
    }
  }
  {
    // The closest pair over all processes: the largest s, then the first pair among ties.
    std::vector<double> best{value.closest[0] >= 0 ? value.s_max : kNegInf};
    partition.max(best);
    const bool mine = value.closest[0] >= 0 && value.s_max == best[0];
    const double md_pairs = static_cast<double>(m);
    std::vector<double> pair{mine ? -(static_cast<double>(value.closest[0]) * md_pairs +
                                      static_cast<double>(value.closest[1]))
                                  : kNegInf};
    partition.max(pair);  // max of −(i·M + j) = the smallest (i, j)
    const auto code = static_cast<std::int64_t>(-pair[0]);
    value.closest[0] = code / m;
    value.closest[1] = code % m;
  }
  {  // s_max from the pair itself, not through the 1/τ scaling
    double s = 0.0;
    for (std::int64_t k = 0; k < dphi; ++k) s += fh(value.closest[0], k) * fh(value.closest[1], k);
    value.s_max = std::clamp(s, -1.0, 1.0);
  }
  const double md = static_cast<double>(m);
  const double log_pairs = std::log(md * (md - 1.0) / 2.0);
  std::vector<double> block_scale(static_cast<std::size_t>(blocks), 0.0);
  if (kind == UhopLossKind::per_memory) {
    // Every process needs every row's log-sum-exp for the gradient (each row is known on one
    // process, −∞ elsewhere); the loss sums them in global row order.
    partition.max(lse);
    double total = 0.0;
    for (double v : lse) total += v;
    value.loss = tau * total / md;
  } else {
    std::vector<double> global_max{kNegInf};
    for (std::int64_t b = first_block; b < end_block; ++b) {
      global_max[0] = std::max(global_max[0], sums[static_cast<std::size_t>(b)].max_z);
    }
    partition.max(global_max);
    const double max_z = global_max[0];
    // t = Σ_blocks sum_b e^{max_b − max}: each term ≤ block·M (entries ≤ 1 after the shift),
    // summed exactly.
    const Scale scale(fixed::exponent_for(static_cast<double>(block) * md, blocks));
    std::vector<Fixed> total{0};
    for (std::int64_t b = first_block; b < end_block; ++b) {
      const BlockSums& bs = sums[static_cast<std::size_t>(b)];
      if (bs.max_z > kNegInf) total[0] += fixed::to_fixed(bs.sum * std::exp(bs.max_z - max_z), scale);
    }
    reduce_fixed(partition, total);
    const double t = fixed::to_double(total[0], scale.inverse());
    if (kind == UhopLossKind::pairwise) {
      // Every unordered pair was summed twice (rows μ and ν): Z e^{−max} = t/2.
      const double log_z = max_z + std::log(0.5 * t);
      value.loss = tau * (log_z - log_pairs);
      for (std::int64_t b = first_block; b < end_block; ++b) {
        // w_{μν} = e^{s/τ}/Z = e^{s/τ − max_b} · e^{max_b − log Z}
        const BlockSums& bs = sums[static_cast<std::size_t>(b)];
        if (bs.max_z > kNegInf) block_scale[static_cast<std::size_t>(b)] = std::exp(bs.max_z - log_z);
      }
    } else {  // as_coded: Z = Σ_{μ<ν} e^{s/τ} + M(M+1)/2, summed in log space
      const double log_sum = max_z + std::log(t);
      const double log_c = std::log(md * (md + 1.0) / 2.0);
      const double hi = std::max(log_sum, log_c);
      const double log_z = hi + std::log1p(std::exp(-std::abs(log_sum - log_c)));
      value.loss = (log_z - log_pairs) / md;
      for (std::int64_t b = first_block; b < end_block; ++b) {
        const BlockSums& bs = sums[static_cast<std::size_t>(b)];
        if (bs.max_z > kNegInf) block_scale[static_cast<std::size_t>(b)] = std::exp(bs.max_z - log_z) / (md * tau);
      }
    }
  }
  if (!std::isfinite(value.loss)) throw KernelError("U-Hop+ loss is not finite");
  if (!want_grad) return value;

  // ---- per_memory: a second pass, now that every row's log-sum-exp is known
  if (kind == UhopLossKind::per_memory) {
    const auto two_buffers = [&gram_buffer] { return std::pair(gram_buffer(), gram_buffer()); };
    parallel_panels(first_block, end_block, 2.0 * gram_work, two_buffers, [&](std::int64_t b, auto& buffers) {
      std::vector<double>& z = buffers.first;
      std::vector<double>& scratch = buffers.second;
      const std::int64_t b0 = b * block, rows = block_size(b);
      blas::gemm_nt(rows, m, dphi, 1.0 / tau, fh.row(b0), dphi, fh.data.data(), dphi, 0.0, z.data(), m);
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t mu = b0 + r;
        double* zr = z.data() + r * m;
        const double own = lse[static_cast<std::size_t>(mu)];
        // p_μ(ν) + p_ν(μ) = e^{s/τ − lse_μ} + e^{s/τ − lse_ν}, both exponents ≤ 0 up to rounding
        // (lse_ν ≥ s_νμ/τ), by the vector exponential; the diagonal weighs nothing.
        double* other = scratch.data() + r * m;
        for (std::int64_t nu = 0; nu < m; ++nu) other[nu] = zr[nu] - lse[static_cast<std::size_t>(nu)];
        exp_shifted_sum(other, 0.0, m, other);
        exp_shifted_sum(zr, own, m, zr);
        for (std::int64_t nu = 0; nu < m; ++nu) zr[nu] += other[nu];
        zr[mu] = 0.0;
      }
      blas::gemm_nn(rows, dphi, m, 1.0, z.data(), m, fh.data.data(), dphi, 0.0, ghat.row(b0), dphi);
    });
  }

  // ---- chain rule through φ̂ = φ/‖φ‖, then per block ∂L/∂W_b = G_bᵀ X_b and ∂L/∂b_b = Σ rows
  // of G_b, summed exactly. Bound on every partial sum: with c_μ = ‖∂L/∂φ̂_μ‖₂,
  // |∂L/∂W_kj| ≤ Σ_μ c_μ |x_μj| / ‖φ_μ‖ (the projection I − φ̂φ̂ᵀ does not lengthen) and
  // ∂L/∂φ̂_μ = Σ_ν a_μν φ̂_ν with a ≥ 0, so c_μ ≤ Σ_ν a_μν. The weights a sum to Σ_μν a = 2 for
  // pairwise (the pair weights e^{s/τ}/Z sum to 1 and reach both ends) and per_memory
  // ((1/M) Σ_μ [Σ_ν p_μ(ν) + Σ_ν p_ν(μ)] = 2), and to at most 1/(Mτ) as coded (the pair
  // weights sum to less than 1, scaled by 1/(Mτ), reaching one end). Hence every partial is
  // at most a · max_μ ‖x_μ‖_∞/‖φ_μ‖ (W) or a · max_μ 1/‖φ_μ‖ (b); the fixed-point exponent
  // keeps a factor 8 of headroom for rounding.
  const double weight_total = kind == UhopLossKind::as_coded ? 1.0 / (md * tau) : 2.0;
  double x_over_norm = 0.0, one_over_norm = 0.0;
  for (std::int64_t i = 0; i < m; ++i) {
    double x_max = 0.0;
    for (std::int64_t j = 0; j < d; ++j) x_max = std::max(x_max, std::abs(xa(i, j)));
    const double inv = 1.0 / norms[static_cast<std::size_t>(i)];
    x_over_norm = std::max(x_over_norm, x_max * inv);
    one_over_norm = std::max(one_over_norm, inv);
  }
  const double bound_w = weight_total * x_over_norm, bound_b = weight_total * one_over_norm;
  if (!std::isfinite(bound_w) || !std::isfinite(bound_b)) throw KernelError("U-Hop+ loss: gradient is not finite");
  const Scale scale_w(fixed::exponent_for(bound_w, blocks)), scale_b(fixed::exponent_for(bound_b, blocks));
  const bool bias = grad_bias != nullptr && map.has_bias();
  const std::size_t w_entries = static_cast<std::size_t>(dphi * d);
  std::vector<Fixed> grad_w(grad_weight != nullptr ? w_entries : 0, Fixed{0});
  std::vector<Fixed> grad_b(bias ? static_cast<std::size_t>(dphi) : 0, Fixed{0});
  struct GradientScratch {
    std::vector<double> block_w;
    std::vector<Fixed> w, b;
  };
  // One per thread, summed after the panels: integer sums, the same in any order.
  std::vector<GradientScratch> per_thread(
      static_cast<std::size_t>(std::max(1, omp_get_max_threads())),
      GradientScratch{std::vector<double>(grad_w.size()), std::vector<Fixed>(grad_w.size(), Fixed{0}),
                      std::vector<Fixed>(grad_b.size(), Fixed{0})});
  const auto gradient_scratch = [&per_thread] {
    return std::ref(per_thread[static_cast<std::size_t>(omp_get_thread_num())]);
  };
  const double gradient_work =
      2.0 * static_cast<double>((end_block - first_block) * block) * static_cast<double>(dphi) * static_cast<double>(d);
  parallel_panels(first_block, end_block, gradient_work, gradient_scratch, [&](std::int64_t b, GradientScratch& t) {
    const std::int64_t b0 = b * block, rows = block_size(b);
    for (std::int64_t mu = b0; mu < b0 + rows; ++mu) {
      const double scale = kind == UhopLossKind::per_memory ? 1.0 / md : block_scale[static_cast<std::size_t>(b)];
      double* g = ghat.row(mu);
      const double* f = fh.row(mu);
      double radial = 0.0;
      for (std::int64_t k = 0; k < dphi; ++k) radial += f[k] * g[k];
      const double inv_norm = scale / norms[static_cast<std::size_t>(mu)];
      for (std::int64_t k = 0; k < dphi; ++k) g[k] = (g[k] - radial * f[k]) * inv_norm;
    }
    if (!grad_w.empty()) {
      blas::gemm_tn(dphi, d, rows, 1.0, ghat.row(b0), dphi, xa.row(b0), d, 0.0, t.block_w.data(), d);
      for (std::size_t e = 0; e < w_entries; ++e) t.w[e] += fixed::to_fixed(t.block_w[e], scale_w);
    }
    for (std::int64_t k = 0; k < static_cast<std::int64_t>(grad_b.size()); ++k) {
      double s = 0.0;
      for (std::int64_t mu = b0; mu < b0 + rows; ++mu) s += ghat(mu, k);
      t.b[static_cast<std::size_t>(k)] += fixed::to_fixed(s, scale_b);
    }
  });
  for (const GradientScratch& t : per_thread) {
    for (std::size_t e = 0; e < t.w.size(); ++e) grad_w[e] += t.w[e];
    for (std::size_t e = 0; e < t.b.size(); ++e) grad_b[e] += t.b[e];
  }
  if (grad_weight != nullptr) {
    reduce_fixed(partition, grad_w);
    *grad_weight = Matrix(dphi, d);
    const Scale inverse = scale_w.inverse();
    for (std::size_t e = 0; e < w_entries; ++e) grad_weight->data[e] = fixed::to_double(grad_w[e], inverse);
  }
  if (grad_bias != nullptr) {
    grad_bias->assign(map.has_bias() ? static_cast<std::size_t>(dphi) : 0, 0.0);
    if (bias) {
      reduce_fixed(partition, grad_b);
      const Scale inverse = scale_b.inverse();
      for (std::int64_t k = 0; k < dphi; ++k) {
        (*grad_bias)[static_cast<std::size_t>(k)] = fixed::to_double(grad_b[static_cast<std::size_t>(k)], inverse);
      }
    }
  }
  return value;
}

}  // namespace kernels
}  // namespace hopcap
