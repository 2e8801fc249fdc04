// karst: the Karst command-line tool. `karst <command> ...`; each command parses its own flags.
#include <iostream>
#include <string>
#include <vector>

#include "client/cli/cluster_command.h"
#include "client/cli/configs_command.h"
#include "client/cli/consume_command.h"
#include "client/cli/delete_records_command.h"
#include "client/cli/groups_command.h"
#include "client/cli/leader_election_command.h"
#include "client/cli/offsets_command.h"
#include "client/cli/perf_command.h"
#include "client/cli/produce_command.h"
#include "client/cli/quorum_command.h"
#include "client/cli/reassign_command.h"
#include "client/cli/topics_command.h"
#include "common/clock.h"
#include "common/version.h"

namespace {

constexpr char kUsage[] = R"(usage: karst <command> [arguments]

commands:
  cluster up|down|status   run a Karst cluster on this machine (karst cluster --help)
  topics                   create, list, describe, delete and alter topics (karst topics --help)
  configs                  describe and alter topic and broker configs (karst configs --help)
  quorum                   describe the metadata quorum (karst quorum --help)
  produce                  send lines from stdin as records (karst produce --help)
  consume                  print records (karst consume --help)
  perf produce|consume     measure throughput and latency (karst perf --help)
  offsets                  each partition's earliest/latest/timestamp offset (karst offsets --help)
  delete-records           delete records before offsets (karst delete-records --help)
  leader-election          elect preferred leaders (karst leader-election --help)
  reassign                 generate, execute, verify and cancel partition reassignments
                           (karst reassign --help)
  groups                   list, describe, delete and reset consumer groups' offsets
                           (karst groups --help)

  --version                print the version and exit
  --help                   print this text and exit
)";

}  // namespace

int main(int argc, char** argv) {
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << kUsage;
    return karst::cli::kExitUsage;
  }
  const std::string& command = args[0];
  if (command == "--help" || command == "-h" || command == "help") {
    std::cout << kUsage;
    return karst::cli::kExitOk;
  }
  if (command == "--version") {
    std::cout << "karst " << karst::kVersion << "\n";
    return karst::cli::kExitOk;
  }
  if (command == "cluster") {
    return karst::cli::RunClusterCommand({args.begin() + 1, args.end()}, karst::SystemClock::Get());
  }
  if (command == "topics") {
    return karst::cli::RunTopicsCommand({args.begin() + 1, args.end()}, karst::SystemClock::Get());
  }
  if (command == "configs") {
    return karst::cli::RunConfigsCommand({args.begin() + 1, args.end()}, karst::SystemClock::Get());
  }
  if (command == "quorum") {
    return karst::cli::RunQuorumCommand({args.begin() + 1, args.end()}, karst::SystemClock::Get());
  }
  if (command == "produce") {
    return karst::cli::RunProduceCommand({args.begin() + 1, args.end()}, std::cin,
                                         karst::SystemClock::Get());
  }
  if (command == "consume") {
    return karst::cli::RunConsumeCommand({args.begin() + 1, args.end()}, karst::SystemClock::Get());
  }
  if (command == "perf") {
    return karst::cli::RunPerfCommand({args.begin() + 1, args.end()}, karst::SystemClock::Get());
  }
  const std::vector<std::string> rest(args.begin() + 1, args.end());
  if (command == "offsets") return karst::cli::RunOffsetsCommand(rest, karst::SystemClock::Get());
  if (command == "delete-records") {
    return karst::cli::RunDeleteRecordsCommand(rest, karst::SystemClock::Get());
  }
  if (command == "leader-election") {
    return karst::cli::RunLeaderElectionCommand(rest, karst::SystemClock::Get());
  }
  if (command == "reassign") return karst::cli::RunReassignCommand(rest, karst::SystemClock::Get());
  if (command == "groups") return karst::cli::RunGroupsCommand(rest, karst::SystemClock::Get());
  std::cerr << "karst: unknown command \"" << command << "\"\n\n" << kUsage;
  return karst::cli::kExitUsage;
}
