// ConfigDef: one configuration key's name, type, default and allowed values, and the pure
// parsing of a raw string into a typed Value. Error messages name the key, the value's origin
// and what is allowed, e.g.
//   "num.partitions = 'x' (server.properties:4): expected an integer in [1, 2147483647]".
#ifndef KARST_COMMON_CONFIG_CONFIG_DEF_H_
#define KARST_COMMON_CONFIG_CONFIG_DEF_H_

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/config/origin.h"

namespace karst::config {

enum class Type { kInt, kLong, kBool, kString, kList };

// A parsed value. monostate: the key has no default and was not set.
using Value = std::variant<std::monostate, int64_t, bool, std::string, std::vector<std::string>>;

struct ConfigDef {
  std::string name;
  Type type = Type::kString;
  // The value used when no source sets the key; nullopt leaves it unset.
  std::optional<std::string> default_value;
  // An unset required key is a start-up error.
  bool required = false;
  // kInt and kLong: the inclusive range allowed.
  int64_t min = std::numeric_limits<int64_t>::min();
  int64_t max = std::numeric_limits<int64_t>::max();
  // kString, and each item of a kList: the allowed values; empty allows any.
  std::vector<std::string> allowed;
  std::string doc;
};

// Parses `raw` for `def`. kInvalidArgument naming the key, the origin and what is allowed.
// Integers are decimal, with an optional sign; booleans are "true" or "false" (any case, as
// Kafka accepts); lists are comma-separated with blanks trimmed and empty items dropped.
absl::StatusOr<Value> ParseValue(const ConfigDef& def, absl::string_view raw, const Origin& origin);

// What `def` allows, for error messages and --help: "an integer in [1, 2147483647]".
std::string DescribeAllowed(const ConfigDef& def);

// The environment variable that sets `key`: "KARST_" + key upper-cased, '.' and '-' as '_'.
std::string EnvironmentVariableFor(absl::string_view key);

}  // namespace karst::config

#endif  // KARST_COMMON_CONFIG_CONFIG_DEF_H_
