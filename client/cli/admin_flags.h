// Flag handling shared by the partition admin commands (`karst offsets`, `delete-records`,
// `leader-election`, `reassign`): splitting "--flag value" / "--flag=value" and switches,
// --output, client options from --bootstrap-server and --command-config, and running an action
// with an AdminClient under the common exit codes. Called from main's thread.
#ifndef KARST_CLIENT_CLI_ADMIN_FLAGS_H_
#define KARST_CLIENT_CLI_ADMIN_FLAGS_H_

#include <functional>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/admin_client.h"
#include "client/cli/console_flags.h"
#include "common/clock.h"

namespace karst::cli {

// A command line split into the switches seen and each valued flag's value.
struct SplitFlags {
  std::set<std::string> switches;
  std::map<std::string, std::string> values;
  bool Has(const std::string& flag) const {
    return switches.contains(flag) || values.contains(flag);
  }
  std::string Value(const std::string& flag) const {
    auto it = values.find(flag);
    return it == values.end() ? "" : it->second;
  }
};

// Splits `args` by the known `switches` and `valued` flags ("--help" and "-h" are always
// switches). Errors: kInvalidArgument for an unknown flag, a flag given twice, a valued flag
// without a value, a value given to a switch, or an argument that is not a flag.
absl::StatusOr<SplitFlags> SplitCommandLine(const std::vector<std::string>& args,
                                            const std::set<std::string>& switches,
                                            const std::set<std::string>& valued);

// bootstrap.servers from `bootstrap_server` (wins) or the `command_config` properties file.
// Errors: kInvalidArgument when neither names servers, or for a bad file.
absl::StatusOr<client::AdminClientOptions> AdminOptions(const std::string& bootstrap_server,
                                                        const std::string& command_config);

// Connects and runs `action`, printing a failure as "karst <command>: <message>" on stderr.
// Returns kExitOk, or kExitFailure when connecting or `action` failed.
int RunWithAdmin(const std::string& command, client::AdminClientOptions options, Clock& clock,
                 const std::function<absl::Status(client::AdminClient&)>& action);

// Prints "karst <command>: <message>", a blank line and `usage` to stderr; returns kExitUsage.
int UsageError(const std::string& command, const absl::Status& status, const char* usage);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_ADMIN_FLAGS_H_
