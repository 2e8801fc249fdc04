#include "client/cli/admin_flags.h"

#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli/cluster_command.h"
#include "client/cli/console_flags.h"
#include "common/status_macros.h"

namespace karst::cli {

absl::StatusOr<SplitFlags> SplitCommandLine(const std::vector<std::string>& args,
                                            const std::set<std::string>& switches,
                                            const std::set<std::string>& valued) {
  SplitFlags out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!absl::StartsWith(arg, "-")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
    const size_t eq = arg.find('=');
    const std::string name = arg.substr(0, eq);
    if (name == "--help" || name == "-h" || switches.contains(name)) {
      if (eq != std::string::npos) {
        return absl::InvalidArgumentError(absl::StrCat(name, " takes no value"));
      }
      if (!out.switches.insert(name).second) {
        return absl::InvalidArgumentError(absl::StrCat(name, " is given twice"));
      }
      continue;
    }
    if (!valued.contains(name))
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
    std::string value;
    if (eq != std::string::npos) {
      value = arg.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      value = args[++i];
    } else {
      return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
    }
    if (!out.values.emplace(name, std::move(value)).second) {
      return absl::InvalidArgumentError(absl::StrCat(name, " is given twice"));
    }
  }
  return out;
}

absl::StatusOr<client::AdminClientOptions> AdminOptions(const std::string& bootstrap_server,
                                                        const std::string& command_config) {
  client::Properties properties;
  if (!bootstrap_server.empty()) properties["bootstrap.servers"] = bootstrap_server;
  if (!command_config.empty()) {
    RETURN_IF_ERROR(MergePropertiesFile("--command-config", command_config, properties));
  }
  if (properties.count("bootstrap.servers") == 0) {
    return absl::InvalidArgumentError("--bootstrap-server is required");
  }
  return client::AdminClientOptionsFromProperties(properties);
}

int RunWithAdmin(const std::string& command, client::AdminClientOptions options, Clock& clock,
                 const std::function<absl::Status(client::AdminClient&)>& action) {
  absl::StatusOr<std::unique_ptr<client::AdminClient>> admin =
      client::AdminClient::Create(std::move(options), clock);
  const absl::Status status = admin.ok() ? action(**admin) : admin.status();
  if (!status.ok()) {
    std::cerr << "karst " << command << ": " << status.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

int UsageError(const std::string& command, const absl::Status& status, const char* usage) {
  std::cerr << "karst " << command << ": " << status.message() << "\n\n" << usage;
  return kExitUsage;
}

}  // namespace karst::cli
