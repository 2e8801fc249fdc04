#include "client/cli/quorum_command.h"

#include <algorithm>
#include <iostream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/cluster_command.h"
#include "client/cli/console_flags.h"
#include "client/client_properties.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: karst quorum --bootstrap-server HOST:PORT[,...] describe --status|--replication
                    [--output table|json]
       karst quorum --bootstrap-server HOST:PORT[,...] status

commands:
  describe --status       the metadata quorum's leader, epoch, high watermark, follower lag
                          and members (as kafka-metadata-quorum describe --status)
  describe --replication  each member's log end offset, lag, last fetch and last caught-up
                          times (ms since the Unix epoch) and role
  status                  short for describe --status

options:
  --bootstrap-server S   brokers to bootstrap from (overrides bootstrap.servers)
  --command-config FILE  client properties: bootstrap.servers, client.id, request.timeout.ms
  --output table|json    Kafka's text layout (default), or JSON
  --help                 print this text and exit

exit codes: 0 ok, 1 Kafka or network error, 2 usage error
)";

// The words and switches seen, before they are checked together.
struct Seen {
  bool describe = false;
  bool status_word = false;
  bool status = false;
  bool replication = false;
};

absl::Status SetValue(QuorumFlags& flags, const std::string& name, const std::string& value) {
  if (name == "--bootstrap-server") {
    flags.bootstrap_server = value;
  } else if (name == "--command-config") {
    flags.command_config = value;
  } else if (name == "--output") {
    if (value == "table") {
      flags.output = QuorumOutput::kTable;
    } else if (value == "json") {
      flags.output = QuorumOutput::kJson;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("--output: expected table or json, got \"", value, "\""));
    }
  } else if (name == "--bootstrap-controller") {
    return absl::InvalidArgumentError(
        "--bootstrap-controller is not offered: Karst controllers speak gRPC, not the Kafka "
        "protocol; use --bootstrap-server (every broker asks the active controller)");
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
  }
  return absl::OkStatus();
}

absl::StatusOr<QuorumAction> ActionOf(const Seen& seen) {
  if (seen.status_word && (seen.describe || seen.replication)) {
    return absl::InvalidArgumentError(
        "status is short for describe --status; it takes no other command");
  }
  if (seen.status && seen.replication) {
    return absl::InvalidArgumentError("--status and --replication are exclusive");
  }
  if (seen.status_word || seen.status) return QuorumAction::kStatus;
  if (seen.replication) return QuorumAction::kReplication;
  if (seen.describe) {
    return absl::InvalidArgumentError("describe needs one of --status or --replication");
  }
  return absl::InvalidArgumentError(
      "a command is required: describe --status, describe --replication or status");
}

absl::StatusOr<client::AdminClientOptions> ClientOptions(const QuorumFlags& flags) {
  client::Properties properties;
  if (!flags.bootstrap_server.empty()) properties["bootstrap.servers"] = flags.bootstrap_server;
  if (!flags.command_config.empty()) {
    RETURN_IF_ERROR(MergePropertiesFile("--command-config", flags.command_config, properties));
  }
  if (properties.count("bootstrap.servers") == 0) {
    return absl::InvalidArgumentError("--bootstrap-server is required");
  }
  return client::AdminClientOptionsFromProperties(properties);
}

// A JSON string literal (RFC 8259): quotes, backslashes and control characters escaped.
std::string JsonString(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      constexpr char kHex[] = "0123456789abcdef";
      absl::StrAppend(&out, "\\u00", std::string(1, kHex[c >> 4]), std::string(1, kHex[c & 15]));
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string IdList(const std::vector<client::QuorumReplica>& replicas) {
  return absl::StrCat("[",
                      absl::StrJoin(replicas, ",",
                                    [](std::string* out, const client::QuorumReplica& r) {
                                      absl::StrAppend(out, r.replica_id);
                                    }),
                      "]");
}

// The leader's own entry among the voters, if listed.
const client::QuorumReplica* LeaderOf(const client::QuorumInfo& quorum) {
  for (const client::QuorumReplica& v : quorum.voters) {
    if (v.replica_id == quorum.leader_id) return &v;
  }
  return nullptr;
}

struct FollowerLag {
  int64_t offsets = -1;
  int64_t time_ms = -1;
};

// As Kafka's MetadataQuorumCommand: the voter with the lowest log end (the first of equals).
FollowerLag MaxFollowerLag(const client::QuorumInfo& quorum) {
  const client::QuorumReplica* leader = LeaderOf(quorum);
  if (leader == nullptr) return {};
  const client::QuorumReplica* lowest = &*std::min_element(
      quorum.voters.begin(), quorum.voters.end(),
      [](const auto& a, const auto& b) { return a.log_end_offset < b.log_end_offset; });
  FollowerLag lag{.offsets = leader->log_end_offset - lowest->log_end_offset};
  if (lowest == leader) {
    lag.time_ms = 0;
  } else if (leader->last_caught_up_timestamp >= 0 && lowest->last_caught_up_timestamp >= 0) {
    lag.time_ms = leader->last_caught_up_timestamp - lowest->last_caught_up_timestamp;
  }
  return lag;
}

struct ReplicationRow {
  const client::QuorumReplica* replica;
  const char* status;
};

// The leader first, then the other voters, then the observers (Kafka's order).
std::vector<ReplicationRow> ReplicationRows(const client::QuorumInfo& quorum) {
  std::vector<ReplicationRow> rows;
  if (const client::QuorumReplica* leader = LeaderOf(quorum)) rows.push_back({leader, "Leader"});
  for (const client::QuorumReplica& v : quorum.voters) {
    if (v.replica_id != quorum.leader_id) rows.push_back({&v, "Follower"});
  }
  for (const client::QuorumReplica& o : quorum.observers) rows.push_back({&o, "Observer"});
  return rows;
}

// Columns padded to the widest value, each followed by a tab (Kafka's prettyPrintTable), with
// the trailing tab dropped.
std::string Table(const std::vector<std::vector<std::string>>& rows) {
  std::vector<size_t> widths;
  for (const auto& row : rows) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  std::string out;
  for (const auto& row : rows) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      absl::StrAppend(&line, row[i], std::string(widths[i] - row[i].size(), ' '));
      if (i + 1 < row.size()) line += '\t';
    }
    absl::StrAppend(&out, line, "\n");
  }
  return out;
}

}  // namespace

const char* QuorumUsage() { return kUsage; }

absl::StatusOr<QuorumFlags> ParseQuorumFlags(const std::vector<std::string>& args) {
  QuorumFlags flags;
  Seen seen;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return QuorumFlags{};
    if (arg == "describe") {
      seen.describe = true;
    } else if (arg == "status") {
      seen.status_word = true;
    } else if (arg == "--status") {
      seen.status = true;
    } else if (arg == "--replication") {
      seen.replication = true;
    } else if (absl::StartsWith(arg, "--")) {
      const size_t eq = arg.find('=');
      const std::string name = arg.substr(0, eq);
      std::string value;
      if (eq != std::string::npos) {
        value = arg.substr(eq + 1);
      } else if (i + 1 < args.size()) {
        value = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat(name, " needs a value"));
      }
      RETURN_IF_ERROR(SetValue(flags, name, value));
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
  }
  ASSIGN_OR_RETURN(flags.action, ActionOf(seen));
  return flags;
}

std::string FormatQuorumStatus(const client::QuorumInfo& quorum, QuorumOutput output) {
  const FollowerLag lag = MaxFollowerLag(quorum);
  if (output == QuorumOutput::kJson) {
    return absl::StrCat(
        "{\"clusterId\":", JsonString(quorum.cluster_id), ",\"leaderId\":", quorum.leader_id,
        ",\"leaderEpoch\":", quorum.leader_epoch, ",\"highWatermark\":", quorum.high_watermark,
        ",\"maxFollowerLag\":", lag.offsets, ",\"maxFollowerLagTimeMs\":", lag.time_ms,
        ",\"currentVoters\":", IdList(quorum.voters),
        ",\"currentObservers\":", IdList(quorum.observers), "}\n");
  }
  return absl::StrCat(
      "ClusterId:              ", quorum.cluster_id, "\nLeaderId:               ", quorum.leader_id,
      "\nLeaderEpoch:            ", quorum.leader_epoch,
      "\nHighWatermark:          ", quorum.high_watermark,
      "\nMaxFollowerLag:         ", lag.offsets, "\nMaxFollowerLagTimeMs:   ", lag.time_ms,
      "\nCurrentVoters:          ", IdList(quorum.voters),
      "\nCurrentObservers:       ", IdList(quorum.observers), "\n");
}

std::string FormatQuorumReplication(const client::QuorumInfo& quorum, QuorumOutput output) {
  const client::QuorumReplica* leader = LeaderOf(quorum);
  const int64_t leader_end = leader != nullptr ? leader->log_end_offset : -1;
  auto lag = [leader_end](const client::QuorumReplica& r) -> int64_t {
    return leader_end >= 0 && r.log_end_offset >= 0 ? leader_end - r.log_end_offset : -1;
  };
  const std::vector<ReplicationRow> rows = ReplicationRows(quorum);
  if (output == QuorumOutput::kJson) {
    std::vector<std::string> objects;
    for (const ReplicationRow& row : rows) {
      const client::QuorumReplica& r = *row.replica;
      objects.push_back(absl::StrCat("{\"nodeId\":", r.replica_id,
                                     ",\"logEndOffset\":", r.log_end_offset, ",\"lag\":", lag(r),
                                     ",\"lastFetchTimestamp\":", r.last_fetch_timestamp,
                                     ",\"lastCaughtUpTimestamp\":", r.last_caught_up_timestamp,
                                     ",\"status\":", JsonString(row.status), "}"));
    }
    return absl::StrCat("[", absl::StrJoin(objects, ","), "]\n");
  }
  std::vector<std::vector<std::string>> table = {
      {"NodeId", "LogEndOffset", "Lag", "LastFetchTimestamp", "LastCaughtUpTimestamp", "Status"}};
  for (const ReplicationRow& row : rows) {
    const client::QuorumReplica& r = *row.replica;
    table.push_back({absl::StrCat(r.replica_id), absl::StrCat(r.log_end_offset),
                     absl::StrCat(lag(r)), absl::StrCat(r.last_fetch_timestamp),
                     absl::StrCat(r.last_caught_up_timestamp), row.status});
  }
  return Table(table);
}

int RunQuorumCommand(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<QuorumFlags> flags = ParseQuorumFlags(args);
  if (!flags.ok()) {
    std::cerr << "karst quorum: " << flags.status().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (flags->action == QuorumAction::kHelp) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::AdminClientOptions> options = ClientOptions(*flags);
  if (!options.ok()) {
    std::cerr << "karst quorum: " << options.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<client::AdminClient>> admin =
      client::AdminClient::Create(*std::move(options), clock);
  absl::StatusOr<client::QuorumInfo> quorum =
      admin.ok() ? (*admin)->DescribeQuorum() : absl::StatusOr<client::QuorumInfo>(admin.status());
  if (!quorum.ok()) {
    std::cerr << "karst quorum: " << quorum.status().message() << "\n";
    return kExitFailure;
  }
  std::cout << (flags->action == QuorumAction::kStatus
                    ? FormatQuorumStatus(*quorum, flags->output)
                    : FormatQuorumReplication(*quorum, flags->output));
  return kExitOk;
}

}  // namespace karst::cli
