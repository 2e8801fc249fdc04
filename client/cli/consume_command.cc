#include "client/cli/consume_command.h"

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <regex>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "client/cli/cluster_command.h"
#include "client/cli/console_flags.h"
#include "common/status_macros.h"

namespace karst::cli {
namespace {

constexpr char kUsage[] =
    R"(usage: karst consume --bootstrap-server HOST:PORT[,...] (--topic T | --include REGEX) [options]

Prints records, one per line (kafka-console-consumer).

options:
  --include REGEX             with --group: every topic whose whole name matches (ECMAScript
                              regex), new ones included as they appear
  --group G                   consume as a member of consumer group G: partitions are shared
                              with its other members and the group's committed offsets are
                              the start; records printed are committed on exit (auto commit)
  --from-beginning            start at the earliest offset (default: the end); with --group,
                              only where the group has no committed offset
  --partition N               read only partition N (default: every partition; not with --group)
  --offset N|earliest|latest  where to start; REQUIRES --partition for a number
  --max-messages N            exit after N records
  --timeout-ms N              exit when no record arrives for N ms
  --property k=v              print.key, print.partition, print.offset, print.timestamp,
                              print.headers, print.value (true|false), key.separator,
                              line.separator, headers.separator, headers.key.separator,
                              null.literal
  --consumer-property k=v     a consumer property (fetch.min.bytes, fetch.max.wait.ms, ...)
  --consumer.config FILE      consumer properties from a file
  --help                      print this text and exit

exit codes: 0 ok, 1 Kafka or network error, 2 usage error
)";

absl::StatusOr<bool> Bool(const std::string& key, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat(key, ": expected true or false, got \"", value, "\""));
}

absl::Status SetFormatProperty(FormatterOptions& o, const std::string& key,
                               const std::string& value) {
  const std::map<std::string, bool*> bools = {{"print.timestamp", &o.print_timestamp},
                                              {"print.partition", &o.print_partition},
                                              {"print.offset", &o.print_offset},
                                              {"print.headers", &o.print_headers},
                                              {"print.key", &o.print_key},
                                              {"print.value", &o.print_value}};
  const std::map<std::string, std::string*> strings = {
      {"key.separator", &o.key_separator},
      {"line.separator", &o.line_separator},
      {"headers.separator", &o.headers_separator},
      {"headers.key.separator", &o.headers_key_separator},
      {"null.literal", &o.null_literal}};
  if (auto it = bools.find(key); it != bools.end()) {
    ASSIGN_OR_RETURN(*it->second, Bool(key, value));
  } else if (auto it = strings.find(key); it != strings.end()) {
    *it->second = value;
  } else {
    return absl::InvalidArgumentError(absl::StrCat("--property: unknown property ", key));
  }
  return absl::OkStatus();
}

absl::StatusOr<int64_t> NonNegative(const std::string& flag, const std::string& value) {
  int64_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": expected a non-negative integer, got \"", value, "\""));
  }
  return n;
}

absl::Status SetValue(ConsumeFlags& flags, std::optional<std::string>& offset,
                      const std::string& name, const std::string& value) {
  client::Properties& p = flags.consumer_properties;
  if (name == "--bootstrap-server") {
    p["bootstrap.servers"] = value;
  } else if (name == "--topic") {
    flags.topic = value;
  } else if (name == "--include") {
    flags.include = value;
  } else if (name == "--group") {
    p["group.id"] = value;
  } else if (name == "--partition") {
    ASSIGN_OR_RETURN(const int64_t n, NonNegative(name, value));
    flags.partition = static_cast<int32_t>(n);
  } else if (name == "--offset") {
    offset = value;
  } else if (name == "--max-messages") {
    ASSIGN_OR_RETURN(flags.max_messages, NonNegative(name, value));
  } else if (name == "--timeout-ms") {
    ASSIGN_OR_RETURN(flags.timeout_ms, NonNegative(name, value));
  } else if (name == "--property") {
    ASSIGN_OR_RETURN(const auto kv, KeyValue(name, value));
    RETURN_IF_ERROR(SetFormatProperty(flags.format, kv.first, kv.second));
  } else if (name == "--consumer-property") {
    ASSIGN_OR_RETURN(const auto kv, KeyValue(name, value));
    p[kv.first] = kv.second;
  } else if (name == "--consumer.config") {
    RETURN_IF_ERROR(MergePropertiesFile(name, value, p));
  } else {
    return absl::InvalidArgumentError(absl::StrCat("unknown flag ", name));
  }
  return absl::OkStatus();
}

// Applies --offset and --from-beginning as kafka-console-consumer does.
absl::Status SetStart(ConsumeFlags& flags, const std::optional<std::string>& offset,
                      bool from_beginning) {
  if (offset.has_value() && from_beginning) {
    return absl::InvalidArgumentError("--offset and --from-beginning are exclusive");
  }
  if (flags.consumer_properties.contains("group.id")) {
    if (flags.partition.has_value() || offset.has_value()) {
      return absl::InvalidArgumentError(
          "--group cannot be used with --partition or --offset (the group assigns partitions "
          "and its committed offsets are the start)");
    }
    // As kafka-console-consumer: --from-beginning is auto.offset.reset=earliest, else latest
    // unless a consumer property says otherwise.
    if (from_beginning) {
      flags.consumer_properties["auto.offset.reset"] = "earliest";
    } else {
      flags.consumer_properties.try_emplace("auto.offset.reset", "latest");
    }
    flags.group = true;
    return absl::OkStatus();
  }
  flags.start = from_beginning ? client::StartOffset::Earliest() : client::StartOffset::Latest();
  if (!offset.has_value()) return absl::OkStatus();
  if (!flags.partition.has_value()) {
    return absl::InvalidArgumentError("--offset requires --partition");
  }
  if (*offset == "earliest") {
    flags.start = client::StartOffset::Earliest();
  } else if (*offset == "latest") {
    flags.start = client::StartOffset::Latest();
  } else {
    ASSIGN_OR_RETURN(const int64_t n, NonNegative("--offset", *offset));
    flags.start = client::StartOffset::At(n);
  }
  return absl::OkStatus();
}

}  // namespace

const char* ConsumeUsage() { return kUsage; }

absl::StatusOr<ConsumeFlags> ParseConsumeFlags(const std::vector<std::string>& args) {
  ConsumeFlags flags;
  std::optional<std::string> offset;
  bool from_beginning = false;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--help" || arg == "-h") return ConsumeFlags{.help = true};
    if (arg == "--from-beginning") {
      from_beginning = true;
      continue;
    }
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
    RETURN_IF_ERROR(SetValue(flags, offset, name, value));
  }
  if (flags.topic.empty() == flags.include.empty()) {
    return absl::InvalidArgumentError("exactly one of --topic and --include is required");
  }
  if (flags.consumer_properties.count("bootstrap.servers") == 0) {
    return absl::InvalidArgumentError("--bootstrap-server is required");
  }
  RETURN_IF_ERROR(SetStart(flags, offset, from_beginning));
  if (!flags.include.empty()) {
    if (!flags.group) return absl::InvalidArgumentError("--include requires --group");
    try {
      std::regex check(flags.include);
    } catch (const std::regex_error& e) {
      return absl::InvalidArgumentError(absl::StrCat("--include: \"", flags.include,
                                                     "\" is not a regular expression: ", e.what()));
    }
  }
  return flags;
}

std::string FormatConsoleRecord(const client::ConsumerRecord& r, const FormatterOptions& o) {
  std::string out;
  const auto text = [&](const std::optional<std::string>& s) {
    return s.has_value() ? *s : o.null_literal;
  };
  if (o.print_timestamp) {
    absl::StrAppend(&out,
                    r.timestamp < 0 ? "NO_TIMESTAMP"
                    : r.timestamp_type == kafka::record::TimestampType::kLogAppendTime
                        ? absl::StrCat("LogAppendTime:", r.timestamp)
                        : absl::StrCat("CreateTime:", r.timestamp),
                    o.key_separator);
  }
  if (o.print_partition) absl::StrAppend(&out, "Partition:", r.partition, o.key_separator);
  if (o.print_offset) absl::StrAppend(&out, "Offset:", r.offset, o.key_separator);
  if (o.print_headers) {
    if (r.headers.empty()) {
      out += "NO_HEADERS";
    } else {
      for (size_t i = 0; i < r.headers.size(); ++i) {
        if (i > 0) out += o.headers_separator;
        absl::StrAppend(&out, r.headers[i].key, o.headers_key_separator, text(r.headers[i].value));
      }
    }
    out += o.key_separator;
  }
  if (o.print_key) absl::StrAppend(&out, text(r.key), o.key_separator);
  if (o.print_value) {
    out += text(r.value);
  } else if (!out.empty()) {
    out.resize(out.size() - o.key_separator.size());  // No trailing column separator.
  }
  out += o.line_separator;
  return out;
}

int RunConsumeCommand(const std::vector<std::string>& args, Clock& clock) {
  absl::StatusOr<ConsumeFlags> flags = ParseConsumeFlags(args);
  if (!flags.ok()) {
    std::cerr << "karst consume: " << flags.status().message() << "\n\n" << kUsage;
    return kExitUsage;
  }
  if (flags->help) {
    std::cout << kUsage;
    return kExitOk;
  }
  absl::StatusOr<client::ConsumerOptions> options =
      client::ConsumerOptionsFromProperties(flags->consumer_properties);
  if (!options.ok()) {
    std::cerr << "karst consume: " << options.status().message() << "\n";
    return kExitUsage;
  }
  int64_t processed = 0;
  const absl::Status status = [&]() -> absl::Status {
    ASSIGN_OR_RETURN(std::unique_ptr<client::Consumer> consumer,
                     client::Consumer::Create(*std::move(options), clock));
    std::vector<std::pair<client::TopicPartition, client::StartOffset>> assignment;
    if (flags->group && !flags->include.empty()) {
      RETURN_IF_ERROR(consumer->Subscribe(std::regex(flags->include)));
    } else if (flags->group) {
      RETURN_IF_ERROR(consumer->Subscribe(std::vector<std::string>{flags->topic}));
    } else if (flags->partition.has_value()) {
      assignment.push_back({{flags->topic, *flags->partition}, flags->start});
    } else {
      ASSIGN_OR_RETURN(const int32_t count, consumer->PartitionCount(flags->topic));
      for (int32_t p = 0; p < count; ++p) assignment.push_back({{flags->topic, p}, flags->start});
    }
    if (!flags->group) RETURN_IF_ERROR(consumer->Assign(assignment));
    // Records returned but not printed (past --max-messages): the first such offset per
    // partition, where the consumer is moved back to before it commits on close.
    std::map<client::TopicPartition, int64_t> unprinted;
    const absl::Duration idle = flags->timeout_ms.has_value()
                                    ? absl::Milliseconds(*flags->timeout_ms)
                                    : absl::InfiniteDuration();
    absl::Duration last_record = clock.Monotonic();
    while (!flags->max_messages.has_value() || processed < *flags->max_messages) {
      const absl::Duration left = last_record + idle - clock.Monotonic();
      if (left <= absl::ZeroDuration()) break;
      ASSIGN_OR_RETURN(const std::vector<client::ConsumerRecord> records,
                       consumer->Poll(std::min(left, absl::Seconds(1))));
      for (const client::ConsumerRecord& r : records) {
        if (flags->max_messages.has_value() && processed >= *flags->max_messages) {
          unprinted.try_emplace({r.topic, r.partition}, r.offset);
          continue;
        }
        std::cout << FormatConsoleRecord(r, flags->format);
        ++processed;
      }
      if (!records.empty()) last_record = clock.Monotonic();
      std::cout.flush();
    }
    for (const auto& [tp, offset] : unprinted) RETURN_IF_ERROR(consumer->Seek(tp, offset));
    consumer->Close();  // Commits the printed records' positions (auto commit), leaves the group.
    return absl::OkStatus();
  }();
  std::cerr << "Processed a total of " << processed << " messages\n";
  if (!status.ok()) {
    std::cerr << "karst consume: " << status.message() << "\n";
    return kExitFailure;
  }
  return kExitOk;
}

}  // namespace karst::cli
