#include "hopcap/sweep/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <iomanip>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "hopcap/error.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/kernels/separation.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/queries.hpp"
#include "hopcap/sizes.hpp"
#include "hopcap/sweep/model.hpp"
#include "hopcap/uhop.hpp"

namespace hopcap::sweep {
namespace {

[[noreturn]] void fail(const std::string& key, const std::string& message) {
  throw ConfigError(key + ": " + message);
}

std::string type_name(const toml::node& node) {
  switch (node.type()) {
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a number";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::array: return "a list";
    case toml::node_type::table: return "a table";
    default: return "a date/time";
  }
}

std::string format_double(double v) {
  // Shortest text that reads back to the same double, always with a '.' or exponent so that
  // TOML types it as a float.
  char buffer[64];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
  std::string s(buffer, r.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

std::int64_t read_int(const toml::node& node, const std::string& key) {
  if (auto v = node.value_exact<std::int64_t>()) return *v;
  fail(key, "expected an integer, got " + type_name(node));
}

double read_double(const toml::node& node, const std::string& key) {
  if (auto v = node.value_exact<std::int64_t>()) return static_cast<double>(*v);
  if (auto v = node.value_exact<double>()) return *v;
  fail(key, "expected a number, got " + type_name(node));
}

bool read_bool(const toml::node& node, const std::string& key) {
  if (auto v = node.value_exact<bool>()) return *v;
  fail(key, "expected true or false, got " + type_name(node));
}

std::string read_string(const toml::node& node, const std::string& key) {
  if (auto v = node.value_exact<std::string>()) return *v;
  fail(key, "expected a string, got " + type_name(node));
}

// A range table { start, stop, num, log }: num points from start to stop inclusive,
// geometrically spaced when log = true.
std::vector<double> read_range(const toml::table& table, const std::string& key) {
  double start = 0.0, stop = 0.0;
  std::int64_t num = 0;
  bool log = false, has_start = false, has_stop = false, has_num = false;
  for (const auto& [k, node] : table) {
    const std::string name(k.str());
    const std::string sub = key + "." + name;
    if (name == "start") {
      start = read_double(node, sub);
      has_start = true;
    } else if (name == "stop") {
      stop = read_double(node, sub);
      has_stop = true;
    } else if (name == "num") {
      num = read_int(node, sub);
      has_num = true;
    } else if (name == "log") {
      log = read_bool(node, sub);
    } else {
      fail(sub, "unknown range key (a range has start, stop, num and optionally log)");
    }
  }
  if (!has_start || !has_stop || !has_num) fail(key, "a range needs start, stop and num");
  if (num < 1 || num > kMaxPlannedPoints) {
    fail(key + ".num", "must be in [1, " + std::to_string(kMaxPlannedPoints) + "] (got " + std::to_string(num) +
                           "; one run plans at most that many grid points)");
  }
  if (!std::isfinite(start) || !std::isfinite(stop)) fail(key, "start and stop must be finite");
  if (num == 1 && start != stop) fail(key, "num = 1 needs start == stop");
  if (log && (start <= 0.0 || stop <= 0.0)) fail(key, "a log range needs start > 0 and stop > 0");
  std::vector<double> values(static_cast<std::size_t>(num));
  for (std::int64_t i = 0; i < num; ++i) {
    const double t = num == 1 ? 0.0 : static_cast<double>(i) / static_cast<double>(num - 1);
    double v = log ? std::exp(std::log(start) + t * (std::log(stop) - std::log(start))) : start + t * (stop - start);
    if (i == 0) v = start;
    if (i == num - 1) v = stop;
    values[static_cast<std::size_t>(i)] = v;
  }
  return values;
}

std::vector<double> read_number_axis(const toml::node& node, const std::string& key) {
  if (const toml::table* table = node.as_table()) return read_range(*table, key);
  std::vector<double> values;
  if (const toml::array* array = node.as_array()) {
    std::size_t i = 0;
    for (const toml::node& item : *array) values.push_back(read_double(item, key + "[" + std::to_string(i++) + "]"));
  } else {
    values.push_back(read_double(node, key));
  }
  return values;
}

std::vector<std::int64_t> read_int_axis(const toml::node& node, const std::string& key) {
  std::vector<std::int64_t> values;
  if (const toml::table* table = node.as_table()) {
    // Ranges of integer axes: rounded to the nearest integer, repeated values dropped. A value
    // beyond int64 would make llround's result unspecified, so it is refused first.
    for (double v : read_range(*table, key)) {
      if (!(std::fabs(v) < 0x1p63)) fail(key, "range value " + format_double(v) + " is not a 64-bit integer");
      const auto r = static_cast<std::int64_t>(std::llround(v));
      if (values.empty() || values.back() != r) values.push_back(r);
    }
    return values;
  }
  if (const toml::array* array = node.as_array()) {
    std::size_t i = 0;
    for (const toml::node& item : *array) values.push_back(read_int(item, key + "[" + std::to_string(i++) + "]"));
  } else {
    values.push_back(read_int(node, key));
  }
  return values;
}

std::vector<std::string> read_string_axis(const toml::node& node, const std::string& key) {
  std::vector<std::string> values;
  if (node.is_table()) fail(key, "ranges are for numeric axes; give a list of strings");
  if (const toml::array* array = node.as_array()) {
    std::size_t i = 0;
    for (const toml::node& item : *array) values.push_back(read_string(item, key + "[" + std::to_string(i++) + "]"));
  } else {
    values.push_back(read_string(node, key));
  }
  return values;
}

// An axis of named values: each string parsed once, here, into its value. Two entries that
// parse to one value ("entmax15" and "entmax:1.5", "angle:20" and "angle:20.0") would run the
// same configurations twice under two names: refused, naming both spellings.
template <class Parse>
auto read_named_axis(const toml::node& node, const std::string& key, Parse parse) {
  using Value = decltype(parse(std::string_view{}));
  std::vector<Value> values;
  std::vector<std::string> spellings;
  for (const std::string& text : read_string_axis(node, key)) {
    Value value{};
    try {
      value = parse(text);
    } catch (const Error& e) {
      fail(key, e.what());
    }
    for (std::size_t i = 0; i < values.size(); ++i) {
      if (!(values[i] == value)) continue;
      if (spellings[i] == text) fail(key, "duplicate value '" + text + "' (every axis value must be distinct)");
      fail(key, "'" + text + "' and '" + spellings[i] + "' are one value (every axis value must be distinct)");
    }
    values.push_back(value);
    spellings.push_back(text);
  }
  return values;
}

// A setting of a fixed vocabulary, parsed by its name table.
template <class Table>
auto read_named(const toml::node& node, const std::string& key, const Table& table) {
  const std::string text = read_string(node, key);
  try {
    return table.parse(text);
  } catch (const Error& e) {
    fail(key, e.what());
  }
}

// One key of the config: how to read it from a TOML node and how to print it back.
struct Key {
  const char* section;
  const char* name;
  std::function<void(SweepConfig&, const toml::node&, const std::string&)> read;
  std::function<std::string(const SweepConfig&)> print;
};

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buffer[8];
          std::snprintf(buffer, sizeof buffer, "\\u%04x", c);
          out += buffer;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  return out + "\"";
}

template <class T, class F>
std::string list(const std::vector<T>& values, F format) {
  std::string out = "[";
  for (std::size_t i = 0; i < values.size(); ++i) out += (i ? ", " : "") + format(values[i]);
  return out + "]";
}

std::string format_int(std::int64_t v) { return std::to_string(v); }
std::string format_bool(bool v) { return v ? "true" : "false"; }

#define HOPCAP_INT_AXIS(S, N, F)                                                                          \
  Key{S, N, [](SweepConfig& c, const toml::node& n, const std::string& k) { c.F = read_int_axis(n, k); }, \
      [](const SweepConfig& c) { return list(c.F, format_int); }}
#define HOPCAP_DOUBLE_AXIS(S, N, F)                                                                          \
  Key{S, N, [](SweepConfig& c, const toml::node& n, const std::string& k) { c.F = read_number_axis(n, k); }, \
      [](const SweepConfig& c) { return list(c.F, format_double); }}
// An axis of named values: PARSE reads one (throwing on bad text), NAME gives its canonical name.
#define HOPCAP_NAMED_AXIS(S, N, F, PARSE, NAME)                                                                \
  Key{S, N, [](SweepConfig& c, const toml::node& n, const std::string& k) { c.F = read_named_axis(n, k, PARSE); }, \
      [](const SweepConfig& c) { return list(c.F, [](const auto& item) { return quote(NAME(item)); }); }}
#define HOPCAP_NAMED(S, N, F, TABLE)                                                                         \
  Key{S, N, [](SweepConfig& c, const toml::node& n, const std::string& k) { c.F = read_named(n, k, TABLE); }, \
      [](const SweepConfig& c) { return quote(std::string(TABLE.name(c.F))); }}
#define HOPCAP_INT(S, N, F)                                                                          \
  Key{S, N, [](SweepConfig& c, const toml::node& n, const std::string& k) { c.F = read_int(n, k); }, \
      [](const SweepConfig& c) { return format_int(c.F); }}
#define HOPCAP_DOUBLE(S, N, F)                                                                          \
  Key{S, N, [](SweepConfig& c, const toml::node& n, const std::string& k) { c.F = read_double(n, k); }, \
      [](const SweepConfig& c) { return format_double(c.F); }}
#define HOPCAP_BOOL(S, N, F)                                                                          \
  Key{S, N, [](SweepConfig& c, const toml::node& n, const std::string& k) { c.F = read_bool(n, k); }, \
      [](const SweepConfig& c) { return format_bool(c.F); }}
#define HOPCAP_STRING(S, N, F)                                                                          \
  Key{S, N, [](SweepConfig& c, const toml::node& n, const std::string& k) { c.F = read_string(n, k); }, \
      [](const SweepConfig& c) { return quote(c.F); }}

const std::vector<Key>& keys() {
  static const std::vector<Key> table = {
      HOPCAP_INT_AXIS("sweep", "d", d),
      HOPCAP_INT_AXIS("sweep", "M", m),
      HOPCAP_INT_AXIS("sweep", "Dphi", dphi),
      // beta and lambda are two ways to give one axis (β, or β = λ·d per configuration): each
      // replaces the other, and only the one in use is printed.
      Key{"sweep", "beta",
          [](SweepConfig& c, const toml::node& n, const std::string& k) {
            c.beta = read_number_axis(n, k);
            c.lambda.clear();
          },
          [](const SweepConfig& c) { return c.beta.empty() ? std::string() : list(c.beta, format_double); }},
      Key{"sweep", "lambda",
          [](SweepConfig& c, const toml::node& n, const std::string& k) {
            c.lambda = read_number_axis(n, k);
            c.beta.clear();
          },
          [](const SweepConfig& c) { return c.lambda.empty() ? std::string() : list(c.lambda, format_double); }},
      HOPCAP_NAMED_AXIS("sweep", "sep", sep, Separation::parse, [](const Separation& v) { return v.name(); }),
      HOPCAP_NAMED_AXIS("sweep", "query", query, QueryModel::parse, [](const QueryModel& v) { return v.name(); }),
      HOPCAP_NAMED_AXIS("sweep", "model", model, parse_model, [](Model v) { return std::string(model_name(v)); }),
      HOPCAP_NAMED_AXIS("sweep", "memories", memories, MemorySource::parse,
                        [](const MemorySource& v) { return v.name(); }),
      HOPCAP_INT("sweep", "replicas", replicas),
      Key{"sweep", "seed",
          [](SweepConfig& c, const toml::node& n, const std::string& k) {
            const std::int64_t v = read_int(n, k);
            if (v < 0) fail(k, "must be >= 0 (got " + std::to_string(v) + ")");
            c.seed = static_cast<std::uint64_t>(v);
          },
          [](const SweepConfig& c) { return std::to_string(c.seed); }},
      HOPCAP_NAMED("sweep", "filter", filter, kDphiFilterNames),
      HOPCAP_INT("retrieval", "queries_per_memory", queries_per_memory),
      HOPCAP_INT("retrieval", "random_queries", random_queries),
      HOPCAP_INT("retrieval", "t_max", t_max),
      HOPCAP_DOUBLE("retrieval", "tol", tol),
      HOPCAP_DOUBLE("retrieval", "epsilon", epsilon),
      HOPCAP_NAMED("retrieval", "khm_scores", khm_scores, kKhmScoresNames),
      HOPCAP_NAMED("retrieval", "precision", precision, kPrecisionNames),
      HOPCAP_BOOL("retrieval", "scale_pixels", scale_pixels),
      HOPCAP_BOOL("retrieval", "normalize", normalize),
      HOPCAP_STRING("uhop", "method", uhop.method),
      HOPCAP_INT("uhop", "hops", uhop.hops),
      HOPCAP_STRING("uhop", "loss", uhop.loss),
      HOPCAP_DOUBLE("uhop", "tau", uhop.tau),
      HOPCAP_DOUBLE("uhop", "tau_min", uhop.tau_min),
      HOPCAP_DOUBLE("uhop", "anneal", uhop.anneal),
      HOPCAP_STRING("uhop", "optimizer", uhop.optimizer),
      HOPCAP_DOUBLE("uhop", "lr", uhop.lr),
      HOPCAP_BOOL("uhop", "lr_follows_tau", uhop.lr_follows_tau),
      HOPCAP_DOUBLE("uhop", "momentum", uhop.momentum),
      HOPCAP_STRING("uhop", "projection", uhop.projection),
      HOPCAP_STRING("uhop", "init", uhop.init),
      HOPCAP_INT("uhop", "iters", uhop.iterations),
      HOPCAP_INT("uhop", "batch", uhop.batch),
      HOPCAP_INT("uhop", "restarts", uhop.restarts),
      HOPCAP_BOOL("uhop", "bias", uhop.bias),
      HOPCAP_STRING("uhop", "precision", uhop.precision),
      HOPCAP_BOOL("capacity", "enabled", capacity),
      HOPCAP_DOUBLE("capacity", "delta", capacity_delta),
      HOPCAP_INT("capacity", "M_min", capacity_m_min),
      HOPCAP_INT("capacity", "M_max", capacity_m_max),
      HOPCAP_BOOL("capacity", "per_replica", capacity_per_replica),
      HOPCAP_STRING("run", "output", output),
      HOPCAP_INT("run", "group_size", group_size),
      HOPCAP_INT("run", "commit_every", commit_every),
      HOPCAP_DOUBLE("run", "commit_seconds", commit_seconds),
      HOPCAP_DOUBLE("run", "progress_seconds", progress_seconds),
      HOPCAP_BOOL("run", "fail_fast", fail_fast),
      HOPCAP_NAMED("run", "metrics", metrics, kMetricsModeNames),
      HOPCAP_INT("run", "metrics_sample", metrics_sample),
  };
  return table;
}

const Key* find_key(std::string_view section, std::string_view name) {
  for (const Key& key : keys()) {
    if (section == key.section && name == key.name) return &key;
  }
  return nullptr;
}

bool known_section(std::string_view section) {
  return std::any_of(keys().begin(), keys().end(), [&](const Key& k) { return section == k.section; });
}

std::string known_keys(std::string_view section) {
  std::string out;
  for (const Key& key : keys()) {
    if (section == key.section) out += (out.empty() ? "" : ", ") + std::string(key.name);
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The dotted key assigned on a line of TOML text ("section.key"), or "" when the line assigns
// none. It starts the message of a parse error (e.g. an integer beyond 64 bits), so that the
// message names the key as every other config error does.
std::string key_on_line(std::string_view text, std::size_t line) {
  std::string section;
  for (std::size_t number = 1; number <= line && !text.empty(); ++number) {
    const auto eol = text.find('\n');
    const std::string_view current = trim(text.substr(0, eol));
    if (number == line) {
      const auto eq = current.find('=');
      if (current.starts_with('[') || eq == std::string_view::npos) return "";
      const std::string key(trim(current.substr(0, eq)));
      return section.empty() ? key : section + "." + key;
    }
    if (current.starts_with('[') && current.find(']') != std::string_view::npos) {
      section = std::string(trim(current.substr(1, current.find(']') - 1)));
    }
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);
  }
  return "";
}

toml::table parse_toml(std::string_view text, std::string_view source) {
  try {
    return toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    std::ostringstream message;
    const std::string key = key_on_line(text, e.source().begin.line);
    if (!key.empty()) message << key << ": ";
    message << source << ": line " << e.source().begin.line << ", column " << e.source().begin.column << ": "
            << e.description();
    throw ConfigError(message.str());
  }
}

template <class T>
void check_positive_axis(const std::vector<T>& values, const std::string& key, bool allow_zero = false) {
  if (values.empty()) fail(key, "the axis is empty; give at least one value");
  for (const T& v : values) {
    const bool ok = std::isfinite(static_cast<double>(v)) && (allow_zero ? v >= T{0} : v > T{0});
    if (!ok) {
      std::ostringstream s;
      s << "values must be " << (allow_zero ? ">= 0" : "> 0") << " (got " << v << ")";
      fail(key, s.str());
    }
  }
}

// Integer settings outside their range are refused, never clamped or wrapped.
void check_range(const std::string& key, std::int64_t value, std::int64_t min, std::int64_t max) {
  if (value < min || value > max) {
    fail(key, "must be in [" + std::to_string(min) + ", " + std::to_string(max) + "] (got " + std::to_string(value) +
                  ")");
  }
}

std::int64_t largest(const std::vector<std::int64_t>& values) {
  return *std::max_element(values.begin(), values.end());
}

template <class T>
void check_unique(const std::vector<T>& values, const std::string& key) {
  std::set<T> seen;
  for (const T& v : values) {
    if (!seen.insert(v).second) {
      std::ostringstream s;
      s << "duplicate value " << v << " (every axis value must be distinct)";
      fail(key, s.str());
    }
  }
}

template <class F>
void check_one(const std::string& key, F check) {
  try {
    check();
  } catch (const Error& e) {
    fail(key, e.what());
  }
}

// An axis of named values set in code rather than read: every value must be one that its
// name reads back to (a valid, canonical value), and no two alike.
template <class T, class Name, class Parse>
void check_named_axis(const std::vector<T>& values, const std::string& key, Name name, Parse parse) {
  if (values.empty()) fail(key, "the axis is empty; give at least one value");
  for (std::size_t i = 0; i < values.size(); ++i) {
    const std::string text = name(values[i]);
    check_one(key, [&] {
      if (!(parse(text) == values[i])) throw ConfigError("'" + text + "' is not a value of its own name");
    });
    for (std::size_t j = 0; j < i; ++j) {
      if (values[j] == values[i]) fail(key, "duplicate value '" + text + "' (every axis value must be distinct)");
    }
  }
}

// Opens and parses (HDF5: checks the header and shape of) every file named as memories or as
// data queries, so that a config whose sources cannot be loaded is refused before any point
// runs instead of every point failing. Existence is checked first by validate().
void check_data_sources(const SweepConfig& c) {
  const auto check = [](const std::string& key, const std::string& entry, const std::string& spec) {
    try {
      io::check_source(spec);
    } catch (const Error& e) {
      fail(key, "'" + entry + "': " + e.what());
    }
  };
  for (const DataSource& source : data_sources(c)) check(source.key, source.entry, source.spec);
}

}  // namespace

std::vector<DataSource> data_sources(const SweepConfig& c) {
  std::vector<DataSource> sources;
  for (const MemorySource& v : c.memories) {
    if (!v.synthetic()) sources.push_back({"sweep.memories", v.name(), v.spec});
  }
  for (const QueryModel& v : c.query) {
    if (v.kind == QueryKind::data) sources.push_back({"sweep.query", v.name(), v.source});
  }
  return sources;
}

std::vector<std::int64_t> grid_shape(const SweepConfig& c) {
  // Capacity mode searches over M (one entry) and pools the replicas (one entry) unless it
  // searches each replica on its own.
  const auto length = [](const auto& axis) { return static_cast<std::int64_t>(axis.size()); };
  return {length(c.d),     c.capacity ? std::int64_t{1} : length(c.m),
          length(c.dphi),  c.lambda.empty() ? length(c.beta) : length(c.lambda),
          length(c.sep),   length(c.query),
          length(c.model), length(c.memories),
          c.pools_replicas() ? std::int64_t{1} : c.replicas};
}

void validate(const SweepConfig& c) {
  for (const auto& [axis, key] :
       {std::pair{&c.d, "sweep.d"}, std::pair{&c.m, "sweep.M"}, std::pair{&c.dphi, "sweep.Dphi"}}) {
    check_positive_axis(*axis, key);
    for (const std::int64_t v : *axis) {
      if (v > kMaxDimension) {
        fail(key, "values must be <= " + std::to_string(kMaxDimension) + " (got " + std::to_string(v) + ")");
      }
    }
    check_unique(*axis, key);
  }
  if (!c.beta.empty() && !c.lambda.empty()) fail("sweep.lambda", "give sweep.beta or sweep.lambda, not both");
  if (c.lambda.empty()) {
    check_positive_axis(c.beta, "sweep.beta");
    check_unique(c.beta, "sweep.beta");
  } else {
    check_positive_axis(c.lambda, "sweep.lambda");
    check_unique(c.lambda, "sweep.lambda");
    for (const double lambda : c.lambda) {
      if (!std::isfinite(lambda * static_cast<double>(largest(c.d)))) {
        fail("sweep.lambda", "beta = lambda x d is not a finite number for lambda = " + format_double(lambda));
      }
    }
  }
  check_named_axis(c.sep, "sweep.sep", [](const Separation& v) { return v.name(); }, Separation::parse);
  check_named_axis(c.query, "sweep.query", [](const QueryModel& v) { return v.name(); }, QueryModel::parse);
  check_named_axis(c.model, "sweep.model", [](Model v) { return std::string(model_name(v)); }, parse_model);
  check_named_axis(c.memories, "sweep.memories", [](const MemorySource& v) { return v.name(); }, MemorySource::parse);
  // Files are named by their source spec; existence first, for a clear message.
  for (const DataSource& source : data_sources(c)) {
    const bool memories = std::string_view(source.key) == "sweep.memories";
    check_one(source.key, [&] {
      const std::string path = io::parse_source_spec(source.spec).path;
      if (std::filesystem::exists(path)) return;
      throw ConfigError("'" + source.entry + "': no such file '" + path + "' (" +
                        (memories ? "memories are " + kDistributionNames.accepted() +
                                        " | idx:PATH | text:PATH | sloane:PATH | h5:PATH:DATASET"
                                  : std::string("data queries are data:idx:PATH | data:text:PATH | "
                                                "data:h5:PATH:DATASET | ...")) +
                        ")");
    });
  }
  check_data_sources(c);
  check_range("sweep.replicas", c.replicas, 1, kMaxGridSize);

  check_range("retrieval.queries_per_memory", c.queries_per_memory, 1, kMaxDimension);
  check_range("retrieval.random_queries", c.random_queries, 0, kMaxDimension);
  check_range("retrieval.t_max", c.t_max, 1, kMaxIterations);
  if (!std::isfinite(c.tol) || c.tol < 0.0) fail("retrieval.tol", "must be a finite number >= 0");
  if (!std::isfinite(c.epsilon) || c.epsilon <= 0.0) fail("retrieval.epsilon", "must be a finite number > 0");

  check_one("uhop.method", [&] { (void)parse_uhop_method(c.uhop.method); });
  check_range("uhop.hops", c.uhop.hops, 0, kMaxIterations);
  check_one("uhop.loss", [&] { (void)parse_uhop_loss(c.uhop.loss); });
  check_one("uhop.precision", [&] { (void)kPrecisionNames.parse(c.uhop.precision); });
  check_one("uhop.optimizer", [&] { (void)parse_uhop_optimizer(c.uhop.optimizer); });
  check_one("uhop.projection", [&] { (void)parse_uhop_projection(c.uhop.projection); });
  check_one("uhop.init", [&] { (void)parse_uhop_init(c.uhop.init); });
  if (!std::isfinite(c.uhop.tau) || c.uhop.tau <= 0.0) fail("uhop.tau", "must be a finite number > 0");
  if (!std::isfinite(c.uhop.tau_min) || c.uhop.tau_min < 0.0) fail("uhop.tau_min", "must be >= 0 (0 = constant tau)");
  if (c.uhop.tau_min > c.uhop.tau) fail("uhop.tau_min", "must not exceed uhop.tau");
  const auto uhop_float32 = [&] {
    try {
      return kPrecisionNames.parse(c.uhop.precision) == Precision::float32;
    } catch (const ConfigError&) {
      return false;  // reported above
    }
  };
  if (uhop_float32() && std::min(c.uhop.tau, c.uhop.tau_min > 0.0 ? c.uhop.tau_min : c.uhop.tau) <
                                           kUhopFloat32MinTau) {
    fail("uhop.precision", "float32 needs uhop.tau (and uhop.tau_min) >= " + std::to_string(kUhopFloat32MinTau) +
                               "; use float64 for smaller temperatures");
  }
  if (!(c.uhop.anneal > 0.0 && c.uhop.anneal <= 1.0)) fail("uhop.anneal", "must be in (0, 1]");
  if (!std::isfinite(c.uhop.lr) || c.uhop.lr <= 0.0) fail("uhop.lr", "must be a finite number > 0");
  if (!(c.uhop.momentum >= 0.0 && c.uhop.momentum < 1.0)) fail("uhop.momentum", "must be in [0, 1)");
  check_range("uhop.iters", c.uhop.iterations, 0, kMaxIterations);
  if (c.uhop.batch != 0 && (c.uhop.batch < 2 || c.uhop.batch > kMaxDimension)) {
    fail("uhop.batch", "must be 0 (all memories) or in [2, " + std::to_string(kMaxDimension) + "] (got " +
                           std::to_string(c.uhop.batch) + ")");
  }
  check_range("uhop.restarts", c.uhop.restarts, 1, kMaxDimension);
  if (parse_uhop_init(c.uhop.init) == UhopInit::identity) {  // a valid name: checked above
    for (std::int64_t dphi : c.dphi) {
      for (std::int64_t d : c.d) {
        if (dphi > d && c.filter != DphiFilter::dphi_at_most_d) {
          fail("uhop.init", "identity needs Dphi <= d for every point (Dphi = " + std::to_string(dphi) +
                                ", d = " + std::to_string(d) + "); add filter = \"Dphi <= d\"");
        }
      }
    }
  }

  // Feature-angle queries of a KHM are placed through its map, which must reach every feature
  // direction (make_queries): refused here rather than failing every point at run time.
  const bool feature_queries = std::any_of(c.query.begin(), c.query.end(),
                                           [](const QueryModel& q) { return q.in_feature_space(); });
  if (feature_queries && std::any_of(c.model.begin(), c.model.end(), has_feature_map)) {
    for (std::int64_t dphi : c.dphi) {
      if (dphi < 2) fail("sweep.query", "feature_angle queries need Dphi >= 2 (got Dphi = " + std::to_string(dphi) + ")");
      for (std::int64_t d : c.d) {
        if (dphi > d && c.filter != DphiFilter::dphi_at_most_d) {
          fail("sweep.query", "feature_angle queries need Dphi <= d for every KHM point (Dphi = " +
                                  std::to_string(dphi) + ", d = " + std::to_string(d) + "); add filter = \"Dphi <= d\"");
        }
      }
    }
  }

  if (!(c.capacity_delta > 0.0 && c.capacity_delta < 1.0)) fail("capacity.delta", "must be in (0, 1)");
  check_range("capacity.M_min", c.capacity_m_min, 2, kMaxDimension);
  if (c.capacity_m_max < c.capacity_m_min) fail("capacity.M_max", "must be >= capacity.M_min");
  check_range("capacity.M_max", c.capacity_m_max, c.capacity_m_min, kMaxDimension);

  if (c.output.empty()) fail("run.output", "must name a file");
  check_range("run.group_size", c.group_size, 0, kMaxDimension);  // 0 = automatic; ranks are int
  check_range("run.commit_every", c.commit_every, 1, kMaxGridSize);
  if (!std::isfinite(c.commit_seconds) || c.commit_seconds <= 0.0) fail("run.commit_seconds", "must be > 0");
  if (!std::isfinite(c.progress_seconds) || c.progress_seconds <= 0.0) fail("run.progress_seconds", "must be > 0");
  check_range("run.metrics_sample", c.metrics_sample, 1, kMaxDimension);

  // Products of sizes, at the largest value of every axis: the memory matrix (M x d), the
  // feature matrices of the KHMs (M x D_Phi and the map D_Phi x d), the queries aimed at the
  // memories and the grid.
  const std::int64_t m_max = c.capacity ? c.capacity_m_max : largest(c.m);
  const char* m_key = c.capacity ? "capacity.M_max" : "sweep.M";
  (void)checked_product(m_max, largest(c.d), std::string(m_key) + " x sweep.d (values of one memory set)");
  if (std::any_of(c.model.begin(), c.model.end(), has_feature_map)) {
    (void)checked_product(m_max, largest(c.dphi), std::string(m_key) + " x sweep.Dphi (features of one memory set)");
    (void)checked_product(largest(c.dphi), largest(c.d), "sweep.Dphi x sweep.d (entries of a feature map)");
  }
  (void)checked_product(c.queries_per_memory, m_max,
                        std::string("retrieval.queries_per_memory x ") + m_key + " (queries of one point)",
                        kMaxDimension);
  (void)checked_product(grid_shape(c),
                        "sweep grid size (d x M x Dphi x beta x sep x query x model x memories x replicas)",
                        kMaxGridSize);
}

SweepConfig parse_config(std::string_view toml_text, std::string_view source) {
  const toml::table root = parse_toml(toml_text, source);
  SweepConfig config;
  for (const auto& [section_key, section_node] : root) {
    const std::string section(section_key.str());
    if (!known_section(section)) {
      fail(section, "unknown section (sections are sweep, retrieval, uhop, capacity, run)");
    }
    const toml::table* table = section_node.as_table();
    if (table == nullptr) fail(section, "expected a table [" + section + "]");
    if (section == "sweep" && table->contains("beta") && table->contains("lambda")) {
      fail("sweep.lambda", "give sweep.beta or sweep.lambda, not both");
    }
    for (const auto& [name_key, node] : *table) {
      const std::string name(name_key.str());
      const Key* key = find_key(section, name);
      if (key == nullptr) fail(section + "." + name, "unknown key (" + section + " has " + known_keys(section) + ")");
      key->read(config, node, section + "." + name);
    }
  }
  validate(config);
  return config;
}

void apply_override(SweepConfig& config, std::string_view assignment) {
  const auto eq = assignment.find('=');
  if (eq == std::string_view::npos) {
    throw ConfigError("--set '" + std::string(assignment) + "': expected section.key=VALUE");
  }
  const std::string path(trim(assignment.substr(0, eq)));
  const std::string value(trim(assignment.substr(eq + 1)));
  const auto dot = path.find('.');
  if (dot == std::string::npos) throw ConfigError(path + ": expected section.key (e.g. sweep.d)");
  const std::string section = path.substr(0, dot), name = path.substr(dot + 1);
  if (!known_section(section)) fail(path, "unknown section (sections are sweep, retrieval, uhop, capacity, run)");
  const Key* key = find_key(section, name);
  if (key == nullptr) fail(path, "unknown key (" + section + " has " + known_keys(section) + ")");
  // The value is TOML; a bare word that is not TOML is taken as a string for convenience. An
  // integer that TOML refuses (beyond 64 bits) is refused as such, not read as a string.
  toml::table parsed;
  try {
    const std::string text = "v = " + value;
    parsed = toml::parse(std::string_view(text), std::string_view("override"));
  } catch (const toml::parse_error& e) {
    const std::string_view digits = value.starts_with('-') || value.starts_with('+') ? std::string_view(value).substr(1)
                                                                                       : std::string_view(value);
    if (!digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos) {
      fail(path, std::string(e.description()));
    }
    parsed = parse_toml("v = " + quote(value), "override");
  }
  SweepConfig updated = config;
  key->read(updated, *parsed.get("v"), path);
  validate(updated);
  config = std::move(updated);
}

namespace {
std::string print_sections(const SweepConfig& config, bool with_run) {
  std::string out;
  std::string section;
  for (const Key& key : keys()) {
    // The metrics keys decide what the metric variables hold: science, although under [run].
    if (!with_run && std::string_view(key.section) == "run" && !std::string_view(key.name).starts_with("metrics")) {
      continue;
    }
    if (section != key.section) {
      section = key.section;
      out += (out.empty() ? "[" : "\n[") + section + "]\n";
    }
    const std::string value = key.print(config);
    if (value.empty()) continue;  // the unused one of sweep.beta and sweep.lambda
    out += std::string(key.name) + " = " + value + "\n";
  }
  return out;
}
}  // namespace

std::string to_toml(const SweepConfig& config) { return print_sections(config, true); }

std::string science_toml(const SweepConfig& config) { return print_sections(config, false); }

}  // namespace hopcap::sweep
