#include "hopcap/kernels/uhop_loss.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "hopcap/blas.hpp"
#include "hopcap/error.hpp"
#include "hopcap/kernels/exp.hpp"
#include "kernels/parallel_panels.hpp"

namespace hopcap {

UhopLossKind parse_uhop_loss(std::string_view text) {
  if (text == "pairwise") return UhopLossKind::pairwise;
  if (text == "per_memory") return UhopLossKind::per_memory;
  if (text == "as_coded") return UhopLossKind::as_coded;
  throw ConfigError("unknown U-Hop+ loss '" + std::string(text) +
                    "' (expected pairwise, per_memory or as_coded)");
}

std::string to_string(UhopLossKind kind) {
  switch (kind) {
    case UhopLossKind::pairwise: return "pairwise";
    case UhopLossKind::per_memory: return "per_memory";
    case UhopLossKind::as_coded: return "as_coded";
  }
  return "unknown";
}

namespace kernels {
namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();
// Automatic panels hold about 2^20 Gram entries (8 MiB) per thread.
constexpr std::int64_t kPanelEntries = std::int64_t{1} << 20;

// What one panel of rows contributes; exponentials are relative to the panel's own maximum.
struct PanelSums {
  double max_z = kNegInf;  ///< largest s/τ over the panel's entries
  double sum = 0.0;        ///< Σ exp(s/τ − max_z) over the panel's entries
  double best_s = kNegInf;  ///< largest s over off-diagonal entries (for s_max)
  std::int64_t best_i = -1, best_j = -1;
};

// Entries ν of row μ that the loss sums over: every ν ≠ μ, or only ν > μ (as coded).
bool upper_only(UhopLossKind kind) { return kind == UhopLossKind::as_coded; }

}  // namespace

UhopLossValue uhop_loss(const Matrix& x, const FeatureMap& map, const UhopLossOptions& options,
                        Matrix* grad_weight, std::vector<double>* grad_bias) {
  return uhop_loss_partitioned(x, RowPartition::whole(x.rows), map, options, grad_weight, grad_bias);
}

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
  const std::int64_t local = x.rows;      // the rows of this process: first .. first + local − 1
  const std::int64_t first_row = partition.first;
  const std::int64_t dphi = map.feature_dim();
  const double tau = options.tau;
  const UhopLossKind kind = options.kind;
  const bool want_grad = grad_weight != nullptr || grad_bias != nullptr;

  // Normalised features φ̂ of the local rows and their norms (for the chain rule); a zero
  // feature anywhere stops every process alike.
  Matrix fl = apply_feature_map(map, x);
  std::vector<double> norms(static_cast<std::size_t>(local));
  double bad_row = -1.0, bad_norm = 0.0;
  for (std::int64_t i = 0; i < local; ++i) {
    double* f = fl.row(i);
    double s = 0.0;
    for (std::int64_t k = 0; k < dphi; ++k) s += f[k] * f[k];
    const double n = std::sqrt(s);
    if (!(n > 0.0) || !std::isfinite(n)) {
      if (bad_row < 0.0) {
        bad_row = static_cast<double>(first_row + i);
        bad_norm = n;
      }
      continue;
    }
    norms[static_cast<std::size_t>(i)] = n;
    for (std::int64_t k = 0; k < dphi; ++k) f[k] /= n;
  }
  {
    std::vector<double> flag{bad_row};
    partition.max(flag);
    if (flag[0] >= 0.0) {
      throw KernelError("U-Hop+ loss: memory " + std::to_string(static_cast<std::int64_t>(flag[0])) +
                        " has feature norm " + (flag[0] == bad_row ? std::to_string(bad_norm) : "0 or non-finite") +
                        " and cannot be normalised");
    }
  }
  // Every process needs the normalised features of all memories (M×D_Φ).
  Matrix fh(m, dphi);
  partition.gather_rows(fl.data, fh.data, dphi);

  const std::int64_t panel =
      options.panel_rows > 0 ? std::min(options.panel_rows, std::max<std::int64_t>(local, 1))
                             : std::clamp<std::int64_t>(kPanelEntries / m, 16, std::max<std::int64_t>(local, 16));
  const std::int64_t panels = (local + panel - 1) / panel;
  std::vector<PanelSums> sums(static_cast<std::size_t>(panels));
  // per_memory: lse[μ] = log Σ_{ν≠μ} exp(s_{μν}/τ), for every μ once gathered.
  std::vector<double> lse(kind == UhopLossKind::per_memory ? static_cast<std::size_t>(m) : 0);
  // Gradient rows (local) with respect to φ̂, before the panel's final scale factor.
  Matrix ghat = want_grad ? Matrix(local, dphi) : Matrix();
  const bool grad_in_first_pass = want_grad && kind != UhopLossKind::per_memory;

  // ---- pass 1: Gram panels, maxima, sums (and the gradient rows where one pass suffices)
  const auto panel_buffer = [panel, m] { return std::vector<double>(static_cast<std::size_t>(panel * m)); };
  parallel_panels(panels, panel_buffer, [&](std::int64_t c, std::vector<double>& z) {
    const std::int64_t first = c * panel;  // local row
    const std::int64_t rows = std::min(panel, local - first);
    blas::gemm_nt(rows, m, dphi, 1.0 / tau, fh.row(first_row + first), dphi, fh.data.data(), dphi, 0.0,
                  z.data(), m);
    PanelSums& ps = sums[static_cast<std::size_t>(c)];
    for (std::int64_t r = 0; r < rows; ++r) {
      const std::int64_t mu = first_row + first + r;  // global memory index
      double* zr = z.data() + r * m;
      // s_max over every other memory, with the first pair among exact ties.
      for (std::int64_t nu = 0; nu < m; ++nu) {
        if (nu == mu) continue;
        const double s = zr[nu] * tau;
        const std::int64_t i = std::min(mu, nu), j = std::max(mu, nu);
        if (s > ps.best_s || (s == ps.best_s && (i < ps.best_i || (i == ps.best_i && j < ps.best_j)))) {
          ps.best_s = s;
          ps.best_i = i;
          ps.best_j = j;
        }
      }
      // Entries outside the loss's sum become −∞ and so weigh exactly 0.
      if (upper_only(kind)) {
        std::fill(zr, zr + mu + 1, -std::numeric_limits<double>::infinity());
      } else {
        zr[mu] = kNegInf;
      }
      if (kind == UhopLossKind::per_memory) {
        const double row_max = *std::max_element(zr, zr + m);
        const double row_sum = exp_shifted_sum(zr, row_max, m, zr);
        lse[static_cast<std::size_t>(mu)] = row_max + std::log(row_sum);
      } else {
        for (std::int64_t nu = 0; nu < m; ++nu) ps.max_z = std::max(ps.max_z, zr[nu]);
      }
    }
    if (kind != UhopLossKind::per_memory && ps.max_z > kNegInf) {
      // One shift for the whole panel, so its gradient rows share one scale factor.
      ps.sum = exp_shifted_sum(z.data(), ps.max_z, rows * m, z.data());
      if (grad_in_first_pass) {
        blas::gemm_nn(rows, dphi, m, 1.0, z.data(), m, fh.data.data(), dphi, 0.0,
                      ghat.row(first), dphi);
      }
    }
  });

  // ---- combine the panels in a fixed order, then over the processes
  UhopLossValue value;
  for (const PanelSums& ps : sums) {
    if (ps.best_i >= 0 && (value.closest[0] < 0 || ps.best_s > value.s_max)) {
      value.s_max = ps.best_s;
      value.closest[0] = ps.best_i;
      value.closest[1] = ps.best_j;
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
  std::vector<double> panel_scale(static_cast<std::size_t>(panels), 0.0);
  double row_factor = 0.0;  // per_memory: the 1/M of its gradient
  if (kind == UhopLossKind::per_memory) {
    // Every process needs every row's log-sum-exp for the gradient; the loss sums them in
    // global row order.
    std::vector<double> mine(lse.begin() + first_row, lse.begin() + first_row + local);
    partition.gather_rows(mine, lse, 1);
    double total = 0.0;
    for (double v : lse) total += v;
    value.loss = tau * total / md;
    row_factor = 1.0 / md;
  } else {
    std::vector<double> global_max{kNegInf};
    for (const PanelSums& ps : sums) global_max[0] = std::max(global_max[0], ps.max_z);
    partition.max(global_max);
    const double max_z = global_max[0];
    std::vector<double> total{0.0};
    for (const PanelSums& ps : sums) {
      if (ps.max_z > kNegInf) total[0] += ps.sum * std::exp(ps.max_z - max_z);
    }
    partition.sum(total);
    const double t = total[0];
    if (kind == UhopLossKind::pairwise) {
      // Every unordered pair was summed twice (rows μ and ν): Z e^{−max} = t/2.
      const double log_z = max_z + std::log(0.5 * t);
      value.loss = tau * (log_z - log_pairs);
      for (std::size_t c = 0; c < sums.size(); ++c) {
        // w_{μν} = e^{s/τ}/Z = e^{s/τ − max_I} · e^{max_I − log Z}
        if (sums[c].max_z > kNegInf) panel_scale[c] = std::exp(sums[c].max_z - log_z);
      }
    } else {  // as_coded: Z = Σ_{μ<ν} e^{s/τ} + M(M+1)/2, summed in log space
      const double log_sum = max_z + std::log(t);
      const double log_c = std::log(md * (md + 1.0) / 2.0);
      const double hi = std::max(log_sum, log_c);
      const double log_z = hi + std::log1p(std::exp(-std::abs(log_sum - log_c)));
      value.loss = (log_z - log_pairs) / md;
      for (std::size_t c = 0; c < sums.size(); ++c) {
        if (sums[c].max_z > kNegInf) panel_scale[c] = std::exp(sums[c].max_z - log_z) / (md * tau);
      }
    }
  }
  if (!std::isfinite(value.loss)) throw KernelError("U-Hop+ loss is not finite");
  if (!want_grad) return value;

  // ---- per_memory: a second pass, now that every row's log-sum-exp is known
  if (kind == UhopLossKind::per_memory) {
    const auto two_buffers = [panel, m] {
      return std::pair(std::vector<double>(static_cast<std::size_t>(panel * m)),
                       std::vector<double>(static_cast<std::size_t>(panel * m)));
    };
    parallel_panels(panels, two_buffers, [&](std::int64_t c, auto& buffers) {
      std::vector<double>& z = buffers.first;
      std::vector<double>& scratch = buffers.second;
      const std::int64_t first = c * panel;
      const std::int64_t rows = std::min(panel, local - first);
      blas::gemm_nt(rows, m, dphi, 1.0 / tau, fh.row(first_row + first), dphi, fh.data.data(), dphi, 0.0,
                    z.data(), m);
      for (std::int64_t r = 0; r < rows; ++r) {
        const std::int64_t mu = first_row + first + r;
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
      blas::gemm_nn(rows, dphi, m, 1.0, z.data(), m, fh.data.data(), dphi, 0.0, ghat.row(first),
                    dphi);
    });
  }

  // ---- chain rule through φ̂ = φ/‖φ‖, then ∂L/∂W = Gᵀ X and ∂L/∂b = Σ rows of G
  for (std::int64_t mu = 0; mu < local; ++mu) {
    const double scale = kind == UhopLossKind::per_memory
                             ? row_factor
                             : panel_scale[static_cast<std::size_t>(mu / panel)];
    double* g = ghat.row(mu);
    const double* f = fh.row(first_row + mu);
    double radial = 0.0;
    for (std::int64_t k = 0; k < dphi; ++k) radial += f[k] * g[k];
    const double inv_norm = scale / norms[static_cast<std::size_t>(mu)];
    for (std::int64_t k = 0; k < dphi; ++k) g[k] = (g[k] - radial * f[k]) * inv_norm;
  }
  if (grad_weight != nullptr) {
    *grad_weight = Matrix(dphi, x.cols);
    if (local > 0) {
      blas::gemm_tn(dphi, x.cols, local, 1.0, ghat.data.data(), dphi, x.data.data(), x.cols, 0.0,
                    grad_weight->data.data(), x.cols);
    }
    partition.sum(grad_weight->data);
  }
  if (grad_bias != nullptr) {
    grad_bias->assign(map.has_bias() ? static_cast<std::size_t>(dphi) : 0, 0.0);
    if (map.has_bias()) {
      for (std::int64_t mu = 0; mu < local; ++mu) {
        for (std::int64_t k = 0; k < dphi; ++k) (*grad_bias)[static_cast<std::size_t>(k)] += ghat(mu, k);
      }
      partition.sum(*grad_bias);
    }
  }
  return value;
}

}  // namespace kernels
}  // namespace hopcap
