// The sweep config: parsing, ranges, validation messages that name the key, command-line
// overrides and the printed config that reads back to the same config.
#include <gtest/gtest.h>

#include <cmath>
#include <string>

#include "hopcap/error.hpp"
#include "hopcap/sweep/config.hpp"

namespace hopcap::sweep {
namespace {

// The ConfigError message of parsing `text`, or "" when it parses.
std::string parse_error(const std::string& text) {
  try {
    (void)parse_config(text, "test.toml");
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

void expect_error_starting(const std::string& text, const std::string& prefix) {
  const std::string message = parse_error(text);
  EXPECT_EQ(message.rfind(prefix, 0), 0u) << "config:\n" << text << "\nmessage: " << message;
}

TEST(Config, EmptyTextGivesTheDefaults) {
  EXPECT_EQ(parse_config(""), SweepConfig{});
}

TEST(Config, ReadsEverySection) {
  const SweepConfig c = parse_config(R"(
[sweep]
d = [8, 16]
M = [10, 20, 40]
Dphi = 4
beta = [1, 2.5]
sep = ["softmax", "entmax:1.3"]
query = ["angle:10", "random"]
model = ["mhm", "khm_uhop"]
memories = ["binary"]
replicas = 3
seed = 12345678901
filter = "Dphi <= d"
[retrieval]
queries_per_memory = 2
t_max = 7
epsilon = 0.5
khm_scores = "raw"
[uhop]
loss = "per_memory"
tau = 0.2
optimizer = "sgd"
iters = 9
bias = true
[capacity]
enabled = true
delta = 0.05
M_min = 4
M_max = 100
[run]
output = "out.h5"
group_size = 2
commit_every = 3
fail_fast = true
)");
  EXPECT_EQ(c.d, (std::vector<std::int64_t>{8, 16}));
  EXPECT_EQ(c.m, (std::vector<std::int64_t>{10, 20, 40}));
  EXPECT_EQ(c.dphi, (std::vector<std::int64_t>{4}));  // a scalar is a one-value axis
  EXPECT_EQ(c.beta, (std::vector<double>{1.0, 2.5}));  // integers are accepted as numbers
  EXPECT_EQ(c.sep, (std::vector<std::string>{"softmax", "entmax:1.3"}));
  EXPECT_EQ(c.replicas, 3);
  EXPECT_EQ(c.seed, 12345678901ULL);
  EXPECT_EQ(c.filter, "Dphi <= d");
  EXPECT_EQ(c.queries_per_memory, 2);
  EXPECT_EQ(c.t_max, 7);
  EXPECT_EQ(c.khm_scores, "raw");
  EXPECT_EQ(c.uhop.loss, "per_memory");
  EXPECT_EQ(c.uhop.optimizer, "sgd");
  EXPECT_TRUE(c.uhop.bias);
  EXPECT_TRUE(c.capacity);
  EXPECT_EQ(c.capacity_m_max, 100);
  EXPECT_EQ(c.output, "out.h5");
  EXPECT_EQ(c.group_size, 2);
  EXPECT_TRUE(c.fail_fast);
}

TEST(Config, LogRangeIsGeometricWithExactEnds) {
  const SweepConfig c = parse_config("[sweep]\nbeta = { start = 0.1, stop = 1000, num = 5, log = true }\n");
  ASSERT_EQ(c.beta.size(), 5u);
  const double expected[] = {0.1, 1.0, 10.0, 100.0, 1000.0};
  for (int i = 0; i < 5; ++i) EXPECT_NEAR(c.beta[static_cast<std::size_t>(i)], expected[i], 1e-12 * expected[i]);
  EXPECT_EQ(c.beta.front(), 0.1);
  EXPECT_EQ(c.beta.back(), 1000.0);
}

TEST(Config, LinearRange) {
  const SweepConfig c = parse_config("[sweep]\nbeta = { start = 1, stop = 2, num = 5 }\n");
  EXPECT_EQ(c.beta, (std::vector<double>{1.0, 1.25, 1.5, 1.75, 2.0}));
}

TEST(Config, IntegerRangesAreRoundedAndDeduplicated) {
  // 2^(0..4·log2(16)/... ) : 1, 2, 4, 8, 16 exactly; then a dense log range with repeats.
  SweepConfig c = parse_config("[sweep]\nM = { start = 1, stop = 16, num = 5, log = true }\n");
  EXPECT_EQ(c.m, (std::vector<std::int64_t>{1, 2, 4, 8, 16}));
  c = parse_config("[sweep]\nd = { start = 1, stop = 4, num = 7, log = true }\n");
  // 4^(k/6) = 1, 1.26, 1.59, 2, 2.52, 3.17, 4 → 1, 1, 2, 2, 3, 3, 4 → 1, 2, 3, 4
  EXPECT_EQ(c.d, (std::vector<std::int64_t>{1, 2, 3, 4}));
}

TEST(Config, ErrorsNameTheKey) {
  expect_error_starting("[sweep]\ncolour = 3\n", "sweep.colour:");
  expect_error_starting("[plot]\nx = 1\n", "plot:");
  expect_error_starting("sweep = 3\n", "sweep:");
  expect_error_starting("[sweep]\nbeta = \"hot\"\n", "sweep.beta:");
  expect_error_starting("[sweep]\nbeta = [1.0, \"hot\"]\n", "sweep.beta[1]:");
  expect_error_starting("[sweep]\nd = 2.5\n", "sweep.d:");
  expect_error_starting("[sweep]\nd = []\n", "sweep.d:");
  expect_error_starting("[sweep]\nM = [0]\n", "sweep.M:");
  expect_error_starting("[sweep]\nM = [4, 4]\n", "sweep.M:");
  expect_error_starting("[sweep]\nDphi = [0]\n", "sweep.Dphi:");
  expect_error_starting("[sweep]\nbeta = [-1.0]\n", "sweep.beta:");
  expect_error_starting("[sweep]\nbeta = [0.0]\n", "sweep.beta:");
  expect_error_starting("[sweep]\nsep = [\"entmax:1.0\"]\n", "sweep.sep:");
  expect_error_starting("[sweep]\nsep = [\"argmax\"]\n", "sweep.sep:");
  expect_error_starting("[sweep]\nquery = [\"angle:200\"]\n", "sweep.query:");
  expect_error_starting("[sweep]\nmodel = [\"khm\"]\n", "sweep.model:");
  expect_error_starting("[sweep]\nmemories = [\"idx:/no/such/file\"]\n", "sweep.memories:");
  expect_error_starting("[sweep]\nmemories = [\"h5:/tmp/x.h5\"]\n", "sweep.memories:");
  expect_error_starting("[sweep]\nreplicas = 0\n", "sweep.replicas:");
  expect_error_starting("[sweep]\nseed = -1\n", "sweep.seed:");
  expect_error_starting("[sweep]\nfilter = \"d < 3\"\n", "sweep.filter:");
  expect_error_starting("[sweep]\nsep = { start = 1, stop = 2, num = 2 }\n", "sweep.sep:");
  expect_error_starting("[sweep]\nM = { start = 1, stop = 2 }\n", "sweep.M:");
  expect_error_starting("[sweep]\nM = { start = 1, stop = 2, num = 0 }\n", "sweep.M.num:");
  expect_error_starting("[sweep]\nbeta = { start = 0, stop = 2, num = 3, log = true }\n", "sweep.beta:");
  expect_error_starting("[sweep]\nM = { start = 1, stop = 2, num = 2, step = 1 }\n", "sweep.M.step:");
  expect_error_starting("[retrieval]\nt_max = 0\n", "retrieval.t_max:");
  expect_error_starting("[retrieval]\nepsilon = 0\n", "retrieval.epsilon:");
  expect_error_starting("[retrieval]\nkhm_scores = \"cosine\"\n", "retrieval.khm_scores:");
  expect_error_starting("[retrieval]\nnormalize = 1\n", "retrieval.normalize:");
  expect_error_starting("[uhop]\ntau = 0\n", "uhop.tau:");
  expect_error_starting("[uhop]\ntau = 0.1\ntau_min = 0.2\n", "uhop.tau_min:");
  expect_error_starting("[uhop]\nanneal = 1.5\n", "uhop.anneal:");
  expect_error_starting("[uhop]\nloss = \"hinge\"\n", "uhop.loss:");
  expect_error_starting("[uhop]\noptimizer = \"lbfgs\"\n", "uhop.optimizer:");
  expect_error_starting("[uhop]\nbatch = 1\n", "uhop.batch:");
  expect_error_starting("[uhop]\nrestarts = 0\n", "uhop.restarts:");
  expect_error_starting("[uhop]\nmomentum = 1\n", "uhop.momentum:");
  expect_error_starting("[sweep]\nd = [4]\nDphi = [8]\n[uhop]\ninit = \"identity\"\n", "uhop.init:");
  expect_error_starting("[capacity]\ndelta = 1\n", "capacity.delta:");
  expect_error_starting("[capacity]\nM_min = 10\nM_max = 5\n", "capacity.M_max:");
  expect_error_starting("[run]\noutput = \"\"\n", "run.output:");
  expect_error_starting("[run]\ncommit_every = 0\n", "run.commit_every:");
  expect_error_starting("[run]\ngroup_size = -1\n", "run.group_size:");
}

TEST(Config, SyntaxErrorsGiveFileAndLine) {
  const std::string message = parse_error("[sweep]\nd = [1,\n\n[run\n");
  EXPECT_EQ(message.rfind("test.toml: line ", 0), 0u) << message;
}

TEST(Config, PrintedConfigReadsBackExactly) {
  SweepConfig c;
  c.d = {3, 1000};
  c.beta = {0.1, 1.0 / 3.0, 1e-300, 123456789.123456789, 5.0};
  c.sep = {"softmax", "entmax:1.2"};
  c.memories = {"gaussian"};
  c.filter = "Dphi >= d";
  c.seed = 18446744073709551ULL;
  c.tol = 0.0;
  c.uhop.tau = 0.07;
  c.output = "dir with \"quotes\" and \\ backslash/out.h5";
  c.commit_seconds = 2.5;
  const std::string text = to_toml(c);
  const SweepConfig back = parse_config(text, "printed");
  EXPECT_EQ(back, c);
  EXPECT_EQ(to_toml(back), text);
  // Every key is present, so the printed text documents the defaults too.
  for (const char* key : {"d =", "M =", "Dphi =", "queries_per_memory =", "lr_follows_tau =", "M_max =",
                          "progress_seconds ="}) {
    EXPECT_NE(text.find(key), std::string::npos) << key;
  }
}

TEST(Config, OverridesUseTomlValuesAndAreValidated) {
  SweepConfig c;
  apply_override(c, "sweep.d=[8, 16]");
  EXPECT_EQ(c.d, (std::vector<std::int64_t>{8, 16}));
  apply_override(c, "uhop.tau = 0.05");
  EXPECT_EQ(c.uhop.tau, 0.05);
  apply_override(c, "run.output=\"x.h5\"");
  EXPECT_EQ(c.output, "x.h5");
  apply_override(c, "run.output=plain/path.h5");  // a bare word is taken as a string
  EXPECT_EQ(c.output, "plain/path.h5");
  apply_override(c, "sweep.M={start=4, stop=64, num=3, log=true}");
  EXPECT_EQ(c.m, (std::vector<std::int64_t>{4, 16, 64}));

  const SweepConfig before = c;
  auto message = [&](const std::string& assignment) {
    try {
      apply_override(c, assignment);
    } catch (const ConfigError& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(message("sweep.beta=[-2]").rfind("sweep.beta:", 0), 0u);
  EXPECT_EQ(message("sweep.colour=3").rfind("sweep.colour:", 0), 0u);
  EXPECT_EQ(message("nosection=3").rfind("nosection:", 0), 0u);
  EXPECT_FALSE(message("sweep.d").empty());
  EXPECT_EQ(c, before) << "a rejected override must leave the config unchanged";
}

TEST(Config, ScienceTextIgnoresRunSettingsOnly) {
  SweepConfig a, b;
  b.output = "elsewhere.h5";
  b.commit_every = 1;
  b.group_size = 4;
  EXPECT_EQ(science_toml(a), science_toml(b));
  EXPECT_NE(to_toml(a), to_toml(b));
  b.seed = 2;
  EXPECT_NE(science_toml(a), science_toml(b));
  EXPECT_EQ(science_toml(a).find("[run]"), std::string::npos);
}

}  // namespace
}  // namespace hopcap::sweep
