#include "client/cli/produce_command.h"

#include <atomic>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli/cluster_command.h"
#include "client/cli/console_flags.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: karst produce --bootstrap-server HOST:PORT[,...] --topic T [options] < lines

Reads records from stdin, one per line (kafka-console-producer).

options:
  --property k=v              line parsing: parse.key=true, key.separator=SEP (default tab),
                              parse.headers=true, headers.delimiter, headers.separator,
                              headers.key.separator, null.marker
  --producer-property k=v     a producer property (acks, linger.ms, batch.size, ...)
  --producer.config FILE      producer properties from a file
  --compression-codec C       none, gzip, snappy, lz4 or zstd
  --request-required-acks A   0, 1, all or -1 (default -1)
  --request-timeout-ms N      request.timeout.ms
  --batch-size N              batch.size
  --timeout N                 linger.ms (default 1000, as kafka-console-producer)
                              (max.in.flight.requests.per.connection defaults to 1: records
                              keep their order across retries)
  --help                      print this text and exit

exit codes: 0 every record acknowledged, 1 a record failed (each on stderr), 2 usage error
)";

absl::StatusOr<bool> Bool(const std::string& key, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat(key, ": expected true or false, got \"", value, "\""));
}

absl::Status SetReaderProperty(LineReaderOptions& o, const std::string& key,
                               const std::string& value) {
  if (key == "parse.key") {
    ASSIGN_OR_RETURN(o.parse_key, Bool(key, value));
  } else if (key == "key.separator") {
    o.key_separator = value;
  } else if (key == "parse.headers") {
    ASSIGN_OR_RETURN(o.parse_headers, Bool(key, value));
  } else if (key == "headers.delimiter") {
    o.headers_delimiter = value;
  } else if (key == "headers.separator") {
    o.headers_separator = value;
  } else if (key == "headers.key.separator") {
    o.headers_key_separator = value;
  } else if (key == "null.marker") {
    o.null_marker = value;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("--property: unknown property ", key));
  }
  if ((key == "key.separator" || key == "headers.delimiter" || key == "headers.separator" ||
       key == "headers.key.separator") &&
      value.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--property ", key, ": must not be empty"));
  }
  return absl::OkStatus();
}

absl::Status SetValue(ProduceFlags& flags, const std::string& name, const std::string& value) {
  client::Properties& p = flags.producer_properties;
  if (name == "--bootstrap-server" || name == "--broker-list") {
    flags.bootstrap_server = value;
  } else if (name == "--topic") {
    flags.topic = value;
  } else if (name == "--property") {
    ASSIGN_OR_RETURN(const auto kv, KeyValue(name, value));
    RETURN_IF_ERROR(SetReaderProperty(flags.reader, kv.first, kv.second));
  } else if (name == "--producer-property") {
    ASSIGN_OR_RETURN(const auto kv, KeyValue(name, value));
    p[kv.first] = kv.second;
  } else if (name == "--producer.config") {
    RETURN_IF_ERROR(MergePropertiesFile(name, value, p));
  } else if (name == "--compression-codec") {
    p["compression.type"] = value;
  } else if (name == "--request-required-acks") {
    p["acks"] = value;
  } else if (name == "--request-timeout-ms") {
    p["request.timeout.ms"] = value;
  } else if (name == "--batch-size") {
    p["batch.size"] = value;
  } else if (name == "--timeout") {
    p["linger.ms"] = value;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
  }
  return absl::OkStatus();
}

std::optional<std::string> OrNull(std::string s, const LineReaderOptions& o) {
  if (!o.null_marker.empty() && s == o.null_marker) return std::nullopt;
  return s;
}

}  // namespace

const char* ProduceUsage() { return kUsage; }

absl::StatusOr<ProduceFlags> ParseProduceFlags(const std::vector<std::string>& args) {
  ProduceFlags flags;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return ProduceFlags{.help = true};
    if (!absl::StartsWith(arg, "--")) {
      return absl::InvalidArgumentError(absl::StrCat("unexpected argument \"", arg, "\""));
    }
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
  }
  if (flags.topic.empty()) return absl::InvalidArgumentError("--topic is required");
  if (!flags.bootstrap_server.empty()) {
    flags.producer_properties["bootstrap.servers"] = flags.bootstrap_server;
  }
  if (flags.producer_properties.count("bootstrap.servers") == 0) {
    return absl::InvalidArgumentError("--bootstrap-server is required");
  }
  // kafka-console-producer's defaults: linger 1000 ms, acks -1.
  flags.producer_properties.try_emplace("linger.ms", "1000");
  // Lines keep their order even when a batch is retried: kafka-console-producer gets that from
  // idempotence (Java's default), which karst's producer does not offer yet.
  flags.producer_properties.try_emplace("max.in.flight.requests.per.connection", "1");
  return flags;
}

absl::StatusOr<client::ProducerRecord> ParseConsoleLine(const std::string& line,
                                                        const LineReaderOptions& options) {
  client::ProducerRecord record;
  std::string rest = line;
  if (options.parse_headers) {
    const size_t end = rest.find(options.headers_delimiter);
    if (end == std::string::npos) {
      return absl::InvalidArgumentError("no header delimiter found on line");
    }
    const std::string headers = rest.substr(0, end);
    rest = rest.substr(end + options.headers_delimiter.size());
    size_t from = 0;
    while (!headers.empty() && from <= headers.size()) {
      size_t to = headers.find(options.headers_separator, from);
      if (to == std::string::npos) to = headers.size();
      const std::string header = headers.substr(from, to - from);
      const size_t colon = header.find(options.headers_key_separator);
      kafka::record::RecordHeader& h = record.headers.emplace_back();
      if (colon == std::string::npos) {
        h.key = header;  // A header without a value has a null value.
      } else {
        h.key = header.substr(0, colon);
        h.value = OrNull(header.substr(colon + options.headers_key_separator.size()), options);
      }
      from = to + options.headers_separator.size();
    }
  }
  if (options.parse_key) {
    const size_t sep = rest.find(options.key_separator);
    if (sep == std::string::npos)
      return absl::InvalidArgumentError("no key separator found on line");
    record.key = OrNull(rest.substr(0, sep), options);
    rest = rest.substr(sep + options.key_separator.size());
  }
  record.value = OrNull(std::move(rest), options);
  return record;
}

int RunProduceCommand(const std::vector<std::string>& args, std::istream& in, Clock& clock) {
  absl::StatusOr<ProduceFlags> flags = ParseProduceFlags(args);
  if (!flags.ok()) {
    std::cerr << "karst produce: " << flags.status().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (flags->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::ProducerOptions> options =
      client::ProducerOptionsFromProperties(flags->producer_properties);
  if (!options.ok()) {
    std::cerr << "karst produce: " << options.status().message() << "\n";
    return kExitUsage;
  }
  absl::StatusOr<std::unique_ptr<client::Producer>> producer =
      client::Producer::Create(*std::move(options), clock);
  if (!producer.ok()) {
    std::cerr << "karst produce: " << producer.status().message() << "\n";
    return kExitFailure;
  }
  // Callbacks run on the producer's I/O thread.
  std::atomic<int> failed = 0;
  std::string line;
  for (int line_number = 1; std::getline(in, line); ++line_number) {
    absl::StatusOr<client::ProducerRecord> record = ParseConsoleLine(line, flags->reader);
    if (!record.ok()) {
      std::cerr << "karst produce: line " << line_number << ": " << record.status().message()
                << "\n";
      ++failed;
      continue;
    }
    record->topic = flags->topic;
    (*producer)->Send(*std::move(record),
                      [&failed, line_number](const absl::StatusOr<client::RecordMetadata>& r) {
                        if (r.ok()) return;
                        std::cerr << "karst produce: line " << line_number << ": "
                                  << r.status().message() << "\n";
                        ++failed;
                      });
  }
  // Failures were reported per record by the callbacks.
  (*producer)->Flush().IgnoreError();
  if (failed > 0) {
    std::cerr << "karst produce: " << failed.load() << " records failed\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace karst::cli
