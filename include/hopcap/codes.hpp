#pragma once
// Exact spherical codes as generators: each returns unit vectors as the rows of a Matrix.

#include <cstdint>
#include <string_view>

#include "hopcap/matrix.hpp"

namespace hopcap::codes {

/// Regular simplex: m ≥ 2 unit vectors in R^{m−1} with all pairwise cosines −1/(m−1).
Matrix regular_simplex(std::int64_t m);
/// Cross-polytope: the 2d vectors ±e_i in R^d (d ≥ 1).
Matrix cross_polytope(std::int64_t d);
/// Regular polygon: m ≥ 2 points (cos 2πk/m, sin 2πk/m) in R^2.
Matrix regular_polygon(std::int64_t m);
/// Icosahedron: 12 vertices in R^3, cosine of the minimal angle 1/√5.
Matrix icosahedron();
/// 24-cell: the 24 normalised D4 roots ±e_i ± e_j in R^4, minimal cosine 1/2.
Matrix cell24();
/// E8 root system: 240 normalised roots in R^8, minimal cosine 1/2.
Matrix e8_roots();
/// 600-cell: the 120 unit quaternions of the binary icosahedral group in R^4 (cos 36°).
Matrix cell600();
/// D_n root system, n ≥ 3: the 2n(n−1) normalised roots ±e_i ± e_j in R^n, minimal cosine 1/2
/// (D_3 is the cuboctahedron, D_4 the 24-cell).
Matrix dn_roots(std::int64_t n);
/// E7 root system: 126 normalised roots in R^7, minimal cosine 1/2 (the E8 roots orthogonal to
/// e7 + e8, in an orthonormal basis of that hyperplane).
Matrix e7_roots();
/// E6 root system: 72 normalised roots in R^6, minimal cosine 1/2 (the E8 roots with
/// x6 = x7 = −x8).
Matrix e6_roots();
/// 120-cell: 600 vertices in R^4, minimal cosine (1 + 3√5)/8 (angle 15.5225°).
Matrix cell120();

/// Builds a code from its text form: "simplex:M", "cross:D", "polygon:M", "icosahedron",
/// "24cell", "e8", "600cell", "dn:N", "e6", "e7", "120cell" or "sphere:D,M,SEED" (random
/// uniform points, not exact).
/// Throws ConfigError for an unknown name or bad parameters.
Matrix generate(std::string_view spec);

}  // namespace hopcap::codes
