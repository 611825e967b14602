#pragma once
// Naive reference twins of the separation functions, computed from their definitions in long
// double without sorting: softmax as p_i = 1 / Σ_j exp(z_j − z_i), and every α-entmax (α > 1,
// sparsemax included) by bisection on the threshold θ of p_i = [(α−1) z_i − θ]_+^{1/(α−1)}.

#include <span>
#include <vector>

#include "hopcap/kernels/separation.hpp"

namespace hopcap::ref {

std::vector<double> softmax(std::span<const double> z);
std::vector<double> entmax(double alpha, std::span<const double> z);
/// Dispatch on the kind: softmax, or entmax with α = 2, 1.5 or sep.alpha.
std::vector<double> separate(const Separation& sep, std::span<const double> z);

}  // namespace hopcap::ref
