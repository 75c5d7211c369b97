// YamlValue: a scenario file as a plain tree with 1-based positions, and the readers that
// check its values (durations, rates, fractions, counts) against what a scenario may say.
//
// Built from yaml-cpp's event parser, not its Node API: every scalar, key and collection
// keeps its own position, duplicate keys are visible (and rejected), and nothing is ever
// inserted by a lookup. Internal to the scenario loader: a failure throws ScenarioFailure,
// which load_scenario turns into a ScenarioError; nothing here escapes the loader.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/runtime.h"
#include "net_sim/scenario.h"

namespace chord::sim::yaml {

struct ScenarioFailure {
  ScenarioError error;
};

struct YamlValue {
  enum class Kind : std::uint8_t { null, scalar, map, sequence };
  Kind kind = Kind::null;
  std::string text;    // scalar
  std::string origin;  // where it came from: the file name, or "--set key=value"
  bool from_set = false;
  int line = 0;  // 1-based within the file (from_set: 0)
  int column = 0;
  std::vector<YamlValue> keys;    // map: scalar keys, in file order
  std::vector<YamlValue> values;  // map: values, parallel to keys; sequence: the items

  std::string where() const;
  const YamlValue* find(std::string_view key) const;
};

// Parses one YAML document. `origin` names it in positions. Throws ScenarioFailure.
YamlValue parse_yaml(std::string_view text, const std::string& origin);

// Applies "dotted.path=value" to `root` (a map): maps on the path are created as needed,
// numeric segments index sequences. Throws ScenarioFailure naming the argument.
void apply_override(YamlValue& root, const std::string& assignment);

[[noreturn]] void fail(const YamlValue& at, const std::string& reason);

// Reads the fields of one map; rejects keys it was never asked for (done()).
class Fields {
 public:
  Fields(const YamlValue& map, std::string section);
  // The value under `key`, or nullptr; the key counts as known either way.
  const YamlValue* take(std::string_view key);
  // The key itself (for errors about the key rather than its value), or nullptr.
  const YamlValue* key(std::string_view name) const;
  // Fails on the first key nobody took, naming the known ones.
  void done() const;
  const YamlValue& self() const { return map_; }

 private:
  const YamlValue& map_;
  std::string section_;
  std::vector<std::string> known_;
  std::vector<bool> used_;
};

// Scalar readers; each fails with the value's position and what was expected.
std::string read_string(const YamlValue& value);
bool read_bool(const YamlValue& value);
std::uint64_t read_count(const YamlValue& value, std::uint64_t min, std::uint64_t max);
double read_real(const YamlValue& value, double min, double max);
Duration read_duration(const YamlValue& value);    // "30s", "500ms", "5m", "2h", "1d", or 0
double read_rate(const YamlValue& value);          // "10/s", "30/m", "2/h", or 0: per second
double read_fraction(const YamlValue& value);      // "50%" or 0.5, within [0, 1]
bool looks_like_fraction(const YamlValue& value);  // "50%" or a number with a point

}  // namespace chord::sim::yaml
