#pragma once
// The settings with which Algorithm 1 alone reaches the optimal codes the U-Hop+ tests check
// (icosahedron, octahedron, heptagon): τ annealed from 0.1 to 5e-4 (five times float32's τ
// limit) with the step following τ, 3 restarts × 2000 steps.

#include <cstdint>

#include "hopcap/uhop.hpp"

namespace hopcap::test {

inline UhopSettings code_settings(std::int64_t dphi, std::uint64_t seed, Precision precision = Precision::float64) {
  UhopSettings s;
  s.method = UhopMethod::paper;  // Algorithm 1 alone: its loop is what is checked
  s.feature_dim = dphi;
  s.lr = 0.02;
  s.lr_follows_tau = true;
  s.iterations = 2000;
  s.tau = 0.1;
  s.tau_min = 5e-4;
  s.anneal = 0.997;
  s.restarts = 3;
  s.seed = seed;
  s.precision = precision;
  return s;
}

}  // namespace hopcap::test
