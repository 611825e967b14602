// The sweep config: parsing, ranges, validation messages that name the key, command-line
// overrides and the printed config that reads back to the same config.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <tuple>
#include <utility>

#include "hopcap/error.hpp"
#include "hopcap/sweep/config.hpp"
#include "config_parse_error.hpp"
#include "hopcap/sweep/plan.hpp"
#include "test_support.hpp"

namespace hopcap::sweep {
namespace {

std::string parse_error(const std::string& text) { return test::config_parse_error(text); }

void expect_error_starting(const std::string& text, const std::string& prefix) {
  const std::string message = parse_error(text);
  EXPECT_EQ(message.rfind(prefix, 0), 0u) << "config:\n" << text << "\nmessage: " << message;
}

// Validation opens every file source, so a config whose memories or data queries cannot be
// loaded is refused up front (ConfigError naming the key) instead of failing at every point.
class DataSourceValidation : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("hopcap-config-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  std::string write(const std::string& name, const std::string& contents) const {
    const std::filesystem::path path = dir_ / name;
    std::ofstream(path) << contents;
    return path.string();
  }
  static std::string with_memories(const std::string& spec) {
    return "[sweep]\nd = 3\nM = 3\nmemories = [\"" + spec + "\"]\n";
  }
  std::filesystem::path dir_;
};

TEST_F(DataSourceValidation, SourcesThatCannotBeLoadedAreRefused) {
  const test::BoundedTime bound(20);  // idx:/dev/zero once read without end
  const std::string passwd = write("passwd", "root:x:0:0:root:/root:/bin/sh\n");
  expect_error_starting(with_memories("text:" + passwd), "sweep.memories: 'text:" + passwd);
  expect_error_starting(with_memories("text:" + dir_.string()), "sweep.memories:");
  expect_error_starting(with_memories("h5:" + passwd + ":W"), "sweep.memories:");
  EXPECT_NE(parse_error(with_memories("text:" + dir_.string())).find("directory"), std::string::npos);
  if (std::filesystem::exists("/dev/zero")) {
    const std::string message = parse_error(with_memories("idx:/dev/zero"));
    EXPECT_NE(message.find("character device"), std::string::npos) << message;
  }
  expect_error_starting("[sweep]\nquery = [\"data:text:" + passwd + "\"]\n",
                        "sweep.query: 'data:text:" + passwd);
}

TEST_F(DataSourceValidation, LoadableSourcesPass) {
  const std::string vectors = write("square.txt", "1 0 0\n0 1 0\n0 0 1\n");
  EXPECT_EQ(parse_error(with_memories("text:" + vectors)), "");
  EXPECT_EQ(parse_error("[sweep]\nquery = [\"data:text:" + vectors + "\"]\n"), "");
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
precision = "float32"
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
  EXPECT_EQ(c.sep, (std::vector<Separation>{{SeparationKind::softmax, 1.0}, {SeparationKind::entmax, 1.3}}));
  EXPECT_EQ(c.replicas, 3);
  EXPECT_EQ(c.seed, 12345678901ULL);
  EXPECT_EQ(c.filter, DphiFilter::dphi_at_most_d);
  EXPECT_EQ(c.queries_per_memory, 2);
  EXPECT_EQ(c.t_max, 7);
  EXPECT_EQ(c.khm_scores, KhmScores::raw_features);
  EXPECT_EQ(c.precision, Precision::float32);
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
  expect_error_starting("[retrieval]\nprecision = \"float16\"\n", "retrieval.precision:");
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

TEST(Config, AxisValuesThatMeanTheSameAreDuplicates) {
  expect_error_starting("[sweep]\nquery = [\"angle:20\", \"angle:20.0\"]\n", "sweep.query:");
  expect_error_starting("[sweep]\nquery = [\"gauss:0.1\", \"gauss:1e-1\"]\n", "sweep.query:");
  expect_error_starting("[sweep]\nsep = [\"entmax15\", \"entmax:1.5\"]\n", "sweep.sep:");
  expect_error_starting("[sweep]\nsep = [\"sparsemax\", \"entmax:2\"]\n", "sweep.sep:");
  EXPECT_NO_THROW(parse_config("[sweep]\nquery = [\"angle:20\", \"angle:21\", \"gauss:20\"]\n"));
  EXPECT_NO_THROW(parse_config("[sweep]\nsep = [\"entmax15\", \"entmax:1.25\", \"sparsemax\"]\n"));
}

TEST(Config, DuplicateAxisValuesNameTheKeyAndBothSpellings) {
  EXPECT_EQ(parse_error("[sweep]\nsep = [\"entmax:1.5\", \"entmax15\"]\n"),
            "sweep.sep: 'entmax15' and 'entmax:1.5' are one value (every axis value must be distinct)");
  EXPECT_EQ(parse_error("[sweep]\nsep = [\"sparsemax\", \"entmax:2.0\"]\n"),
            "sweep.sep: 'entmax:2.0' and 'sparsemax' are one value (every axis value must be distinct)");
  EXPECT_EQ(parse_error("[sweep]\nmodel = [\"mhm\", \"mhm\"]\n"),
            "sweep.model: duplicate value 'mhm' (every axis value must be distinct)");
  EXPECT_EQ(parse_error("[sweep]\nquery = [\"mask:0.5\", \"mask:5e-1\"]\n"),
            "sweep.query: 'mask:5e-1' and 'mask:0.5' are one value (every axis value must be distinct)");
  EXPECT_EQ(parse_error("[sweep]\nmemories = [\"binary\", \"binary\"]\n"),
            "sweep.memories: duplicate value 'binary' (every axis value must be distinct)");
}

TEST(Config, EquivalentSpellingsAreOneValueWithTheCanonicalName) {
  // Each pair reads to one config, printed by the canonical name, and plans the same points:
  // same values, labels and seeds.
  const std::pair<const char*, const char*> spellings[] = {
      {"sep = [\"entmax:1.5\"]", "sep = [\"entmax15\"]"},
      {"sep = [\"entmax:2\"]", "sep = [\"sparsemax\"]"},
      {"sep = [\"entmax:1.30\", \"entmax:2.0\"]", "sep = [\"entmax:1.3\", \"sparsemax\"]"},
      {"query = [\"angle:20.0\", \"gauss:1e-1\"]", "query = [\"angle:20\", \"gauss:0.1\"]"},
      {"query = [\"angle:-0\"]", "query = [\"angle:0\"]"},
  };
  for (const auto& [written, canonical] : spellings) {
    const SweepConfig a = parse_config(std::string("[sweep]\n") + written + "\n");
    const SweepConfig b = parse_config(std::string("[sweep]\n") + canonical + "\n");
    EXPECT_EQ(a, b) << written;
    EXPECT_EQ(to_toml(a), to_toml(b)) << written;
    EXPECT_NE(to_toml(a).find(canonical), std::string::npos) << to_toml(a);
    const Plan pa = make_plan(a), pb = make_plan(b);
    ASSERT_EQ(pa.work.size(), pb.work.size());
    for (std::size_t i = 0; i < pa.work.size(); ++i) {
      const Configuration &x = pa.work[i], &y = pb.work[i];
      EXPECT_EQ(x.separation, y.separation);
      EXPECT_EQ(x.query_model, y.query_model);
      EXPECT_EQ(std::tie(x.sep, x.query, x.model, x.memories), std::tie(y.sep, y.query, y.model, y.memories));
      EXPECT_EQ(std::tie(x.memory_seed, x.memory_set, x.query_seed, x.map_seed),
                std::tie(y.memory_seed, y.memory_set, y.query_seed, y.map_seed));
    }
  }
  // entmax:1.5 runs the exact 1.5-entmax, not the bisection of general alpha.
  EXPECT_EQ(make_plan(parse_config("[sweep]\nsep = [\"entmax:1.5\"]\n")).work[0].separation.kind,
            SeparationKind::entmax15);
}

TEST(Config, UnknownNamesListTheAcceptedOnes) {
  EXPECT_EQ(parse_error("[sweep]\nsep = [\"argmax\"]\n"),
            "sweep.sep: unknown separation function 'argmax' (softmax | sparsemax | entmax15 | entmax:ALPHA)");
  EXPECT_EQ(parse_error("[sweep]\nquery = [\"blur:3\"]\n"),
            "sweep.query: unknown query model 'blur:3' (angle:DEG | feature_angle:DEG | gauss:SIGMA | mask:FRAC | random | "
            "data:SOURCE)");
  EXPECT_EQ(parse_error("[sweep]\nmodel = [\"khm\"]\n"),
            "sweep.model: unknown model 'khm' (mhm | khm_uhop | khm_random | khm_identity)");
  EXPECT_EQ(parse_error("[sweep]\nfilter = \"d < 3\"\n"),
            "sweep.filter: unknown filter 'd < 3' (\"\" | Dphi <= d | Dphi >= d)");
  EXPECT_EQ(parse_error("[retrieval]\nkhm_scores = \"cosine\"\n"),
            "retrieval.khm_scores: unknown KHM scores 'cosine' (normalized | raw)");
  EXPECT_EQ(parse_error("[retrieval]\nprecision = \"half\"\n"),
            "retrieval.precision: unknown precision 'half' (float64 | float32)");
  EXPECT_EQ(parse_error("[run]\nmetrics = \"sampled\"\n"),
            "run.metrics: unknown metrics mode 'sampled' (exact | estimate | off)");
  EXPECT_EQ(parse_error("[sweep]\nmemories = [\"\"]\n"),
            "sweep.memories: empty memory source (sphere | binary | gaussian or a data file)");
}

TEST(Config, ValuesSetInCodeMustBeValidAndCanonical) {
  const auto refused = [](const SweepConfig& c, const std::string& prefix) {
    try {
      validate(c);
      ADD_FAILURE() << "accepted; expected " << prefix;
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(prefix, 0), 0u) << e.what();
    }
  };
  SweepConfig c;
  c.sep = {Separation{SeparationKind::entmax, 0.5}};
  refused(c, "sweep.sep:");
  c.sep = {Separation{SeparationKind::entmax, 1.5}};  // the bisection at alpha 1.5: spelled entmax15
  refused(c, "sweep.sep:");
  c.sep = {Separation{}, Separation{}};
  refused(c, "sweep.sep: duplicate value 'softmax'");
  c.sep = {};
  refused(c, "sweep.sep: the axis is empty");
  c = SweepConfig{};
  c.query = {QueryModel{QueryKind::angle, 200.0, {}}};
  refused(c, "sweep.query:");
  c = SweepConfig{};
  c.memories = {MemorySource{std::nullopt, ""}};
  refused(c, "sweep.memories:");
  c = SweepConfig{};
  c.model = {Model::mhm, Model::mhm};
  refused(c, "sweep.model: duplicate value 'mhm'");
  EXPECT_NO_THROW(validate(SweepConfig{}));
}

TEST(Config, ModelsThatCannotExistAtAPointAreSkippedNotRun) {
  // The identity map needs D_Phi <= d: those points are planned as skipped, not run to a
  // certain failure; the other models keep every point.
  const SweepConfig c =
      parse_config("[sweep]\nd = [4]\nDphi = [3, 8]\nmodel = [\"khm_identity\", \"khm_random\"]\n");
  const Plan plan = make_plan(c);
  ASSERT_EQ(plan.inapplicable.size(), 1u);
  const GridIndex ix = grid_index(plan.shape, plan.inapplicable[0]);
  EXPECT_EQ(c.dphi[static_cast<std::size_t>(ix[2])], 8);
  EXPECT_EQ(c.model[static_cast<std::size_t>(ix[6])], Model::khm_identity);
  EXPECT_EQ(plan.work.size(), 3u);
  for (const Configuration& w : plan.work) EXPECT_FALSE(w.kind == Model::khm_identity && w.dphi > w.d);
}

TEST(Config, SyntaxErrorsGiveFileAndLine) {
  const std::string message = parse_error("[sweep]\nd = [1,\n\n[run\n");
  EXPECT_EQ(message.rfind("test.toml: line ", 0), 0u) << message;
}

TEST(Config, PrintedConfigReadsBackExactly) {
  SweepConfig c;
  c.d = {3, 1000};
  c.beta = {0.1, 1.0 / 3.0, 1e-300, 123456789.123456789, 5.0};
  c.sep = {Separation::parse("softmax"), Separation::parse("entmax:1.2")};
  c.query = {QueryModel::parse("gauss:0.25"), QueryModel::parse("random")};
  c.model = {Model::khm_random, Model::mhm};
  c.memories = {MemorySource::parse("gaussian")};
  c.filter = DphiFilter::dphi_at_least_d;
  c.khm_scores = KhmScores::raw_features;
  c.precision = Precision::float32;
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
  // Of [run], only the metrics keys: they decide what the metric variables hold.
  const std::string science = science_toml(a);
  const std::string run = science.substr(science.find("[run]"));
  EXPECT_EQ(run, "[run]\nmetrics = \"exact\"\nmetrics_sample = 1024\n");
}

TEST(Config, PrecisionIsPrintedAndPartOfTheScience) {
  SweepConfig c;
  EXPECT_EQ(c.precision, Precision::float64);
  EXPECT_NE(to_toml(c).find("precision = \"float64\""), std::string::npos);
  apply_override(c, "retrieval.precision=\"float32\"");
  EXPECT_EQ(c.precision, Precision::float32);
  EXPECT_EQ(parse_config(to_toml(c)), c);
  // --resume compares the science text: a float32 file is not continued in float64.
  EXPECT_NE(science_toml(SweepConfig{}), science_toml(c));
  EXPECT_NE(science_toml(c).find("precision = \"float32\""), std::string::npos);
}

TEST(Config, UhopPrecisionIsPrintedValidatedAndPartOfTheScience) {
  SweepConfig c;
  EXPECT_EQ(c.uhop.precision, "float64");
  EXPECT_NE(to_toml(c).find("[uhop]"), std::string::npos);
  apply_override(c, "uhop.precision=\"float32\"");
  EXPECT_EQ(c.uhop.parse(1).precision, Precision::float32);
  EXPECT_EQ(parse_config(to_toml(c)), c);
  // --resume compares the science text: a float32-trained file is not continued in float64,
  // while a file written before the key existed reads back as float64 and so still resumes.
  EXPECT_NE(science_toml(SweepConfig{}), science_toml(c));
  const std::string science = science_toml(c);
  const std::size_t uhop = science.find("[uhop]");
  ASSERT_NE(uhop, std::string::npos);
  EXPECT_NE(science.find("precision = \"float32\"", uhop), std::string::npos);
  EXPECT_EQ(parse_config("[uhop]\ntau = 0.1\n").uhop.precision, "float64");
  EXPECT_EQ(parse_error("[uhop]\nprecision = \"half\"\n"), "uhop.precision: unknown precision 'half' (float64 | float32)");
  expect_error_starting("[uhop]\nprecision = \"float32\"\ntau = 5e-5\n", "uhop.precision:");
  expect_error_starting("[uhop]\nprecision = \"float32\"\ntau = 0.1\ntau_min = 1e-5\nanneal = 0.9\n", "uhop.precision:");
  EXPECT_EQ(parse_config("[uhop]\nprecision = \"float32\"\ntau = 1e-4\n").uhop.precision, "float32");
}

TEST(Config, MetricsModeIsValidatedPrintedAndPartOfTheScience) {
  SweepConfig c;
  EXPECT_EQ(c.metrics, MetricsMode::exact);
  apply_override(c, "run.metrics=estimate");
  apply_override(c, "run.metrics_sample=64");
  EXPECT_EQ(c.metrics, MetricsMode::estimate);
  EXPECT_EQ(c.metrics_sample, 64);
  EXPECT_EQ(parse_config(to_toml(c)), c);
  SweepConfig exact;
  EXPECT_NE(science_toml(exact), science_toml(c));
  apply_override(c, "run.metrics=\"off\"");
  EXPECT_EQ(parse_config("[run]\nmetrics = \"off\"\nmetrics_sample = 64\n").metrics, MetricsMode::off);
  for (const char* bad : {"run.metrics=sampled", "run.metrics=1", "run.metrics_sample=0"}) {
    try {
      apply_override(c, bad);
      ADD_FAILURE() << bad << " was accepted";
    } catch (const ConfigError& e) {
      EXPECT_EQ(std::string(e.what()).rfind(std::string(bad).substr(0, std::string(bad).find('=')) + ":", 0), 0u)
          << e.what();
    }
  }
  EXPECT_EQ(c.metrics, MetricsMode::off);
}

}  // namespace
}  // namespace hopcap::sweep
