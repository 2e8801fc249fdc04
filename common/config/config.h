// Config: typed configuration values resolved from defaults, a properties file, environment
// variables and --override flags, each value remembering its Origin. Immutable once loaded, so
// it may be read from any thread.
//
// Precedence, highest first: --override flags > environment (KARST_<KEY>) > file > default.
// Start-up errors (all kInvalidArgument, naming key, source and what is allowed):
//   - a key no ConfigDef defines, in any source (a KARST_ variable counts as a key);
//   - a malformed or out-of-range value;
//   - a required key set nowhere;
//   - a malformed --override (not key=value).
#ifndef KARST_COMMON_CONFIG_CONFIG_H_
#define KARST_COMMON_CONFIG_CONFIG_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/config/config_def.h"
#include "common/config/origin.h"
#include "common/config/properties.h"

namespace karst::config {

struct Sources {
  // Parsed properties (from ReadPropertiesFile or ParseProperties); may be empty.
  std::vector<Property> file;
  // The process environment as "NAME=value" strings (as in environ); only KARST_* are read.
  std::vector<std::string> environment;
  // The values of --override flags, each "key=value", in command-line order (last wins).
  std::vector<std::string> overrides;
};

class Config {
 public:
  // Resolves every key of `defs` from `sources`. See the header comment for the errors.
  static absl::StatusOr<Config> Resolve(const std::vector<ConfigDef>& defs, const Sources& sources);

  // Typed reads. REQUIRES: `name` is defined with that type (a programming error otherwise,
  // which CHECK-fails) and is set (use IsSet for keys without a default).
  int64_t GetInt(absl::string_view name) const;
  bool GetBool(absl::string_view name) const;
  const std::string& GetString(absl::string_view name) const;
  const std::vector<std::string>& GetList(absl::string_view name) const;

  bool IsSet(absl::string_view name) const;
  const Origin& OriginOf(absl::string_view name) const;

  // "key=value (origin)" for every set key, sorted by key: for logging effective settings.
  std::vector<std::string> Describe() const;

 private:
  struct Entry {
    Type type;
    Value value;
    Origin origin;
  };
  const Entry& Get(absl::string_view name, Type type) const;

  std::map<std::string, Entry, std::less<>> entries_;
};

// "<key> (<origin>): <message>" as kInvalidArgument: for checks that span keys.
absl::Status KeyError(const Config& config, absl::string_view key, absl::string_view message);

}  // namespace karst::config

#endif  // KARST_COMMON_CONFIG_CONFIG_H_
