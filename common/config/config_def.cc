#include "common/config/config_def.h"

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace karst::config {
namespace {

absl::Status Invalid(const ConfigDef& def, absl::string_view raw, const Origin& origin,
                     absl::string_view why) {
  return absl::InvalidArgumentError(
      absl::StrCat(def.name, " = '", raw, "' (", origin.ToString(), "): ", why));
}

bool IsAllowed(const ConfigDef& def, absl::string_view value) {
  if (def.allowed.empty()) return true;
  for (const std::string& a : def.allowed) {
    if (a == value) return true;
  }
  return false;
}

}  // namespace

std::string DescribeAllowed(const ConfigDef& def) {
  const bool bounded = def.min != std::numeric_limits<int64_t>::min() ||
                       def.max != std::numeric_limits<int64_t>::max();
  switch (def.type) {
    case Type::kInt:
    case Type::kLong:
      return bounded ? absl::StrCat("expected an integer in [", def.min, ", ", def.max, "]")
                     : "expected an integer";
    case Type::kBool:
      return "expected true or false";
    case Type::kString:
      return def.allowed.empty()
                 ? "expected a string"
                 : absl::StrCat("expected one of: ", absl::StrJoin(def.allowed, ", "));
    case Type::kList:
      return def.allowed.empty() ? "expected a comma-separated list"
                                 : absl::StrCat("expected a comma-separated list of: ",
                                                absl::StrJoin(def.allowed, ", "));
  }
  return "";
}

absl::StatusOr<Value> ParseValue(const ConfigDef& def, absl::string_view raw,
                                 const Origin& origin) {
  const absl::string_view trimmed = absl::StripAsciiWhitespace(raw);
  switch (def.type) {
    case Type::kInt:
    case Type::kLong: {
      int64_t v = 0;
      if (!absl::SimpleAtoi(trimmed, &v) || v < def.min || v > def.max) {
        return Invalid(def, raw, origin, DescribeAllowed(def));
      }
      return Value(v);
    }
    case Type::kBool: {
      const std::string lower = absl::AsciiStrToLower(trimmed);
      if (lower == "true") return Value(true);
      if (lower == "false") return Value(false);
      return Invalid(def, raw, origin, DescribeAllowed(def));
    }
    case Type::kString: {
      if (!IsAllowed(def, trimmed)) return Invalid(def, raw, origin, DescribeAllowed(def));
      return Value(std::string(trimmed));
    }
    case Type::kList: {
      std::vector<std::string> items;
      for (absl::string_view item : absl::StrSplit(trimmed, ',')) {
        item = absl::StripAsciiWhitespace(item);
        if (item.empty()) continue;
        if (!IsAllowed(def, item)) {
          return Invalid(def, raw, origin,
                         absl::StrCat("'", item, "' is not allowed; ", DescribeAllowed(def)));
        }
        items.emplace_back(item);
      }
      return Value(std::move(items));
    }
  }
  return Invalid(def, raw, origin, "unknown type");
}

std::string EnvironmentVariableFor(absl::string_view key) {
  std::string name = absl::StrCat("KARST_", absl::AsciiStrToUpper(key));
  for (char& c : name) {
    if (c == '.' || c == '-') c = '_';
  }
  return name;
}

}  // namespace karst::config
