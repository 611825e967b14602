#pragma once
// U-Hop+ Stage I (Algorithm 1): learn the feature map Φ(x) = W x (+ b) whose normalised
// features of the memories form a well-separated spherical code, by minimising a temperature-τ
// separation loss (hopcap/kernels/uhop_loss.hpp) with gradient descent, SGD or Adam.
//
// Every random choice (initial maps, mini-batches) is a pure function of (seed, restart,
// iteration), so a training run is reproducible on any number of threads.

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "hopcap/feature_map.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/matrix.hpp"

namespace hopcap {

enum class UhopOptimizer { gd, sgd, adam };
/// After each step: none; every row of W scaled to unit norm; or ‖W‖_F kept at its initial value.
enum class UhopProjection { none, unit_rows, frobenius };
/// Gaussian (Kaiming-normal, std √(2/d), as the official code); identity-like (W = [I 0],
/// needs D_Φ ≤ d); random orthogonal (orthonormal rows if D_Φ ≤ d, else orthonormal columns).
enum class UhopInit { gaussian, identity, orthogonal };
/// paper: Algorithm 1 as published (the loop below, nothing after it). refine: that loop, then
/// its code refined to the max–min code of its basin (τ → 10⁻⁶ by a quasi-Newton method in
/// whitened coordinates of the map). search (default): the loop, then seeded starts refined
/// alike and basin hopping from the best code; the better of the loop's and the search's map
/// is kept. docs/science.md, "Beyond Algorithm 1".
enum class UhopMethod { paper, refine, search };

UhopOptimizer parse_uhop_optimizer(std::string_view text);
UhopProjection parse_uhop_projection(std::string_view text);
UhopInit parse_uhop_init(std::string_view text);
UhopMethod parse_uhop_method(std::string_view text);
std::string to_string(UhopOptimizer v);
std::string to_string(UhopProjection v);
std::string to_string(UhopInit v);
std::string to_string(UhopMethod v);

/// Seeded starts of the search method (refined from τ = 0.1 and 0.01 in turn).
constexpr std::int64_t kUhopSearchStarts = 8;

/// Anneals the search method runs on M memories of dimension d: kUhopSearchStarts seeded
/// starts, the starts with the icosahedron's symmetry where they apply (D_Φ = 3, M ≤ d, or
/// d + 1 with a bias, and M a sum of icosahedral orbits: docs/science.md) and one per hop.
std::int64_t uhop_search_anneals(std::int64_t m, std::int64_t d, std::int64_t feature_dim, bool bias,
                                 std::int64_t hops);

struct UhopSettings {
  std::int64_t feature_dim = 0;  ///< D_Φ ≥ 1 (required)
  UhopMethod method = UhopMethod::search;
  std::int64_t hops = 60;  ///< basin-hopping perturbations of the search method
  bool bias = false;             ///< affine map W x + b (the official code's nn.Linear)
  UhopLossKind loss = UhopLossKind::pairwise;
  double tau = 0.1;       ///< initial temperature
  double tau_min = 0.0;   ///< annealing floor; 0 keeps τ constant
  double anneal = 1.0;    ///< τ ← max(τ_min, τ·anneal) after every step, 0 < anneal ≤ 1
  UhopOptimizer optimizer = UhopOptimizer::adam;
  double lr = 0.01;
  bool lr_follows_tau = false;  ///< scale the step by τ_t/τ_0 while annealing
  double momentum = 0.9;  ///< SGD momentum (PyTorch convention v ← μ v + g, W ← W − lr v)
  double adam_beta1 = 0.9, adam_beta2 = 0.999, adam_eps = 1e-8;
  UhopProjection projection = UhopProjection::none;
  UhopInit init = UhopInit::gaussian;
  std::int64_t iterations = 500;  ///< maximum optimiser steps per restart
  std::int64_t batch = 0;         ///< memories per step; 0 = all (full batch)
  /// Plateau stop: after `plateau_window` steps, stop when neither the loss nor Δ^Φ_min moved
  /// by more than `plateau_tol` over the last window. 0 = off.
  std::int64_t plateau_window = 0;
  double plateau_tol = 1e-9;
  std::int64_t restarts = 1;  ///< seeded initialisations; the best Δ^Φ_min is kept
  std::uint64_t seed = 0;
  std::int64_t panel_rows = 0;  ///< passed to the loss kernel (0 = automatic)
  /// Arithmetic of Algorithm 1's steps (the loss kernel's tiles and GEMMs; float32 needs every
  /// τ of the loop ≥ kUhopFloat32MinTau). The separations that choose the restart, the final
  /// loss and the refinement or search after the loop (τ down to 1e-6) are float64 always.
  Precision precision = Precision::float64;

  /// Throws ConfigError naming the first bad setting (d is the memory dimension).
  void validate(std::int64_t d) const;
};

/// U-Hop+ settings as the user writes them (names of losses, optimisers, ... as text): the
/// one set of fields behind the `hopcap train` options and the sweep config's [uhop] table.
struct UhopTextSettings {
  std::int64_t feature_dim = 0;
  std::string method = "search";
  std::int64_t hops = 60;
  bool bias = false;
  std::string loss = "pairwise";
  double tau = 0.1;
  double tau_min = 0.0;
  double anneal = 1.0;
  std::string optimizer = "adam";
  double lr = 0.01;
  bool lr_follows_tau = false;
  double momentum = 0.9;
  std::string projection = "none";
  std::string init = "gaussian";
  std::int64_t iterations = 500;
  std::int64_t batch = 0;
  std::int64_t plateau_window = 0;
  double plateau_tol = 1e-9;
  std::int64_t restarts = 1;
  std::string precision = "float64";

  /// The settings with the names parsed (ConfigError for an unknown name) and this seed.
  UhopSettings parse(std::uint64_t seed) const;
  bool operator==(const UhopTextSettings&) const = default;
};

/// One optimiser step. With mini-batches, loss and s_max are those of the batch.
struct UhopTracePoint {
  std::int64_t iteration = 0;
  double loss = 0.0;
  double s_max = 0.0;        ///< largest cosine between normalised features (before the step)
  double delta_min = 0.0;    ///< Δ^Φ_min = 1 − s_max
  double min_angle_deg = 0.0;
  double grad_norm = 0.0;    ///< ‖(∂L/∂W, ∂L/∂b)‖_F
  double tau = 0.0;
};

struct UhopResult {
  FeatureMap map;                     ///< the best restart's final map
  FeatureMap initial_map;             ///< that restart's initial map
  std::vector<UhopTracePoint> trace;  ///< that restart's steps
  std::int64_t best_restart = 0;
  std::int64_t iterations = 0;        ///< steps taken by the best restart
  std::string stop_reason;            ///< "max_iterations" | "plateau"
  double loss_final = 0.0;            ///< full-set loss at the final τ
  double tau_final = 0.0;
  double delta_min_before = 0.0, delta_min_after = 0.0;          ///< Δ^Φ_min on the sphere
  double min_angle_deg_before = 0.0, min_angle_deg_after = 0.0;  ///< θ^Φ_min
  std::vector<double> restart_delta_min;  ///< Δ^Φ_min reached by every restart (the loop's)
  UhopMethod method = UhopMethod::paper;
  double min_angle_deg_paper = 0.0;       ///< θ^Φ_min after Algorithm 1's loop alone
  std::int64_t search_evaluations = 0;    ///< loss evaluations after the loop (refine, search)
};

/// Initial map for one restart (a pure function of its arguments).
FeatureMap initial_uhop_map(UhopInit init, std::int64_t feature_dim, std::int64_t d, bool bias,
                            std::uint64_t seed, std::int64_t restart);

/// Called after every step with (restart, trace point); may be empty.
using UhopProgress = std::function<void(std::int64_t, const UhopTracePoint&)>;

/// Stage I on the rows of memories (M ≥ 2). Throws ConfigError for bad settings.
UhopResult train_uhop(const Matrix& memories, const UhopSettings& settings,
                      const UhopProgress& progress = {});

/// Stage I over a memory set partitioned by rows across processes: every process passes its
/// rows and the same settings and gets the same result, that of train_uhop on the whole set.
/// Mini-batches are the same draws as train_uhop's, assembled on every process. Separations
/// (Δ^Φ_min before and after, the restart choice) come from the loss kernel's s_max of the
/// whole set.
UhopResult train_uhop_partitioned(const Matrix& local_rows, const kernels::RowPartition& partition,
                                  const UhopSettings& settings, const UhopProgress& progress = {});

}  // namespace hopcap
