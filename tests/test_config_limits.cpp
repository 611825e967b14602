// The limits that the sweep config's validation puts on every integer key and on the products
// of sizes (docs/limits.md): accepted at the limit, refused one past it with a message that
// starts with the key, never wrapped, clamped or cut.
#include <gtest/gtest.h>

#include <cstdint>
#include <string>
#include <vector>

#include "hopcap/error.hpp"
#include "hopcap/sizes.hpp"
#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/plan.hpp"

namespace hopcap {
namespace {

std::string config_error(const std::string& text) {
  try {
    (void)sweep::parse_config(text, "test.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

std::string override_error(const std::string& assignment) {
  sweep::SweepConfig config;
  try {
    sweep::apply_override(config, assignment);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

void expect_refused(const std::string& text, const std::string& key, const std::string& limit) {
  const std::string message = config_error(text);
  EXPECT_EQ(message.rfind(key, 0), 0u) << text << "\nmessage: " << message;
  EXPECT_NE(message.find(limit), std::string::npos) << text << "\nmessage: " << message;
}

struct IntegerKey {
  const char* section;
  const char* name;
  std::int64_t min, max;
};

TEST(ConfigLimits, EveryIntegerKeyAcceptsItsRangeAndRefusesOnePastIt) {
  const IntegerKey keys[] = {
      {"sweep", "replicas", 1, kMaxGridSize},
      {"retrieval", "random_queries", 0, kMaxDimension},
      {"retrieval", "t_max", 1, kMaxIterations},
      {"uhop", "iters", 0, kMaxIterations},
      {"uhop", "restarts", 1, kMaxDimension},
      {"run", "group_size", 0, kMaxDimension},
      {"run", "commit_every", 1, kMaxGridSize},
  };
  for (const IntegerKey& k : keys) {
    const std::string key = std::string(k.section) + "." + k.name;
    const auto text = [&](std::int64_t v) { return "[" + std::string(k.section) + "]\n" + k.name + " = " + std::to_string(v) + "\n"; };
    EXPECT_EQ(config_error(text(k.min)), "") << key;
    EXPECT_EQ(config_error(text(k.max)), "") << key;
    expect_refused(text(k.min - 1), key + ":", std::to_string(k.min));
    expect_refused(text(k.max + 1), key + ":", std::to_string(k.max));
  }
  EXPECT_EQ(config_error("[uhop]\nbatch = 2147483647\n"), "");
  expect_refused("[uhop]\nbatch = 2147483648\n", "uhop.batch:", "2147483647");
  EXPECT_EQ(config_error("[capacity]\nM_max = 2147483647\n"), "");
  expect_refused("[capacity]\nM_max = 2147483648\n", "capacity.M_max:", "2147483647");
  expect_refused("[capacity]\nM_min = 2147483648\nM_max = 2147483648\n", "capacity.M_min:", "2147483647");
}

TEST(ConfigLimits, TmaxBeyondIntIsRefusedNotCut) {
  // 4294967297 = 2^32 + 1 used to reach the retrieval as one iteration.
  expect_refused("[retrieval]\nt_max = 4294967297\n", "retrieval.t_max:", "2147483647");
  EXPECT_EQ(override_error("retrieval.t_max=4294967297").rfind("retrieval.t_max:", 0), 0u);
  EXPECT_EQ(override_error("retrieval.t_max=2147483647"), "");
}

TEST(ConfigLimits, IntegersBeyond64BitsNameTheirKey) {
  // TOML refuses them while parsing; the message still starts with the key.
  const std::string in_file = config_error("[sweep]\nd = [8]\n\n[retrieval]\n  t_max = 99999999999999999999\n");
  EXPECT_EQ(in_file.rfind("retrieval.t_max: test.toml: line 5", 0), 0u) << in_file;
  EXPECT_NE(in_file.find("64 bits"), std::string::npos) << in_file;
  const std::string inline_range = config_error("[sweep]\nM = { start = 1, stop = -99999999999999999999, num = 2 }\n");
  EXPECT_EQ(inline_range.rfind("sweep.M: ", 0), 0u) << inline_range;
  const std::string by_override = override_error("retrieval.t_max=99999999999999999999");
  EXPECT_EQ(by_override.rfind("retrieval.t_max: ", 0), 0u) << by_override;
  EXPECT_NE(by_override.find("64 bits"), std::string::npos) << by_override;
  EXPECT_EQ(override_error("sweep.seed=-18446744073709551616").rfind("sweep.seed: ", 0), 0u);
  // Bare words are still strings, even when they start with a digit.
  sweep::SweepConfig c;
  sweep::apply_override(c, "run.output=2024-runs.h5");
  EXPECT_EQ(c.output, "2024-runs.h5");
}

TEST(ConfigLimits, AxesOfSizesAreBoundedByOneDimension) {
  for (const char* key : {"d", "M", "Dphi"}) {
    const std::string name = std::string("sweep.") + key;
    EXPECT_EQ(config_error("[sweep]\n" + std::string(key) + " = [2147483647]\n"), "") << name;
    expect_refused("[sweep]\n" + std::string(key) + " = [4, 2147483648]\n", name + ":", "2147483647");
  }
  // The reproducer: M = 2^62 used to pass and crash the run.
  const std::string message = override_error("sweep.M=[4611686018427387904]");
  EXPECT_EQ(message.rfind("sweep.M:", 0), 0u) << message;
}

TEST(ConfigLimits, MemoryMatrixMustBeAddressable) {
  // M·d <= 2^45 exactly at the limit, refused one memory past it.
  EXPECT_EQ(config_error("[sweep]\nd = [32768]\nM = [1073741824]\n"), "");
  expect_refused("[sweep]\nd = [32768]\nM = [1073741825]\n", "sweep.M x sweep.d", "2^45");
  expect_refused("[sweep]\nd = [32768]\n[capacity]\nenabled = true\nM_max = 1073741825\n", "capacity.M_max x sweep.d",
                 "2^45");
  // Feature matrices of the KHMs count only when a KHM runs.
  const std::string khm = "[sweep]\nd = [8]\nM = [1073741825]\nDphi = [32768]\nmodel = ";
  EXPECT_EQ(config_error(khm + "[\"mhm\"]\n"), "");
  expect_refused(khm + "[\"mhm\", \"khm_random\"]\n", "sweep.M x sweep.Dphi", "2^45");
  expect_refused("[sweep]\nd = [1073741825]\nDphi = [32768]\nmodel = [\"khm_uhop\"]\n", "sweep.Dphi x sweep.d", "2^45");
}

TEST(ConfigLimits, QueriesOfOnePointFitOneDimension) {
  EXPECT_EQ(config_error("[sweep]\nM = [1]\n[retrieval]\nqueries_per_memory = 2147483647\n"), "");
  expect_refused("[retrieval]\nqueries_per_memory = 0\n", "retrieval.queries_per_memory:", "[1, 2147483647]");
  expect_refused("[sweep]\nM = [1]\n[retrieval]\nqueries_per_memory = 2147483648\n", "retrieval.queries_per_memory:",
                 "2147483647");
  expect_refused("[sweep]\nM = [2]\n[retrieval]\nqueries_per_memory = 1073741824\n",
                 "retrieval.queries_per_memory x sweep.M", "2147483647");
}

TEST(ConfigLimits, GridSizeIsTheCheckedProductOfTheAxes) {
  EXPECT_EQ(config_error("[sweep]\nbeta = [1.0, 2.0]\nreplicas = 1073741823\n"), "");
  // 2 x 2^30 = 2^31 points: one past the limit.
  expect_refused("[sweep]\nbeta = [1.0, 2.0]\nreplicas = 1073741824\n", "sweep grid size", "2147483647");
  // Capacity mode collapses the M and replica axes, as the plan does.
  sweep::SweepConfig c;
  c.beta = {1.0, 2.0};
  c.replicas = 1073741824;
  c.capacity = true;
  EXPECT_NO_THROW(sweep::validate(c));
  EXPECT_EQ(sweep::grid_shape(c), (std::vector<std::int64_t>{1, 1, 1, 2, 1, 1, 1, 1, 1}));
  c.capacity = false;
  c.replicas = 3;
  EXPECT_EQ(sweep::make_plan(c).grid_size, 6);
}

TEST(ConfigLimits, RangesStayWithinTheirLimits) {
  // A range of more points than one run can plan is refused before anything is allocated.
  expect_refused("[sweep]\nM = { start = 1, stop = 4, num = 2147483648 }\n", "sweep.M.num:", "4194304");
  expect_refused("[sweep]\nbeta = { start = 1, stop = 4, num = 4194305 }\n", "sweep.beta.num:", "4194304");
  // Integer ranges whose values do not fit int64 are refused, not rounded to garbage.
  expect_refused("[sweep]\nM = { start = 1, stop = 1e30, num = 2 }\n", "sweep.M:", "64-bit integer");
}

TEST(ConfigLimits, GridsBeyondWhatOneRunPlansAreRefusedBeforePlanning) {
  // 2^21 values of beta times 3 replicas: 6.3 million points, beyond the 2^22 a run plans.
  sweep::SweepConfig c;
  c.beta.resize(std::size_t{1} << 21);
  for (std::size_t k = 0; k < c.beta.size(); ++k) c.beta[k] = 1.0 + static_cast<double>(k);
  c.replicas = 3;
  try {
    (void)sweep::make_plan(c);
    ADD_FAILURE() << "a grid of 6291456 points was planned";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("plans at most 4194304"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace hopcap
