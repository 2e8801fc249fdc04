#include "client/client_properties.h"

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"

namespace karst::client {

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

}  // namespace karst::client
