#include "client/client_properties.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"

namespace karst::client {
namespace {

absl::StatusOr<int32_t> PositiveInt(const std::string& key, const std::string& value,
                                    int32_t min = 1) {
  int32_t n = 0;
  if (!absl::SimpleAtoi(value, &n) || n < min) {
    return absl::InvalidArgumentError(
        absl::StrCat(key, ": expected an integer >= ", min, ", got \"", value, "\""));
  }
  return n;
}

absl::StatusOr<absl::Duration> Millis(const std::string& key, const std::string& value,
                                      int32_t min = 1) {
  ASSIGN_OR_RETURN(const int32_t ms, PositiveInt(key, value, min));
  return absl::Milliseconds(ms);
}

absl::StatusOr<kafka::record::Compression> CompressionType(const std::string& value) {
  using kafka::record::Compression;
  for (Compression c : {Compression::kNone, Compression::kGzip, Compression::kSnappy,
                        Compression::kLz4, Compression::kZstd}) {
    if (value == kafka::record::CompressionName(c)) return c;
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "compression.type: expected none, gzip, snappy, lz4 or zstd, got \"", value, "\""));
}

// Sets one producer option; false when `key` is not a producer property.
absl::StatusOr<bool> SetProducerOption(ProducerOptions& o, const std::string& key,
                                       const std::string& value) {
  if (key == "acks") {
    if (value == "all" || value == "-1") {
      o.acks = Acks::kAll;
    } else if (value == "1") {
      o.acks = Acks::kLeader;
    } else if (value == "0") {
      o.acks = Acks::kNone;
    } else {
      return absl::InvalidArgumentError(
          absl::StrCat("acks: expected 0, 1, all or -1, got \"", value, "\""));
    }
  } else if (key == "linger.ms") {
    ASSIGN_OR_RETURN(o.linger, Millis(key, value, 0));
  } else if (key == "batch.size") {
    ASSIGN_OR_RETURN(o.batch_size, PositiveInt(key, value, 0));
  } else if (key == "compression.type") {
    ASSIGN_OR_RETURN(o.compression, CompressionType(value));
  } else if (key == "request.timeout.ms") {
    ASSIGN_OR_RETURN(o.request_timeout, Millis(key, value));
  } else if (key == "delivery.timeout.ms") {
    ASSIGN_OR_RETURN(o.delivery_timeout, Millis(key, value));
  } else if (key == "retries") {
    ASSIGN_OR_RETURN(o.retries, PositiveInt(key, value, 0));
  } else if (key == "retry.backoff.ms") {
    ASSIGN_OR_RETURN(o.retry_backoff, Millis(key, value, 0));
  } else if (key == "max.in.flight.requests.per.connection") {
    ASSIGN_OR_RETURN(o.max_in_flight, PositiveInt(key, value));
  } else if (key == "buffer.memory") {
    ASSIGN_OR_RETURN(o.buffer_memory, PositiveInt(key, value));
  } else if (key == "max.block.ms") {
    ASSIGN_OR_RETURN(o.max_block, Millis(key, value, 0));
  } else if (key == "max.request.size") {
    ASSIGN_OR_RETURN(o.max_request_size, PositiveInt(key, value));
  } else if (key == "enable.idempotence") {
    if (value == "true") {
      return absl::InvalidArgumentError(
          "enable.idempotence: idempotent producers are not supported yet; set false");
    }
    if (value != "false") {
      return absl::InvalidArgumentError(
          absl::StrCat("enable.idempotence: expected true or false, got \"", value, "\""));
    }
  } else {
    return false;
  }
  return true;
}

absl::StatusOr<bool> Bool(const std::string& key, const std::string& value) {
  if (value == "true") return true;
  if (value == "false") return false;
  return absl::InvalidArgumentError(
      absl::StrCat(key, ": expected true or false, got \"", value, "\""));
}

// The consumer group properties; false when `key` is not one.
absl::StatusOr<bool> SetGroupOption(ConsumerOptions& o, const std::string& key,
                                    const std::string& value) {
  if (key == "group.id") {
    o.group_id = value;
  } else if (key == "group.instance.id") {
    if (value.empty()) return absl::InvalidArgumentError("group.instance.id: empty");
    o.group_instance_id = value;
  } else if (key == "session.timeout.ms") {
    ASSIGN_OR_RETURN(o.session_timeout, Millis(key, value));
  } else if (key == "heartbeat.interval.ms") {
    ASSIGN_OR_RETURN(o.heartbeat_interval, Millis(key, value));
  } else if (key == "max.poll.interval.ms") {
    ASSIGN_OR_RETURN(o.max_poll_interval, Millis(key, value));
  } else if (key == "partition.assignment.strategy") {
    o.partition_assignment_strategy.clear();
    for (absl::string_view name : absl::StrSplit(value, ',', absl::SkipWhitespace())) {
      name = absl::StripAsciiWhitespace(name);
      if (!name.empty()) o.partition_assignment_strategy.emplace_back(name);
    }
    if (o.partition_assignment_strategy.empty()) {
      return absl::InvalidArgumentError("partition.assignment.strategy: empty");
    }
  } else if (key == "enable.auto.commit") {
    ASSIGN_OR_RETURN(o.enable_auto_commit, Bool(key, value));
  } else if (key == "auto.commit.interval.ms") {
    ASSIGN_OR_RETURN(o.auto_commit_interval, Millis(key, value, 0));
  } else {
    return false;
  }
  return true;
}

absl::StatusOr<bool> SetConsumerOption(ConsumerOptions& o, const std::string& key,
                                       const std::string& value) {
  if (key == "auto.offset.reset") {
    if (value == "earliest") {
      o.auto_offset_reset = OffsetReset::kEarliest;
    } else if (value == "latest") {
      o.auto_offset_reset = OffsetReset::kLatest;
    } else if (value == "none") {
      o.auto_offset_reset = OffsetReset::kNone;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(
          "auto.offset.reset: expected earliest, latest or none, got \"", value, "\""));
    }
  } else if (key == "fetch.min.bytes") {
    ASSIGN_OR_RETURN(o.fetch_min_bytes, PositiveInt(key, value, 0));
  } else if (key == "fetch.max.wait.ms") {
    ASSIGN_OR_RETURN(o.fetch_max_wait, Millis(key, value, 0));
  } else if (key == "fetch.max.bytes") {
    ASSIGN_OR_RETURN(o.fetch_max_bytes, PositiveInt(key, value));
  } else if (key == "max.partition.fetch.bytes") {
    ASSIGN_OR_RETURN(o.max_partition_fetch_bytes, PositiveInt(key, value));
  } else if (key == "max.poll.records") {
    ASSIGN_OR_RETURN(o.max_poll_records, PositiveInt(key, value));
  } else if (key == "request.timeout.ms") {
    ASSIGN_OR_RETURN(o.request_timeout, Millis(key, value));
  } else if (key == "retry.backoff.ms") {
    ASSIGN_OR_RETURN(o.retry_backoff, Millis(key, value, 0));
  } else if (key == "reconnect.backoff.ms") {
    ASSIGN_OR_RETURN(o.reconnect_backoff, Millis(key, value, 0));
  } else if (key == "default.api.timeout.ms") {
    ASSIGN_OR_RETURN(o.default_api_timeout, Millis(key, value, 0));
  } else if (key == "metadata.max.age.ms") {
    ASSIGN_OR_RETURN(o.metadata_max_age, Millis(key, value, 0));
  } else {
    return SetGroupOption(o, key, value);
  }
  return true;
}

// Shared by producer and consumer: bootstrap.servers, client.id, then `set` for the rest.
template <typename Options, typename Setter>
absl::StatusOr<Options> FromProperties(const Properties& properties, const char* kind, Setter set) {
  Options options;
  bool have_bootstrap = false;
  for (const auto& [key, value] : properties) {
    if (key == "bootstrap.servers") {
      ASSIGN_OR_RETURN(options.bootstrap_servers, ParseBootstrapServers(value));
      have_bootstrap = true;
    } else if (key == "client.id") {
      options.client_id = value;
    } else {
      ASSIGN_OR_RETURN(const bool known, set(options, key, value));
      if (!known)
        return absl::InvalidArgumentError(absl::StrCat("unknown ", kind, " property: ", key));
    }
  }
  if (!have_bootstrap) return absl::InvalidArgumentError("bootstrap.servers is required");
  return options;
}

}  // namespace

absl::StatusOr<Properties> ParseProperties(absl::string_view text) {
  Properties properties;
  int line_number = 0;
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    ++line_number;
    line = absl::StripAsciiWhitespace(line);
    if (line.empty() || line[0] == '#' || line[0] == '!') continue;
    const size_t separator = line.find_first_of("=:");
    if (separator == absl::string_view::npos) {
      return absl::InvalidArgumentError(
          absl::StrCat("line ", line_number, ": expected key=value, got \"", line, "\""));
    }
    properties[std::string(absl::StripAsciiWhitespace(line.substr(0, separator)))] =
        std::string(absl::StripAsciiWhitespace(line.substr(separator + 1)));
  }
  return properties;
}

absl::StatusOr<std::vector<BrokerAddress>> ParseBootstrapServers(absl::string_view servers) {
  std::vector<BrokerAddress> out;
  for (absl::string_view entry : absl::StrSplit(servers, ',', absl::SkipWhitespace())) {
    entry = absl::StripAsciiWhitespace(entry);
    const size_t colon = entry.rfind(':');
    BrokerAddress address;
    if (colon == absl::string_view::npos || colon == 0 ||
        !absl::SimpleAtoi(entry.substr(colon + 1), &address.port) || address.port <= 0 ||
        address.port > 65535) {
      return absl::InvalidArgumentError(
          absl::StrCat("bootstrap server \"", entry, "\": expected host:port"));
    }
    absl::string_view host = entry.substr(0, colon);
    if (absl::ConsumePrefix(&host, "[")) absl::ConsumeSuffix(&host, "]");
    address.host = std::string(host);
    out.push_back(std::move(address));
  }
  if (out.empty()) return absl::InvalidArgumentError("bootstrap.servers is empty");
  return out;
}

absl::StatusOr<AdminClientOptions> AdminClientOptionsFromProperties(const Properties& properties) {
  AdminClientOptions options;
  bool have_bootstrap = false;
  for (const auto& [key, value] : properties) {
    if (key == "bootstrap.servers") {
      absl::StatusOr<std::vector<BrokerAddress>> servers = ParseBootstrapServers(value);
      if (!servers.ok()) return servers.status();
      options.bootstrap_servers = *std::move(servers);
      have_bootstrap = true;
    } else if (key == "client.id") {
      options.client_id = value;
    } else if (key == "request.timeout.ms") {
      int64_t ms = 0;
      if (!absl::SimpleAtoi(value, &ms) || ms <= 0) {
        return absl::InvalidArgumentError(
            absl::StrCat("request.timeout.ms: expected a positive integer, got \"", value, "\""));
      }
      options.request_timeout = absl::Milliseconds(ms);
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown admin client property: ", key));
    }
  }
  if (!have_bootstrap) return absl::InvalidArgumentError("bootstrap.servers is required");
  return options;
}

absl::StatusOr<ProducerOptions> ProducerOptionsFromProperties(const Properties& properties) {
  return FromProperties<ProducerOptions>(properties, "producer", SetProducerOption);
}

absl::StatusOr<ConsumerOptions> ConsumerOptionsFromProperties(const Properties& properties) {
  return FromProperties<ConsumerOptions>(properties, "consumer", SetConsumerOption);
}

}  // namespace karst::client
