#include "client/cli/node_probe.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "kafka/protocol/apis.h"
#include "kafka/protocol/header.h"
#include "kafka/protocol/messages/metadata.h"
#include "kafka/protocol/wire.h"

namespace karst::cli {
namespace {

namespace kp = karst::kafka::protocol;

constexpr int16_t kMetadataVersion = 1;
constexpr int32_t kMaxResponseBytes = 16 << 20;

// A connected, non-blocking socket with one deadline for the whole exchange.
class Connection {
 public:
  Connection(Clock& clock, absl::Duration timeout)
      : clock_(clock), deadline_(clock.Monotonic() + timeout) {}
  ~Connection() {
    if (fd_ >= 0) close(fd_);
  }
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  absl::Status Connect(const std::string& address, int port) {
    sockaddr_in sa{};
    sa.sin_family = AF_INET;
    sa.sin_port = htons(static_cast<uint16_t>(port));
    if (inet_pton(AF_INET, address.c_str(), &sa.sin_addr) != 1) {
      return absl::InvalidArgumentError(absl::StrCat("bad IPv4 address ", address));
    }
    fd_ = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) return absl::InternalError(absl::StrCat("socket: ", strerror(errno)));
    if (connect(fd_, reinterpret_cast<sockaddr*>(&sa), sizeof(sa)) != 0 && errno != EINPROGRESS) {
      return absl::UnavailableError(absl::StrCat("connect: ", strerror(errno)));
    }
    RETURN_IF_ERROR(Poll(POLLOUT));
    int error = 0;
    socklen_t length = sizeof(error);
    getsockopt(fd_, SOL_SOCKET, SO_ERROR, &error, &length);
    if (error != 0) return absl::UnavailableError(absl::StrCat("connect: ", strerror(error)));
    return absl::OkStatus();
  }

  absl::Status SendAll(absl::string_view data) {
    while (!data.empty()) {
      RETURN_IF_ERROR(Poll(POLLOUT));
      const ssize_t n = send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) return absl::UnavailableError(absl::StrCat("send: ", strerror(errno)));
      data.remove_prefix(static_cast<size_t>(n));
    }
    return absl::OkStatus();
  }

  // Appends what arrives to `out`; returns false at end of stream.
  absl::StatusOr<bool> ReadSome(std::string& out) {
    char buffer[8192];
    for (;;) {
      RETURN_IF_ERROR(Poll(POLLIN));
      const ssize_t n = recv(fd_, buffer, sizeof(buffer), 0);
      if (n < 0 && (errno == EAGAIN || errno == EINTR)) continue;
      if (n < 0) return absl::UnavailableError(absl::StrCat("recv: ", strerror(errno)));
      out.append(buffer, static_cast<size_t>(n));
      return n > 0;
    }
  }

 private:
  absl::Status Poll(short events) {
    for (;;) {
      const absl::Duration left = deadline_ - clock_.Monotonic();
      if (left <= absl::ZeroDuration()) return absl::DeadlineExceededError("timed out");
      pollfd p{fd_, events, 0};
      const int ready = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
      if (ready > 0) return absl::OkStatus();
      if (ready < 0 && errno != EINTR) {
        return absl::InternalError(absl::StrCat("poll: ", strerror(errno)));
      }
    }
  }

  Clock& clock_;
  const absl::Duration deadline_;
  int fd_ = -1;
};

absl::StatusOr<HttpResponse> ParseHttp(const std::string& raw) {
  const size_t header_end = raw.find("\r\n\r\n");
  // "HTTP/1.1 200 OK": the code is the second word of the status line.
  const std::vector<std::string> words =
      absl::StrSplit(raw.substr(0, raw.find("\r\n")), absl::MaxSplits(' ', 2));
  HttpResponse response;
  if (header_end == std::string::npos || words.size() < 2 || !absl::StartsWith(words[0], "HTTP/") ||
      !absl::SimpleAtoi(words[1], &response.status_code)) {
    return absl::UnavailableError(absl::StrCat("malformed http response (", raw.size(), " bytes)"));
  }
  response.body = raw.substr(header_end + 4);
  return response;
}

absl::StatusOr<std::string> MetadataExchange(const std::string& address, int port,
                                             absl::Duration timeout, Clock& clock) {
  const kp::ApiInfo& api = *kp::FindApi(kp::MetadataRequest::kApiKey);
  std::string payload;
  kp::Writer w(&payload);
  kp::RequestHeader header;
  header.api_key = kp::MetadataRequest::kApiKey;
  header.api_version = kMetadataVersion;
  header.correlation_id = 1;
  header.client_id = "karst-cli";
  kp::EncodeRequestHeader(w, kp::RequestHeaderVersion(api, kMetadataVersion), header);
  kp::MetadataRequest request;  // An empty topic list (not null): brokers only.
  request.Encode(w, kMetadataVersion);

  Connection connection(clock, timeout);
  RETURN_IF_ERROR(connection.Connect(address, port));
  RETURN_IF_ERROR(connection.SendAll(kp::Frame(payload)));
  std::string buffer;
  for (;;) {
    ASSIGN_OR_RETURN(const std::optional<int32_t> size, kp::FrameSize(buffer, kMaxResponseBytes));
    if (size.has_value() && buffer.size() >= 4 + static_cast<size_t>(*size)) {
      return buffer.substr(4, static_cast<size_t>(*size));
    }
    ASSIGN_OR_RETURN(const bool more, connection.ReadSome(buffer));
    if (!more) return absl::UnavailableError("connection closed before the response");
  }
}

}  // namespace

absl::StatusOr<HttpResponse> HttpGet(const std::string& address, int port, const std::string& path,
                                     absl::Duration timeout, Clock& clock) {
  const std::string context = absl::StrCat("GET http://", address, ":", port, path);
  Connection connection(clock, timeout);
  RETURN_IF_ERROR(Annotate(connection.Connect(address, port), context));
  RETURN_IF_ERROR(
      Annotate(connection.SendAll(absl::StrCat("GET ", path, " HTTP/1.0\r\nHost: ", address, ":",
                                               port, "\r\nConnection: close\r\n\r\n")),
               context));
  std::string raw;
  for (;;) {
    absl::StatusOr<bool> more = connection.ReadSome(raw);
    RETURN_IF_ERROR(Annotate(more.status(), context));
    if (!*more) break;
  }
  absl::StatusOr<HttpResponse> response = ParseHttp(raw);
  RETURN_IF_ERROR(Annotate(response.status(), context));
  return response;
}

absl::Status CheckHealthz(const std::string& address, int admin_port, absl::Duration timeout,
                          Clock& clock) {
  ASSIGN_OR_RETURN(const HttpResponse response,
                   HttpGet(address, admin_port, "/healthz", timeout, clock));
  if (response.status_code != 200) {
    return absl::UnavailableError(absl::StrCat("/healthz answered ", response.status_code, ": ",
                                               absl::StripAsciiWhitespace(response.body)));
  }
  return absl::OkStatus();
}

absl::Status CheckReadyz(const std::string& address, int admin_port, absl::Duration timeout,
                         Clock& clock) {
  ASSIGN_OR_RETURN(const HttpResponse response,
                   HttpGet(address, admin_port, "/readyz", timeout, clock));
  if (response.status_code != 200) {
    return absl::UnavailableError(absl::StrCat("/readyz answered ", response.status_code, ": ",
                                               absl::StripAsciiWhitespace(response.body)));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::vector<int32_t>> FetchBrokerIds(const std::string& address, int port,
                                                    absl::Duration timeout, Clock& clock) {
  const std::string context = absl::StrCat("metadata from ", address, ":", port);
  absl::StatusOr<std::string> frame = MetadataExchange(address, port, timeout, clock);
  RETURN_IF_ERROR(Annotate(frame.status(), context));
  const kp::ApiInfo& api = *kp::FindApi(kp::MetadataRequest::kApiKey);
  kp::Reader r(*frame);
  kp::ResponseHeader header;
  kp::MetadataResponse response;
  absl::Status decoded =
      kp::DecodeResponseHeader(r, kp::ResponseHeaderVersion(api, kMetadataVersion), &header);
  if (decoded.ok()) decoded = response.Decode(r, kMetadataVersion);
  if (!decoded.ok()) {
    return absl::UnavailableError(absl::StrCat(context, ": ", decoded.message()));
  }
  std::vector<int32_t> ids;
  for (const auto& broker : response.brokers) ids.push_back(broker.node_id);
  return ids;
}

absl::StatusOr<double> FindMetric(absl::string_view text, absl::string_view metric) {
  for (absl::string_view line : absl::StrSplit(text, '\n')) {
    if (!absl::ConsumePrefix(&line, metric)) continue;
    // The name must end here: "karst_raft_leader" must not match "karst_raft_leader_changes".
    if (line.empty() || (line[0] != '{' && line[0] != ' ')) continue;
    if (line[0] == '{') {
      const size_t close = line.find('}');
      if (close == absl::string_view::npos) continue;
      line.remove_prefix(close + 1);
    }
    // "<value>" or "<value> <timestamp>".
    const std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipWhitespace());
    double value = 0;
    if (!fields.empty() && absl::SimpleAtod(fields[0], &value)) return value;
  }
  return absl::NotFoundError(absl::StrCat("no ", metric, " sample"));
}

}  // namespace karst::cli
