// The name tables of the vocabularies: every name reads to its value and the value prints as
// its canonical name, aliases read to the value of their canonical name, parametric entries
// need their parameter, and unknown names are refused with a message listing the accepted ones.
#include <gtest/gtest.h>

#include <array>
#include <set>
#include <string>

#include "hopcap/error.hpp"
#include "hopcap/kernels/retrieval.hpp"
#include "hopcap/kernels/separation.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/name_table.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/sweep/config.hpp"
#include "hopcap/sweep/model.hpp"
#include "hopcap/uhop.hpp"

namespace hopcap {
namespace {

std::string error_of(const auto& parse) {
  try {
    parse();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

enum class Colour { red, green };
constexpr NameTable kColours{"colour", std::array<Named<Colour>, 4>{{{Colour::red, "red"},
                                                                     {Colour::green, "green"},
                                                                     {Colour::red, "rouge"},
                                                                     {Colour::green, "shade", "shade:LEVEL"}}}};

TEST(NameTable, AliasesReadToTheValueOfTheirCanonicalName) {
  EXPECT_EQ(kColours.parse("red"), Colour::red);
  EXPECT_EQ(kColours.parse("rouge"), Colour::red);
  EXPECT_EQ(kColours.name(Colour::red), "red");  // the first entry of a value
  EXPECT_EQ(kColours.name(kColours.parse("rouge")), "red");
  EXPECT_EQ(kColours.find("rouge"), Colour::red);
  EXPECT_EQ(kColours.find("shade"), std::nullopt);  // parametric: never a bare name
  EXPECT_EQ(kColours.find("blue"), std::nullopt);
}

TEST(NameTable, ParametricEntriesNeedTheirParameterAndBareOnesRefuseOne) {
  const NamedValue<Colour> shade = kColours.parse_parametric("shade:0.5");
  EXPECT_EQ(shade.value, Colour::green);
  EXPECT_EQ(shade.parameter, "0.5");
  EXPECT_EQ(kColours.parse_parametric("shade:").parameter, "");
  EXPECT_EQ(kColours.parse_parametric("red").parameter, std::nullopt);
  EXPECT_EQ(error_of([] { (void)kColours.parse_parametric("shade"); }), "colour 'shade': expected shade:LEVEL");
  EXPECT_EQ(error_of([] { (void)kColours.parse_parametric("red:1"); }), "colour 'red:1': expected red");
  EXPECT_EQ(error_of([] { (void)kColours.parse("shade:1"); }),
            "unknown colour 'shade:1' (red | green | rouge | shade:LEVEL)");
}

TEST(NameTable, UnknownNamesListEveryAcceptedOne) {
  for (const char* bad : {"blue", "", "Red", "red ", " red", "r"}) {
    EXPECT_EQ(error_of([&] { (void)kColours.parse(bad); }),
              "unknown colour '" + std::string(bad) + "' (red | green | rouge | shade:LEVEL)");
  }
}

// Every bare name of a table reads to its value; every value has a canonical name that reads
// back to it; names are distinct; and a name the table lacks is refused listing the accepted ones.
template <class Table>
void expect_round_trips(const Table& table, const std::string& accepted) {
  SCOPED_TRACE(std::string(table.what()));
  std::set<std::string_view> names;
  for (const auto& entry : table.entries()) {
    EXPECT_TRUE(names.insert(entry.name).second) << "two entries named " << entry.name;
    if (entry.form.empty()) {
      EXPECT_EQ(table.parse(entry.name), entry.value) << entry.name;
      EXPECT_EQ(table.parse(table.name(entry.value)), entry.value) << entry.name;
    } else {
      EXPECT_EQ(std::string(entry.form).rfind(std::string(entry.name) + ":", 0), 0u) << entry.form;
      EXPECT_EQ(table.parse_parametric(std::string(entry.name) + ":x").value, entry.value);
    }
  }
  EXPECT_EQ(table.accepted(), accepted);
  EXPECT_EQ(error_of([&] { (void)table.parse("no-such-name"); }),
            "unknown " + std::string(table.what()) + " 'no-such-name' (" + accepted + ")");
}

TEST(NameTable, EveryVocabularyRoundTrips) {
  expect_round_trips(kSeparationNames, "softmax | sparsemax | entmax15 | entmax:ALPHA");
  expect_round_trips(kQueryKindNames, "angle:DEG | feature_angle:DEG | gauss:SIGMA | mask:FRAC | random | data:SOURCE");
  expect_round_trips(kDistributionNames, "sphere | binary | gaussian");
  expect_round_trips(kKhmScoresNames, "normalized | raw");
  expect_round_trips(kPrecisionNames, "float64 | float32");
  expect_round_trips(sweep::kModelNames, "mhm | khm_uhop | khm_random | khm_identity");
  expect_round_trips(sweep::kDphiFilterNames, "\"\" | Dphi <= d | Dphi >= d");
  expect_round_trips(sweep::kMetricsModeNames, "exact | estimate | off");
}

TEST(NameTable, UhopVocabulariesRoundTripAndListTheirNames) {
  // Through the public parse/to_string pairs, which read one table per vocabulary.
  const auto check = [](auto parse, auto values, const std::string& listed, const std::string& what) {
    for (const auto v : values) EXPECT_EQ(parse(to_string(v)), v) << to_string(v);
    EXPECT_EQ(error_of([&] { (void)parse("nonsense"); }), "unknown " + what + " 'nonsense' (" + listed + ")");
  };
  check(parse_uhop_method, std::array{UhopMethod::paper, UhopMethod::refine, UhopMethod::search},
        "paper | refine | search", "U-Hop+ method");
  check(parse_uhop_optimizer, std::array{UhopOptimizer::gd, UhopOptimizer::sgd, UhopOptimizer::adam},
        "gd | sgd | adam", "optimizer");
  check(parse_uhop_projection,
        std::array{UhopProjection::none, UhopProjection::unit_rows, UhopProjection::frobenius},
        "none | unit_rows | frobenius", "projection");
  check(parse_uhop_init, std::array{UhopInit::gaussian, UhopInit::identity, UhopInit::orthogonal},
        "gaussian | identity | orthogonal", "initialisation");
  check(parse_uhop_loss, std::array{UhopLossKind::pairwise, UhopLossKind::per_memory, UhopLossKind::as_coded},
        "pairwise | per_memory | as_coded", "U-Hop+ loss");
}

TEST(NameTable, ModelNamesAreTheTableNames) {
  for (const auto& entry : sweep::kModelNames.entries()) {
    EXPECT_EQ(sweep::parse_model(entry.name), entry.value);
    EXPECT_EQ(std::string(sweep::model_name(entry.value)), entry.name);
  }
  EXPECT_EQ(error_of([] { (void)sweep::parse_model("khm"); }),
            "unknown model 'khm' (mhm | khm_uhop | khm_random | khm_identity)");
}

TEST(NameTable, QueryModelsReadAndPrintCanonically) {
  const std::pair<const char*, const char*> cases[] = {
      {"angle:20", "angle:20"},     {"angle:20.0", "angle:20"},     {"angle:-0", "angle:0"},
      {"gauss:1e-1", "gauss:0.1"},  {"mask:0.50", "mask:0.5"},      {"random", "random"},
      {"data:idx:/x", "data:idx:/x"},
  };
  for (const auto& [text, canonical] : cases) {
    const QueryModel q = QueryModel::parse(text);
    EXPECT_EQ(q.name(), canonical) << text;
    EXPECT_EQ(QueryModel::parse(q.name()), q) << text;
  }
  for (const char* bad : {"random:1", "angle", "angle:", "angle:181", "gauss:-1", "mask:2", "data:", "Angle:20"}) {
    EXPECT_THROW((void)QueryModel::parse(bad), ConfigError) << bad;
  }
}

TEST(NameTable, MemorySourcesAreDistributionsOrFiles) {
  for (const auto& entry : kDistributionNames.entries()) {
    const MemorySource m = MemorySource::parse(entry.name);
    ASSERT_TRUE(m.synthetic());
    EXPECT_EQ(*m.distribution, entry.value);
    EXPECT_EQ(m.name(), entry.name);
    EXPECT_EQ(parse_distribution(entry.name), entry.value);
    EXPECT_EQ(to_string(entry.value), entry.name);
  }
  const MemorySource file = MemorySource::parse("idx:/data/train.idx");
  EXPECT_FALSE(file.synthetic());
  EXPECT_EQ(file.spec, "idx:/data/train.idx");
  EXPECT_EQ(file.name(), "idx:/data/train.idx");
  EXPECT_EQ(error_of([] { (void)MemorySource::parse(""); }),
            "empty memory source (sphere | binary | gaussian or a data file)");
  EXPECT_EQ(error_of([] { (void)parse_distribution("uniform"); }),
            "unknown memory distribution 'uniform' (sphere | binary | gaussian)");
}

}  // namespace
}  // namespace hopcap
