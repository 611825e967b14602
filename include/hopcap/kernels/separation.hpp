#pragma once
// Separation functions Sep: R^M → Δ^M (the probability simplex) used by the retrieval update
// T(x) = Ξ Sep(β Ξᵀx): softmax (α = 1), 1.5-entmax, sparsemax (α = 2) and general α-entmax
// (α > 1), all the gradient of the convex conjugate Ψ*_α of the Tsallis α-entropy.
// Pure functions over spans: no I/O, no MPI, no global state.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hopcap/name_table.hpp"

namespace hopcap {

enum class SeparationKind { softmax, sparsemax, entmax15, entmax };

/// The separation maps by name; entmax takes its alpha as a parameter.
inline constexpr NameTable kSeparationNames{
    "separation function", std::array<Named<SeparationKind>, 4>{{{SeparationKind::softmax, "softmax"},
                                                                 {SeparationKind::sparsemax, "sparsemax"},
                                                                 {SeparationKind::entmax15, "entmax15"},
                                                                 {SeparationKind::entmax, "entmax", "entmax:ALPHA"}}}};

struct Separation {
  SeparationKind kind = SeparationKind::softmax;
  double alpha = 1.0;  ///< 1 softmax, 1.5 entmax15, 2 sparsemax, any α > 1 for entmax

  /// "softmax" | "sparsemax" | "entmax15" | "entmax:ALPHA" (α > 1); throws ConfigError.
  /// One map has one value: "entmax:1.5" is entmax15 and "entmax:2" sparsemax (their exact
  /// algorithms), so equivalent spellings give the same results.
  static Separation parse(std::string_view text);
  /// The canonical text form, which parse() reads back.
  std::string name() const;
  bool operator==(const Separation&) const = default;
  /// Entries of p above this count towards the metastable-state size: 0.01 for softmax
  /// (the paper's ε), 0 for the sparse maps.
  double metastable_threshold() const;
};

namespace kernels {

/// p := Sep(z) for one score vector. Pre: p.size() == z.size() ≥ 1, z finite.
/// Softmax is evaluated by log-sum-exp (no overflow for any z); sparsemax and 1.5-entmax are
/// exact (sort-based); general α-entmax uses bisection on the threshold to machine precision.
/// p and z may not alias.
void separate(const Separation& sep, std::span<const double> z, std::span<double> p);

/// Row-wise Sep over a row-major rows×cols block; threads: OpenMP over rows.
void separate_rows(const Separation& sep, const double* z, std::int64_t rows, std::int64_t cols,
                   double* p);

/// Tsallis α-entropy H_α(p) = (1/(α(α−1))) Σ (p_i − p_i^α); Shannon −Σ p log p for α = 1.
double tsallis_entropy(double alpha, std::span<const double> p);

/// Convex conjugate Ψ*_α(z) = max_{p∈Δ} ⟨p, z⟩ + H_α(p), evaluated at p = Sep(z) (given).
/// For softmax this equals log Σ exp(z_i), computed stably.
double conjugate(const Separation& sep, std::span<const double> z, std::span<const double> p);

}  // namespace kernels
}  // namespace hopcap
