#include "common/config/command_line.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace karst::config {

absl::StatusOr<CommandLine> ParseCommandLine(const std::vector<std::string>& args) {
  CommandLine out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out.help = true;
      continue;
    }
    if (arg == "--version") {
      out.version = true;
      continue;
    }
    std::string flag = arg, value;
    if (const size_t eq = arg.find('='); absl::StartsWith(arg, "--") && eq != std::string::npos) {
      flag = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    } else if (arg == "--config" || arg == "--override") {
      if (i + 1 == args.size()) {
        return absl::InvalidArgumentError(absl::StrCat("flag ", arg, " needs a value"));
      }
      value = args[++i];
    }
    if (flag == "--config") {
      if (out.config_path.has_value()) {
        return absl::InvalidArgumentError("flag --config given twice");
      }
      out.config_path = value;
    } else if (flag == "--override") {
      out.overrides.push_back(value);
    } else if (absl::StartsWith(arg, "-")) {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", arg, "; see --help"));
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("unexpected argument '", arg, "'; see --help"));
    }
  }
  return out;
}

std::string Usage() {
  return "usage: karstd --config server.properties [--override key=value]...\n"
         "\n"
         "Runs a Karst node: a broker, a controller, or both (process.roles).\n"
         "Settings use Kafka's server.properties names. Each key can also be set by the\n"
         "environment variable KARST_<KEY> (upper-cased, '.' as '_', e.g. KARST_NODE_ID)\n"
         "and by --override key=value; flags beat the environment, which beats the file.\n"
         "\n"
         "  --config PATH          the properties file (optional if every required key is\n"
         "                         set elsewhere)\n"
         "  --override key=value   set one key; may repeat, the last one wins\n"
         "  --version              print the version and exit\n"
         "  --help                 print this text and exit\n";
}

}  // namespace karst::config
