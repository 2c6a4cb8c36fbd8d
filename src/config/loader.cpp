// Reads config.yaml into a Config. Every value is checked against the type and range its
// struct field documents; every problem is collected (not only the first) with the key path
// and YAML line, so one run tells the user everything to fix.

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>
#include <system_error>
#include <utility>

#include "galfriday/config/config.hpp"

namespace galfriday::config {
namespace {

constexpr size_t kMaxShownChars = 64;         // longer values are cut in messages
constexpr size_t kMaxSuggestionDistance = 2;  // edits; longer keys allow a third of their length
constexpr size_t kMinAbbreviationLength = 3;  // shorter keys match too much
constexpr size_t kMaxCurrencyCodeLength = 16;
constexpr int64_t kMinLogFileBytes = 1024;

std::string single_quoted(std::string_view text) {
  std::string out = "'";
  out.append(text.substr(0, kMaxShownChars));
  if (text.size() > kMaxShownChars) out += "...";
  out += "'";
  return out;
}

int line_of(const YAML::Node& node) {
  const YAML::Mark mark = node.Mark();
  return mark.is_null() ? 0 : mark.line + 1;
}

// What the user wrote, for "got ..." in messages.
std::string describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return single_quoted(node.Scalar());
    case YAML::NodeType::Sequence:
      return "a list";
    case YAML::NodeType::Map:
      return "a map";
    case YAML::NodeType::Null:
    case YAML::NodeType::Undefined:
      break;
  }
  return "an empty value";
}

std::string format_number(double value) {
  char buffer[32];
  const auto [end, error] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  if (error != std::errc()) return "?";
  return std::string(buffer, end);
}

std::string join(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

// YAML numbers may carry a leading '+'; from_chars does not accept one.
std::string_view without_plus(std::string_view text) {
  if (text.size() > 1 && text[0] == '+' && text[1] != '+' && text[1] != '-') text.remove_prefix(1);
  return text;
}

std::optional<int64_t> parse_integer(std::string_view text) {
  text = without_plus(text);
  int64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end) return std::nullopt;
  return value;
}

// Ranges and ratios only; money and precision-bearing values go through FixedPoint.
std::optional<double> parse_number(std::string_view text) {
  text = without_plus(text);
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [stop, error] = std::from_chars(text.data(), end, value);
  if (text.empty() || error != std::errc() || stop != end || !std::isfinite(value)) {
    return std::nullopt;
  }
  return value;
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

// Optimal string alignment distance, case-insensitive: "rsik" is one edit from "risk".
size_t edit_distance(std::string_view a, std::string_view b) {
  std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
  for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
  for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
  for (size_t i = 1; i <= a.size(); ++i) {
    for (size_t j = 1; j <= b.size(); ++j) {
      const size_t cost = lower(a[i - 1]) == lower(b[j - 1]) ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && lower(a[i - 1]) == lower(b[j - 2]) &&
          lower(a[i - 2]) == lower(b[j - 1])) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[a.size()][b.size()];
}

bool starts_with_ignoring_case(std::string_view text, std::string_view prefix) {
  if (prefix.size() > text.size()) return false;
  return std::equal(prefix.begin(), prefix.end(), text.begin(),
                    [](char a, char b) { return lower(a) == lower(b); });
}

// The known key the user most likely meant: the nearest within a few edits, else one that
// the key abbreviates or extends ("tick" for "tick_size").
std::optional<std::string> closest_key(std::string_view key,
                                       const std::vector<std::string>& known) {
  std::optional<std::string> best;
  size_t best_distance = std::max(kMaxSuggestionDistance, key.size() / 3) + 1;
  for (const auto& candidate : known) {
    const size_t distance = edit_distance(key, candidate);
    if (distance < best_distance) {
      best_distance = distance;
      best = candidate;
    }
  }
  if (best || key.size() < kMinAbbreviationLength) return best;
  for (const auto& candidate : known) {
    if (starts_with_ignoring_case(candidate, key) || starts_with_ignoring_case(key, candidate)) {
      return candidate;
    }
  }
  return std::nullopt;
}

bool is_currency_code(std::string_view text) {
  if (text.empty() || text.size() > kMaxCurrencyCodeLength) return false;
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); });
}

// Kraken altnames name CSV files, so they must be safe in a file name.
bool is_altname(std::string_view text) {
  if (text.empty()) return false;
  return std::all_of(text.begin(), text.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
           c == '_' || c == '-';
  });
}

bool is_file_name(std::string_view text) {
  return !text.empty() && text != "." && text != ".." && text.find('/') == std::string_view::npos;
}

bool has_url_scheme(std::string_view text, std::string_view secure, std::string_view plain) {
  const auto rest_after = [&](std::string_view scheme) {
    return text.size() > scheme.size() && text.substr(0, scheme.size()) == scheme;
  };
  return rest_after(secure) || rest_after(plain);
}

bool is_http_url(std::string_view text) { return has_url_scheme(text, "https://", "http://"); }
bool is_ws_url(std::string_view text) { return has_url_scheme(text, "wss://", "ws://"); }

// "scheme://user:password@host..." or "scheme://user@host...": userinfo before the path.
bool has_url_credentials(std::string_view url) {
  const size_t scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) return false;
  const std::string_view rest = url.substr(scheme_end + 3);
  return rest.substr(0, rest.find_first_of("/?#")).find('@') != std::string_view::npos;
}

bool is_non_empty(std::string_view text) { return !text.empty(); }
bool is_any_text(std::string_view) { return true; }

// Empty (not configured) or a postgresql:// URL whose userinfo has no password: the file is
// not the place for one.
bool is_postgres_url_without_password(std::string_view text) {
  if (text.empty()) return true;
  if (!text.starts_with("postgresql://") && !text.starts_with("postgres://")) return false;
  if (text.find("password=") != std::string_view::npos) return false;
  const std::string_view rest = text.substr(text.find("://") + 3);
  const size_t at = rest.find('@');
  const size_t slash = rest.find('/');
  if (at == std::string_view::npos || (slash != std::string_view::npos && slash < at)) {
    return true;
  }
  return rest.substr(0, at).find(':') == std::string_view::npos;
}

bool is_sql_identifier(std::string_view text) {
  if (text.empty()) return true;
  if (text.size() > 63) return false;
  return std::all_of(text.begin(), text.end(),
                     [](unsigned char c) { return std::isalnum(c) != 0 || c == '_'; });
}

// The dashboard's halt and resume buttons must not be reachable from the network.
bool is_loopback_address(std::string_view text) {
  return text == "localhost" || text == "::1" || text.substr(0, 4) == "127.";
}

std::string decimals_text(int precision) {
  if (precision == 0) return "no decimals";
  if (precision == 1) return "at most 1 decimal";
  return "at most " + std::to_string(precision) + " decimals";
}

struct IntRange {
  int64_t min;
  int64_t max;
};

struct NumberRange {
  double min;
  double max;
  bool min_exclusive;
  bool max_exclusive;

  bool contains(double value) const {
    const bool above = min_exclusive ? value > min : value >= min;
    const bool below = max_exclusive ? value < max : value <= max;
    return above && below;
  }

  std::string describe() const {
    const bool bounded_above = std::isfinite(max);
    if (!min_exclusive && !max_exclusive && bounded_above) {
      return "a number between " + format_number(min) + " and " + format_number(max);
    }
    std::string out = "a number ";
    out += (min_exclusive ? "greater than " : "at least ") + format_number(min);
    if (bounded_above)
      out += (max_exclusive ? " and less than " : " and at most ") + format_number(max);
    return out;
  }
};

constexpr double kUnbounded = std::numeric_limits<double>::infinity();
constexpr NumberRange kPercent{0, 100, false, false};
constexpr NumberRange kPositivePercent{0, 100, true, false};
constexpr NumberRange kOpenPercent{0, 100, true, true};
constexpr NumberRange kProbability{0, 1, false, false};
constexpr NumberRange kPositiveRatio{0, 1, true, false};
constexpr NumberRange kPositiveNumber{0, kUnbounded, true, false};
constexpr NumberRange kAnyNumber{-kUnbounded, kUnbounded, false, false};
constexpr IntRange kPrecisionRange{0, kMaxPrecision};
// Simulated order latency: up to a minute.
constexpr NumberRange kLatencyMs{0, 60000, false, false};
constexpr IntRange kAtLeastOne{1, std::numeric_limits<int64_t>::max()};
constexpr IntRange kZeroOrMore{0, std::numeric_limits<int64_t>::max()};
// A WebSocket frame limit below Kraken's book snapshots, or one that lets a peer make us
// buffer gigabytes, is a mistake.
constexpr int64_t kMinFrameBytes = 64 * 1024;
constexpr int64_t kMaxFrameBytes = 256 * 1024 * 1024;
// Indicator windows: a week of 1-minute bars is far more than any indicator needs.
constexpr int64_t kMaxWindow = 10080;
constexpr IntRange kWindowRange{1, kMaxWindow};

enum class Sign { kNonNegative, kPositive };

class Issues {
 public:
  void error(std::string path, int line, std::string message) {
    failed_paths_.insert(path);
    errors_.push_back({std::move(path), line, std::move(message)});
  }
  void warning(std::string path, int line, std::string message) {
    warnings_.push_back({std::move(path), line, std::move(message)});
  }
  bool failed(const std::string& path) const { return failed_paths_.count(path) > 0; }

  // Issues in file order; the config only when nothing is an error.
  LoadResult finish(std::optional<Config> config) && {
    const auto by_line = [](const ConfigIssue& a, const ConfigIssue& b) { return a.line < b.line; };
    std::stable_sort(errors_.begin(), errors_.end(), by_line);
    std::stable_sort(warnings_.begin(), warnings_.end(), by_line);
    LoadResult result;
    if (errors_.empty()) result.config = std::move(config);
    result.errors = std::move(errors_);
    result.warnings = std::move(warnings_);
    return result;
  }

 private:
  std::vector<ConfigIssue> errors_;
  std::vector<ConfigIssue> warnings_;
  std::set<std::string> failed_paths_;
};

// One key's value and where it is. `line` is the value's line for scalars and the key's line
// otherwise (a block map starts on the next line; an empty value has no position of its own).
struct Field {
  std::string path;
  YAML::Node value;
  int line = 0;
};

// The entries of one YAML map. Keys are taken by name as the loader reads them; the names
// asked for are the known keys, and whatever is left untaken is reported as unknown.
class MapReader {
 public:
  MapReader(const YAML::Node& map, std::string path, int line, Issues& issues)
      : path_(std::move(path)), line_(line), issues_(issues) {
    for (auto it = map.begin(); it != map.end(); ++it) {
      const YAML::Node key = it->first;
      if (!key.IsScalar()) {
        issues_.error(path_, line_of(key), "expected a key name, got " + describe(key));
        continue;
      }
      const std::string& name = key.Scalar();
      const auto duplicate = std::find_if(entries_.begin(), entries_.end(),
                                          [&](const Entry& entry) { return entry.key == name; });
      if (duplicate != entries_.end()) {
        issues_.error(child(name), line_of(key),
                      "duplicate key (first given on line " + std::to_string(duplicate->key_line) +
                          "); keep only one");
        continue;
      }
      entries_.push_back({name, line_of(key), it->second, false});
    }
  }

  const std::string& path() const { return path_; }
  int line() const { return line_; }
  bool has(std::string_view key) const {
    return std::any_of(entries_.begin(), entries_.end(),
                       [&](const Entry& entry) { return entry.key == key; });
  }

  std::string child(std::string_view key) const {
    return path_.empty() ? std::string(key) : path_ + "." + std::string(key);
  }

  std::optional<Field> take(std::string_view key) {
    known_.emplace_back(key);
    for (auto& entry : entries_) {
      if (entry.key != key) continue;
      entry.taken = true;
      return field_of(entry);
    }
    return std::nullopt;
  }

  // Every entry, for maps whose keys are data (currency codes) rather than settings.
  std::vector<std::pair<std::string, Field>> take_all() {
    std::vector<std::pair<std::string, Field>> out;
    for (auto& entry : entries_) {
      entry.taken = true;
      out.emplace_back(entry.key, field_of(entry));
    }
    return out;
  }

  void warn_unknown_keys() {
    for (const auto& entry : entries_) {
      if (entry.taken) continue;
      const std::string path = child(entry.key);
      std::string message = "unknown key " + single_quoted(path);
      if (auto suggestion = closest_key(entry.key, known_)) {
        message += " (did you mean " + single_quoted(*suggestion) + "?)";
      } else {
        message += " (known keys here: " + join(known_) + ")";
      }
      issues_.warning(path, entry.key_line, std::move(message));
    }
  }

 private:
  struct Entry {
    std::string key;
    int key_line = 0;
    YAML::Node value;
    bool taken = false;
  };

  Field field_of(const Entry& entry) const {
    const int line = entry.value.IsScalar() ? line_of(entry.value) : entry.key_line;
    return Field{child(entry.key), entry.value, line > 0 ? line : entry.key_line};
  }

  std::string path_;
  int line_;
  Issues& issues_;
  std::vector<Entry> entries_;
  std::vector<std::string> known_;
};

class Loader {
 public:
  explicit Loader(Issues& issues) : issues_(issues) {}

  Config load(const YAML::Node& root, const std::string& source_name) {
    Config config = default_config();
    if (root.IsNull()) return config;  // an empty file: all defaults
    if (!root.IsMap()) {
      issues_.error(
          source_name, line_of(root),
          "expected a map of sections (data_dir, pairs, risk, ...) at the top level, got " +
              describe(root));
      return config;
    }
    MapReader top(root, "", line_of(root), issues_);
    read_path(top, "data_dir", config.data_dir);
    if (auto pairs = take(top, "pairs")) read_pairs(*pairs, config.pairs);
    if (auto section = open_section(top, "portfolio")) read_portfolio(*section, config.portfolio);
    if (auto section = open_section(top, "features")) read_features(*section, config.features);
    if (auto section = open_section(top, "prediction")) {
      read_prediction(*section, config.prediction);
    }
    if (auto section = open_section(top, "strategy")) read_strategy(*section, config.strategy);
    if (auto section = open_section(top, "risk")) read_risk(*section, config.risk);
    if (auto section = open_section(top, "execution")) read_execution(*section, config.execution);
    if (auto section = open_section(top, "backtest")) read_backtest(*section, config.backtest);
    if (auto section = open_section(top, "logging")) read_logging(*section, config.logging);
    if (auto section = open_section(top, "kraken")) read_kraken(*section, config.kraken);
    if (auto section = open_section(top, "market_data")) {
      read_market_data(*section, config.market_data);
    }
    if (auto section = open_section(top, "history")) read_history(*section, config.history);
    if (auto section = open_section(top, "models")) read_models(*section, config.models);
    if (auto section = open_section(top, "monitoring")) {
      read_monitoring(*section, config.monitoring);
    }
    if (auto section = open_section(top, "database")) read_database(*section, config.database);
    if (auto section = open_section(top, "influxdb")) read_influxdb(*section, config.influxdb);
    top.warn_unknown_keys();
    check_across_fields(config);
    return config;
  }

 private:
  // --- Access --------------------------------------------------------------------------------

  std::optional<Field> take(MapReader& map, std::string_view key) {
    auto field = map.take(key);
    if (field) lines_[field->path] = field->line;
    return field;
  }

  void expected(const Field& field, std::string_view what) {
    issues_.error(field.path, field.line,
                  "expected " + std::string(what) + ", got " + describe(field.value));
  }

  // The scalar text of a field, or an error naming what was expected.
  std::optional<std::string> scalar(const Field& field, std::string_view what) {
    if (!field.value.IsScalar()) {
      expected(field, what);
      return std::nullopt;
    }
    return field.value.Scalar();
  }

  // A section's map, or nothing when it is absent or empty (all defaults) or not a map (error).
  std::optional<MapReader> open_section(MapReader& parent, std::string_view key) {
    auto field = take(parent, key);
    if (!field || field->value.IsNull()) return std::nullopt;
    if (!field->value.IsMap()) {
      expected(*field, "a map of " + std::string(key) + " settings");
      return std::nullopt;
    }
    return std::optional<MapReader>(std::in_place, field->value, field->path, field->line, issues_);
  }

  // --- Typed readers -------------------------------------------------------------------------
  // Each reads `key` into `out` when present and returns false after reporting an error, in
  // which case `out` keeps its default. An absent key is not an error.

  template <typename Int>
  bool read_int(MapReader& map, std::string_view key, Int& out, IntRange range) {
    auto field = take(map, key);
    if (!field) return true;
    const int64_t max = std::min<int64_t>(range.max, std::numeric_limits<Int>::max());
    const std::string what =
        max == std::numeric_limits<Int>::max()
            ? "an integer >= " + std::to_string(range.min)
            : "an integer between " + std::to_string(range.min) + " and " + std::to_string(max);
    const auto text = scalar(*field, what);
    if (!text) return false;
    const auto value = parse_integer(*text);
    if (!value || *value < range.min || *value > max) {
      expected(*field, what);
      return false;
    }
    out = static_cast<Int>(*value);
    return true;
  }

  bool read_number(MapReader& map, std::string_view key, double& out, NumberRange range) {
    auto field = take(map, key);
    if (!field) return true;
    const std::string what = range.describe();
    const auto text = scalar(*field, what);
    if (!text) return false;
    const auto value = parse_number(*text);
    if (!value || !range.contains(*value)) {
      expected(*field, what);
      return false;
    }
    out = *value;
    return true;
  }

  // A list of scalars, each checked by `accept`; on any bad element `out` keeps its default.
  template <typename T, typename Parse>
  bool read_list(MapReader& map, std::string_view key, std::vector<T>& out, std::string_view what,
                 Parse parse) {
    auto field = take(map, key);
    if (!field) return true;
    if (!field->value.IsSequence() || field->value.size() == 0) {
      expected(*field, "a non-empty list of " + std::string(what));
      return false;
    }
    std::vector<T> values;
    bool ok = true;
    for (size_t i = 0; i < field->value.size(); ++i) {
      const YAML::Node element = field->value[i];
      const Field item{field->path + "[" + std::to_string(i) + "]", element,
                       line_of(element) > 0 ? line_of(element) : field->line};
      const auto text = scalar(item, what);
      std::optional<T> value = text ? parse(*text) : std::nullopt;
      if (!value) {
        if (text) expected(item, what);
        ok = false;
        continue;
      }
      values.push_back(*value);
    }
    if (ok) out = std::move(values);
    return ok;
  }

  bool read_bool(MapReader& map, std::string_view key, bool& out) {
    auto field = take(map, key);
    if (!field) return true;
    constexpr std::string_view kWhat = "true or false";
    const auto text = scalar(*field, kWhat);
    if (!text) return false;
    if (*text != "true" && *text != "false") {
      expected(*field, kWhat);
      return false;
    }
    out = *text == "true";
    return true;
  }

  bool read_string(MapReader& map, std::string_view key, std::string& out, std::string_view what,
                   bool (*valid)(std::string_view) = is_non_empty) {
    auto field = take(map, key);
    if (!field) return true;
    const auto text = scalar(*field, what);
    if (!text) return false;
    if (!valid(*text)) {
      expected(*field, what);
      return false;
    }
    out = *text;
    return true;
  }

  bool read_path(MapReader& map, std::string_view key, std::filesystem::path& out) {
    std::string text;
    if (!read_string(map, key, text, "a path")) return false;
    if (!text.empty()) out = text;
    return true;
  }

  template <typename Enum>
  bool read_enum(MapReader& map, std::string_view key, Enum& out,
                 std::initializer_list<std::pair<std::string_view, Enum>> names) {
    auto field = take(map, key);
    if (!field) return true;
    std::vector<std::string> choices;
    for (const auto& choice : names) choices.emplace_back(choice.first);
    const std::string what = "one of " + join(choices);
    const auto text = scalar(*field, what);
    if (!text) return false;
    for (const auto& [name, value] : names) {
      if (*text == name) {
        out = value;
        return true;
      }
    }
    expected(*field, what);
    return false;
  }

  // An exact decimal at `precision`, from the scalar's text (never through double).
  // `noun` names the value ("a quantity"), `precision_source` where its precision comes from.
  template <typename Tag>
  bool read_decimal(const Field& field, FixedPoint<Tag>& out, int precision, Sign sign,
                    std::string_view noun, std::string_view precision_source) {
    std::string what = std::string(noun) + (sign == Sign::kPositive ? " > 0" : " >= 0") + " with " +
                       decimals_text(precision);
    if (!precision_source.empty()) what += " (" + std::string(precision_source) + ")";
    const auto text = scalar(field, what);
    if (!text) return false;
    const auto value = FixedPoint<Tag>::parse(*text, precision);
    if (!value || value->is_negative() || (sign == Sign::kPositive && value->is_zero())) {
      expected(field, what);
      return false;
    }
    out = *value;
    return true;
  }

  template <typename Tag>
  bool read_decimal(MapReader& map, std::string_view key, FixedPoint<Tag>& out, int precision,
                    Sign sign, std::string_view noun, std::string_view precision_source) {
    auto field = take(map, key);
    if (!field) return true;
    return read_decimal(*field, out, precision, sign, noun, precision_source);
  }

  // --- Sections ------------------------------------------------------------------------------

  void read_pairs(const Field& field, std::vector<PairConfig>& pairs) {
    if (!field.value.IsSequence()) {
      expected(field, "a list of pairs (each a map with symbol, altname, precisions, ...)");
      return;
    }
    if (field.value.size() == 0) {
      expected(field, "at least one pair");
      return;
    }
    pairs.clear();
    std::map<std::string, size_t> index_of_symbol;
    for (size_t i = 0; i < field.value.size(); ++i) {
      const YAML::Node element = field.value[i];
      const std::string path = "pairs[" + std::to_string(i) + "]";
      const int line = line_of(element) > 0 ? line_of(element) : field.line;
      if (!element.IsMap()) {
        expected(Field{path, element, line}, "a map with symbol, altname, precisions, ...");
        continue;
      }
      MapReader map(element, path, line, issues_);
      PairConfig pair;
      read_pair(map, pair);
      map.warn_unknown_keys();
      if (!pair.symbol.empty()) {
        const auto [existing, inserted] = index_of_symbol.emplace(pair.symbol, i);
        if (!inserted) {
          const std::string symbol_path = map.child("symbol");
          issues_.error(symbol_path, lines_[symbol_path],
                        "duplicate symbol " + single_quoted(pair.symbol) + " (already pairs[" +
                            std::to_string(existing->second) + "]); list each pair once");
        }
      }
      pairs.push_back(std::move(pair));
    }
  }

  void read_pair(MapReader& map, PairConfig& pair) {
    read_symbol(map, pair);
    const std::string derived_base = pair.base;
    const std::string derived_quote = pair.quote;
    read_string(map, "altname", pair.altname,
                "Kraken's altname such as 'XBTUSD' (letters, digits, '.', '_', '-')", is_altname);
    read_symbol_part(map, "base", pair.base, derived_base, pair.symbol);
    read_symbol_part(map, "quote", pair.quote, derived_quote, pair.symbol);
    if (pair.altname.empty()) pair.altname = pair.base + pair.quote;

    const bool price_ok = read_int(map, "price_precision", pair.price_precision, kPrecisionRange);
    const bool qty_ok = read_int(map, "qty_precision", pair.qty_precision, kPrecisionRange);
    const bool cost_ok = read_int(map, "cost_precision", pair.cost_precision, kPrecisionRange);
    // Amounts are exact at their precision; absent ones are zero there (tick_size: one unit).
    pair.ordermin = Quantity::from_raw(0, pair.qty_precision);
    pair.costmin = Money::from_raw(0, pair.cost_precision);
    pair.tick_size = Price::from_raw(1, pair.price_precision);
    read_pair_amount(map, "ordermin", pair.ordermin, qty_ok, pair.qty_precision, Sign::kNonNegative,
                     "a quantity", "qty_precision");
    read_pair_amount(map, "costmin", pair.costmin, cost_ok, pair.cost_precision, Sign::kNonNegative,
                     "an amount", "cost_precision");
    read_pair_amount(map, "tick_size", pair.tick_size, price_ok, pair.price_precision,
                     Sign::kPositive, "a price", "price_precision");
  }

  // A pair amount is only checked when its precision is valid: an error there already says
  // what to fix, and checking at a wrong precision would add a misleading second one.
  template <typename Tag>
  void read_pair_amount(MapReader& map, std::string_view key, FixedPoint<Tag>& out,
                        bool precision_ok, int precision, Sign sign, std::string_view noun,
                        std::string_view precision_key) {
    auto field = take(map, key);
    if (!field || !precision_ok) return;
    read_decimal(*field, out, precision, sign, noun, precision_key);
  }

  void read_symbol(MapReader& map, PairConfig& pair) {
    auto field = take(map, "symbol");
    if (!field) {
      issues_.error(map.child("symbol"), map.line(),
                    "missing; every pair needs a symbol such as 'BTC/USD'");
      return;
    }
    constexpr std::string_view kWhat = "a symbol BASE/QUOTE in upper case, such as 'BTC/USD'";
    const auto text = scalar(*field, kWhat);
    if (!text) return;
    const size_t slash = text->find('/');
    if (slash == std::string::npos || !is_currency_code(text->substr(0, slash)) ||
        !is_currency_code(text->substr(slash + 1))) {
      expected(*field, kWhat);
      return;
    }
    pair.symbol = *text;
    pair.base = text->substr(0, slash);
    pair.quote = text->substr(slash + 1);
  }

  // base / quote are redundant with the symbol; when given they must agree with it.
  void read_symbol_part(MapReader& map, std::string_view key, std::string& out,
                        const std::string& from_symbol, const std::string& symbol) {
    std::string given;
    if (!read_string(map, key, given, "a currency code such as 'USD'", is_currency_code)) return;
    if (given.empty() || symbol.empty()) return;
    if (given != from_symbol) {
      const std::string path = map.child(key);
      issues_.error(path, lines_[path],
                    "must match the symbol " + single_quoted(symbol) + ": expected " +
                        single_quoted(from_symbol) + ", got " + single_quoted(given));
      return;
    }
    out = given;
  }

  void read_portfolio(MapReader& map, PortfolioConfig& portfolio) {
    const bool currency_ok = read_string(
        map, "valuation_currency", portfolio.valuation_currency,
        "a currency code such as 'USD' (upper-case letters and digits)", is_currency_code);
    const bool capital_ok = read_initial_capital(map, portfolio.initial_capital);
    if (currency_ok && capital_ok &&
        portfolio.initial_capital.count(portfolio.valuation_currency) == 0) {
      const std::string path = map.child("initial_capital");
      const int line =
          lines_.count(path) > 0 ? lines_[path] : lines_[map.child("valuation_currency")];
      issues_.error(path, line,
                    "must include the valuation currency " +
                        single_quoted(portfolio.valuation_currency) + ", e.g. initial_capital: {" +
                        portfolio.valuation_currency + ": 100000}");
    }
    map.warn_unknown_keys();
  }

  // Its keys are currency codes, not settings, so none of them is "unknown".
  bool read_initial_capital(MapReader& portfolio, std::map<std::string, Money>& capital) {
    auto field = take(portfolio, "initial_capital");
    if (!field) return true;
    if (!field->value.IsMap()) {
      expected(*field, "a map of currency code to amount, such as {USD: 100000}");
      return false;
    }
    MapReader entries(field->value, field->path, field->line, issues_);
    capital.clear();
    bool ok = true;
    for (auto& [currency, amount_field] : entries.take_all()) {
      if (!is_currency_code(currency)) {
        issues_.error(
            amount_field.path, amount_field.line,
            "expected a currency code such as 'USD' as the key, got " + single_quoted(currency));
        ok = false;
        continue;
      }
      Money amount;
      if (!read_decimal(amount_field, amount, kAmountPrecision, Sign::kNonNegative, "an amount",
                        "")) {
        ok = false;
        continue;
      }
      capital[currency] = amount;
    }
    return ok;
  }

  void read_features(MapReader& map, FeaturesConfig& features) {
    static const std::vector<std::string_view> kIndicators = {
        "ma_spread", "returns",    "rsi",  "macd",   "bollinger", "atr",
        "roc",       "volatility", "vwap", "trades", "book"};
    read_list(
        map, "indicators", features.indicators,
        "indicator names (ma_spread, returns, rsi, macd, bollinger, atr, roc, volatility, vwap, "
        "trades, book)",
        [](const std::string& text) -> std::optional<std::string> {
          if (std::find(kIndicators.begin(), kIndicators.end(), text) == kIndicators.end()) {
            return std::nullopt;
          }
          return text;
        });
    read_int(map, "fast_window", features.fast_window, kAtLeastOne);
    read_int(map, "slow_window", features.slow_window, kAtLeastOne);
    read_list(map, "return_horizons", features.return_horizons, "bar counts >= 1",
              [](const std::string& text) -> std::optional<int> {
                const auto value = parse_integer(text);
                if (!value || *value < 1 || *value > kMaxWindow) return std::nullopt;
                return static_cast<int>(*value);
              });
    read_int(map, "rsi_period", features.rsi_period, kWindowRange);
    read_int(map, "macd_fast", features.macd_fast, kWindowRange);
    read_int(map, "macd_slow", features.macd_slow, kWindowRange);
    read_int(map, "macd_signal", features.macd_signal, kWindowRange);
    read_int(map, "bollinger_period", features.bollinger_period, kWindowRange);
    read_number(map, "bollinger_stddev", features.bollinger_stddev, kPositiveNumber);
    read_int(map, "atr_period", features.atr_period, kWindowRange);
    read_int(map, "roc_period", features.roc_period, kWindowRange);
    read_int(map, "volatility_window", features.volatility_window, {2, kMaxWindow});
    read_int(map, "vwap_window", features.vwap_window, kWindowRange);
    read_int(map, "trade_window_seconds", features.trade_window_seconds, IntRange{1, 86400});
    read_int(map, "book_levels", features.book_levels, IntRange{1, 1000});
    read_bool(map, "emit_on_book_update", features.emit_on_book_update);
    map.warn_unknown_keys();
  }

  void read_prediction(MapReader& map, PredictionConfig& prediction) {
    read_string(map, "model_type", prediction.model_type, "'momentum' or 'xgboost'",
                [](std::string_view text) { return text == "momentum" || text == "xgboost"; });
    read_path(map, "model_path", prediction.model_path);
    read_string(map, "model_id", prediction.model_id, "a non-empty model id");
    read_string(map, "target", prediction.target, "a non-empty target name");
    read_number(map, "momentum_sensitivity", prediction.momentum_sensitivity, kPositiveNumber);
    map.warn_unknown_keys();
  }

  void read_strategy(MapReader& map, StrategyConfig& strategy) {
    read_string(map, "id", strategy.id, "a non-empty strategy id");
    read_number(map, "buy_threshold", strategy.buy_threshold, kProbability);
    read_number(map, "sell_threshold", strategy.sell_threshold, kProbability);
    read_enum(map, "entry_type", strategy.entry_type,
              {{"market", EntryType::kMarket}, {"limit", EntryType::kLimit}});
    read_number(map, "limit_offset_pct", strategy.limit_offset_pct, kPercent);
    read_enum(map, "stop_mode", strategy.stop_mode,
              {{"percent", StopMode::kPercent}, {"atr", StopMode::kAtr}});
    read_number(map, "sl_pct", strategy.sl_pct, kOpenPercent);
    read_number(map, "tp_pct", strategy.tp_pct, kOpenPercent);
    read_string(map, "atr_feature", strategy.atr_feature, "a feature name such as atr_14");
    read_number(map, "sl_atr_multiple", strategy.sl_atr_multiple, kPositiveNumber);
    read_number(map, "tp_atr_multiple", strategy.tp_atr_multiple, kPositiveNumber);
    read_int(map, "cooldown_bars", strategy.cooldown_bars, kZeroOrMore);
    read_int(map, "max_holding_bars", strategy.max_holding_bars, kZeroOrMore);
    if (auto field = take(map, "confirmation_rules"))
      read_rules(*field, strategy.confirmation_rules);
    map.warn_unknown_keys();
  }

  void read_rules(const Field& field, std::vector<ConfirmationRule>& rules) {
    if (field.value.IsNull()) return;
    if (!field.value.IsSequence()) {
      expected(field, "a list of rules, each {feature: NAME, op: gt|ge|lt|le, value: NUMBER}");
      return;
    }
    rules.clear();
    for (size_t i = 0; i < field.value.size(); ++i) {
      const YAML::Node element = field.value[i];
      const std::string path = field.path + "[" + std::to_string(i) + "]";
      const int line = line_of(element) > 0 ? line_of(element) : field.line;
      if (!element.IsMap()) {
        expected(Field{path, element, line},
                 "a rule {feature: NAME, op: gt|ge|lt|le, value: NUMBER}");
        continue;
      }
      MapReader map(element, path, line, issues_);
      ConfirmationRule rule;
      bool ok = true;
      if (!map.has("feature") || !map.has("value")) {
        issues_.error(path, line, "a rule needs a feature and a value");
        ok = false;
      }
      ok = read_string(map, "feature", rule.feature, "a feature name") && ok;
      ok = read_enum(map, "op", rule.op,
                     {{"gt", ConfirmationRule::Op::kGreater},
                      {"ge", ConfirmationRule::Op::kGreaterOrEqual},
                      {"lt", ConfirmationRule::Op::kLess},
                      {"le", ConfirmationRule::Op::kLessOrEqual}}) &&
           ok;
      ok = read_number(map, "value", rule.value, kAnyNumber) && ok;
      map.warn_unknown_keys();
      if (ok) rules.push_back(std::move(rule));
    }
  }

  void read_risk(MapReader& map, RiskConfig& risk) {
    read_number(map, "max_total_drawdown_pct", risk.max_total_drawdown_pct, kPercent);
    read_number(map, "max_daily_drawdown_pct", risk.max_daily_drawdown_pct, kPercent);
    read_number(map, "max_weekly_drawdown_pct", risk.max_weekly_drawdown_pct, kPercent);
    read_int(map, "max_consecutive_losses", risk.max_consecutive_losses, kAtLeastOne);
    read_number(map, "max_exposure_per_pair_pct", risk.max_exposure_per_pair_pct, kPercent);
    read_number(map, "max_total_exposure_pct", risk.max_total_exposure_pct, kPercent);
    read_decimal(map, "max_order_value", risk.max_order_value, kAmountPrecision, Sign::kPositive,
                 "an amount", "");
    read_number(map, "risk_per_trade_pct", risk.risk_per_trade_pct, kPositivePercent);
    read_number(map, "fat_finger_max_deviation_pct", risk.fat_finger_max_deviation_pct, kPercent);
    read_number(map, "min_sl_distance_pct", risk.min_sl_distance_pct, kPercent);
    map.warn_unknown_keys();
  }

  void read_execution(MapReader& map, ExecutionConfig& execution) {
    read_number(map, "taker_fee_pct", execution.taker_fee_pct, kPercent);
    read_number(map, "maker_fee_pct", execution.maker_fee_pct, kPercent);
    read_enum(map, "slippage_model", execution.slippage_model,
              {{"none", SlippageModel::kNone},
               {"fixed", SlippageModel::kFixed},
               {"volume_impact", SlippageModel::kVolumeImpact}});
    read_number(map, "slippage_pct", execution.slippage_pct, kPercent);
    read_number(map, "impact_pct_per_volume", execution.impact_pct_per_volume, kPercent);
    read_number(map, "fill_liquidity_ratio", execution.fill_liquidity_ratio, kPositiveRatio);
    read_int(map, "limit_order_timeout_seconds", execution.limit_order_timeout_seconds,
             IntRange{1, 86400});
    read_number(map, "latency_ms", execution.latency_ms, kLatencyMs);
    read_number(map, "latency_jitter_ms", execution.latency_jitter_ms, kLatencyMs);
    read_int(map, "latency_seed", execution.latency_seed, kZeroOrMore);
    read_enum(map, "shutdown_orders", execution.shutdown_orders,
              {{"cancel", ShutdownOrders::kCancel}, {"keep", ShutdownOrders::kKeep}});
    map.warn_unknown_keys();
  }

  void read_backtest(MapReader& map, BacktestConfig& backtest) {
    read_path(map, "report_dir", backtest.report_dir);
    read_int(map, "threads", backtest.threads, IntRange{0, 256});
    read_enum(map, "rank_by", backtest.rank_by,
              {{"sharpe", RankMetric::kSharpe},
               {"sortino", RankMetric::kSortino},
               {"calmar", RankMetric::kCalmar},
               {"total_return", RankMetric::kTotalReturn},
               {"max_drawdown", RankMetric::kMaxDrawdown},
               {"profit_factor", RankMetric::kProfitFactor},
               {"win_rate", RankMetric::kWinRate}});
    map.warn_unknown_keys();
  }

  void read_logging(MapReader& map, LoggingConfig& logging) {
    read_enum(map, "level", logging.level,
              {{"trace", LogLevel::kTrace},
               {"debug", LogLevel::kDebug},
               {"info", LogLevel::kInfo},
               {"warn", LogLevel::kWarn},
               {"error", LogLevel::kError},
               {"critical", LogLevel::kCritical}});
    read_bool(map, "console", logging.console);
    if (auto file = open_section(map, "file")) {
      read_bool(*file, "enabled", logging.file_enabled);
      read_path(*file, "directory", logging.file_directory);
      read_string(*file, "name", logging.file_name, "a file name (without '/')", is_file_name);
      read_int(*file, "max_bytes", logging.file_max_bytes,
               IntRange{kMinLogFileBytes, kAtLeastOne.max});
      read_int(*file, "backup_count", logging.file_backup_count, kZeroOrMore);
      file->warn_unknown_keys();
    }
    map.warn_unknown_keys();
  }

  void read_history(MapReader& map, HistoryConfig& history) {
    read_int(map, "request_timeout_ms", history.request_timeout_ms, IntRange{100, 600000});
    read_int(map, "page_pause_ms", history.page_pause_ms, IntRange{0, 600000});
    read_int(map, "max_attempts", history.max_attempts, IntRange{1, 100});
    read_int(map, "retry_backoff_ms", history.retry_backoff_ms, IntRange{0, 600000});
    map.warn_unknown_keys();
  }

  void read_market_data(MapReader& map, MarketDataConfig& market_data) {
    read_int_in_set(map, "book_depth", market_data.book_depth, {10, 25, 100, 500, 1000});
    read_int_in_set(map, "ohlc_interval_minutes", market_data.ohlc_interval_minutes,
                    {1, 5, 15, 30, 60, 240, 1440, 10080, 21600});
    read_int(map, "staleness_seconds", market_data.staleness_seconds, IntRange{1, 86400});
    read_int(map, "idle_timeout_seconds", market_data.idle_timeout_seconds, IntRange{2, 3600});
    read_int(map, "reconnect_min_backoff_ms", market_data.reconnect_min_backoff_ms,
             IntRange{1, 3600000});
    read_int(map, "reconnect_max_backoff_ms", market_data.reconnect_max_backoff_ms,
             IntRange{1, 3600000});
    read_number(map, "reconnect_jitter", market_data.reconnect_jitter, kProbability);
    read_int(map, "max_frame_bytes", market_data.max_frame_bytes,
             IntRange{kMinFrameBytes, kMaxFrameBytes});
    map.warn_unknown_keys();
  }

  // Kraken accepts only a few values for some subscription parameters.
  bool read_int_in_set(MapReader& map, std::string_view key, int& out,
                       std::initializer_list<int> allowed) {
    auto field = take(map, key);
    if (!field) return true;
    std::string what = "one of";
    for (int value : allowed) what += " " + std::to_string(value);
    const auto text = scalar(*field, what);
    if (!text) return false;
    const auto value = parse_integer(*text);
    if (!value || std::find(allowed.begin(), allowed.end(), *value) == allowed.end()) {
      expected(*field, what);
      return false;
    }
    out = static_cast<int>(*value);
    return true;
  }

  void read_database(MapReader& map, DatabaseConfig& database) {
    read_enum(map, "backend", database.backend,
              {{"sqlite", DatabaseBackend::kSqlite}, {"postgres", DatabaseBackend::kPostgres}});
    read_path(map, "sqlite_file", database.sqlite_file);
    read_string(map, "url", database.url,
                "a postgresql:// URL without a password (put the password in "
                "GALFRIDAY_DATABASE_URL, PGPASSWORD or ~/.pgpass)",
                is_postgres_url_without_password);
    read_string(map, "schema", database.schema, "a schema name (letters, digits, _)",
                is_sql_identifier);
    read_bool(map, "fallback_to_sqlite", database.fallback_to_sqlite);
    map.warn_unknown_keys();
  }

  void read_influxdb(MapReader& map, InfluxConfig& influx) {
    read_bool(map, "enabled", influx.enabled);
    // Credentials in the URL would sit in the file and in every line that shows the URL; the
    // message does not echo the value.
    if (auto field = take(map, "url")) {
      constexpr std::string_view kWhat = "an http:// or https:// URL";
      const auto text = scalar(*field, kWhat);
      if (text && !is_http_url(*text)) {
        expected(*field, kWhat);
      } else if (text && has_url_credentials(*text)) {
        issues_.error(field->path, field->line,
                      "must not carry credentials (user:password@): set influxdb.username and "
                      "GALFRIDAY_INFLUX_PASSWORD (or influxdb.password_file)");
      } else if (text) {
        influx.url = *text;
      }
    }
    read_int(map, "api_version", influx.api_version, IntRange{1, 2});
    read_string(map, "database", influx.database, "a database name", is_non_empty);
    read_bool(map, "create_database", influx.create_database);
    read_string(map, "username", influx.username, "an InfluxDB 1.x user name", is_any_text);
    // Unset (null or empty) means the password comes from the environment only.
    if (auto field = take(map, "password_file"); field && !field->value.IsNull()) {
      const auto text = scalar(*field, "a path to the password file, or null");
      if (text && !text->empty()) influx.password_file = *text;
    }
    // Secrets never come from the file; the value is not echoed.
    for (const auto& [key, source] :
         {std::pair{"password", "GALFRIDAY_INFLUX_PASSWORD or influxdb.password_file"},
          std::pair{"token", "GALFRIDAY_INFLUX_TOKEN"}}) {
      if (auto field = take(map, key)) {
        issues_.error(field->path, field->line,
                      std::string("secrets do not go in the config file: use ") + source);
      }
    }
    read_string(map, "org", influx.org, "an organization name", is_any_text);
    read_string(map, "bucket", influx.bucket, "a bucket name", is_any_text);
    read_int(map, "batch_points", influx.batch_points, IntRange{1, 1000000});
    read_int(map, "flush_interval_ms", influx.flush_interval_ms, IntRange{1, 3600000});
    read_int(map, "max_buffered_points", influx.max_buffered_points, IntRange{1, 100000000});
    read_int(map, "sample_interval_ms", influx.sample_interval_ms, IntRange{10, 3600000});
    read_int(map, "stop_timeout_ms", influx.stop_timeout_ms, IntRange{0, 600000});
    map.warn_unknown_keys();
  }

  void read_kraken(MapReader& map, KrakenConfig& kraken) {
    read_string(map, "rest_url", kraken.rest_url, "an https:// (or http://) URL", is_http_url);
    read_string(map, "ws_url", kraken.ws_url, "a wss:// (or ws://) URL", is_ws_url);
    read_string(map, "ws_auth_url", kraken.ws_auth_url, "a wss:// (or ws://) URL", is_ws_url);
    // Unset (null or empty) means credentials come from the environment only.
    if (auto field = take(map, "credentials_file"); field && !field->value.IsNull()) {
      const auto text = scalar(*field, "a path to the credentials file, or null");
      if (text && !text->empty()) kraken.credentials_file = *text;
    }
    read_enum(map, "verification_tier", kraken.verification_tier,
              {{"starter", VerificationTier::kStarter},
               {"intermediate", VerificationTier::kIntermediate},
               {"pro", VerificationTier::kPro}});
    read_int(map, "request_timeout_ms", kraken.request_timeout_ms, IntRange{100, 600000});
    read_int(map, "dead_mans_switch_interval_seconds", kraken.dead_mans_switch_interval_seconds,
             IntRange{1, 3600});
    // Kraken accepts 0 (disabled) up to 86399 s.
    read_int(map, "dead_mans_switch_timeout_seconds", kraken.dead_mans_switch_timeout_seconds,
             IntRange{0, 86399});
    read_int(map, "rest_poll_interval_seconds", kraken.rest_poll_interval_seconds,
             IntRange{1, 3600});
    read_path(map, "nonce_file", kraken.nonce_file);
    read_int(map, "reconcile_interval_seconds", kraken.reconcile_interval_seconds,
             IntRange{10, 86400});
    read_bool(map, "adopt_unknown_orders", kraken.adopt_unknown_orders);
    map.warn_unknown_keys();
  }

  void read_models(MapReader& map, ModelsConfig& models) {
    read_path(map, "registry_dir", models.registry_dir);
    if (auto target = open_section(map, "target")) {
      read_string(*target, "name", models.target, "a target name", is_non_empty);
      read_number(*target, "min_return_pct", models.target_min_return_pct, kOpenPercent);
      read_int(*target, "horizon_bars", models.target_horizon_bars, kWindowRange);
      target->warn_unknown_keys();
    }
    if (auto retraining = open_section(map, "retraining")) {
      read_int(*retraining, "interval_minutes", models.retrain_interval_minutes, kZeroOrMore);
      read_int(*retraining, "training_window_days", models.training_window_days, IntRange{1, 3660});
      read_number(*retraining, "validation_fraction", models.validation_fraction,
                  NumberRange{0, 0.5, true, false});
      read_int(*retraining, "walk_forward_folds", models.walk_forward_folds, IntRange{1, 20});
      read_number(*retraining, "promotion_margin", models.promotion_margin,
                  NumberRange{0, 1, false, false});
      read_int(*retraining, "rounds", models.rounds, IntRange{1, 100000});
      read_int(*retraining, "max_depth", models.max_depth, IntRange{1, 32});
      read_number(*retraining, "eta", models.eta, kPositiveRatio);
      retraining->warn_unknown_keys();
    }
    if (auto drift = open_section(map, "drift")) {
      read_int(*drift, "window", models.drift_window, IntRange{10, 10000000});
      read_int(*drift, "check_interval_minutes", models.drift_check_interval_minutes, kZeroOrMore);
      read_number(*drift, "psi_threshold", models.drift_psi_threshold, kPositiveNumber);
      read_number(*drift, "ks_pvalue", models.drift_ks_pvalue, NumberRange{0, 1, true, true});
      read_number(*drift, "min_hit_rate", models.drift_min_hit_rate, kProbability);
      read_int(*drift, "min_outcomes", models.drift_min_outcomes, kAtLeastOne);
      read_bool(*drift, "triggers_retraining", models.drift_triggers_retraining);
      drift->warn_unknown_keys();
    }
    if (auto experiments = open_section(map, "experiments")) {
      read_number(*experiments, "traffic_split", models.experiment_traffic_split,
                  NumberRange{0, 1, true, true});
      read_number(*experiments, "significance", models.experiment_significance,
                  NumberRange{0, 0.5, true, true});
      read_int(*experiments, "min_samples", models.experiment_min_samples, IntRange{2, 100000000});
      read_int(*experiments, "max_duration_hours", models.experiment_max_duration_hours,
               kAtLeastOne);
      read_decimal(*experiments, "max_loss", models.experiment_max_loss, kAmountPrecision,
                   Sign::kPositive, "an amount", "");
      experiments->warn_unknown_keys();
    }
    map.warn_unknown_keys();
  }

  void read_monitoring(MapReader& map, MonitoringConfig& monitoring) {
    read_int(map, "check_interval_seconds", monitoring.check_interval_seconds, IntRange{1, 3600});
    if (auto halt = open_section(map, "halt")) {
      read_enum(
          *halt, "position_behavior", monitoring.position_behavior,
          {{"maintain", HaltPositionBehavior::kMaintain}, {"close", HaltPositionBehavior::kClose}});
      halt->warn_unknown_keys();
    }
    if (auto drawdown = open_section(map, "drawdown")) {
      read_number(*drawdown, "max_total_pct", monitoring.max_total_drawdown_pct, kPositivePercent);
      read_number(*drawdown, "max_daily_pct", monitoring.max_daily_drawdown_pct, kPositivePercent);
      read_number(*drawdown, "max_weekly_pct", monitoring.max_weekly_drawdown_pct,
                  kPositivePercent);
      drawdown->warn_unknown_keys();
    }
    read_int(map, "max_consecutive_losses", monitoring.max_consecutive_losses, kAtLeastOne);
    if (auto api = open_section(map, "api_errors")) {
      read_int(*api, "max_count", monitoring.api_error_max_count, kAtLeastOne);
      read_int(*api, "window_seconds", monitoring.api_error_window_seconds, IntRange{1, 86400});
      api->warn_unknown_keys();
    }
    read_int(map, "max_consecutive_balance_failures", monitoring.max_consecutive_balance_failures,
             kAtLeastOne);
    if (auto data = open_section(map, "market_data")) {
      read_int(*data, "stale_seconds", monitoring.market_data_stale_seconds, IntRange{1, 86400});
      read_int(*data, "startup_grace_seconds", monitoring.startup_grace_seconds,
               IntRange{0, 86400});
      data->warn_unknown_keys();
    }
    if (auto volatility = open_section(map, "volatility")) {
      read_int(*volatility, "short_window_bars", monitoring.volatility_short_window_bars,
               IntRange{2, kMaxWindow});
      read_int(*volatility, "long_window_bars", monitoring.volatility_long_window_bars,
               IntRange{2, kMaxWindow});
      read_number(*volatility, "max_ratio", monitoring.volatility_max_ratio,
                  NumberRange{1, kUnbounded, true, false});
      volatility->warn_unknown_keys();
    }
    if (auto checksum = open_section(map, "checksum_failures")) {
      read_int(*checksum, "max_count", monitoring.checksum_failure_max_count, kAtLeastOne);
      read_int(*checksum, "window_seconds", monitoring.checksum_failure_window_seconds,
               IntRange{1, 86400});
      checksum->warn_unknown_keys();
    }
    read_number(map, "max_persistence_queue_fill_pct", monitoring.max_persistence_queue_fill_pct,
                kPositivePercent);
    if (auto dashboard = open_section(map, "dashboard")) {
      read_bool(*dashboard, "enabled", monitoring.dashboard_enabled);
      read_string(*dashboard, "bind_address", monitoring.dashboard_bind_address,
                  "a loopback address (127.0.0.1, ::1 or localhost)", is_loopback_address);
      read_int(*dashboard, "port", monitoring.dashboard_port, IntRange{0, 65535});
      if (auto field = take(*dashboard, "token_file"); field && !field->value.IsNull()) {
        const auto text = scalar(*field, "a path to the token file, or null");
        if (text && !text->empty()) monitoring.dashboard_token_file = *text;
      }
      dashboard->warn_unknown_keys();
    }
    map.warn_unknown_keys();
  }

  // --- Rules that tie fields together ----------------------------------------------------------

  // Reports `message` at `path` unless `holds`; skipped when either field already has an error,
  // so one mistake is reported once. The line is the first of the two fields the file sets.
  void require(bool holds, const std::string& path, const std::string& other_path,
               const std::string& message) {
    if (holds || issues_.failed(path) || issues_.failed(other_path)) return;
    int line = 0;
    if (auto it = lines_.find(path); it != lines_.end()) {
      line = it->second;
    } else if (auto other = lines_.find(other_path); other != lines_.end()) {
      line = other->second;
    }
    issues_.error(path, line, message);
  }

  void check_across_fields(const Config& config) {
    // The switch must be refreshed before it fires, or Kraken cancels every order.
    require(config.kraken.dead_mans_switch_timeout_seconds == 0 ||
                config.kraken.dead_mans_switch_interval_seconds <
                    config.kraken.dead_mans_switch_timeout_seconds,
            "kraken.dead_mans_switch_interval_seconds", "kraken.dead_mans_switch_timeout_seconds",
            "must be shorter than kraken.dead_mans_switch_timeout_seconds (" +
                std::to_string(config.kraken.dead_mans_switch_timeout_seconds) + "), got " +
                std::to_string(config.kraken.dead_mans_switch_interval_seconds));
    require(
        config.market_data.reconnect_min_backoff_ms <= config.market_data.reconnect_max_backoff_ms,
        "market_data.reconnect_min_backoff_ms", "market_data.reconnect_max_backoff_ms",
        "must not exceed market_data.reconnect_max_backoff_ms (" +
            std::to_string(config.market_data.reconnect_max_backoff_ms) + "), got " +
            std::to_string(config.market_data.reconnect_min_backoff_ms));
    const auto& features = config.features;
    require(features.fast_window < features.slow_window, "features.fast_window",
            "features.slow_window",
            "must be less than features.slow_window (" + std::to_string(features.slow_window) +
                "), got " + std::to_string(features.fast_window));
    require(config.prediction.model_type != "xgboost" || !config.prediction.model_path.empty(),
            "prediction.model_path", "prediction.model_type",
            "is required when prediction.model_type is xgboost");
    require(features.macd_fast < features.macd_slow, "features.macd_fast", "features.macd_slow",
            "must be less than features.macd_slow (" + std::to_string(features.macd_slow) +
                "), got " + std::to_string(features.macd_fast));
    const auto& strategy = config.strategy;
    require(strategy.buy_threshold > strategy.sell_threshold, "strategy.buy_threshold",
            "strategy.sell_threshold",
            "must be greater than strategy.sell_threshold (" +
                format_number(strategy.sell_threshold) + "), got " +
                format_number(strategy.buy_threshold));
    const auto& risk = config.risk;
    require(risk.max_daily_drawdown_pct <= risk.max_weekly_drawdown_pct,
            "risk.max_daily_drawdown_pct", "risk.max_weekly_drawdown_pct",
            "must be at most risk.max_weekly_drawdown_pct (" +
                format_number(risk.max_weekly_drawdown_pct) + "), got " +
                format_number(risk.max_daily_drawdown_pct));
    require(risk.max_weekly_drawdown_pct <= risk.max_total_drawdown_pct,
            "risk.max_weekly_drawdown_pct", "risk.max_total_drawdown_pct",
            "must be at most risk.max_total_drawdown_pct (" +
                format_number(risk.max_total_drawdown_pct) + "), got " +
                format_number(risk.max_weekly_drawdown_pct));
    require(risk.max_exposure_per_pair_pct <= risk.max_total_exposure_pct,
            "risk.max_exposure_per_pair_pct", "risk.max_total_exposure_pct",
            "must be at most risk.max_total_exposure_pct (" +
                format_number(risk.max_total_exposure_pct) + "), got " +
                format_number(risk.max_exposure_per_pair_pct));
    const auto& monitoring = config.monitoring;
    require(monitoring.volatility_short_window_bars < monitoring.volatility_long_window_bars,
            "monitoring.volatility.short_window_bars", "monitoring.volatility.long_window_bars",
            "must be less than monitoring.volatility.long_window_bars (" +
                std::to_string(monitoring.volatility_long_window_bars) + "), got " +
                std::to_string(monitoring.volatility_short_window_bars));
    // A stop closer than the risk manager allows would reject every entry.
    require(
        strategy.sl_pct >= risk.min_sl_distance_pct, "strategy.sl_pct", "risk.min_sl_distance_pct",
        "must be at least risk.min_sl_distance_pct (" + format_number(risk.min_sl_distance_pct) +
            "), got " + format_number(strategy.sl_pct));
    // InfluxDB 2.x writes go to an organization's bucket; without them every write would fail.
    const auto& influx = config.influxdb;
    const bool influx_v2 = influx.enabled && influx.api_version == 2;
    require(!influx_v2 || !influx.org.empty(), "influxdb.org", "influxdb.api_version",
            "is required when influxdb.api_version is 2 and influxdb.enabled is true");
    require(!influx_v2 || !influx.bucket.empty(), "influxdb.bucket", "influxdb.api_version",
            "is required when influxdb.api_version is 2 and influxdb.enabled is true");
    // 2.x's /api/v2/write takes only the token; a username there would be silently unused.
    require(influx.api_version == 1 || influx.username.empty(), "influxdb.username",
            "influxdb.api_version",
            "is InfluxDB 1.x authentication; with influxdb.api_version 2 use the token "
            "(GALFRIDAY_INFLUX_TOKEN) and leave influxdb.username empty");
    require(!influx.password_file || !influx.username.empty(), "influxdb.password_file",
            "influxdb.username", "is set but influxdb.username is empty; set both or neither");
  }

  Issues& issues_;
  std::map<std::string, int> lines_;  // path -> line, for every key the file sets
};

}  // namespace

LoadResult load_config_text(std::string_view yaml_text, std::string_view source_name) {
  Issues issues;
  const std::string source(source_name);
  std::optional<Config> config;
  try {
    const std::vector<YAML::Node> documents = YAML::LoadAll(std::string(yaml_text));
    if (documents.size() > 1) {
      issues.error(source, line_of(documents[1]),
                   "expected one YAML document, found " + std::to_string(documents.size()) +
                       "; remove the extra '---' separators");
    } else {
      Loader loader(issues);
      config = loader.load(documents.empty() ? YAML::Node() : documents.front(), source);
    }
  } catch (const YAML::Exception& e) {
    issues.error(source, e.mark.is_null() ? 0 : e.mark.line + 1, "invalid YAML: " + e.msg);
  } catch (const std::exception& e) {
    issues.error(source, 0, std::string("could not load the config: ") + e.what());
  }
  return std::move(issues).finish(std::move(config));
}

LoadResult load_config_file(const std::filesystem::path& path) {
  const auto unreadable = [&](const std::string& reason) {
    Issues issues;
    issues.error(path.string(), 0, "cannot read the config file: " + reason);
    return std::move(issues).finish(std::nullopt);
  };
  std::error_code status_error;
  if (std::filesystem::is_directory(path, status_error)) return unreadable("it is a directory");
  errno = 0;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int error = errno;
    return unreadable(error != 0 ? std::generic_category().message(error) : "cannot open it");
  }
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return unreadable("read error");
  return load_config_text(text.str(), path.string());
}

}  // namespace galfriday::config
