#include "client/cli/delete_records_command.h"

#include <iostream>

#include "absl/strings/str_cat.h"
#include "client/cli/admin_json.h"
#include "client/cli/cluster_command.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: karst delete-records --bootstrap-server HOST:PORT[,...] --offset-json-file FILE
                            [--output text|json]

Deletes the records before each offset (kafka-delete-records). FILE:
  {"partitions":[{"topic":"t","partition":0,"offset":10}],"version":1}
An offset of -1 deletes up to the high watermark.

options:
  --offset-json-file FILE  the partitions and offsets
  --bootstrap-server S     brokers to bootstrap from (overrides bootstrap.servers)
  --command-config FILE    client properties: bootstrap.servers, client.id, request.timeout.ms
  --output FORMAT          text (default) or json
  --help                   print this text and exit

exit codes: 0 ok, 1 Kafka or network error, 2 usage error or bad file
)";

}  // namespace

const char* DeleteRecordsUsage() { return kUsage; }

absl::StatusOr<DeleteRecordsFlags> ParseDeleteRecordsFlags(const std::vector<std::string>& args) {
  ASSIGN_OR_RETURN(
      const SplitFlags split,
      SplitCommandLine(
          args, {}, {"--bootstrap-server", "--command-config", "--offset-json-file", "--output"}));
  DeleteRecordsFlags flags;
  if (split.Has("--help") || split.Has("-h")) {
    flags.help = true;
    return flags;
  }
  flags.bootstrap_server = split.Value("--bootstrap-server");
  flags.command_config = split.Value("--command-config");
  flags.offset_json_file = split.Value("--offset-json-file");
  if (flags.offset_json_file.empty()) {
    return absl::InvalidArgumentError("--offset-json-file is required");
  }
  if (split.Has("--output")) {
    ASSIGN_OR_RETURN(flags.output, ParseOutputFormat(split.Value("--output")));
  }
  return flags;
}

std::string FormatDeletedRecords(
    const std::map<client::TopicPartition, client::DeletedRecords>& results, OutputFormat output,
    int& failures) {
  failures = 0;
  std::string text = "Records delete operation completed:\n";
  Json list = Json::Array();
  for (const auto& [tp, result] : results) {
    Json entry =
        Json::Object({{"topic", Json::String(tp.topic)}, {"partition", Json::Int(tp.partition)}});
    if (result.status.ok()) {
      absl::StrAppend(&text, "partition: ", client::ToString(tp),
                      "\tlow_watermark: ", result.low_watermark, "\n");
      entry.Set("low_watermark", Json::Int(result.low_watermark));
    } else {
      ++failures;
      absl::StrAppend(&text, "partition: ", client::ToString(tp),
                      "\terror: ", result.status.message(), "\n");
      entry.Set("error", Json::String(std::string(result.status.message())));
    }
    list.Push(std::move(entry));
  }
  if (output == OutputFormat::kText) return text;
  return Json::Object({{"partitions", std::move(list)}}).Dump() + "\n";
}

int RunDeleteRecordsCommand(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<DeleteRecordsFlags> flags = ParseDeleteRecordsFlags(args);
  if (!flags.ok()) return UsageError("delete-records", flags.status(), kUsage);
  if (flags->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::AdminClientOptions> options =
      AdminOptions(flags->bootstrap_server, flags->command_config);
  if (!options.ok()) return UsageError("delete-records", options.status(), kUsage);
  const absl::StatusOr<std::map<client::TopicPartition, int64_t>> offsets =
      ReadJsonFileAs("--offset-json-file", flags->offset_json_file, &ParseOffsetJson);
  if (!offsets.ok()) {
    std::cerr << "karst delete-records: " << offsets.status().message() << "\n";
    return kExitUsage;
  }
  return RunWithAdmin(
      "delete-records", *std::move(options), clock,
      [&](client::AdminClient& admin) -> absl::Status {
        ASSIGN_OR_RETURN(const auto results, admin.DeleteRecords(*offsets));
        int failures = 0;
        std::cout << FormatDeletedRecords(results, flags->output, failures);
        if (failures > 0) {
          return absl::UnavailableError(absl::StrCat(failures, " partition(s) failed"));
        }
        return absl::OkStatus();
      });
}

}  // namespace karst::cli
