// raft_test_server: one Raft node as a process, for multi-process tests (raft_cluster_test).
// It runs the production pieces, RocksDbLogStore + GrpcTransport + raft::Node, with a state
// machine that records every applied value and its index, and serves RaftTestClient (see
// raft_test_client.proto) so a test can propose values and read each node's state.
//
//   raft_test_server --id 1 --listen 127.9.9.2:19093 --client 127.9.9.2:19094
//       --peers 1@127.9.9.2:19093,2@127.9.9.3:19093,3@127.9.9.4:19093 --data DIR
//       --cluster-id test [--tick-ms 20] [--election-tick 10] [--snapshot-every 10000]
//
// Outgoing Raft connections bind to the --listen host, so firewall rules can cut links by
// source address. Exits 0 on SIGTERM (or SIGINT), 2 on bad flags, 1 if it cannot start.
#include <grpcpp/grpcpp.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "raft/core/types.h"
#include "raft/node/node.h"
#include "raft/node/rocksdb_log_store.h"
#include "raft/node/state_machine.h"
#include "raft/transport/grpc_transport.h"
#include "tests/raft/raft_test_client.grpc.pb.h"

namespace karst::tests::raft {
namespace {

using ::karst::LogIndex;
using ::karst::NodeId;
using ::karst::raft::GrpcTransport;

struct Flags {
  int id = 0;
  std::string listen;
  std::string client;
  std::map<NodeId, std::string> peers;  // Every voter, this node included.
  std::string data;
  std::string cluster_id;
  int tick_ms = 20;
  int election_tick = 10;
  int64_t snapshot_every = 10000;
};

void Log(const std::string& line) {
  std::fprintf(stderr, "%s %s\n",
               absl::FormatTime("%H:%M:%E3S", absl::Now(), absl::UTCTimeZone()).c_str(),
               line.c_str());
}

absl::Status ParseFlags(int argc, char** argv, Flags& flags) {
  if (argc % 2 != 1) return absl::InvalidArgumentError("every flag takes a value");
  for (int i = 1; i + 1 < argc; i += 2) {
    const absl::string_view flag = argv[i];
    const std::string value = argv[i + 1];
    bool ok = true;
    if (flag == "--id") {
      ok = absl::SimpleAtoi(value, &flags.id);
    } else if (flag == "--listen") {
      flags.listen = value;
    } else if (flag == "--client") {
      flags.client = value;
    } else if (flag == "--data") {
      flags.data = value;
    } else if (flag == "--cluster-id") {
      flags.cluster_id = value;
    } else if (flag == "--tick-ms") {
      ok = absl::SimpleAtoi(value, &flags.tick_ms) && flags.tick_ms > 0;
    } else if (flag == "--election-tick") {
      ok = absl::SimpleAtoi(value, &flags.election_tick) && flags.election_tick > 1;
    } else if (flag == "--snapshot-every") {
      ok = absl::SimpleAtoi(value, &flags.snapshot_every) && flags.snapshot_every >= 0;
    } else if (flag == "--peers") {
      for (absl::string_view peer : absl::StrSplit(value, ',', absl::SkipEmpty())) {
        std::pair<std::string, std::string> id_address =
            absl::StrSplit(peer, absl::MaxSplits('@', 1));
        int id = 0;
        if (!absl::SimpleAtoi(id_address.first, &id) || id_address.second.empty()) {
          ok = false;
          break;
        }
        flags.peers[NodeId(id)] = id_address.second;
      }
    } else {
      return absl::InvalidArgumentError(absl::StrCat("unknown flag ", flag));
    }
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("bad value for ", flag, ": ", value));
  }
  if (flags.id <= 0 || flags.listen.empty() || flags.client.empty() || flags.data.empty() ||
      flags.cluster_id.empty() || flags.peers.count(NodeId(flags.id)) == 0) {
    return absl::InvalidArgumentError(
        "--id, --listen, --client, --data, --cluster-id and --peers (including --id) are required");
  }
  return absl::OkStatus();
}

// Appends each applied entry's (index, value). Snapshot: "index\tvalue\n" per entry (test
// values contain neither tabs nor newlines). Apply runs on the node thread; Read on gRPC's.
class ListStateMachine final : public karst::raft::StateMachine {
 public:
  void Apply(LogIndex index, absl::string_view data) override {
    std::lock_guard<std::mutex> lock(mu_);
    entries_.emplace_back(index.value(), std::string(data));
    applied_index_ = index.value();
  }

  std::string TakeSnapshot() override {
    std::lock_guard<std::mutex> lock(mu_);
    std::string out;
    for (const auto& [index, value] : entries_) absl::StrAppend(&out, index, "\t", value, "\n");
    return out;
  }

  void Restore(const karst::raft::SnapshotMetadata& metadata, absl::string_view data) override {
    std::vector<std::pair<int64_t, std::string>> entries;
    for (absl::string_view line : absl::StrSplit(data, '\n', absl::SkipEmpty())) {
      std::pair<absl::string_view, absl::string_view> index_value =
          absl::StrSplit(line, absl::MaxSplits('\t', 1));
      int64_t index = 0;
      if (!absl::SimpleAtoi(index_value.first, &index)) {
        Log(absl::StrCat("FATAL: malformed snapshot line: ", line));
        std::abort();
      }
      entries.emplace_back(index, std::string(index_value.second));
    }
    std::lock_guard<std::mutex> lock(mu_);
    entries_ = std::move(entries);
    applied_index_ = metadata.index.value();
  }

  void Read(StateResponse& response) {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& [index, value] : entries_) {
      AppliedEntry* entry = response.add_entries();
      entry->set_index(index);
      entry->set_value(value);
    }
    response.set_applied_index(applied_index_);
  }

 private:
  std::mutex mu_;
  std::vector<std::pair<int64_t, std::string>> entries_;  // Guarded by mu_.
  int64_t applied_index_ = 0;                             // Guarded by mu_.
};

class ClientService final : public RaftTestClient::Service {
 public:
  ClientService(karst::raft::Node& node, ListStateMachine& state_machine)
      : node_(node), state_machine_(state_machine) {}

  grpc::Status Propose(grpc::ServerContext* /*context*/, const ProposeRequest* request,
                       ProposeResponse* response) override {
    std::future<absl::StatusOr<LogIndex>> future = node_.Propose(request->value());
    const int64_t timeout_ms = request->timeout_ms() > 0 ? request->timeout_ms() : 2000;
    if (future.wait_for(std::chrono::milliseconds(timeout_ms)) != std::future_status::ready) {
      response->set_ok(false);
      response->set_error(absl::StrCat("not committed within ", timeout_ms, " ms"));
    } else {
      absl::StatusOr<LogIndex> index = future.get();
      if (index.ok()) {
        response->set_ok(true);
        response->set_index(index->value());
      } else {
        response->set_ok(false);
        response->set_error(index.status().ToString());
      }
    }
    response->set_leader_id(node_.leader().value());
    return grpc::Status::OK;
  }

  grpc::Status State(grpc::ServerContext* /*context*/, const StateRequest* /*request*/,
                     StateResponse* response) override {
    response->set_id(node_.id().value());
    response->set_is_leader(node_.IsLeader());
    response->set_term(node_.term().value());
    response->set_leader(node_.leader().value());
    response->set_commit(node_.committed().value());
    response->set_applied(node_.applied().value());
    state_machine_.Read(*response);
    return grpc::Status::OK;
  }

 private:
  karst::raft::Node& node_;
  ListStateMachine& state_machine_;
};

int Run(int argc, char** argv) {
  Flags flags;
  if (absl::Status status = ParseFlags(argc, argv, flags); !status.ok()) {
    Log(absl::StrCat("raft_test_server: ", status.message()));
    return 2;
  }
  // Block the stop signals before any thread starts, so every thread inherits the mask and
  // only sigwait below receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  const NodeId self(flags.id);
  const std::string prefix = absl::StrCat("node ", flags.id, ": ");
  karst::raft::RocksDbLogStore::Options store_options;
  for (const auto& [id, address] : flags.peers) store_options.initial_conf_state.voters.insert(id);
  auto store = karst::raft::RocksDbLogStore::Open(flags.data, store_options);
  if (!store.ok()) {
    Log(prefix + store.status().ToString());
    return 1;
  }

  GrpcTransport::Options transport_options;
  transport_options.self = self;
  transport_options.cluster_id = flags.cluster_id;
  transport_options.listen_address = flags.listen;
  transport_options.local_address = flags.listen.substr(0, flags.listen.rfind(':'));
  transport_options.peers = flags.peers;
  transport_options.peers.erase(self);
  transport_options.initial_backoff = absl::Milliseconds(flags.tick_ms);
  transport_options.max_backoff = absl::Milliseconds(flags.tick_ms * flags.election_tick / 2);
  transport_options.rpc_deadline = absl::Milliseconds(flags.tick_ms * flags.election_tick);
  transport_options.log = [&prefix](const std::string& line) { Log(prefix + line); };
  // The node is created after the transport; messages that arrive in between are dropped.
  std::atomic<karst::raft::Node*> node_for_transport{nullptr};
  GrpcTransport transport(transport_options, [&node_for_transport](karst::raft::Message m) {
    karst::raft::Node* node = node_for_transport.load();
    if (node != nullptr) node->Receive(std::move(m));
  });

  ListStateMachine state_machine;
  karst::raft::NodeOptions node_options;
  node_options.id = self;
  node_options.tick_interval = absl::Milliseconds(flags.tick_ms);
  node_options.election_tick = flags.election_tick;
  node_options.snapshot_every = flags.snapshot_every;
  node_options.log = [&prefix](const std::string& line) { Log(prefix + line); };
  node_options.on_leader_change = [&prefix](NodeId leader, karst::Term term) {
    Log(absl::StrCat(prefix, "leader ", leader.value(), " term ", term.value()));
  };
  karst::raft::Node node(node_options, **store, state_machine, transport);
  if (absl::Status status = node.Start(); !status.ok()) {
    Log(prefix + status.ToString());
    return 1;
  }
  node_for_transport.store(&node);
  if (absl::Status status = transport.Start(); !status.ok()) {
    Log(prefix + status.ToString());
    node.Stop();
    return 1;
  }

  ClientService service(node, state_machine);
  grpc::ServerBuilder builder;
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  int client_port = 0;
  builder.AddListeningPort(flags.client, grpc::InsecureServerCredentials(), &client_port);
  builder.RegisterService(&service);
  std::unique_ptr<grpc::Server> server = builder.BuildAndStart();
  if (server == nullptr || client_port == 0) {
    Log(prefix + "cannot listen on " + flags.client);
    transport.Stop();
    node.Stop();
    return 1;
  }
  Log(absl::StrCat(prefix, "serving raft on ", flags.listen, ", client on ", flags.client));

  int signal = 0;
  sigwait(&stop_signals, &signal);
  Log(absl::StrCat(prefix, "stopping on signal ", signal));
  // Pending Propose handlers wait at most their timeout; give them that long.
  server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(5));
  transport.Stop();
  node.Stop();
  Log(prefix + "stopped");
  return 0;
}

}  // namespace
}  // namespace karst::tests::raft

int main(int argc, char** argv) { return karst::tests::raft::Run(argc, argv); }
