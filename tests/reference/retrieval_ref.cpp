#include "retrieval_ref.hpp"

#include <cmath>
#include <vector>

namespace hopcap::ref {
namespace {

std::vector<double> features_of(const FeatureMap& map, const double* x, KhmScores variant) {
  std::vector<double> f(static_cast<std::size_t>(map.feature_dim()));
  for (std::int64_t k = 0; k < map.feature_dim(); ++k) {
    double s = map.has_bias() ? map.bias[static_cast<std::size_t>(k)] : 0.0;
    for (std::int64_t j = 0; j < map.input_dim(); ++j) s += map.weight(k, j) * x[j];
    f[static_cast<std::size_t>(k)] = s;
  }
  if (variant == KhmScores::normalized) {
    double n2 = 0.0;
    for (double v : f) n2 += v * v;
    for (double& v : f) v /= std::sqrt(n2);
  }
  return f;
}

}  // namespace

Matrix retrieval_scores(const Matrix& memories, const Matrix& states, double beta,
                        const std::optional<FeatureMap>& map, KhmScores variant) {
  Matrix out(states.rows, memories.rows);
  for (std::int64_t i = 0; i < states.rows; ++i) {
    for (std::int64_t mu = 0; mu < memories.rows; ++mu) {
      double s = 0.0;
      if (!map) {
        for (std::int64_t j = 0; j < states.cols; ++j) s += memories(mu, j) * states(i, j);
      } else {
        const auto fx = features_of(*map, states.row(i), variant);
        const auto fm = features_of(*map, memories.row(mu), variant);
        for (std::size_t k = 0; k < fx.size(); ++k) s += fx[k] * fm[k];
      }
      out(i, mu) = beta * s;
    }
  }
  return out;
}

Matrix retrieval_step(const Matrix& memories, const Matrix& states,
                      const RetrievalSettings& settings, const std::optional<FeatureMap>& map,
                      Matrix& probabilities) {
  const Matrix z = retrieval_scores(memories, states, settings.beta, map, settings.khm_scores);
  probabilities = Matrix(z.rows, z.cols);
  for (std::int64_t i = 0; i < z.rows; ++i) {
    kernels::separate(settings.separation, z.row_span(i), probabilities.row_span(i));
  }
  Matrix next(states.rows, states.cols);
  for (std::int64_t i = 0; i < states.rows; ++i) {
    for (std::int64_t j = 0; j < states.cols; ++j) {
      double s = 0.0;
      for (std::int64_t mu = 0; mu < memories.rows; ++mu) s += probabilities(i, mu) * memories(mu, j);
      next(i, j) = s;
    }
  }
  return next;
}

double softmax_mhm_energy(const Matrix& memories, const double* x, double beta) {
  std::vector<double> z(static_cast<std::size_t>(memories.rows));
  double zmax = -INFINITY;
  for (std::int64_t mu = 0; mu < memories.rows; ++mu) {
    double s = 0.0;
    for (std::int64_t j = 0; j < memories.cols; ++j) s += memories(mu, j) * x[j];
    z[static_cast<std::size_t>(mu)] = beta * s;
    zmax = std::max(zmax, beta * s);
  }
  double sum = 0.0;
  for (double v : z) sum += std::exp(v - zmax);
  double x2 = 0.0;
  for (std::int64_t j = 0; j < memories.cols; ++j) x2 += x[j] * x[j];
  return 0.5 * x2 - (zmax + std::log(sum)) / beta;
}

}  // namespace hopcap::ref
