#include "common/config/config.h"

#include "absl/base/internal/raw_logging.h"
#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace karst::config {
namespace {

using DefIndex = absl::flat_hash_map<std::string, const ConfigDef*>;

std::string Render(const Value& value) {
  struct {
    std::string operator()(std::monostate) const { return "(unset)"; }
    std::string operator()(int64_t v) const { return absl::StrCat(v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return v; }
    std::string operator()(const std::vector<std::string>& v) const {
      return absl::StrJoin(v, ",");
    }
  } visitor;
  return std::visit(visitor, value);
}

absl::Status UnknownKey(absl::string_view key, const Origin& origin) {
  return absl::InvalidArgumentError(
      absl::StrCat("unknown configuration key '", key, "' (", origin.ToString(), ")"));
}

// Collects (key, raw value, origin) from the environment: every KARST_* variable must name a
// defined key.
absl::Status AddEnvironment(const DefIndex& defs, const std::vector<std::string>& environment,
                            std::vector<Property>& out) {
  absl::flat_hash_map<std::string, std::string> by_variable;
  for (const auto& [name, def] : defs) by_variable[EnvironmentVariableFor(name)] = name;
  for (const std::string& entry : environment) {
    if (!absl::StartsWith(entry, "KARST_")) continue;
    const size_t eq = entry.find('=');
    const std::string variable = entry.substr(0, eq);
    const std::string value = eq == std::string::npos ? "" : entry.substr(eq + 1);
    auto it = by_variable.find(variable);
    if (it == by_variable.end()) {
      return absl::InvalidArgumentError(
          absl::StrCat("unknown configuration key from environment variable ", variable,
                       " (KARST_ variables must name a key, e.g. KARST_NODE_ID for node.id)"));
    }
    out.push_back({it->second, value, Origin::Environment(variable)});
  }
  return absl::OkStatus();
}

absl::Status AddOverrides(const std::vector<std::string>& overrides, std::vector<Property>& out) {
  for (const std::string& flag : overrides) {
    const size_t eq = flag.find('=');
    if (eq == std::string::npos || eq == 0) {
      return absl::InvalidArgumentError(
          absl::StrCat("flag --override ", flag, ": expected key=value"));
    }
    out.push_back(
        {flag.substr(0, eq), flag.substr(eq + 1), Origin::Flag(absl::StrCat("--override ", flag))});
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<Config> Config::Resolve(const std::vector<ConfigDef>& defs, const Sources& sources) {
  DefIndex index;
  for (const ConfigDef& def : defs) index[def.name] = &def;

  // Lowest precedence first, so a later assignment wins.
  std::vector<Property> assignments = sources.file;
  if (absl::Status s = AddEnvironment(index, sources.environment, assignments); !s.ok()) return s;
  if (absl::Status s = AddOverrides(sources.overrides, assignments); !s.ok()) return s;

  Config config;
  for (const ConfigDef& def : defs) {
    Entry entry{def.type, std::monostate{}, Origin::Default()};
    if (def.default_value.has_value()) {
      absl::StatusOr<Value> value = ParseValue(def, *def.default_value, entry.origin);
      ABSL_RAW_CHECK(value.ok(), "a ConfigDef's default does not parse");
      entry.value = *std::move(value);
    }
    config.entries_.emplace(def.name, std::move(entry));
  }
  for (const Property& p : assignments) {
    auto it = index.find(p.key);
    if (it == index.end()) return UnknownKey(p.key, p.origin);
    absl::StatusOr<Value> value = ParseValue(*it->second, p.value, p.origin);
    if (!value.ok()) return value.status();
    Entry& entry = config.entries_.find(p.key)->second;
    entry.value = *std::move(value);
    entry.origin = p.origin;
  }
  for (const ConfigDef& def : defs) {
    if (def.required && !config.IsSet(def.name)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "required configuration key '", def.name, "' is not set (", DescribeAllowed(def),
          "; set it in the config file, as ", EnvironmentVariableFor(def.name),
          ", or with --override ", def.name, "=...)"));
    }
  }
  return config;
}

const Config::Entry& Config::Get(absl::string_view name, Type type) const {
  auto it = entries_.find(name);
  ABSL_RAW_CHECK(it != entries_.end(), "Config: read of an undefined key");
  ABSL_RAW_CHECK(it->second.type == type, "Config: read with the wrong type");
  return it->second;
}

int64_t Config::GetInt(absl::string_view name) const {
  auto it = entries_.find(name);
  ABSL_RAW_CHECK(it != entries_.end(), "Config: read of an undefined key");
  const Type type = it->second.type;
  return std::get<int64_t>(Get(name, type == Type::kLong ? Type::kLong : Type::kInt).value);
}

bool Config::GetBool(absl::string_view name) const {
  return std::get<bool>(Get(name, Type::kBool).value);
}

const std::string& Config::GetString(absl::string_view name) const {
  return std::get<std::string>(Get(name, Type::kString).value);
}

const std::vector<std::string>& Config::GetList(absl::string_view name) const {
  return std::get<std::vector<std::string>>(Get(name, Type::kList).value);
}

bool Config::IsSet(absl::string_view name) const {
  auto it = entries_.find(name);
  ABSL_RAW_CHECK(it != entries_.end(), "Config: IsSet of an undefined key");
  return !std::holds_alternative<std::monostate>(it->second.value);
}

const Origin& Config::OriginOf(absl::string_view name) const {
  auto it = entries_.find(name);
  ABSL_RAW_CHECK(it != entries_.end(), "Config: OriginOf an undefined key");
  return it->second.origin;
}

std::vector<std::string> Config::Describe() const {
  std::vector<std::string> lines;
  for (const auto& [name, entry] : entries_) {
    if (std::holds_alternative<std::monostate>(entry.value)) continue;
    lines.push_back(
        absl::StrCat(name, "=", Render(entry.value), " (", entry.origin.ToString(), ")"));
  }
  return lines;
}

absl::Status KeyError(const Config& config, absl::string_view key, absl::string_view message) {
  return absl::InvalidArgumentError(
      absl::StrCat(key, " (", config.OriginOf(key).ToString(), "): ", message));
}

}  // namespace karst::config
