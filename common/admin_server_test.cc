#include "common/admin_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/process_metrics.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"

namespace karst {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

int Connect(uint16_t port) {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

// Reads until EOF, giving up (and returning what it has) after `timeout_ms` of silence.
std::string ReadAll(int fd, int timeout_ms = 10000) {
  std::string out;
  char buf[4096];
  pollfd p{fd, POLLIN, 0};
  while (poll(&p, 1, timeout_ms) > 0) {
    const ssize_t n = read(fd, buf, sizeof(buf));
    if (n <= 0) break;
    out.append(buf, static_cast<size_t>(n));
  }
  return out;
}

std::string Send(uint16_t port, const std::string& request) {
  const int fd = Connect(port);
  if (fd < 0) return "connect failed";
  if (write(fd, request.data(), request.size()) != static_cast<ssize_t>(request.size())) {
    close(fd);
    return "write failed";
  }
  std::string response = ReadAll(fd);
  close(fd);
  return response;
}

class AdminServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    registry_ = std::make_shared<prometheus::Registry>();
    RegisterBuildInfo(*registry_, "9.9.9");
    AdminServer::Options options;
    options.host = "127.0.0.1";
    options.port = 0;
    process_ = std::make_shared<ProcessMetrics>();
    options.collectables = {registry_, process_};
    options.read_timeout = absl::Milliseconds(300);
    options.max_request_bytes = 1024;
    server_ = std::make_unique<AdminServer>(options);
    ASSERT_THAT(server_->Start(), IsOk());
  }

  std::shared_ptr<prometheus::Registry> registry_;
  std::shared_ptr<ProcessMetrics> process_;
  std::unique_ptr<AdminServer> server_;
};

TEST_F(AdminServerTest, ServesMetricsWithBuildInfo) {
  const std::string r = Send(server_->port(), "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_THAT(r, HasSubstr("HTTP/1.1 200 OK"));
  EXPECT_THAT(r, HasSubstr("Content-Type: text/plain; version=0.0.4"));
  EXPECT_THAT(r, HasSubstr("karst_build_info{"));
  EXPECT_THAT(r, HasSubstr("version=\"9.9.9\""));
  EXPECT_THAT(r, HasSubstr("process_resident_memory_bytes"));
  EXPECT_THAT(r, HasSubstr("process_open_fds"));
}

TEST_F(AdminServerTest, ServesHealthAndRejectsOtherPathsAndMethods) {
  EXPECT_THAT(Send(server_->port(), "GET /healthz HTTP/1.1\r\n\r\n"),
              ::testing::AllOf(HasSubstr("200 OK"), HasSubstr("\r\n\r\nok\n")));
  EXPECT_THAT(Send(server_->port(), "GET /nope HTTP/1.1\r\n\r\n"), HasSubstr("404 Not Found"));
  EXPECT_THAT(Send(server_->port(), "POST /metrics HTTP/1.1\r\n\r\n"),
              HasSubstr("405 Method Not Allowed"));
  EXPECT_THAT(Send(server_->port(), "garbage\r\n\r\n"), HasSubstr("400 Bad Request"));
  const std::string head = Send(server_->port(), "HEAD /healthz HTTP/1.1\r\n\r\n");
  EXPECT_THAT(head, HasSubstr("Content-Length: 3"));
  EXPECT_THAT(head, ::testing::Not(HasSubstr("ok\n")));
}

TEST(AdminServer, ReadyzFollowsTheReadinessCheck) {
  AdminServer server({.port = 0});
  EXPECT_EQ(server.Respond("GET", "/readyz").status, 503);
  EXPECT_EQ(server.Respond("GET", "/readyz").body, "starting\n");
  std::optional<std::string> missing = "not caught up with the metadata log";
  server.SetReadinessCheck([&missing] { return missing; });
  EXPECT_EQ(server.Respond("GET", "/readyz").status, 503);
  EXPECT_EQ(server.Respond("GET", "/readyz").body, "not caught up with the metadata log\n");
  missing.reset();
  EXPECT_EQ(server.Respond("GET", "/readyz").status, 200);
  EXPECT_EQ(server.Respond("GET", "/readyz").body, "ready\n");
}

TEST_F(AdminServerTest, DropsASilentClientAfterTheReadTimeout) {
  const int fd = Connect(server_->port());
  ASSERT_GE(fd, 0);
  // The server closes first: ReadAll sees EOF well inside its own 10 s limit.
  EXPECT_EQ(ReadAll(fd), "");
  close(fd);
  EXPECT_THAT(Send(server_->port(), "GET /healthz HTTP/1.1\r\n\r\n"), HasSubstr("200 OK"));
}

TEST_F(AdminServerTest, DropsAnOversizedRequestHead) {
  const std::string big = "GET /healthz HTTP/1.1\r\nX: " + std::string(4096, 'a') + "\r\n\r\n";
  EXPECT_THAT(Send(server_->port(), big), ::testing::Not(HasSubstr("200 OK")));
}

TEST_F(AdminServerTest, ABusyAddressIsUnavailable) {
  AdminServer second({.host = "127.0.0.1", .port = server_->port()});
  EXPECT_THAT(second.Start(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr("cannot listen")));
}

TEST(AdminServer, ANonAddressHostIsInvalid) {
  AdminServer server({.host = "not-an-ip", .port = 0});
  EXPECT_THAT(server.Start(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("not-an-ip:0")));
}

TEST(AdminServer, StopIsIdempotentAndFreesThePort) {
  AdminServer server({.host = "127.0.0.1", .port = 0});
  ASSERT_THAT(server.Start(), IsOk());
  const uint16_t port = server.port();
  server.Stop();
  server.Stop();
  EXPECT_EQ(Connect(port), -1);
}

}  // namespace
}  // namespace karst
