#include "net_sim/scenario_yaml.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <charconv>
#include <cmath>
#include <sstream>

namespace chord::sim::yaml {
namespace {

constexpr std::size_t depth_max = 16;

// Builds the YamlValue tree from parser events, keeping every position.
class TreeBuilder final : public YAML::EventHandler {
 public:
  explicit TreeBuilder(const std::string& origin) : origin_(origin) {}

  void OnDocumentStart(const YAML::Mark&) override {}
  void OnDocumentEnd() override {}
  void OnNull(const YAML::Mark& mark, YAML::anchor_t) override {
    add(make(YamlValue::Kind::null, mark));
  }
  void OnAlias(const YAML::Mark& mark, YAML::anchor_t) override {
    fail(make(YamlValue::Kind::null, mark), "aliases (*name) are not supported in scenarios");
  }
  void OnScalar(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                const std::string& value) override {
    YamlValue scalar = make(YamlValue::Kind::scalar, mark);
    scalar.text = value;
    add(std::move(scalar));
  }
  void OnSequenceStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                       YAML::EmitterStyle::value) override {
    open(make(YamlValue::Kind::sequence, mark));
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string&, YAML::anchor_t,
                  YAML::EmitterStyle::value) override {
    open(make(YamlValue::Kind::map, mark));
  }
  void OnMapEnd() override { close(); }

  bool has_root() const { return has_root_; }
  YamlValue take_root() { return std::move(root_); }

 private:
  YamlValue make(YamlValue::Kind kind, const YAML::Mark& mark) const {
    YamlValue value;
    value.kind = kind;
    value.origin = origin_;
    if (!mark.is_null()) {
      value.line = mark.line + 1;  // yaml-cpp counts from 0
      value.column = mark.column + 1;
    }
    return value;
  }
  void open(YamlValue collection) {
    if (stack_.size() >= depth_max) fail(collection, "nested too deeply");
    stack_.push_back(std::move(collection));
    expecting_key_.push_back(true);
  }
  void close() {
    YamlValue done = std::move(stack_.back());
    stack_.pop_back();
    expecting_key_.pop_back();
    add(std::move(done));
  }
  void add(YamlValue value) {
    if (stack_.empty()) {
      root_ = std::move(value);
      has_root_ = true;
      return;
    }
    YamlValue& parent = stack_.back();
    if (parent.kind == YamlValue::Kind::sequence) {
      parent.values.push_back(std::move(value));
      return;
    }
    if (expecting_key_.back()) {
      if (value.kind != YamlValue::Kind::scalar) fail(value, "a key must be a plain name");
      for (const YamlValue& first : parent.keys) {
        if (first.text != value.text) continue;
        fail(value, "duplicate key '" + value.text + "' (first at line " +
                        std::to_string(first.line) + ")");
      }
      parent.keys.push_back(std::move(value));
    } else {
      if (value.line == 0) {  // an empty value: point at its key
        value.line = parent.keys.back().line;
        value.column = parent.keys.back().column;
      }
      parent.values.push_back(std::move(value));
    }
    expecting_key_.back() = !expecting_key_.back();
  }

  const std::string& origin_;
  std::vector<YamlValue> stack_;
  std::vector<bool> expecting_key_;
  YamlValue root_;
  bool has_root_ = false;
};

// A number as scenarios write it: decimal, optional '_' separators, optional fraction and
// exponent. Leading zeros are decimal (YAML 1.1 would read 010 as octal 8).
bool parse_number(std::string_view text, double& out) {
  std::string digits;
  for (const char c : text) {
    if (c != '_') digits += c;
  }
  if (digits.empty()) return false;
  const char* begin = digits.data();
  if (*begin == '+') ++begin;
  const char* end = digits.data() + digits.size();
  const auto [ptr, ec] = std::from_chars(begin, end, out);
  return ec == std::errc() && ptr == end && std::isfinite(out);
}

std::string trimmed(std::string_view text) {
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  return std::string(text);
}

const YamlValue& expect_scalar(const YamlValue& value, const char* what) {
  if (value.kind != YamlValue::Kind::scalar) {
    fail(value, std::string("expected ") + what +
                    (value.kind == YamlValue::Kind::null  ? ", found nothing"
                     : value.kind == YamlValue::Kind::map ? ", found a map"
                                                          : ", found a list"));
  }
  return value;
}

}  // namespace

std::string YamlValue::where() const {
  if (from_set || line == 0) return origin;
  return origin + ":" + std::to_string(line) + ":" + std::to_string(column);
}

const YamlValue* YamlValue::find(std::string_view key) const {
  for (std::size_t i = 0; i < keys.size(); ++i) {
    if (keys[i].text == key) return i < values.size() ? &values[i] : &keys[i];
  }
  return nullptr;
}

void fail(const YamlValue& at, const std::string& reason) {
  throw ScenarioFailure{ScenarioError{at.where(), reason}};
}

YamlValue parse_yaml(std::string_view text, const std::string& origin) {
  std::istringstream in{std::string(text)};
  TreeBuilder builder(origin);
  try {
    YAML::Parser parser(in);
    if (!parser.HandleNextDocument(builder) || !builder.has_root()) {
      throw ScenarioFailure{ScenarioError{origin, "empty: expected a map of settings"}};
    }
    TreeBuilder rest(origin);
    if (parser.HandleNextDocument(rest)) {
      throw ScenarioFailure{ScenarioError{origin, "more than one YAML document"}};
    }
  } catch (const YAML::Exception& error) {
    YamlValue at;
    at.origin = origin;
    if (!error.mark.is_null()) {
      at.line = error.mark.line + 1;
      at.column = error.mark.column + 1;
    }
    fail(at, "not valid YAML: " + error.msg);
  }
  return builder.take_root();
}

void apply_override(YamlValue& root, const std::string& assignment) {
  const std::string origin = "--set " + assignment;
  YamlValue here;
  here.origin = origin;
  here.from_set = true;
  const std::size_t equals = assignment.find('=');
  if (equals == std::string::npos || equals == 0) {
    fail(here, "expected key=value, e.g. --set chord.stabilize_period=2s");
  }
  const std::string path = assignment.substr(0, equals);
  const std::string text = trimmed(std::string_view(assignment).substr(equals + 1));
  if (text.empty()) fail(here, "no value after '='");
  YamlValue value = parse_yaml(text, origin);
  value.from_set = true;
  // Every position inside the value names the --set argument.
  std::vector<YamlValue*> pending{&value};
  while (!pending.empty()) {
    YamlValue* v = pending.back();
    pending.pop_back();
    v->from_set = true;
    for (auto& k : v->keys)
      k.from_set = true;
    for (auto& child : v->values)
      pending.push_back(&child);
  }
  YamlValue* node = &root;
  std::size_t start = 0;
  for (;;) {
    const std::size_t dot = path.find('.', start);
    const std::string segment = path.substr(start, dot == std::string::npos ? dot : dot - start);
    if (segment.empty()) fail(here, "empty segment in the key '" + path + "'");
    const bool last = dot == std::string::npos;
    YamlValue* next = nullptr;
    if (node->kind == YamlValue::Kind::sequence) {
      double index = 0;
      if (!parse_number(segment, index) || index < 0 || index != std::floor(index) ||
          index >= static_cast<double>(node->values.size())) {
        fail(here, "'" + segment + "' is not an index of the list (it has " +
                       std::to_string(node->values.size()) + " items)");
      }
      next = &node->values[static_cast<std::size_t>(index)];
    } else {
      if (node->kind == YamlValue::Kind::null) node->kind = YamlValue::Kind::map;
      if (node->kind != YamlValue::Kind::map) {
        fail(here, "cannot set '" + segment + "' inside a value that is not a map");
      }
      for (std::size_t i = 0; i < node->keys.size(); ++i) {
        if (node->keys[i].text == segment) next = &node->values[i];
      }
      if (next == nullptr) {
        YamlValue key;
        key.kind = YamlValue::Kind::scalar;
        key.text = segment;
        key.origin = origin;
        key.from_set = true;
        node->keys.push_back(std::move(key));
        YamlValue empty;
        empty.origin = origin;
        empty.from_set = true;
        node->values.push_back(std::move(empty));
        next = &node->values.back();
      }
    }
    if (last) {
      *next = std::move(value);
      return;
    }
    node = next;
    start = dot + 1;
  }
}

Fields::Fields(const YamlValue& map, std::string section)
    : map_(map), section_(std::move(section)), used_(map.keys.size(), false) {
  if (map.kind != YamlValue::Kind::map) fail(map, section_ + " must be a map of settings");
}

const YamlValue* Fields::take(std::string_view key) {
  known_.emplace_back(key);
  for (std::size_t i = 0; i < map_.keys.size(); ++i) {
    if (map_.keys[i].text == key) {
      used_[i] = true;
      return &map_.values[i];
    }
  }
  return nullptr;
}

const YamlValue* Fields::key(std::string_view name) const {
  for (const YamlValue& k : map_.keys) {
    if (k.text == name) return &k;
  }
  return nullptr;
}

void Fields::done() const {
  for (std::size_t i = 0; i < map_.keys.size(); ++i) {
    if (used_[i]) continue;
    std::string known;
    for (const std::string& k : known_)
      known += (known.empty() ? "" : ", ") + k;
    fail(map_.keys[i],
         "unknown key '" + map_.keys[i].text + "' in " + section_ + " (known: " + known + ")");
  }
}

std::string read_string(const YamlValue& value) {
  return expect_scalar(value, "text").text;
}

bool read_bool(const YamlValue& value) {
  const std::string& text = expect_scalar(value, "true or false").text;
  if (text == "true") return true;
  if (text == "false") return false;
  fail(value, "expected true or false, found '" + text + "'");
}

std::uint64_t read_count(const YamlValue& value, std::uint64_t min, std::uint64_t max) {
  const std::string& text = expect_scalar(value, "a whole number").text;
  std::uint64_t count = 0;
  // Plain digits are read exactly (seeds use all 64 bits); other forms (1e6, 1_000) as a
  // number that must be whole and below 2^53.
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), count);
  if (error == std::errc::result_out_of_range) fail(value, "too large");
  if (error != std::errc() || end != text.data() + text.size()) {
    double number = 0;
    if (!parse_number(text, number) || number != std::floor(number)) {
      fail(value, "expected a whole number, found '" + text + "'");
    }
    if (number < 0) fail(value, "must not be negative");
    if (number >= 9007199254740992.0) fail(value, "too large (write it in digits)");
    count = static_cast<std::uint64_t>(number);
  }
  if (count < min || count > max) {
    fail(value, "must be between " + std::to_string(min) + " and " + std::to_string(max));
  }
  return count;
}

double read_real(const YamlValue& value, double min, double max) {
  const std::string& text = expect_scalar(value, "a number").text;
  double number = 0;
  if (!parse_number(text, number)) fail(value, "expected a number, found '" + text + "'");
  if (number < min || number > max) {
    std::ostringstream range;
    range << "must be between " << min << " and " << max;
    fail(value, range.str());
  }
  return number;
}

Duration read_duration(const YamlValue& value) {
  const std::string& text =
      expect_scalar(value, "a duration with a unit, like 30s, 500ms, 5m or 2h").text;
  std::size_t split = text.size();
  while (split > 0 && std::isalpha(static_cast<unsigned char>(text[split - 1])))
    --split;
  const std::string unit = text.substr(split);
  double number = 0;
  if (!parse_number(trimmed(std::string_view(text).substr(0, split)), number)) {
    fail(value, "expected a duration with a unit, like 30s, 500ms, 5m or 2h; found '" + text + "'");
  }
  if (number < 0) fail(value, "a duration must not be negative");
  double micros_per_unit = 0;
  if (unit == "us") micros_per_unit = 1;
  if (unit == "ms") micros_per_unit = 1e3;
  if (unit == "s") micros_per_unit = 1e6;
  if (unit == "m" || unit == "min") micros_per_unit = 60e6;
  if (unit == "h") micros_per_unit = 3600e6;
  if (unit == "d") micros_per_unit = 86400e6;
  if (unit.empty() && number == 0) return Duration(0);
  if (micros_per_unit == 0) {
    fail(value, unit.empty() ? "a duration needs a unit (us, ms, s, m, h or d), like 30s"
                             : "unknown unit '" + unit + "' (use us, ms, s, m, h or d)");
  }
  const double micros = number * micros_per_unit;
  if (micros > 365.0 * 86400e6) fail(value, "longer than a year");
  if (micros > 0 && micros < 1) fail(value, "shorter than 1us, the simulator's resolution");
  return Duration(static_cast<std::int64_t>(std::llround(micros)));
}

double read_rate(const YamlValue& value) {
  const std::string& text = expect_scalar(value, "a rate, like 10/s").text;
  const std::size_t slash = text.find('/');
  double number = 0;
  if (!parse_number(trimmed(std::string_view(text).substr(0, slash)), number)) {
    fail(value, "expected a rate like 10/s, 30/m or 2/h; found '" + text + "'");
  }
  if (number < 0) fail(value, "a rate must not be negative");
  if (slash == std::string::npos) {
    if (number == 0) return 0;
    fail(value, "a rate needs a unit, like 10/s, 30/m or 2/h");
  }
  const std::string unit = trimmed(std::string_view(text).substr(slash + 1));
  double per_second = 0;
  if (unit == "s") per_second = number;
  if (unit == "m" || unit == "min") per_second = number / 60;
  if (unit == "h") per_second = number / 3600;
  if (unit != "s" && unit != "m" && unit != "min" && unit != "h") {
    fail(value, "unknown rate unit '/" + unit + "' (use /s, /m or /h)");
  }
  // The clock counts microseconds: past this, Poisson gaps round to 0 or 1 us and the rate
  // is no longer what was asked. Below 1/year a gap would not fit the clock.
  if (per_second > 1e5) fail(value, "over 100000 per second (the clock counts microseconds)");
  if (per_second > 0 && per_second < 1.0 / (365 * 86400.0)) fail(value, "below one per year");
  return per_second;
}

bool looks_like_fraction(const YamlValue& value) {
  return value.kind == YamlValue::Kind::scalar &&
         (value.text.find('%') != std::string::npos || value.text.find('.') != std::string::npos);
}

double read_fraction(const YamlValue& value) {
  const std::string& text = expect_scalar(value, "a fraction, like 50% or 0.5").text;
  const bool percent = !text.empty() && text.back() == '%';
  double number = 0;
  if (!parse_number(trimmed(std::string_view(text).substr(0, text.size() - (percent ? 1 : 0))),
                    number)) {
    fail(value, "expected a fraction like 50% or 0.5; found '" + text + "'");
  }
  if (percent) number /= 100;
  if (number < 0 || number > 1) fail(value, "must be between 0 and 1 (0% and 100%)");
  return number;
}

}  // namespace chord::sim::yaml
