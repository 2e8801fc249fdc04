// Process logging set-up: installs spdlog's default logger (stderr) with the level and pattern
// from configuration (logger.level, logger.pattern). Call once from main() before threads start;
// after that, spdlog's own functions are thread-safe.
#ifndef KARST_COMMON_LOGGING_H_
#define KARST_COMMON_LOGGING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

namespace karst {

struct LoggingOptions {
  std::string level = "info";  // trace, debug, info, warn, error, critical or off.
  std::string pattern = "%Y-%m-%dT%H:%M:%S.%e%z %^%l%$ [%n] %v";  // spdlog pattern syntax.
  std::string name = "karst";                                     // the logger's [%n].
};

// Parses a level name; kInvalidArgument naming the allowed values otherwise.
absl::StatusOr<spdlog::level::level_enum> ParseLogLevel(absl::string_view name);

// Replaces spdlog's default logger. kInvalidArgument for a bad level or an empty pattern.
absl::Status SetUpLogging(const LoggingOptions& options);

}  // namespace karst

#endif  // KARST_COMMON_LOGGING_H_
