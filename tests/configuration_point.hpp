#pragma once
// One sweep configuration built by hand for a test: the parsed values of its named axes and
// their canonical names set together, as make_plan sets them.

#include <cstdint>
#include <string>

#include "hopcap/sweep/model.hpp"
#include "hopcap/sweep/plan.hpp"

namespace hopcap::test {

inline sweep::Configuration configuration_point(std::int64_t d, std::int64_t m, std::int64_t dphi, double beta,
                                                const std::string& model, const std::string& sep,
                                                const std::string& query, const std::string& memories = "sphere") {
  sweep::Configuration c;
  c.d = d;
  c.m = m;
  c.dphi = dphi;
  c.beta = beta;
  c.separation = Separation::parse(sep);
  c.query_model = QueryModel::parse(query);
  c.kind = sweep::parse_model(model);
  c.memory_source = MemorySource::parse(memories);
  c.sep = c.separation.name();
  c.query = c.query_model.name();
  c.model = sweep::model_name(c.kind);
  c.memories = c.memory_source.name();
  return c;
}

}  // namespace hopcap::test
