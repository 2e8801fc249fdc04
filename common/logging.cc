#include "common/logging.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "spdlog/sinks/stdout_sinks.h"

namespace karst {

absl::StatusOr<spdlog::level::level_enum> ParseLogLevel(absl::string_view name) {
  static constexpr std::pair<absl::string_view, spdlog::level::level_enum> kLevels[] = {
      {"trace", spdlog::level::trace}, {"debug", spdlog::level::debug},
      {"info", spdlog::level::info},   {"warn", spdlog::level::warn},
      {"error", spdlog::level::err},   {"critical", spdlog::level::critical},
      {"off", spdlog::level::off},
  };
  for (const auto& [level_name, level] : kLevels) {
    if (name == level_name) return level;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "unknown log level '", name, "'; allowed: trace, debug, info, warn, error, critical, off"));
}

absl::Status SetUpLogging(const LoggingOptions& options) {
  absl::StatusOr<spdlog::level::level_enum> level = ParseLogLevel(options.level);
  if (!level.ok()) return level.status();
  if (options.pattern.empty()) return absl::InvalidArgumentError("empty log pattern");
  auto logger = std::make_shared<spdlog::logger>(options.name,
                                                 std::make_shared<spdlog::sinks::stderr_sink_mt>());
  logger->set_level(*level);
  logger->set_pattern(options.pattern);
  // Warnings and worse reach the terminal (and a crash report) without waiting for a buffer.
  logger->flush_on(spdlog::level::warn);
  spdlog::set_default_logger(std::move(logger));
  return absl::OkStatus();
}

}  // namespace karst
