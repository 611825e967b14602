// sweep.lambda: the β axis given per dimension (β = λ·d at every d, Lucibello-Mezard's λ).
// Parsing and validation, the printed config, the plan's β, the file layout and the values a
// point records.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>

#include "hopcap/error.hpp"
#include "hopcap/lm_capacity.hpp"
#include "hopcap/sweep/config.hpp"
#include "config_parse_error.hpp"
#include "hopcap/sweep/plan.hpp"
#include "hopcap/sweep/results_layout.hpp"

namespace hopcap::sweep {
namespace {

std::string parse_error(const std::string& text) { return test::config_parse_error(text); }

bool starts_with(const std::string& message, const std::string& prefix) { return message.rfind(prefix, 0) == 0; }

TEST(ConfigLambda, ReplacesTheBetaAxis) {
  const SweepConfig c = parse_config("[sweep]\nd = [8, 24]\nlambda = [0.5, 1.0, 2.0]\n");
  EXPECT_EQ(c.lambda, (std::vector<double>{0.5, 1.0, 2.0}));
  EXPECT_TRUE(c.beta.empty());
  EXPECT_EQ(grid_shape(c)[3], 3);
  const SweepConfig range = parse_config("[sweep]\nlambda = { start = 0.25, stop = 1.0, num = 3, log = true }\n");
  EXPECT_EQ(range.lambda, (std::vector<double>{0.25, 0.5, 1.0}));
  // Without it, the default β axis stays.
  EXPECT_TRUE(parse_config("").lambda.empty());
  EXPECT_EQ(parse_config("").beta, (std::vector<double>{8.0}));
}

TEST(ConfigLambda, RefusesBadValuesNamingTheKey) {
  EXPECT_TRUE(starts_with(parse_error("[sweep]\nbeta = [1.0]\nlambda = [1.0]\n"), "sweep.lambda: give sweep.beta or "
                                                                                   "sweep.lambda, not both"))
      << parse_error("[sweep]\nbeta = [1.0]\nlambda = [1.0]\n");
  EXPECT_TRUE(starts_with(parse_error("[sweep]\nlambda = [1.0]\nbeta = [2.0]\n"), "sweep.lambda: give"));
  EXPECT_TRUE(starts_with(parse_error("[sweep]\nlambda = [0.0]\n"), "sweep.lambda: values must be > 0"));
  EXPECT_TRUE(starts_with(parse_error("[sweep]\nlambda = [-1.0]\n"), "sweep.lambda: values must be > 0"));
  EXPECT_TRUE(starts_with(parse_error("[sweep]\nlambda = [nan]\n"), "sweep.lambda: values must be > 0"));
  EXPECT_TRUE(starts_with(parse_error("[sweep]\nlambda = [inf]\n"), "sweep.lambda: values must be > 0"));
  EXPECT_TRUE(starts_with(parse_error("[sweep]\nlambda = [1.0, 1.0]\n"), "sweep.lambda: duplicate value"));
  EXPECT_TRUE(starts_with(parse_error("[sweep]\nlambda = [\"one\"]\n"), "sweep.lambda[0]: expected a number"));
  EXPECT_TRUE(starts_with(parse_error("[sweep]\nd = [1000]\nlambda = [1e306]\n"), "sweep.lambda: beta = lambda x d"));
}

TEST(ConfigLambda, PrintsOnlyTheAxisInUseAndReadsBack) {
  const SweepConfig c = parse_config("[sweep]\nd = [8]\nlambda = [0.5, 0.1]\n");
  const std::string text = to_toml(c);
  EXPECT_NE(text.find("lambda = [0.5, 0.1]"), std::string::npos) << text;
  EXPECT_EQ(text.find("beta ="), std::string::npos) << text;
  EXPECT_EQ(parse_config(text, "printed"), c);
  const std::string beta_text = to_toml(parse_config(""));
  EXPECT_NE(beta_text.find("beta = [8.0]"), std::string::npos) << beta_text;
  EXPECT_EQ(beta_text.find("lambda ="), std::string::npos) << beta_text;
  // The science text says which of the two was given, so --resume refuses a switch.
  EXPECT_NE(science_toml(c), science_toml(parse_config("[sweep]\nd = [8]\nbeta = [4.0, 0.8]\n")));
}

TEST(ConfigLambda, OverridesReplaceTheOtherAxis) {
  SweepConfig c = parse_config("[sweep]\nbeta = [3.0]\n");
  apply_override(c, "sweep.lambda=[2.0]");
  EXPECT_EQ(c.lambda, (std::vector<double>{2.0}));
  EXPECT_TRUE(c.beta.empty());
  apply_override(c, "sweep.beta=[5.0]");
  EXPECT_EQ(c.beta, (std::vector<double>{5.0}));
  EXPECT_TRUE(c.lambda.empty());
  EXPECT_THROW(apply_override(c, "sweep.lambda=[-2.0]"), ConfigError);
  EXPECT_EQ(c.beta, (std::vector<double>{5.0}));  // a refused override leaves the config as it was
}

TEST(ConfigLambda, PlanUsesBetaLambdaTimesD) {
  for (const bool capacity : {false, true}) {
    SweepConfig c = parse_config("[sweep]\nd = [3, 8, 24]\nM = [4]\nlambda = [0.5, 1.25]\n[capacity]\nenabled = " +
                                 std::string(capacity ? "true" : "false") + "\nM_max = 64\n");
    const Plan plan = make_plan(c);
    ASSERT_EQ(plan.work.size(), 6u);
    for (const Configuration& w : plan.work) {
      const double lambda = c.lambda[static_cast<std::size_t>(w.index[3])];
      EXPECT_EQ(w.beta, lambda * static_cast<double>(w.d)) << w.d << " " << lambda;
    }
  }
}

TEST(ConfigLambda, FileHasTheLambdaAxisAndItsVariables) {
  for (const bool capacity : {false, true}) {
    SweepConfig c = parse_config("[sweep]\nd = [8]\nlambda = [0.5, 1.0]\n[capacity]\nenabled = " +
                                 std::string(capacity ? "true" : "false") + "\n");
    const io::ResultsLayout layout = sweep_layout(c, {});
    const auto axis = std::find_if(layout.axes.begin(), layout.axes.end(),
                                   [](const io::AxisSpec& a) { return a.name == "lambda"; });
    ASSERT_NE(axis, layout.axes.end());
    EXPECT_EQ(axis->numbers, c.lambda);
    EXPECT_EQ(axis->units, "1");
    EXPECT_TRUE(std::none_of(layout.axes.begin(), layout.axes.end(), [](const io::AxisSpec& a) { return a.name == "beta"; }));
    for (const char* name : {"beta", "lm_alpha_c", "lm_rate_at_epsilon"}) {
      const auto v = std::find_if(layout.variables.begin(), layout.variables.end(),
                                  [&](const io::VariableSpec& s) { return s.name == name; });
      ASSERT_NE(v, layout.variables.end()) << name;
      EXPECT_EQ(v->units, "1") << name;
    }
    // A β sweep has neither.
    c = parse_config("[sweep]\nd = [8]\n");
    const io::ResultsLayout plain = sweep_layout(c, {});
    EXPECT_TRUE(std::none_of(plain.variables.begin(), plain.variables.end(),
                             [](const io::VariableSpec& s) { return s.name == "lm_alpha_c" || s.name == "beta"; }));
  }
}

TEST(ConfigLambda, PointsRecordBetaAndTheTheoryWhereItApplies) {
  const SweepConfig c = parse_config(
      "[sweep]\nd = [16]\nM = [8]\nlambda = [0.75]\nmodel = [\"mhm\", \"khm_random\"]\n"
      "memories = [\"sphere\", \"binary\"]\nsep = [\"softmax\", \"sparsemax\"]\n[retrieval]\nepsilon = 0.05\n");
  const Plan plan = make_plan(c);
  int applicable = 0;
  for (const Configuration& w : plan.work) {
    ConfigResult result;
    add_lambda_values(c, w, result);
    EXPECT_EQ(result.values.at("beta"), std::vector<double>{0.75 * 16.0});
    const double alpha_c = result.values.at("lm_alpha_c").at(0);
    const double rate = result.values.at("lm_rate_at_epsilon").at(0);
    if (w.kind == Model::mhm && w.memories == "sphere" && w.sep == "softmax") {
      ++applicable;
      EXPECT_EQ(alpha_c, lm_threshold(0.75).alpha_c);
      EXPECT_EQ(rate, lm_rate_at_radius(0.75, 16, 0.05));
    } else {
      EXPECT_TRUE(std::isnan(alpha_c) && std::isnan(rate)) << w.model << " " << w.memories << " " << w.sep;
    }
  }
  EXPECT_EQ(applicable, 1);
  // Without sweep.lambda nothing is added.
  const SweepConfig plain = parse_config("[sweep]\nd = [16]\nM = [8]\n");
  ConfigResult result;
  add_lambda_values(plain, make_plan(plain).work.at(0), result);
  EXPECT_TRUE(result.values.empty());
}

}  // namespace
}  // namespace hopcap::sweep
