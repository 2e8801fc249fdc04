// `karst produce`: kafka-console-producer with Kafka's flag names, over client::Producer. Reads
// records from stdin, one per line; flag parsing and line parsing are pure functions.
// RunProduceCommand reports each failed record on stderr and exits 1 if any failed. Called
// from main's thread.
#ifndef KARST_CLIENT_CLI_PRODUCE_COMMAND_H_
#define KARST_CLIENT_CLI_PRODUCE_COMMAND_H_

#include <istream>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "client/producer.h"
#include "common/clock.h"

namespace karst::cli {

// kafka-console-producer's LineMessageReader properties (--property k=v).
struct LineReaderOptions {
  bool parse_key = false;                   // parse.key
  std::string key_separator = "\t";         // key.separator
  bool parse_headers = false;               // parse.headers
  std::string headers_delimiter = "\t";     // headers.delimiter: ends the headers part
  std::string headers_separator = ",";      // headers.separator: between headers
  std::string headers_key_separator = ":";  // headers.key.separator
  std::string null_marker;                  // null.marker: a key or value equal to it is null
};

struct ProduceFlags {
  bool help = false;
  std::string bootstrap_server;
  std::string topic;
  LineReaderOptions reader;
  client::Properties producer_properties;  // --producer-property k=v, --producer.config FILE
};

const char* ProduceUsage();

// Errors: kInvalidArgument naming the bad flag or property.
absl::StatusOr<ProduceFlags> ParseProduceFlags(const std::vector<std::string>& args);

// One stdin line as a record (topic unset). Errors: kInvalidArgument when parse.key (or
// parse.headers) is set and the line lacks the separator, as Kafka's "No key separator found".
absl::StatusOr<client::ProducerRecord> ParseConsoleLine(const std::string& line,
                                                        const LineReaderOptions& options);

// Runs `karst produce <args>` reading `in`: exit 0 when every record was acknowledged, 1 when
// any failed (each failure on stderr, naming the line), 2 for bad flags.
int RunProduceCommand(const std::vector<std::string>& args, std::istream& in, Clock& clock);

}  // namespace karst::cli

#endif  // KARST_CLIENT_CLI_PRODUCE_COMMAND_H_
