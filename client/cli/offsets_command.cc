#include "client/cli/offsets_command.h"

#include <iostream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/cli/admin_json.h"
#include "client/cli/cluster_command.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: karst offsets --bootstrap-server HOST:PORT[,...] --topic T [--partitions 0,1]
                     [--time earliest|latest|max-timestamp|<ms>] [--output text|json]

Prints each partition's offset as topic:partition:offset (kafka-get-offsets).

options:
  --topic T              the topic
  --partitions LIST      comma-separated partition ids (default: every partition)
  --time WHEN            earliest (-2), latest (-1, default), max-timestamp (-3), or a
                         timestamp in ms: the first offset whose record is at least that old
  --bootstrap-server S   brokers to bootstrap from (overrides bootstrap.servers)
  --command-config FILE  client properties: bootstrap.servers, client.id, request.timeout.ms
  --output FORMAT        text (default) or json
  --help                 print this text and exit

exit codes: 0 ok, 1 Kafka or network error, 2 usage error
)";

absl::Status Run(const OffsetsFlags& flags, client::AdminClient& admin) {
  std::vector<int32_t> partitions = flags.partitions;
  if (partitions.empty()) {
    ASSIGN_OR_RETURN(const auto topics, admin.DescribeTopics({flags.topic}));
    for (const auto& p : topics.at(0).partitions) partitions.push_back(p.partition);
  }
  std::map<client::TopicPartition, client::OffsetSpec> specs;
  for (int32_t p : partitions) specs[{flags.topic, p}] = flags.spec;
  ASSIGN_OR_RETURN(const auto offsets, admin.ListOffsets(specs));
  std::vector<std::string> errors;
  std::cout << FormatOffsets(offsets, flags.output, errors);
  if (!errors.empty()) return absl::UnavailableError(absl::StrJoin(errors, "\n"));
  return absl::OkStatus();
}

}  // namespace

const char* OffsetsUsage() { return kUsage; }

absl::StatusOr<client::OffsetSpec> ParseOffsetTime(const std::string& value) {
  if (value == "earliest") return client::OffsetSpec{client::OffsetSpec::kEarliest};
  if (value == "latest") return client::OffsetSpec{client::OffsetSpec::kLatest};
  if (value == "max-timestamp") return client::OffsetSpec{client::OffsetSpec::kMaxTimestamp};
  int64_t ms = 0;
  if (absl::SimpleAtoi(value, &ms) && ms >= client::OffsetSpec::kMaxTimestamp) {
    return client::OffsetSpec{ms};
  }
  return absl::InvalidArgumentError(
      absl::StrCat("--time: expected earliest, latest, max-timestamp or a timestamp in ms, got \"",
                   value, "\""));
}

absl::StatusOr<OffsetsFlags> ParseOffsetsFlags(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(const SplitFlags split,
                   SplitCommandLine(args, {},
                                    {"--bootstrap-server", "--command-config", "--topic",
                                     "--partitions", "--time", "--output"}));
  OffsetsFlags flags;
  if (split.Has("--help") || split.Has("-h")) {
    flags.help = true;
    return flags;
  }
  flags.bootstrap_server = split.Value("--bootstrap-server");
  flags.command_config = split.Value("--command-config");
  flags.topic = split.Value("--topic");
  if (flags.topic.empty()) return absl::InvalidArgumentError("--topic is required");
  if (split.Has("--partitions")) {
    ASSIGN_OR_RETURN(flags.partitions, ParseIdList("--partitions", split.Value("--partitions")));
  }
  if (split.Has("--time")) {
    ASSIGN_OR_RETURN(flags.spec, ParseOffsetTime(split.Value("--time")));
  }
  if (split.Has("--output")) {
    ASSIGN_OR_RETURN(flags.output, ParseOutputFormat(split.Value("--output")));
  }
  return flags;
}

std::string FormatOffsets(const std::map<client::TopicPartition, client::ListedOffset>& offsets,
                          OutputFormat output, std::vector<std::string>& errors) {
  std::string text;
  Json list = Json::Array();
  for (const auto& [tp, listed] : offsets) {
    Json entry =
        Json::Object({{"topic", Json::String(tp.topic)}, {"partition", Json::Int(tp.partition)}});
    if (!listed.status.ok()) {
      errors.push_back(absl::StrCat(client::ToString(tp), ": ", listed.status.message()));
      list.Push(entry.Set("error", Json::String(std::string(listed.status.message()))));
      continue;
    }
    absl::StrAppend(&text, tp.topic, ":", tp.partition, ":",
                    listed.offset >= 0 ? absl::StrCat(listed.offset) : "", "\n");
    entry.Set("offset", Json::Int(listed.offset))
        .Set("timestamp", Json::Int(listed.timestamp))
        .Set("leader_epoch", Json::Int(listed.leader_epoch));
    list.Push(std::move(entry));
  }
  if (output == OutputFormat::kText) return text;
  return Json::Object({{"offsets", std::move(list)}}).Dump() + "\n";
}

int RunOffsetsCommand(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<OffsetsFlags> flags = ParseOffsetsFlags(args);
  if (!flags.ok()) return UsageError("offsets", flags.status(), kUsage);
  if (flags->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::AdminClientOptions> options =
      AdminOptions(flags->bootstrap_server, flags->command_config);
  if (!options.ok()) return UsageError("offsets", options.status(), kUsage);
  return RunWithAdmin("offsets", *std::move(options), clock,
                      [&](client::AdminClient& admin) { return Run(*flags, admin); });
}

}  // namespace karst::cli
