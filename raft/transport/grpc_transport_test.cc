// GrpcTransport over real loopback sockets: delivery and order, batching, chunked snapshots,
// refusals, peers that are down or silent, and Stop(). Every wait has a deadline; none sleeps.
#include "raft/transport/grpc_transport.h"

#include <arpa/inet.h>
#include <grpc/support/time.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "proto/raft.grpc.pb.h"

namespace karst::raft {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

// Generous, for slow sanitizer builds; passing tests never wait this long.
constexpr absl::Duration kWait = absl::Seconds(30);
constexpr char kCluster[] = "test-cluster";

GrpcTransport::Options TestOptions(int id) {
  GrpcTransport::Options options;
  options.self = NodeId(id);
  options.cluster_id = kCluster;
  options.listen_address = "127.0.0.1:0";
  options.initial_backoff = absl::Milliseconds(20);
  options.max_backoff = absl::Milliseconds(200);
  return options;
}

std::string Loopback(int port) { return absl::StrCat("127.0.0.1:", port); }

Message Append(int from, int to, int index) {
  Message m;
  m.type = MessageType::kAppend;
  m.from = NodeId(from);
  m.to = NodeId(to);
  m.term = Term(1);
  m.index = LogIndex(index);
  m.entries = {Entry{.term = Term(1), .index = LogIndex(index + 1), .data = "payload"}};
  return m;
}

Message SnapshotMessage(int from, int to, std::string data) {
  Message m;
  m.type = MessageType::kSnapshot;
  m.from = NodeId(from);
  m.to = NodeId(to);
  m.term = Term(4);
  m.snapshot.metadata = SnapshotMetadata{
      .index = LogIndex(1000), .term = Term(3), .conf_state = {.voters = {NodeId(1), NodeId(2)}}};
  m.snapshot.data = std::move(data);
  return m;
}

std::string PatternBytes(size_t size) {
  std::string data(size, '\0');
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<char>((i * 31 + i / 4096) % 251);
  return data;
}

// A transport and an inbox of what it received.
class TestNode {
 public:
  explicit TestNode(GrpcTransport::Options options)
      : id_(options.self), transport_(std::move(options), [this](Message m) {
          absl::MutexLock lock(&mu_);
          inbox_.push_back(std::move(m));
        }) {}
  explicit TestNode(int id) : TestNode(TestOptions(id)) {}

  absl::Status Start() { return transport_.Start(); }
  GrpcTransport& transport() { return transport_; }
  NodeId id() const { return id_; }
  std::string address() const { return Loopback(transport_.port()); }

  // Waits until at least `count` messages arrived; false on timeout.
  bool WaitForMessages(size_t count, absl::Duration timeout = kWait) {
    auto arrived = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return inbox_.size() >= count; };
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
  }

  // Waits until a received message satisfies `match`; false on timeout.
  bool WaitFor(const std::function<bool(const Message&)>& match, absl::Duration timeout = kWait) {
    auto arrived = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) {
      return std::any_of(inbox_.begin(), inbox_.end(), match);
    };
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout);
  }

  std::vector<Message> inbox() {
    absl::MutexLock lock(&mu_);
    return inbox_;
  }

 private:
  const NodeId id_;
  absl::Mutex mu_;
  std::vector<Message> inbox_ ABSL_GUARDED_BY(mu_);
  GrpcTransport transport_;
};

void Connect(TestNode& a, TestNode& b) {
  a.transport().AddPeer(b.id(), b.address());
  b.transport().AddPeer(a.id(), a.address());
}

// A port that accepts TCP connections (the kernel completes them) but never answers: a peer
// that hangs rather than refuses.
class SilentPeer {
 public:
  SilentPeer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&addr), len) == 0 && listen(fd_, 16) == 0 &&
        getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) == 0) {
      port_ = ntohs(addr.sin_port);
    }
  }
  ~SilentPeer() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// Runs transport.Stop() on another thread; true if it returned within `timeout`.
bool StopsWithin(GrpcTransport& transport, absl::Duration timeout) {
  absl::Notification stopped;
  std::thread stopper([&] {
    transport.Stop();
    stopped.Notify();
  });
  bool in_time = stopped.WaitForNotificationWithTimeout(timeout);
  stopper.join();
  return in_time;
}

TEST(GrpcTransport, DeliversABatchInOrderInOneRpc) {
  TestNode a(1), b(2);
  ASSERT_OK(a.Start());
  ASSERT_OK(b.Start());
  Connect(a, b);

  std::vector<Message> sent;
  for (int i = 0; i < 50; ++i) sent.push_back(Append(1, 2, i));
  a.transport().Send(sent);

  ASSERT_TRUE(b.WaitForMessages(50));
  EXPECT_EQ(b.inbox(), sent);
  ASSERT_TRUE(a.transport().AwaitCounters(
      [](const TransportCounts& c) { return c.messages_sent == 50; }, kWait));
  TransportCounts counts = a.transport().counters();
  EXPECT_EQ(counts.rpcs_sent, 1u);  // One Send() call to one idle peer: one batch.
  EXPECT_EQ(counts.rpcs_failed, 0u);
  EXPECT_EQ(counts.messages_dropped, 0u);
  EXPECT_EQ(b.transport().counters().messages_received, 50u);
}

TEST(GrpcTransport, ThreeNodesReceiveEachSendersMessagesInOrder) {
  std::vector<std::unique_ptr<TestNode>> nodes;
  for (int id = 1; id <= 3; ++id) {
    nodes.push_back(std::make_unique<TestNode>(id));
    ASSERT_OK(nodes.back()->Start());
  }
  for (int i = 0; i < 3; ++i) {
    for (int j = i + 1; j < 3; ++j) Connect(*nodes[i], *nodes[j]);
  }
  constexpr int kPerPeer = 100;
  for (int i = 0; i < kPerPeer; ++i) {
    for (int from = 1; from <= 3; ++from) {
      for (int to = 1; to <= 3; ++to) {
        if (from != to) nodes[from - 1]->transport().Send(Append(from, to, i));
      }
    }
  }
  for (auto& node : nodes) {
    ASSERT_TRUE(node->WaitForMessages(2 * kPerPeer)) << node->id();
    std::map<NodeId, int> next;  // Per sender, the index expected next.
    for (const Message& m : node->inbox()) {
      EXPECT_EQ(m.to, node->id());
      EXPECT_EQ(m.index, LogIndex(next[m.from]++)) << "from " << m.from;
    }
    EXPECT_EQ(next.size(), 2u);
  }
}

TEST(GrpcTransport, SnapshotOfThreeMebibytesArrivesIntactAndInOrder) {
  TestNode a(1), b(2);
  ASSERT_OK(a.Start());
  ASSERT_OK(b.Start());
  Connect(a, b);

  Message snapshot = SnapshotMessage(1, 2, PatternBytes(3 << 20));
  a.transport().Send({Append(1, 2, 1), snapshot, Append(1, 2, 2)});

  ASSERT_TRUE(b.WaitForMessages(3));
  std::vector<Message> inbox = b.inbox();
  EXPECT_EQ(inbox[0], Append(1, 2, 1));
  EXPECT_EQ(inbox[1].snapshot.metadata, snapshot.snapshot.metadata);
  EXPECT_TRUE(inbox[1].snapshot.data == snapshot.snapshot.data);  // No 3 MiB failure dump.
  EXPECT_EQ(inbox[1].term, Term(4));
  EXPECT_EQ(inbox[2], Append(1, 2, 2));
  ASSERT_TRUE(a.transport().AwaitCounters(
      [](const TransportCounts& c) { return c.messages_sent == 3; }, kWait));
  EXPECT_EQ(a.transport().counters().rpcs_sent, 3u);  // Send, InstallSnapshot, Send.
}

// Records each InstallSnapshot chunk, to check the framing the sender produces.
class RecordingRaft final : public proto::Raft::Service {
 public:
  grpc::Status InstallSnapshot(grpc::ServerContext*,
                               grpc::ServerReader<proto::SnapshotChunk>* reader,
                               proto::SendResponse*) override {
    proto::SnapshotChunk chunk;
    absl::MutexLock lock(&mu_);
    while (reader->Read(&chunk)) chunks_.push_back(chunk);
    return grpc::Status::OK;
  }
  std::vector<proto::SnapshotChunk> chunks() {
    absl::MutexLock lock(&mu_);
    return chunks_;
  }

 private:
  absl::Mutex mu_;
  std::vector<proto::SnapshotChunk> chunks_ ABSL_GUARDED_BY(mu_);
};

TEST(GrpcTransport, StreamsSnapshotAsHeaderThenChunksOfTheConfiguredSize) {
  RecordingRaft recorder;
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&recorder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  ASSERT_NE(server, nullptr);

  GrpcTransport::Options options = TestOptions(1);
  options.snapshot_chunk_bytes = 1000;
  options.peers = {{NodeId(2), Loopback(port)}};
  TestNode a(options);
  ASSERT_OK(a.Start());
  std::string data = PatternBytes(10'500);
  a.transport().Send(SnapshotMessage(1, 2, data));
  ASSERT_TRUE(a.transport().AwaitCounters(
      [](const TransportCounts& c) { return c.messages_sent == 1; }, kWait));

  std::vector<proto::SnapshotChunk> chunks = recorder.chunks();
  ASSERT_EQ(chunks.size(), 12u);  // The header, 10 full chunks and 500 bytes.
  ASSERT_TRUE(chunks[0].has_header());
  EXPECT_EQ(chunks[0].header().cluster_id(), kCluster);
  EXPECT_EQ(chunks[0].header().data_bytes(), data.size());
  EXPECT_EQ(chunks[0].header().message().type(), proto::SNAPSHOT);
  EXPECT_EQ(chunks[0].header().message().snapshot().index(), 1000);
  std::string joined;
  for (size_t i = 1; i < chunks.size(); ++i) {
    ASSERT_TRUE(chunks[i].has_data());
    EXPECT_EQ(chunks[i].data().size(), i < 11 ? 1000u : 500u);
    joined += chunks[i].data();
  }
  EXPECT_TRUE(joined == data);
  a.transport().Stop();
  server->Shutdown();
}

TEST(GrpcTransport, RefusesAndCountsABatchFromAnotherCluster) {
  GrpcTransport::Options other = TestOptions(1);
  other.cluster_id = "other-cluster";
  TestNode a(other), b(2);
  ASSERT_OK(a.Start());
  ASSERT_OK(b.Start());
  Connect(a, b);

  a.transport().Send(Append(1, 2, 0));
  ASSERT_TRUE(a.transport().AwaitCounters(
      [](const TransportCounts& c) { return c.rpcs_failed == 1 && c.messages_dropped == 1; },
      kWait));
  EXPECT_EQ(b.transport().counters().rpcs_refused, 1u);
  EXPECT_EQ(b.transport().counters().messages_received, 0u);
  EXPECT_TRUE(b.inbox().empty());
}

TEST(GrpcTransport, RefusesAndCountsAnUnknownSender) {
  TestNode a(1), b(2);
  ASSERT_OK(a.Start());
  ASSERT_OK(b.Start());
  a.transport().AddPeer(b.id(), b.address());  // b does not know a.

  a.transport().Send(Append(1, 2, 0));
  ASSERT_TRUE(a.transport().AwaitCounters(
      [](const TransportCounts& c) { return c.rpcs_failed == 1; }, kWait));
  EXPECT_EQ(b.transport().counters().rpcs_refused, 1u);
  EXPECT_TRUE(b.inbox().empty());
}

// Calls a node's Raft service directly, to see the status it answers with.
class RawClient {
 public:
  explicit RawClient(const std::string& address)
      : stub_(proto::Raft::NewStub(
            grpc::CreateChannel(address, grpc::InsecureChannelCredentials()))) {}

  grpc::Status Send(const proto::MessageBatch& batch) {
    grpc::ClientContext context;
    context.set_deadline(
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_seconds(30, GPR_TIMESPAN)));
    proto::SendResponse response;
    return stub_->Send(&context, batch, &response);
  }

  grpc::Status InstallSnapshot(const std::vector<proto::SnapshotChunk>& chunks) {
    grpc::ClientContext context;
    context.set_deadline(
        gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC), gpr_time_from_seconds(30, GPR_TIMESPAN)));
    proto::SendResponse response;
    auto writer = stub_->InstallSnapshot(&context, &response);
    for (const proto::SnapshotChunk& chunk : chunks) {
      if (!writer->Write(chunk)) break;
    }
    writer->WritesDone();
    return writer->Finish();
  }

 private:
  std::unique_ptr<proto::Raft::Stub> stub_;
};

proto::MessageBatch Batch(const std::string& cluster, int from, int to) {
  proto::MessageBatch batch;
  batch.set_cluster_id(cluster);
  batch.set_from(from);
  batch.set_to(to);
  proto::Message* m = batch.add_messages();
  m->set_type(proto::HEARTBEAT);
  m->set_from(from);
  m->set_to(to);
  return batch;
}

TEST(GrpcTransport, ServerExplainsEachRefusal) {
  TestNode b(2);
  ASSERT_OK(b.Start());
  b.transport().AddPeer(NodeId(1), "127.0.0.1:1");  // Known; b never needs to reach it here.
  RawClient client(b.address());

  grpc::Status status = client.Send(Batch("other-cluster", 1, 2));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("not \"other-cluster\""));

  status = client.Send(Batch(kCluster, 1, 5));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("this is node 2, not node 5"));

  status = client.Send(Batch(kCluster, 7, 2));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("node 7 is not a known peer"));

  proto::MessageBatch mismatched = Batch(kCluster, 1, 2);
  mismatched.mutable_messages(0)->set_to(3);
  status = client.Send(mismatched);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  proto::MessageBatch snapshot = Batch(kCluster, 1, 2);
  snapshot.mutable_messages(0)->set_type(proto::SNAPSHOT);
  status = client.Send(snapshot);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("InstallSnapshot"));

  EXPECT_EQ(b.transport().counters().rpcs_refused, 5u);
  EXPECT_TRUE(b.inbox().empty());
  EXPECT_TRUE(client.Send(Batch(kCluster, 1, 2)).ok());
  EXPECT_TRUE(b.WaitForMessages(1));
}

TEST(GrpcTransport, RefusesATruncatedOrOversizedSnapshotStream) {
  GrpcTransport::Options options = TestOptions(2);
  options.max_snapshot_bytes = 1 << 20;
  options.peers = {{NodeId(1), "127.0.0.1:1"}};
  TestNode b(options);
  ASSERT_OK(b.Start());
  RawClient client(b.address());

  proto::SnapshotChunk header;
  header.mutable_header()->set_cluster_id(kCluster);
  header.mutable_header()->set_data_bytes(100);
  proto::Message* m = header.mutable_header()->mutable_message();
  m->set_type(proto::SNAPSHOT);
  m->set_from(1);
  m->set_to(2);
  proto::SnapshotChunk data;
  data.set_data(std::string(60, 'x'));

  grpc::Status status = client.InstallSnapshot({header, data});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("stream ended after 60 of 100 bytes"));

  status = client.InstallSnapshot({header, data, data});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("more than the announced 100 bytes"));

  status = client.InstallSnapshot({data});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);

  header.mutable_header()->set_data_bytes((1 << 20) + 1);
  status = client.InstallSnapshot({header});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("exceed the limit"));

  EXPECT_EQ(b.transport().counters().rpcs_refused, 4u);
  EXPECT_TRUE(b.inbox().empty());
}

TEST(GrpcTransport, DropsMessagesForADownPeerAndResumesWhenItStarts) {
  int port = 0;
  {
    TestNode probe(2);  // Finds a free port, then frees it.
    ASSERT_OK(probe.Start());
    port = probe.transport().port();
  }
  TestNode a(1);
  ASSERT_OK(a.Start());
  a.transport().AddPeer(NodeId(2), Loopback(port));

  // 256 fit in the queue (one RPC, which fails); the other 44 are dropped at once.
  std::vector<Message> burst;
  for (int i = 0; i < 300; ++i) burst.push_back(Append(1, 2, i));
  a.transport().Send(burst);
  ASSERT_TRUE(a.transport().AwaitCounters(
      [](const TransportCounts& c) { return c.messages_dropped == 300; }, kWait));
  TransportCounts counts = a.transport().counters();
  EXPECT_EQ(counts.rpcs_failed, 1u);
  EXPECT_EQ(counts.messages_sent, 0u);

  GrpcTransport::Options options = TestOptions(2);
  options.listen_address = Loopback(port);
  TestNode b(options);
  ASSERT_OK(b.Start());
  b.transport().AddPeer(a.id(), a.address());
  // a reconnects within its backoff; keep offering heartbeats until one gets through.
  bool delivered = false;
  for (int i = 0; i < 100 && !delivered; ++i) {
    a.transport().Send(Append(1, 2, 1000 + i));
    delivered = b.WaitForMessages(1, absl::Milliseconds(100));
  }
  ASSERT_TRUE(delivered);
  // Heartbeats still queued from the loop may arrive first; these two follow them, in order.
  a.transport().Send({Append(1, 2, 5000), Append(1, 2, 5001)});
  ASSERT_TRUE(b.WaitFor([](const Message& m) { return m.index == LogIndex(5001); }));
  std::vector<Message> inbox = b.inbox();
  ASSERT_GE(inbox.size(), 2u);
  EXPECT_EQ(inbox[inbox.size() - 2], Append(1, 2, 5000));
  EXPECT_EQ(inbox.back(), Append(1, 2, 5001));
}

TEST(GrpcTransport, DropsMessagesForUnknownNodesAndBeforeStart) {
  TestNode a(1);
  a.transport().Send(Append(1, 2, 0));  // Not started.
  ASSERT_OK(a.Start());
  a.transport().Send(Append(1, 9, 0));  // No such peer.
  EXPECT_EQ(a.transport().counters().messages_dropped, 2u);
  EXPECT_EQ(a.transport().counters().rpcs_sent, 0u);
}

TEST(GrpcTransport, StopReturnsPromptlyWithADownPeer) {
  GrpcTransport::Options options = TestOptions(1);
  options.peers = {{NodeId(2), "127.0.0.1:1"}};  // Nothing listens on port 1.
  options.initial_backoff = absl::Seconds(30);   // Stop comes during the backoff.
  options.max_backoff = absl::Seconds(30);
  TestNode a(options);
  ASSERT_OK(a.Start());
  for (int i = 0; i < 10; ++i) a.transport().Send(Append(1, 2, i));
  ASSERT_TRUE(a.transport().AwaitCounters(
      [](const TransportCounts& c) { return c.rpcs_failed >= 1; }, kWait));
  EXPECT_TRUE(StopsWithin(a.transport(), absl::Seconds(5)));
}

TEST(GrpcTransport, StopCancelsRpcsToASilentPeer) {
  SilentPeer silent;
  ASSERT_NE(silent.port(), 0);
  GrpcTransport::Options options = TestOptions(1);
  options.peers = {{NodeId(2), Loopback(silent.port())}, {NodeId(3), Loopback(silent.port())}};
  options.rpc_deadline = absl::Minutes(5);
  TestNode a(options);
  ASSERT_OK(a.Start());
  a.transport().Send(Append(1, 2, 0));
  a.transport().Send(SnapshotMessage(1, 3, PatternBytes(3 << 20)));
  ASSERT_TRUE(a.transport().AwaitCounters([](const TransportCounts& c) { return c.rpcs_sent == 2; },
                                          kWait));
  EXPECT_TRUE(StopsWithin(a.transport(), absl::Seconds(5)));
  EXPECT_EQ(a.transport().counters().messages_dropped, 2u);
}

TEST(GrpcTransport, StartFailsNamingAnAddressInUse) {
  TestNode a(1);
  ASSERT_OK(a.Start());
  GrpcTransport::Options options = TestOptions(2);
  options.listen_address = a.address();
  TestNode b(options);
  EXPECT_THAT(b.Start(), StatusIs(absl::StatusCode::kUnavailable, HasSubstr(a.address())));
  EXPECT_THAT(a.Start(), StatusIs(absl::StatusCode::kFailedPrecondition));
}

// A bare Raft service that records the peer address (ServerContext::peer()) of each Send RPC,
// to see where a transport's connections come from.
class PeerRecorder final : public proto::Raft::Service {
 public:
  grpc::Status Send(grpc::ServerContext* context, const proto::MessageBatch* /*batch*/,
                    proto::SendResponse* /*response*/) override {
    absl::MutexLock lock(&mu_);
    peers_.push_back(context->peer());
    return grpc::Status::OK;
  }

  // Waits for the first Send; "" on timeout.
  std::string FirstPeer(absl::Duration timeout) {
    auto arrived = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return !peers_.empty(); };
    absl::MutexLock lock(&mu_);
    if (!mu_.AwaitWithTimeout(absl::Condition(&arrived), timeout)) return "";
    return peers_.front();
  }

 private:
  absl::Mutex mu_;
  std::vector<std::string> peers_ ABSL_GUARDED_BY(mu_);
};

// The peer address a PeerRecorder sees for a transport built from `options`.
std::string SourceSeenByPeer(GrpcTransport::Options options) {
  PeerRecorder recorder;
  grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&recorder);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || port == 0) return "no server";
  std::string peer;
  {
    GrpcTransport transport(std::move(options), [](Message) {});
    if (transport.Start().ok()) {
      transport.AddPeer(NodeId(2), Loopback(port));
      transport.Send(Append(1, 2, 0));
      peer = recorder.FirstPeer(kWait);
    }
  }
  server->Shutdown();
  return peer;
}

// Guards the socket mutator's mirror of gRPC's private struct layout (see
// common/grpc_source_address.h): if it stopped binding, the peer would see 127.0.0.1.
TEST(GrpcTransport, SendsFromTheConfiguredLocalAddress) {
  GrpcTransport::Options options = TestOptions(1);
  options.local_address = "127.3.5.7";
  std::string peer = SourceSeenByPeer(options);
  // gRPC writes "ipv4:127.3.5.7:<port>" (or the v4-mapped IPv6 form).
  EXPECT_THAT(peer, HasSubstr("127.3.5.7:"));

  // The control: without local_address the kernel picks 127.0.0.1.
  EXPECT_THAT(SourceSeenByPeer(TestOptions(1)), HasSubstr("127.0.0.1:"));
}

TEST(GrpcTransport, StartRejectsALocalAddressThatIsNotIpv4) {
  GrpcTransport::Options options = TestOptions(1);
  options.local_address = "localhost";
  GrpcTransport transport(std::move(options), [](Message) {});
  EXPECT_THAT(transport.Start(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("localhost")));
}

}  // namespace
}  // namespace karst::raft
