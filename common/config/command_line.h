// karstd's command line: `--config PATH` (or --config=PATH), repeatable `--override key=value`
// (or --override=key=value), `--help`, `--version`. Pure: parses argv, nothing else.
#ifndef KARST_COMMON_CONFIG_COMMAND_LINE_H_
#define KARST_COMMON_CONFIG_COMMAND_LINE_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace karst::config {

struct CommandLine {
  std::optional<std::string> config_path;
  std::vector<std::string> overrides;  // "key=value", in order.
  bool help = false;
  bool version = false;
};

// kInvalidArgument naming the offending argument: an unknown flag, a flag missing its value,
// a positional argument, or --config given twice.
absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args);

// The text `karstd --help` prints.
std::string Usage();

}  // namespace karst::config

#endif  // KARST_COMMON_CONFIG_COMMAND_LINE_H_
