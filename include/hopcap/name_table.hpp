#pragma once
// The names of one vocabulary (separation maps, query kinds, models, ...) and the enum values
// they stand for, in one small table that parsing, the messages listing the accepted names and
// printing all read. The first entry of a value is its canonical name, later ones are aliases.
// An entry with a form ("angle:DEG") names a parametric value: its name is the word before the
// ':' and a parameter must follow; an entry without one takes no parameter.

#include <array>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "hopcap/error.hpp"

namespace hopcap {

template <class Enum>
struct Named {
  Enum value;
  std::string_view name;
  std::string_view form = {};  ///< "" (a bare name) or how the parametric value is written
};

/// A name split from its parameter: "angle:20" is {angle, "20"}; "random" has no parameter.
template <class Enum>
struct NamedValue {
  Enum value;
  std::optional<std::string_view> parameter;
};

template <class Enum, std::size_t N>
class NameTable {
 public:
  constexpr NameTable(std::string_view what, std::array<Named<Enum>, N> entries) : what_(what), entries_(entries) {}

  /// The value named `text` exactly (a bare name, no parameter), if any.
  constexpr std::optional<Enum> find(std::string_view text) const {
    for (const Named<Enum>& e : entries_) {
      if (e.form.empty() && e.name == text) return e.value;
    }
    return std::nullopt;
  }

  /// The value named `text`; throws ConfigError listing the accepted names otherwise.
  Enum parse(std::string_view text) const {
    const NamedValue<Enum> v = parse_parametric(text);
    if (v.parameter) throw ConfigError(unknown(text));
    return v.value;
  }

  /// `text` as NAME or NAME:PARAMETER, whichever its entry asks for; throws ConfigError
  /// listing the accepted names when the name is unknown or the parameter missing or extra.
  NamedValue<Enum> parse_parametric(std::string_view text) const {
    const auto colon = text.find(':');
    const std::string_view word = text.substr(0, colon);
    for (const Named<Enum>& e : entries_) {
      if (e.name != word) continue;
      const bool parametric = !e.form.empty();
      if (parametric != (colon != std::string_view::npos)) {
        throw ConfigError(std::string(what_) + " '" + std::string(text) + "': expected " +
                          std::string(parametric ? e.form : e.name));
      }
      if (!parametric) return {e.value, std::nullopt};
      return {e.value, text.substr(colon + 1)};
    }
    throw ConfigError(unknown(text));
  }

  /// The canonical name of a value (its first entry); "" for a value the table lacks.
  constexpr std::string_view name(Enum value) const {
    for (const Named<Enum>& e : entries_) {
      if (e.value == value) return e.name;
    }
    return {};
  }

  /// Every accepted name or form, "a | b | c" (an empty name shown as "").
  std::string accepted() const {
    std::string out;
    for (const Named<Enum>& e : entries_) {
      const std::string shown = !e.form.empty() ? std::string(e.form) : e.name.empty() ? "\"\"" : std::string(e.name);
      out += (out.empty() ? "" : " | ") + shown;
    }
    return out;
  }

  constexpr std::string_view what() const { return what_; }
  constexpr const std::array<Named<Enum>, N>& entries() const { return entries_; }

 private:
  std::string unknown(std::string_view text) const {
    return "unknown " + std::string(what_) + " '" + std::string(text) + "' (" + accepted() + ")";
  }

  std::string_view what_;
  std::array<Named<Enum>, N> entries_;
};

}  // namespace hopcap
