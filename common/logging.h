// Process logging set-up: installs spdlog's default logger (stderr) with the level and pattern
// from configuration (logger.level, logger.pattern). Call once from main() before threads start;
// after that, spdlog's own functions are thread-safe.
#ifndef KARST_COMMON_LOGGING_H_
#define KARST_COMMON_LOGGING_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "spdlog/spdlog.h"

// spdlog formats absl::string_view (Debian's Abseil does not alias it to std::string_view,
// so fmt would not know it): spdlog::info("{}", status.message()).
template <>
struct fmt::formatter<absl::string_view> : fmt::formatter<fmt::string_view> {
  template <typename FormatContext>
  auto format(absl::string_view s, FormatContext& ctx) const {
    return fmt::formatter<fmt::string_view>::format(fmt::string_view(s.data(), s.size()), ctx);
  }
};

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
