#pragma once
// Query models: how a retrieval query is made from its target memory. Query q is a pure
// function of (seed, q, target memory), so any rank can build any query.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "hopcap/feature_map.hpp"
#include "hopcap/matrix.hpp"
#include "hopcap/name_table.hpp"

namespace hopcap {

enum class QueryKind {
  angle,   ///< the point at angle `level` (degrees) from ξ_μ on the sphere of radius ‖ξ_μ‖,
           ///< in a uniformly random direction orthogonal to ξ_μ
  gauss,   ///< ξ_μ plus Gaussian noise of standard deviation `level` per coordinate
  mask,    ///< ξ_μ with round(level·d) coordinates, chosen uniformly, set to zero
  random,  ///< independent of any memory: uniform on the unit sphere (no target)
  data,    ///< rows of a data set named by `source` (no target), e.g. a test set as queries
  feature_angle,  ///< the query whose normalised feature sits at angle `level` (degrees) from
                  ///< the target's, in a uniformly random feature direction (raw angle
                  ///< without a map); see make_queries
};

/// The query kinds by name; every kind but random takes a parameter.
inline constexpr NameTable kQueryKindNames{
    "query model", std::array<Named<QueryKind>, 6>{{{QueryKind::angle, "angle", "angle:DEG"},
                                                    {QueryKind::feature_angle, "feature_angle",
                                                     "feature_angle:DEG"},
                                                    {QueryKind::gauss, "gauss", "gauss:SIGMA"},
                                                    {QueryKind::mask, "mask", "mask:FRAC"},
                                                    {QueryKind::random, "random"},
                                                    {QueryKind::data, "data", "data:SOURCE"}}}};

struct QueryModel {
  QueryKind kind = QueryKind::angle;
  double level = 0.0;
  std::string source;  ///< data: the source spec of the query set ("idx:PATH", "h5:PATH:DATASET", ...)

  /// "angle:DEG" | "feature_angle:DEG" (0 ≤ DEG ≤ 180) | "gauss:SIGMA" (σ ≥ 0) | "mask:FRAC" (0 ≤ FRAC ≤ 1) |
  /// "random" | "data:SPEC" (a non-empty source spec, read by the caller); throws ConfigError
  /// otherwise. Spellings of one level are one model ("angle:20.0" is "angle:20").
  static QueryModel parse(std::string_view text);
  /// The canonical text form (shortest level that reads back), which parse() reads back.
  std::string name() const;
  bool operator==(const QueryModel&) const = default;
  bool has_target() const { return kind != QueryKind::random && kind != QueryKind::data; }
  /// Whether the model's level is defined in the space the model scores in (needs its map).
  bool in_feature_space() const { return kind == QueryKind::feature_angle; }
};

/// Fills row i of `queries` (n×d) with query i of the model, aimed at memory targets[i]
/// (ignored for random queries). Data queries are not generated: KernelError. Query i draws from a stream keyed by (seed, query_ids[i]).
/// Pre: queries.rows == targets.size() == query_ids.size(), queries.cols == memories.cols.
///
/// feature_angle with a map Φ(x) = W x (+ b), f = Φ(ξ): the feature g = ‖f‖(cos θ f̂ + sin θ u),
/// u a uniformly random unit vector orthogonal to f, is reached exactly by the raw query
/// x = ξ + Wᵀ(W Wᵀ)⁻¹(g − f) (the smallest raw change that does it), so the angle between
/// Φ(x) and Φ(ξ) is θ up to rounding. This needs W W ᵀ invertible: W of full row rank, so
/// D_Φ ≤ d; and D_Φ ≥ 2 (a direction orthogonal to f) and f ≠ 0. Otherwise ConfigError. The
/// raw query is not on the sphere of ξ (the map decides its length). Without a map (the MHM
/// scores raw memories) it is the angle model, with its own random stream.
void make_queries(const QueryModel& model, const Matrix& memories,
                  std::span<const std::int64_t> targets, std::span<const std::uint64_t> query_ids,
                  std::uint64_t seed, Matrix& queries, const FeatureMap* map = nullptr);

}  // namespace hopcap
