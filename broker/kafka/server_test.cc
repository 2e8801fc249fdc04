#include "broker/kafka/server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "kafka/protocol/header.h"

namespace karst::broker::kafka {
namespace {

using ::karst::kafka::protocol::Frame;
using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::StartsWith;

// Only reached when a test fails; passing tests wait on conditions, never on time.
constexpr absl::Duration kDeadline = absl::Seconds(5);

std::string SizePrefix(int32_t size) {
  const auto bytes = htonl(static_cast<uint32_t>(size));
  return std::string(reinterpret_cast<const char*>(&bytes), 4);
}

Response Send(absl::string_view payload) { return {Response::Kind::kSend, Frame(payload)}; }

// A blocking client over a loopback socket; every read has a deadline.
class Client {
 public:
  explicit Client(uint16_t port) : fd_(socket(AF_INET, SOCK_STREAM, 0)) {
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  }
  ~Client() { Disconnect(); }

  bool connected() const { return connected_; }

  void Disconnect() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  void SendBytes(absl::string_view bytes) {
    while (!bytes.empty()) {
      const ssize_t n = send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
      ASSERT_GT(n, 0) << "send failed";
      bytes.remove_prefix(n);
    }
  }
  void SendRequest(absl::string_view payload) { SendBytes(Frame(payload)); }

  // The next response's payload; nullopt on EOF or after `timeout`.
  std::optional<std::string> ReadFrame(absl::Duration timeout = kDeadline) {
    const absl::Time deadline = absl::Now() + timeout;
    if (!Fill(4, deadline)) return std::nullopt;
    const auto size = static_cast<size_t>(ntohl(*reinterpret_cast<const uint32_t*>(&buffer_[0])));
    if (!Fill(4 + size, deadline)) return std::nullopt;
    std::string payload = buffer_.substr(4, size);
    buffer_.erase(0, 4 + size);
    return payload;
  }

  // Whether the server closes the connection within `timeout`; bytes received meanwhile are
  // kept for ReadFrame.
  bool WaitForClose(absl::Duration timeout = kDeadline) {
    const absl::Time deadline = absl::Now() + timeout;
    while (Fill(buffer_.size() + 1, deadline)) {
    }
    return closed_;
  }

 private:
  // Reads until `buffer_` holds `size` bytes; false on EOF, error or deadline.
  bool Fill(size_t size, absl::Time deadline) {
    while (buffer_.size() < size && !closed_) {
      const absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return false;
      pollfd p{fd_, POLLIN, 0};
      const int ready = poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(left)) + 1);
      if (ready == 0) continue;
      char chunk[4096];
      const ssize_t n = ready < 0 ? -1 : recv(fd_, chunk, sizeof(chunk), 0);
      if (n <= 0) {
        closed_ = true;
        break;
      }
      buffer_.append(chunk, n);
    }
    return buffer_.size() >= size;
  }

  int fd_;
  bool connected_ = false;
  bool closed_ = false;
  std::string buffer_;
};

// Answers every request at once with "echo:" + the request.
class EchoDispatcher : public RequestDispatcher {
 public:
  void Dispatch(const ConnectionInfo& connection, std::string frame, Responder respond) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      connections_.push_back(connection);
    }
    respond(Send(absl::StrCat("echo:", frame)));
  }

  std::vector<ConnectionInfo> connections() {
    std::lock_guard<std::mutex> lock(mu_);
    return connections_;
  }

 private:
  std::mutex mu_;  // Not absl::Mutex, which ThreadSanitizer cannot see into here.
  std::vector<ConnectionInfo> connections_;  // Guarded by mu_.
};

// Keeps each request's Responder, keyed by the request's bytes, until the test answers it.
class HoldingDispatcher : public RequestDispatcher {
 public:
  void Dispatch(const ConnectionInfo&, std::string frame, Responder respond) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      ++dispatched_;
      held_.emplace(std::move(frame), std::move(respond));
    }
    dispatched_changed_.notify_all();
  }

  // Whether at least `n` requests were dispatched within `timeout`.
  bool AwaitDispatched(int n, absl::Duration timeout = kDeadline) {
    std::unique_lock<std::mutex> lock(mu_);
    return dispatched_changed_.wait_for(lock, absl::ToChronoMilliseconds(timeout),
                                        [this, n] { return dispatched_ >= n; });
  }

  int dispatched() {
    std::lock_guard<std::mutex> lock(mu_);
    return dispatched_;
  }

  // Removes the Responder of request `frame`; an empty function if there is none.
  Responder Take(const std::string& frame) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = held_.find(frame);
    if (it == held_.end()) return nullptr;
    Responder respond = std::move(it->second);
    held_.erase(it);
    return respond;
  }

  void Answer(const std::string& frame, Response response) {
    Responder respond = Take(frame);
    ASSERT_TRUE(respond) << "no request " << frame;
    respond(std::move(response));
  }

 private:
  std::mutex mu_;
  std::condition_variable dispatched_changed_;
  int dispatched_ = 0;                     // Guarded by mu_.
  std::map<std::string, Responder> held_;  // Guarded by mu_.
};

// Records the order of Dispatch calls and how many ran at once, working a little in each so
// that overlapping calls would be seen.
class OrderCheckingDispatcher : public RequestDispatcher {
 public:
  void Dispatch(const ConnectionInfo&, std::string frame, Responder respond) override {
    const int active = ++active_;
    int seen = max_active_.load();
    while (active > seen && !max_active_.compare_exchange_weak(seen, active)) {
    }
    volatile uint64_t work = 0;
    for (int i = 0; i < 200000; ++i) work = work + i;
    {
      std::lock_guard<std::mutex> lock(mu_);
      order_.push_back(frame);
    }
    --active_;
    respond(Send(frame));
  }

  int max_active() const { return max_active_.load(); }
  std::vector<std::string> order() {
    std::lock_guard<std::mutex> lock(mu_);
    return order_;
  }

 private:
  std::atomic<int> active_{0};
  std::atomic<int> max_active_{0};
  std::mutex mu_;
  std::vector<std::string> order_;  // Guarded by mu_.
};

ServerOptions Options() {
  ServerOptions options;
  options.listeners = {{.name = "PLAINTEXT", .host = "127.0.0.1", .port = 0}};
  options.network_threads = 2;
  options.handler_threads = 4;
  return options;
}

TEST(Server, EchoesRequestsAndNamesTheirListener) {
  EchoDispatcher dispatcher;
  ServerOptions options = Options();
  options.listeners.push_back({.name = "INTERNAL", .host = "127.0.0.1", .port = 0});
  Server server(options, dispatcher);
  ASSERT_THAT(server.Start(), IsOk());
  ASSERT_NE(server.port("PLAINTEXT"), 0);
  ASSERT_NE(server.port("INTERNAL"), 0);
  EXPECT_EQ(server.port("NOPE"), 0);

  Client plaintext(server.port("PLAINTEXT"));
  plaintext.SendRequest("one");
  plaintext.SendRequest("two");
  EXPECT_EQ(plaintext.ReadFrame(), "echo:one");
  EXPECT_EQ(plaintext.ReadFrame(), "echo:two");
  Client internal(server.port("INTERNAL"));
  internal.SendRequest("three");
  EXPECT_EQ(internal.ReadFrame(), "echo:three");

  const std::vector<ConnectionInfo> seen = dispatcher.connections();
  ASSERT_EQ(seen.size(), 3u);
  EXPECT_EQ(seen[0].listener_name, "PLAINTEXT");
  EXPECT_EQ(seen[0].id, seen[1].id);
  EXPECT_THAT(seen[0].peer, StartsWith("127.0.0.1:"));
  EXPECT_EQ(seen[2].listener_name, "INTERNAL");
  EXPECT_NE(seen[2].id, seen[0].id);
}

TEST(Server, PipelinedResponsesGoOutInRequestOrder) {
  HoldingDispatcher dispatcher;
  Server server(Options(), dispatcher);
  ASSERT_THAT(server.Start(), IsOk());
  Client client(server.port("PLAINTEXT"));
  std::string requests;
  for (int i = 0; i < 5; ++i) requests += Frame(absl::StrCat("r", i));
  client.SendBytes(requests);
  ASSERT_TRUE(dispatcher.AwaitDispatched(5));

  for (int i = 4; i >= 0; --i) dispatcher.Answer(absl::StrCat("r", i), Send(absl::StrCat("a", i)));
  for (int i = 0; i < 5; ++i) EXPECT_EQ(client.ReadFrame(), absl::StrCat("a", i));
}

// Two pipelined produces must append in the order sent: a connection's requests are
// dispatched one at a time, in arrival order, even with many handler threads.
TEST(Server, DispatchesAConnectionsRequestsOneAtATimeInOrder) {
  OrderCheckingDispatcher dispatcher;
  ServerOptions options = Options();
  options.handler_threads = 8;
  Server server(options, dispatcher);
  ASSERT_TRUE(server.Start().ok());
  Client client(server.port("PLAINTEXT"));
  ASSERT_TRUE(client.connected());
  std::string pipelined;
  std::vector<std::string> sent;
  for (int i = 0; i < 50; ++i) {
    sent.push_back(absl::StrCat("request-", i));
    pipelined += Frame(sent.back());
  }
  client.SendBytes(pipelined);
  for (const std::string& expected : sent) EXPECT_EQ(client.ReadFrame(), expected);
  EXPECT_EQ(dispatcher.max_active(), 1);
  EXPECT_EQ(dispatcher.order(), sent);
}

TEST(Server, NoResponseFreesItsSlotAndKeepsLaterResponsesInOrder) {
  HoldingDispatcher dispatcher;
  Server server(Options(), dispatcher);
  ASSERT_THAT(server.Start(), IsOk());
  Client client(server.port("PLAINTEXT"));
  client.SendBytes(Frame("r0") + Frame("r1") + Frame("r2"));
  ASSERT_TRUE(dispatcher.AwaitDispatched(3));

  dispatcher.Answer("r2", Send("a2"));
  dispatcher.Answer("r1", {Response::Kind::kNoResponse, ""});
  dispatcher.Answer("r0", Send("a0"));
  EXPECT_EQ(client.ReadFrame(), "a0");
  EXPECT_EQ(client.ReadFrame(), "a2");
  client.SendRequest("r3");
  ASSERT_TRUE(dispatcher.AwaitDispatched(4));
  dispatcher.Answer("r3", Send("a3"));
  EXPECT_EQ(client.ReadFrame(), "a3");
}

TEST(Server, CloseWritesEarlierResponsesThenCloses) {
  HoldingDispatcher dispatcher;
  Server server(Options(), dispatcher);
  ASSERT_THAT(server.Start(), IsOk());
  Client client(server.port("PLAINTEXT"));
  client.SendBytes(Frame("r0") + Frame("r1") + Frame("r2"));
  ASSERT_TRUE(dispatcher.AwaitDispatched(3));

  dispatcher.Answer("r2", Send("a2"));
  dispatcher.Answer("r1", {Response::Kind::kClose, ""});
  dispatcher.Answer("r0", Send("a0"));
  EXPECT_EQ(client.ReadFrame(), "a0");
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_EQ(client.ReadFrame(absl::ZeroDuration()), std::nullopt);
}

TEST(Server, OversizedFrameClosesTheConnectionAndServingGoesOn) {
  EchoDispatcher dispatcher;
  ServerOptions options = Options();
  options.max_request_bytes = 1024;
  Server server(options, dispatcher);
  ASSERT_THAT(server.Start(), IsOk());

  Client big(server.port("PLAINTEXT"));
  big.SendRequest(std::string(1024, 'x'));  // At the limit: served.
  EXPECT_EQ(big.ReadFrame(), "echo:" + std::string(1024, 'x'));
  big.SendBytes(SizePrefix(1025));
  EXPECT_TRUE(big.WaitForClose());

  Client next(server.port("PLAINTEXT"));
  next.SendRequest("still here");
  EXPECT_EQ(next.ReadFrame(), "echo:still here");
  EXPECT_EQ(dispatcher.connections().size(), 2u);
}

TEST(Server, NegativeFrameSizeClosesTheConnection) {
  EchoDispatcher dispatcher;
  Server server(Options(), dispatcher);
  ASSERT_THAT(server.Start(), IsOk());
  Client client(server.port("PLAINTEXT"));
  client.SendBytes(SizePrefix(-1) + "junk");
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_TRUE(dispatcher.connections().empty());
}

TEST(Server, StopsDispatchingAConnectionAtItsQueueLimitUntilAResponseIsWritten) {
  HoldingDispatcher dispatcher;
  ServerOptions options = Options();
  options.max_queued_requests_per_connection = 3;
  Server server(options, dispatcher);
  ASSERT_THAT(server.Start(), IsOk());
  Client client(server.port("PLAINTEXT"));
  std::string requests;
  for (int i = 0; i < 6; ++i) requests += Frame(absl::StrCat("r", i));
  client.SendBytes(requests);

  ASSERT_TRUE(dispatcher.AwaitDispatched(3));
  // A negative check needs a window; the limit holds however long it is.
  EXPECT_FALSE(dispatcher.AwaitDispatched(4, absl::Milliseconds(100)));
  EXPECT_EQ(dispatcher.dispatched(), 3);

  dispatcher.Answer("r0", Send("a0"));
  EXPECT_EQ(client.ReadFrame(), "a0");
  ASSERT_TRUE(dispatcher.AwaitDispatched(4));
  for (int i = 1; i < 6; ++i) {
    ASSERT_TRUE(dispatcher.AwaitDispatched(std::min(i + 3, 6)));
    dispatcher.Answer(absl::StrCat("r", i), Send(absl::StrCat("a", i)));
  }
  for (int i = 1; i < 6; ++i) EXPECT_EQ(client.ReadFrame(), absl::StrCat("a", i));
  EXPECT_EQ(dispatcher.dispatched(), 6);
}

TEST(Server, ClosesAnIdleConnection) {
  EchoDispatcher dispatcher;
  ServerOptions options = Options();
  options.connections_max_idle = absl::Milliseconds(200);
  Server server(options, dispatcher);
  ASSERT_THAT(server.Start(), IsOk());
  Client client(server.port("PLAINTEXT"));
  client.SendRequest("hello");
  EXPECT_EQ(client.ReadFrame(), "echo:hello");
  EXPECT_TRUE(client.WaitForClose());
}

TEST(Server, KeepsAConnectionWithARequestInFlightPastTheIdleTimeout) {
  HoldingDispatcher dispatcher;
  ServerOptions options = Options();
  options.connections_max_idle = absl::Milliseconds(100);
  Server server(options, dispatcher);
  ASSERT_THAT(server.Start(), IsOk());
  Client client(server.port("PLAINTEXT"));
  client.SendRequest("long poll");
  ASSERT_TRUE(dispatcher.AwaitDispatched(1));
  EXPECT_FALSE(client.WaitForClose(absl::Milliseconds(300)));

  dispatcher.Answer("long poll", Send("done"));
  EXPECT_EQ(client.ReadFrame(), "done");
  EXPECT_TRUE(client.WaitForClose());
}

TEST(Server, RespondersCalledAfterStopAreHarmless) {
  HoldingDispatcher dispatcher;
  auto server = std::make_unique<Server>(Options(), dispatcher);
  ASSERT_THAT(server->Start(), IsOk());
  Client client(server->port("PLAINTEXT"));
  client.SendBytes(Frame("r0") + Frame("r1") + Frame("r2"));
  ASSERT_TRUE(dispatcher.AwaitDispatched(3));

  Responder r0 = dispatcher.Take("r0");
  Responder r1 = dispatcher.Take("r1");
  server->Stop();
  EXPECT_TRUE(client.WaitForClose());
  EXPECT_EQ(server->port("PLAINTEXT"), 0);
  r0(Send("late"));
  server->Stop();  // Idempotent.
  server.reset();
  r1(Send("later"));
  dispatcher.Answer("r2", {Response::Kind::kClose, ""});
}

TEST(Server, SurvivesAPeerThatDisconnectsMidFrame) {
  EchoDispatcher dispatcher;
  Server server(Options(), dispatcher);
  ASSERT_THAT(server.Start(), IsOk());
  {
    Client partial(server.port("PLAINTEXT"));
    partial.SendBytes(SizePrefix(100) + "only ten b");
  }
  Client next(server.port("PLAINTEXT"));
  next.SendRequest("ping");
  EXPECT_EQ(next.ReadFrame(), "echo:ping");
  EXPECT_EQ(dispatcher.connections().size(), 1u);
}

TEST(Server, StartReportsUnusableListeners) {
  EchoDispatcher dispatcher;
  Server first(Options(), dispatcher);
  ASSERT_THAT(first.Start(), IsOk());
  ServerOptions taken = Options();
  taken.listeners[0].port = first.port("PLAINTEXT");
  Server second(taken, dispatcher);
  const absl::Status status = second.Start();
  EXPECT_THAT(status, StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(status.message(), HasSubstr(absl::StrCat("127.0.0.1:", taken.listeners[0].port)));

  ServerOptions duplicate = Options();
  duplicate.listeners.push_back(duplicate.listeners[0]);
  EXPECT_THAT(Server(duplicate, dispatcher).Start(), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(Server(ServerOptions{}, dispatcher).Start(),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

}  // namespace
}  // namespace karst::broker::kafka
