// `karst delete-records`: kafka-delete-records. Reads --offset-json-file and deletes each
// listed partition's records before its offset at the partition's leader, over
// client::AdminClient::DeleteRecords. Parsing and formatting are pure; RunDeleteRecordsCommand
// does the I/O. Called from main's thread.
#ifndef KARST_CLIENT_CLI_DELETE_RECORDS_COMMAND_H_
#define KARST_CLIENT_CLI_DELETE_RECORDS_COMMAND_H_

#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/admin_client.h"
#include "client/cli/admin_flags.h"
#include "common/clock.h"

namespace karst::cli {

struct DeleteRecordsFlags {
  bool help = false;
  std::string bootstrap_server;
  std::string command_config;
  std::string offset_json_file;  // --offset-json-file: REQUIRED.
  OutputFormat output = OutputFormat::kText;
};

const char* DeleteRecordsUsage();

// Errors: kInvalidArgument naming the bad flag; --offset-json-file is required.
absl::StatusOr<DeleteRecordsFlags> ParseDeleteRecordsFlags(const std::vector<std::string>& args);

// kafka-delete-records' text: "Records delete operation completed:" then per partition
// "partition: t-0\tlow_watermark: 5" or "partition: t-0\terror: <message>". JSON:
// {"partitions":[{"topic":..,"partition":..,"low_watermark":..}|{..,"error":..}]}.
// Returns the failed partition count in `failures`.
std::string FormatDeletedRecords(
    const std::map<client::TopicPartition, client::DeletedRecords>& results, OutputFormat output,
    int& failures);

// Returns kExitOk, kExitFailure (Kafka or network error, any partition failed) or kExitUsage
// (bad flags, or an unreadable or malformed --offset-json-file).
int RunDeleteRecordsCommand(const std::vector<std::string>& args, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_DELETE_RECORDS_COMMAND_H_
