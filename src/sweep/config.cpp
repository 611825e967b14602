#include "hopcap/sweep/config.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <functional>
#include <set>
#include <sstream>
#include <toml++/toml.h>

#include "hopcap/error.hpp"
#include "hopcap/io/loaders.hpp"
#include "hopcap/kernels/separation.hpp"
#include "hopcap/kernels/uhop_loss.hpp"
#include "hopcap/memories.hpp"
#include "hopcap/queries.hpp"
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
  if (num < 1) fail(key + ".num", "must be >= 1 (got " + std::to_string(num) + ")");
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
    // Ranges of integer axes: rounded to the nearest integer, repeated values dropped.
    for (double v : read_range(*table, key)) {
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

// One key of the config: how to read it from a TOML node and how to print it back.
struct Key {
  const char* section;
  const char* name;
  std::function<void(SweepConfig&, const toml::node&, const std::string&)> read;
  std::function<std::string(const SweepConfig&)> print;
};

std::string format_double(double v) {
  // Shortest text that reads back to the same double, always with a '.' or exponent so that
  // TOML types it as a float.
  char buffer[64];
  const auto r = std::to_chars(buffer, buffer + sizeof buffer, v);
  std::string s(buffer, r.ptr);
  if (s.find_first_of(".eEn") == std::string::npos) s += ".0";
  return s;
}

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
#define HOPCAP_STRING_AXIS(S, N, F)                                                                          \
  Key{S, N, [](SweepConfig& c, const toml::node& n, const std::string& k) { c.F = read_string_axis(n, k); }, \
      [](const SweepConfig& c) { return list(c.F, quote); }}
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
      HOPCAP_DOUBLE_AXIS("sweep", "beta", beta),
      HOPCAP_STRING_AXIS("sweep", "sep", sep),
      HOPCAP_STRING_AXIS("sweep", "query", query),
      HOPCAP_STRING_AXIS("sweep", "model", model),
      HOPCAP_STRING_AXIS("sweep", "memories", memories),
      HOPCAP_INT("sweep", "replicas", replicas),
      Key{"sweep", "seed",
          [](SweepConfig& c, const toml::node& n, const std::string& k) {
            const std::int64_t v = read_int(n, k);
            if (v < 0) fail(k, "must be >= 0 (got " + std::to_string(v) + ")");
            c.seed = static_cast<std::uint64_t>(v);
          },
          [](const SweepConfig& c) { return std::to_string(c.seed); }},
      HOPCAP_STRING("sweep", "filter", filter),
      HOPCAP_INT("retrieval", "queries_per_memory", queries_per_memory),
      HOPCAP_INT("retrieval", "random_queries", random_queries),
      HOPCAP_INT("retrieval", "t_max", t_max),
      HOPCAP_DOUBLE("retrieval", "tol", tol),
      HOPCAP_DOUBLE("retrieval", "epsilon", epsilon),
      HOPCAP_STRING("retrieval", "khm_scores", khm_scores),
      HOPCAP_BOOL("retrieval", "scale_pixels", scale_pixels),
      HOPCAP_BOOL("retrieval", "normalize", normalize),
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
      HOPCAP_BOOL("capacity", "enabled", capacity),
      HOPCAP_DOUBLE("capacity", "delta", capacity_delta),
      HOPCAP_INT("capacity", "M_min", capacity_m_min),
      HOPCAP_INT("capacity", "M_max", capacity_m_max),
      HOPCAP_STRING("run", "output", output),
      HOPCAP_INT("run", "group_size", group_size),
      HOPCAP_INT("run", "commit_every", commit_every),
      HOPCAP_DOUBLE("run", "commit_seconds", commit_seconds),
      HOPCAP_DOUBLE("run", "progress_seconds", progress_seconds),
      HOPCAP_BOOL("run", "fail_fast", fail_fast),
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

toml::table parse_toml(std::string_view text, std::string_view source) {
  try {
    return toml::parse(text, std::string_view(source));
  } catch (const toml::parse_error& e) {
    std::ostringstream message;
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
void check_each(const std::vector<std::string>& values, const std::string& key, F check) {
  if (values.empty()) fail(key, "the axis is empty; give at least one value");
  for (const std::string& v : values) {
    try {
      check(v);
    } catch (const Error& e) {
      fail(key, e.what());
    }
  }
  check_unique(values, key);
}

template <class F>
void check_one(const std::string& key, F check) {
  try {
    check();
  } catch (const Error& e) {
    fail(key, e.what());
  }
}

}  // namespace

void validate(const SweepConfig& c) {
  check_positive_axis(c.d, "sweep.d");
  check_unique(c.d, "sweep.d");
  check_positive_axis(c.m, "sweep.M");
  check_unique(c.m, "sweep.M");
  check_positive_axis(c.dphi, "sweep.Dphi");
  check_unique(c.dphi, "sweep.Dphi");
  check_positive_axis(c.beta, "sweep.beta");
  check_unique(c.beta, "sweep.beta");
  check_each(c.sep, "sweep.sep", [](const std::string& v) { (void)Separation::parse(v); });
  check_each(c.query, "sweep.query", [](const std::string& v) {
    const QueryModel query = QueryModel::parse(v);
    if (query.kind != QueryKind::data) return;
    const std::string path = io::parse_source_spec(query.source).path;
    if (!std::filesystem::exists(path)) {
      throw ConfigError("'" + v + "': no such file '" + path + "' (data queries are data:idx:PATH | data:text:PATH | "
                        "data:h5:PATH:DATASET | ...)");
    }
  });
  check_each(c.model, "sweep.model", [](const std::string& v) {
    if (v != "mhm" && v != "khm_uhop" && v != "khm_random" && v != "khm_identity") {
      throw ConfigError("unknown model '" + v + "' (mhm | khm_uhop | khm_random | khm_identity)");
    }
  });
  check_each(c.memories, "sweep.memories", [](const std::string& v) {
    if (is_distribution_name(v)) return;
    const std::string path = io::parse_source_spec(v).path;
    if (!std::filesystem::exists(path)) {
      throw ConfigError("'" + v + "': no such file '" + path +
                        "' (memories are sphere | binary | gaussian | idx:PATH | text:PATH | sloane:PATH | "
                        "h5:PATH:DATASET)");
    }
  });
  if (c.replicas < 1) fail("sweep.replicas", "must be >= 1 (got " + std::to_string(c.replicas) + ")");
  if (!c.filter.empty() && c.filter != "Dphi <= d" && c.filter != "Dphi >= d") {
    fail("sweep.filter", "unknown filter '" + c.filter + "' (\"\" | \"Dphi <= d\" | \"Dphi >= d\")");
  }

  if (c.queries_per_memory < 1) fail("retrieval.queries_per_memory", "must be >= 1");
  if (c.random_queries < 0) fail("retrieval.random_queries", "must be >= 0 (0 = M queries)");
  if (c.t_max < 1) fail("retrieval.t_max", "must be >= 1");
  if (!std::isfinite(c.tol) || c.tol < 0.0) fail("retrieval.tol", "must be a finite number >= 0");
  if (!std::isfinite(c.epsilon) || c.epsilon <= 0.0) fail("retrieval.epsilon", "must be a finite number > 0");
  if (c.khm_scores != "normalized" && c.khm_scores != "raw") {
    fail("retrieval.khm_scores", "must be \"normalized\" or \"raw\" (got '" + c.khm_scores + "')");
  }

  check_one("uhop.loss", [&] { (void)parse_uhop_loss(c.uhop.loss); });
  check_one("uhop.optimizer", [&] { (void)parse_uhop_optimizer(c.uhop.optimizer); });
  check_one("uhop.projection", [&] { (void)parse_uhop_projection(c.uhop.projection); });
  check_one("uhop.init", [&] { (void)parse_uhop_init(c.uhop.init); });
  if (!std::isfinite(c.uhop.tau) || c.uhop.tau <= 0.0) fail("uhop.tau", "must be a finite number > 0");
  if (!std::isfinite(c.uhop.tau_min) || c.uhop.tau_min < 0.0) fail("uhop.tau_min", "must be >= 0 (0 = constant tau)");
  if (c.uhop.tau_min > c.uhop.tau) fail("uhop.tau_min", "must not exceed uhop.tau");
  if (!(c.uhop.anneal > 0.0 && c.uhop.anneal <= 1.0)) fail("uhop.anneal", "must be in (0, 1]");
  if (!std::isfinite(c.uhop.lr) || c.uhop.lr <= 0.0) fail("uhop.lr", "must be a finite number > 0");
  if (!(c.uhop.momentum >= 0.0 && c.uhop.momentum < 1.0)) fail("uhop.momentum", "must be in [0, 1)");
  if (c.uhop.iterations < 0) fail("uhop.iters", "must be >= 0");
  if (c.uhop.batch != 0 && c.uhop.batch < 2) fail("uhop.batch", "must be 0 (all memories) or >= 2");
  if (c.uhop.restarts < 1) fail("uhop.restarts", "must be >= 1");
  if (c.uhop.init == "identity") {
    for (std::int64_t dphi : c.dphi) {
      for (std::int64_t d : c.d) {
        if (dphi > d && (c.filter != "Dphi <= d")) {
          fail("uhop.init", "identity needs Dphi <= d for every point (Dphi = " + std::to_string(dphi) +
                                ", d = " + std::to_string(d) + "); add filter = \"Dphi <= d\"");
        }
      }
    }
  }

  if (!(c.capacity_delta > 0.0 && c.capacity_delta < 1.0)) fail("capacity.delta", "must be in (0, 1)");
  if (c.capacity_m_min < 2) fail("capacity.M_min", "must be >= 2");
  if (c.capacity_m_max < c.capacity_m_min) fail("capacity.M_max", "must be >= capacity.M_min");

  if (c.output.empty()) fail("run.output", "must name a file");
  if (c.group_size < 0) fail("run.group_size", "must be >= 0 (0 = automatic)");
  if (c.commit_every < 1) fail("run.commit_every", "must be >= 1");
  if (!std::isfinite(c.commit_seconds) || c.commit_seconds <= 0.0) fail("run.commit_seconds", "must be > 0");
  if (!std::isfinite(c.progress_seconds) || c.progress_seconds <= 0.0) fail("run.progress_seconds", "must be > 0");
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
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  const std::string path(trim(assignment.substr(0, eq)));
  const std::string value(trim(assignment.substr(eq + 1)));
  const auto dot = path.find('.');
  if (dot == std::string::npos) throw ConfigError(path + ": expected section.key (e.g. sweep.d)");
  const std::string section = path.substr(0, dot), name = path.substr(dot + 1);
  if (!known_section(section)) fail(path, "unknown section (sections are sweep, retrieval, uhop, capacity, run)");
  const Key* key = find_key(section, name);
  if (key == nullptr) fail(path, "unknown key (" + section + " has " + known_keys(section) + ")");
  // The value is TOML; a bare word that is not TOML is taken as a string for convenience.
  toml::table parsed;
  try {
    const std::string text = "v = " + value;
    parsed = toml::parse(std::string_view(text), std::string_view("override"));
  } catch (const toml::parse_error&) {
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
    if (!with_run && std::string_view(key.section) == "run") continue;
    if (section != key.section) {
      section = key.section;
      out += (out.empty() ? "[" : "\n[") + section + "]\n";
    }
    out += std::string(key.name) + " = " + key.print(config) + "\n";
  }
  return out;
}
}  // namespace

std::string to_toml(const SweepConfig& config) { return print_sections(config, true); }

std::string science_toml(const SweepConfig& config) { return print_sections(config, false); }

}  // namespace hopcap::sweep
