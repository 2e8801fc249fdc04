// A 3-node Raft group in one process over the real gRPC transport on loopback, each node with
// its own RocksDB log (synced writes): committed 1 KiB entries per second and the p50/p99
// latency from Propose to applied on the leader, with `--inflight` proposals outstanding (the
// node batches them into one Ready, one RocksDB write and one append per follower).
//   bazel run -c opt //raft/bench:loopback_benchmark -- --seconds=10 --inflight=256
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "raft/node/node.h"
#include "raft/node/rocksdb_log_store.h"
#include "raft/transport/grpc_transport.h"

namespace karst::raft {
namespace {

class CountingMachine final : public StateMachine {
 public:
  void Apply(LogIndex, absl::string_view data) override { bytes_ += data.size(); }
  std::string TakeSnapshot() override { return absl::StrCat(bytes_); }
  void Restore(const SnapshotMetadata&, absl::string_view) override {}

 private:
  uint64_t bytes_ = 0;
};

// Node talks to a raft::Transport; GrpcTransport has the same Send.
class GrpcSender final : public Transport {
 public:
  void Send(Message m) override { transport->Send(std::move(m)); }
  GrpcTransport* transport = nullptr;
};

struct Member {
  std::unique_ptr<RocksDbLogStore> store;
  CountingMachine machine;
  GrpcSender sender;
  std::unique_ptr<GrpcTransport> transport;
  std::unique_ptr<Node> node;
};

int64_t Flag(int argc, char** argv, const std::string& name, int64_t fallback) {
  for (int i = 1; i < argc; ++i) {
    absl::string_view arg(argv[i]);
    int64_t v;
    if (absl::ConsumePrefix(&arg, "--" + name + "=") && absl::SimpleAtoi(arg, &v)) return v;
  }
  return fallback;
}

int Run(int argc, char** argv) {
  const int64_t seconds = Flag(argc, argv, "seconds", 10);
  const size_t inflight = static_cast<size_t>(Flag(argc, argv, "inflight", 256));
  const std::string dir = std::filesystem::temp_directory_path() / "karst-raft-bench";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ConfState conf{{NodeId(1), NodeId(2), NodeId(3)}, {}};
  std::vector<std::unique_ptr<Member>> members;
  for (int i = 1; i <= 3; ++i) {
    auto m = std::make_unique<Member>();
    auto store = RocksDbLogStore::Open(absl::StrCat(dir, "/", i), {.initial_conf_state = conf});
    if (!store.ok()) {
      std::fprintf(stderr, "%s\n", std::string(store.status().message()).c_str());
      return 1;
    }
    m->store = *std::move(store);
    members.push_back(std::move(m));
  }
  for (int i = 1; i <= 3; ++i) {
    Member& m = *members[static_cast<size_t>(i - 1)];
    GrpcTransport::Options options;
    options.self = NodeId(i);
    options.cluster_id = "bench";
    options.listen_address = "127.0.0.1:0";
    m.transport = std::make_unique<GrpcTransport>(
        options, [&m](Message msg) { m.node->Receive(std::move(msg)); });
    m.sender.transport = m.transport.get();
    m.node = std::make_unique<Node>(NodeOptions{.id = NodeId(i),
                                                .tick_interval = absl::Milliseconds(10),
                                                .snapshot_every = 100000,
                                                .seed = static_cast<uint64_t>(i)},
                                    *m.store, m.machine, m.sender);
    if (!m.transport->Start().ok()) return 1;
  }
  for (int i = 1; i <= 3; ++i) {
    for (int j = 1; j <= 3; ++j) {
      if (i == j) continue;
      members[static_cast<size_t>(i - 1)]->transport->AddPeer(
          NodeId(j),
          absl::StrCat("127.0.0.1:", members[static_cast<size_t>(j - 1)]->transport->port()));
    }
  }
  for (auto& m : members) {
    if (!m->node->Start().ok()) return 1;
  }
  Node* leader = nullptr;
  const auto wait_until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (leader == nullptr && std::chrono::steady_clock::now() < wait_until) {
    for (auto& m : members) {
      if (m->node->IsLeader()) leader = m->node.get();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // Polling, not synchronising.
  }
  if (leader == nullptr) {
    std::fprintf(stderr, "no leader elected\n");
    return 1;
  }
  const std::string value(1024, 'x');
  struct Pending {
    std::chrono::steady_clock::time_point start;
    std::future<absl::StatusOr<LogIndex>> future;
  };
  std::deque<Pending> pending;
  std::vector<double> latencies_ms;
  uint64_t committed = 0, failed = 0;
  const auto start = std::chrono::steady_clock::now();
  const auto stop = start + std::chrono::seconds(seconds);
  while (std::chrono::steady_clock::now() < stop || !pending.empty()) {
    while (pending.size() < inflight && std::chrono::steady_clock::now() < stop) {
      pending.push_back({std::chrono::steady_clock::now(), leader->Propose(value)});
    }
    Pending& front = pending.front();
    if (front.future.wait_for(std::chrono::seconds(10)) != std::future_status::ready) {
      std::fprintf(stderr, "a proposal did not complete in 10 s\n");
      return 1;
    }
    absl::StatusOr<LogIndex> r = front.future.get();
    if (r.ok()) {
      ++committed;
      latencies_ms.push_back(
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - front.start)
              .count());
    } else {
      ++failed;
    }
    pending.pop_front();
  }
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::sort(latencies_ms.begin(), latencies_ms.end());
  auto pct = [&](double p) {
    return latencies_ms.empty() ? 0.0
                                : latencies_ms[static_cast<size_t>(p * (latencies_ms.size() - 1))];
  };
  std::printf("3 nodes, gRPC on loopback, RocksDB (synced), 1 KiB entries, %zu in flight\n",
              inflight);
  std::printf("committed %lu entries in %.1f s: %.0f entries/s (%lu failed)\n",
              static_cast<unsigned long>(committed), elapsed, committed / elapsed,
              static_cast<unsigned long>(failed));
  std::printf("commit latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", pct(0.5), pct(0.99),
              latencies_ms.empty() ? 0.0 : latencies_ms.back());
  for (auto& m : members) m->node->Stop();
  for (auto& m : members) m->transport->Stop();
  std::filesystem::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace karst::raft

int main(int argc, char** argv) { return karst::raft::Run(argc, argv); }
