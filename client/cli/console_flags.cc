#include "client/cli/console_flags.h"

#include <fstream>
#include <sstream>

#include "absl/strings/str_cat.h"
#include "common/status_macros.h"

namespace karst::cli {

absl::StatusOr<std::pair<std::string, std::string>> KeyValue(const std::string& flag,
                                                             const std::string& value) {
  const size_t eq = value.find('=');
  if (eq == std::string::npos || eq == 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": expected key=value, got \"", value, "\""));
  }
  return std::make_pair(value.substr(0, eq), value.substr(eq + 1));
}

absl::Status MergePropertiesFile(const std::string& flag, const std::string& path,
                                 client::Properties& properties) {
  std::ifstream in(path);
  if (!in) return absl::InvalidArgumentError(absl::StrCat(flag, ": cannot read ", path));
  std::stringstream text;
  text << in.rdbuf();
  ASSIGN_OR_RETURN(const client::Properties file, client::ParseProperties(text.str()));
  for (const auto& [key, value] : file) properties.try_emplace(key, value);
  return absl::OkStatus();
}

absl::StatusOr<OutputFormat> ParseOutputFormat(const std::string& value) {
  if (value == "text") return OutputFormat::kText;
  if (value == "json") return OutputFormat::kJson;
  return absl::InvalidArgumentError(
      absl::StrCat("--output: expected text or json, got \"", value, "\""));
}

}  // namespace karst::cli
