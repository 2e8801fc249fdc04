// The Raft acceptance scenarios with real processes: three raft_test_server processes (from
// $KARST_RAFT_SERVER) with RocksDB logs and the gRPC transport, each on its own loopback
// address. (a) kill -9 the leader under load: a new leader within two election timeouts, and
// every acknowledged entry survives at its index, in the same order, on every node. (b) cut
// the leader off from both followers with nftables (needs root): the majority elects a leader
// and commits, the old leader never commits, and after healing all logs converge.
// Every wait polls a condition with a deadline (tests/harness/wait.h).
#include <fcntl.h>
#include <grpcpp/grpcpp.h>
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/harness/address_block.h"
#include "tests/harness/network_cutter.h"
#include "tests/harness/scoped_fd.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/wait.h"
#include "tests/raft/raft_test_client.grpc.pb.h"

namespace karst::tests::raft {
namespace {

using ::karst::testing::AddressBlock;
using ::karst::testing::ExitStatus;
using ::karst::testing::NetworkCutter;
using ::karst::testing::ScopedFd;
using ::karst::testing::WaitFor;

constexpr int kTickMs = 20;
constexpr int kElectionTick = 10;
// The configured election timeout is T = kTickMs * kElectionTick (200 ms). Raft randomizes
// each node's timeout in [T, 2T), so the acceptance bound "a new leader within two election
// timeouts" is taken at its worst case: 2 * 2T (800 ms) after the kill.
constexpr absl::Duration kFailoverBound = absl::Milliseconds(2 * 2 * kTickMs * kElectionTick);
constexpr int kRaftPort = 19093;
constexpr int kClientPort = 19094;
constexpr int kNumNodes = 3;
// Generous bounds for waits that passing runs never approach.
constexpr absl::Duration kWait = absl::Seconds(30);
constexpr absl::Duration kRpcTimeout = absl::Seconds(2);

std::chrono::system_clock::time_point Deadline(absl::Duration timeout) {
  return std::chrono::system_clock::now() +
         std::chrono::microseconds(absl::ToInt64Microseconds(timeout));
}

// One raft_test_server process, driven from the test's main thread (Start/Kill9/Terminate);
// State and Propose are thread-safe.
class ServerProcess {
 public:
  ServerProcess(int id, std::string address, std::string peers, std::filesystem::path dir)
      : id_(id), address_(std::move(address)), peers_(std::move(peers)), dir_(std::move(dir)) {
    grpc::ChannelArguments args;
    // Reconnect quickly after a restart.
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 20);
    args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, 20);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
    stub_ = RaftTestClient::NewStub(grpc::CreateCustomChannel(
        absl::StrCat(address_, ":", kClientPort), grpc::InsecureChannelCredentials(), args));
  }
  ~ServerProcess() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
  }

  absl::Status Start() {
    std::filesystem::create_directories(dir_);
    const char* server = std::getenv("KARST_RAFT_SERVER");
    if (server == nullptr) return absl::FailedPreconditionError("KARST_RAFT_SERVER is not set");
    ScopedFd log(open(log_path().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!log.valid()) return absl::InternalError(absl::StrCat("cannot open ", log_path().string()));
    absl::StatusOr<pid_t> pid = karst::testing::SpawnProcess(
        {server, "--id", absl::StrCat(id_), "--listen", absl::StrCat(address_, ":", kRaftPort),
         "--client", absl::StrCat(address_, ":", kClientPort), "--peers", peers_, "--data",
         (dir_ / "data").string(), "--cluster-id", "raft-cluster-test", "--tick-ms",
         absl::StrCat(kTickMs), "--election-tick", absl::StrCat(kElectionTick)},
        karst::testing::CurrentEnvironment(), log.get());
    if (!pid.ok()) return pid.status();
    pid_ = *pid;
    return absl::OkStatus();
  }

  // SIGKILL and reap. Returns the time the signal was sent.
  absl::StatusOr<absl::Time> Kill9() {
    if (pid_ <= 0) return absl::FailedPreconditionError(absl::StrCat("node ", id_, " not running"));
    if (kill(pid_, SIGKILL) != 0) return absl::InternalError("kill failed");
    const absl::Time killed = absl::Now();
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
    return killed;
  }

  // SIGTERM, then waits for the exit.
  absl::StatusOr<ExitStatus> Terminate(absl::Duration timeout) {
    if (pid_ <= 0) return absl::FailedPreconditionError(absl::StrCat("node ", id_, " not running"));
    kill(pid_, SIGTERM);
    int wait_status = 0;
    absl::Status exited = WaitFor([&] { return waitpid(pid_, &wait_status, WNOHANG) == pid_; },
                                  timeout, absl::StrCat("node ", id_, " to exit on SIGTERM"));
    if (!exited.ok()) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      pid_ = -1;
      return exited;
    }
    pid_ = -1;
    return ExitStatus::FromWaitStatus(wait_status);
  }

  absl::StatusOr<StateResponse> State() const {
    grpc::ClientContext context;
    context.set_deadline(Deadline(kRpcTimeout));
    StateResponse response;
    grpc::Status status = stub_->State(&context, StateRequest(), &response);
    if (!status.ok()) return absl::UnavailableError(status.error_message());
    return response;
  }

  // Waits up to `commit_timeout` on the server for the value to commit.
  absl::StatusOr<ProposeResponse> Propose(const std::string& value,
                                          absl::Duration commit_timeout) const {
    grpc::ClientContext context;
    context.set_deadline(Deadline(commit_timeout + kRpcTimeout));
    ProposeRequest request;
    request.set_value(value);
    request.set_timeout_ms(absl::ToInt64Milliseconds(commit_timeout));
    ProposeResponse response;
    grpc::Status status = stub_->Propose(&context, request, &response);
    if (!status.ok()) return absl::UnavailableError(status.error_message());
    return response;
  }

  std::string TailLog(size_t max_bytes = 6000) const {
    std::FILE* file = std::fopen(log_path().c_str(), "r");
    if (file == nullptr) return "";
    std::string data;
    char buffer[4096];
    for (size_t n; (n = std::fread(buffer, 1, sizeof(buffer), file)) > 0;) data.append(buffer, n);
    std::fclose(file);
    return data.size() > max_bytes ? data.substr(data.size() - max_bytes) : data;
  }

  int id() const { return id_; }
  const std::string& address() const { return address_; }
  bool running() const { return pid_ > 0; }
  std::filesystem::path log_path() const { return dir_ / "server.log"; }

 private:
  const int id_;
  const std::string address_;
  const std::string peers_;
  const std::filesystem::path dir_;
  std::unique_ptr<RaftTestClient::Stub> stub_;
  pid_t pid_ = -1;
};

struct Ack {
  std::string value;
  int64_t index = 0;
};

// Proposes unique values ("<prefix><n>") one at a time, following NOT_LEADER redirects (or,
// with `follow_leader` false, always to the first server), and records each acknowledged
// (committed) value with its index.
class Load {
 public:
  Load(std::vector<const ServerProcess*> servers, std::string prefix, bool follow_leader,
       absl::Duration commit_timeout)
      : servers_(std::move(servers)),
        prefix_(std::move(prefix)),
        follow_leader_(follow_leader),
        commit_timeout_(commit_timeout) {}
  ~Load() { Stop(); }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }
  void Stop() {
    if (!stop_.HasBeenNotified()) stop_.Notify();
    if (thread_.joinable()) thread_.join();
  }

  std::vector<Ack> acks() const {
    absl::MutexLock lock(&mu_);
    return acks_;
  }
  size_t num_acks() const {
    absl::MutexLock lock(&mu_);
    return acks_.size();
  }
  std::vector<std::string> proposed() const {
    absl::MutexLock lock(&mu_);
    return proposed_;
  }

 private:
  void Run() {
    size_t target = 0;
    for (int n = 0; !stop_.HasBeenNotified(); ++n) {
      const std::string value = absl::StrCat(prefix_, n);
      {
        absl::MutexLock lock(&mu_);
        proposed_.push_back(value);
      }
      absl::StatusOr<ProposeResponse> response = servers_[target]->Propose(value, commit_timeout_);
      if (response.ok() && response->ok()) {
        absl::MutexLock lock(&mu_);
        acks_.push_back(Ack{value, response->index()});
        continue;
      }
      if (!follow_leader_) continue;
      size_t next = (target + 1) % servers_.size();  // Down or unreachable: try another.
      if (response.ok()) {
        next = target;
        for (size_t i = 0; i < servers_.size(); ++i) {
          if (servers_[i]->id() == response->leader_id()) next = i;
        }
      }
      // No leader known yet (an election is running): back off a little, but stop at once.
      if (next == target) stop_.WaitForNotificationWithTimeout(absl::Milliseconds(kTickMs));
      target = next;
    }
  }

  const std::vector<const ServerProcess*> servers_;
  const std::string prefix_;
  const bool follow_leader_;
  const absl::Duration commit_timeout_;
  absl::Notification stop_;
  std::thread thread_;
  mutable absl::Mutex mu_;
  std::vector<Ack> acks_ ABSL_GUARDED_BY(mu_);
  std::vector<std::string> proposed_ ABSL_GUARDED_BY(mu_);
};

using Entries = std::vector<std::pair<int64_t, std::string>>;

Entries EntriesOf(const StateResponse& state) {
  Entries entries;
  for (const AppliedEntry& entry : state.entries())
    entries.emplace_back(entry.index(), entry.value());
  return entries;
}

class RaftClusterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const AddressBlock block = AddressBlock::ForCurrentTest();
    const char* tmp = std::getenv("TEST_TMPDIR");
    const std::filesystem::path dir = std::filesystem::path(tmp != nullptr ? tmp : "/tmp") /
                                      absl::StrCat("raft-", block.prefix());
    std::vector<std::string> peers;
    for (int i = 0; i < kNumNodes; ++i) {
      peers.push_back(absl::StrCat(i + 1, "@", block.Address(i), ":", kRaftPort));
    }
    for (int i = 0; i < kNumNodes; ++i) {
      servers_.push_back(std::make_unique<ServerProcess>(
          i + 1, block.Address(i), absl::StrJoin(peers, ","), dir / absl::StrCat("node", i + 1)));
      ASSERT_OK(servers_.back()->Start());
    }
  }

  void TearDown() override {
    for (auto& server : servers_) {
      if (HasFailure()) {
        std::fprintf(stderr, "==== node %d (%s) log tail ====\n%s\n", server->id(),
                     server->address().c_str(), server->TailLog().c_str());
      }
      if (!server->running()) continue;
      absl::StatusOr<ExitStatus> exit = server->Terminate(absl::Seconds(10));
      ASSERT_OK(exit);
      EXPECT_TRUE(exit->Success()) << "node " << server->id() << ": " << exit->ToString();
    }
  }

  ServerProcess& server(int id) { return *servers_[id - 1]; }
  std::vector<const ServerProcess*> all() const {
    std::vector<const ServerProcess*> all;
    for (const auto& server : servers_) all.push_back(server.get());
    return all;
  }

  // Waits until every server in `ids` answers and they agree on one leader among `ids`, other
  // than `not_leader`, which itself claims leadership. Returns its id (or -1 on timeout,
  // after recording a failure).
  int WaitForLeader(const std::set<int>& ids, absl::Duration timeout, int not_leader = -1) {
    int leader = -1;
    absl::Status status = WaitFor(
        [&] {
          std::set<int> leaders;
          std::map<int, StateResponse> states;
          for (int id : ids) {
            absl::StatusOr<StateResponse> state = server(id).State();
            if (!state.ok()) return false;
            leaders.insert(state->leader());
            states[id] = *state;
          }
          if (leaders.size() != 1) return false;
          leader = *leaders.begin();
          return leader != not_leader && ids.count(leader) == 1 && states[leader].is_leader();
        },
        timeout, "the nodes to agree on a leader");
    EXPECT_OK(status);
    return status.ok() ? leader : -1;
  }

  // Waits until every server in `ids` applied the same entries up to the same index, at least
  // `min_index`. Returns those entries.
  Entries WaitForConvergence(const std::set<int>& ids, int64_t min_index) {
    Entries converged;
    std::string last;
    absl::Status status = WaitFor(
        [&] {
          std::vector<Entries> all;
          std::vector<std::string> summary;
          for (int id : ids) {
            absl::StatusOr<StateResponse> state = server(id).State();
            if (!state.ok()) return false;
            summary.push_back(absl::StrCat("node ", id, " commit ", state->commit(), " applied ",
                                           state->applied_index(), " entries ",
                                           state->entries_size()));
            if (state->applied_index() < min_index || state->applied_index() != state->commit()) {
              return false;
            }
            all.push_back(EntriesOf(*state));
          }
          last = absl::StrJoin(summary, "; ");
          for (const Entries& entries : all) {
            if (entries != all.front()) return false;
          }
          converged = all.front();
          return true;
        },
        kWait, "every node to apply the same entries");
    EXPECT_OK(status) << last;
    return converged;
  }

  std::vector<std::unique_ptr<ServerProcess>> servers_;
};

// No loss, no reorder: each acknowledged value sits at its acknowledged index, indexes
// increase, and no value appears twice.
void ExpectAcksAt(const Entries& entries, const std::vector<Ack>& acks) {
  std::map<int64_t, std::string> by_index;
  std::set<std::string> values;
  int64_t previous = 0;
  for (const auto& [index, value] : entries) {
    EXPECT_GT(index, previous) << "entries out of order";
    previous = index;
    by_index[index] = value;
    if (!value.empty()) {
      EXPECT_TRUE(values.insert(value).second) << "duplicate value " << value;
    }
  }
  for (const Ack& ack : acks) {
    auto it = by_index.find(ack.index);
    ASSERT_NE(it, by_index.end()) << "acknowledged " << ack.value << " at " << ack.index
                                  << " is missing";
    EXPECT_EQ(it->second, ack.value) << "at index " << ack.index;
  }
}

size_t MaxIndex(const std::vector<Ack>& acks) {
  int64_t max = 0;
  for (const Ack& ack : acks) max = std::max(max, ack.index);
  return max;
}

TEST_F(RaftClusterTest, KillNineOfTheLeaderUnderLoadLosesNoCommittedEntry) {
  const int old_leader = WaitForLeader({1, 2, 3}, kWait);
  ASSERT_GT(old_leader, 0);

  Load load(all(), "a-", /*follow_leader=*/true, absl::Seconds(1));
  load.Start();
  ASSERT_OK(WaitFor([&] { return load.num_acks() >= 100; }, kWait, "100 acknowledged values"));

  absl::StatusOr<absl::Time> killed = server(old_leader).Kill9();
  ASSERT_OK(killed);
  const size_t acks_at_kill = load.num_acks();
  std::set<int> survivors = {1, 2, 3};
  survivors.erase(old_leader);
  const int new_leader = WaitForLeader(survivors, kWait, old_leader);
  const absl::Duration failover = absl::Now() - *killed;
  ASSERT_GT(new_leader, 0);
  std::printf("failover: node %d killed, node %d leads after %s (bound %s)\n", old_leader,
              new_leader, absl::FormatDuration(failover).c_str(),
              absl::FormatDuration(kFailoverBound).c_str());
  EXPECT_LE(failover, kFailoverBound);

  // The survivors keep committing, then the killed node comes back and catches up.
  ASSERT_OK(WaitFor([&] { return load.num_acks() >= acks_at_kill + 100; }, kWait,
                    "100 more acknowledged values after the failover"));
  ASSERT_OK(server(old_leader).Start());
  ASSERT_OK(WaitFor([&] { return server(old_leader).State().ok(); }, kWait,
                    "the restarted node to answer"));
  ASSERT_OK(WaitFor([&] { return load.num_acks() >= acks_at_kill + 200; }, kWait,
                    "100 more acknowledged values after the restart"));
  load.Stop();

  const std::vector<Ack> acks = load.acks();
  const Entries entries = WaitForConvergence({1, 2, 3}, MaxIndex(acks));
  std::printf("acknowledged %zu values; %zu entries applied on every node\n", acks.size(),
              entries.size());
  ExpectAcksAt(entries, acks);
}

TEST_F(RaftClusterTest, LeaderCutOffByNftablesNeverCommitsAndCatchesUpAfterHealing) {
  const int old_leader = WaitForLeader({1, 2, 3}, kWait);
  ASSERT_GT(old_leader, 0);
  std::set<int> majority = {1, 2, 3};
  majority.erase(old_leader);

  Load before(all(), "b-", /*follow_leader=*/true, absl::Seconds(1));
  before.Start();
  ASSERT_OK(WaitFor([&] { return before.num_acks() >= 50; }, kWait, "50 acknowledged values"));
  before.Stop();
  // Quiesce, so nothing in flight can commit on the old leader after the cut.
  WaitForConvergence({1, 2, 3}, MaxIndex(before.acks()));

  absl::StatusOr<std::unique_ptr<NetworkCutter>> cutter = NetworkCutter::Create();
  ASSERT_OK(cutter) << "this test needs root and nftables";
  absl::StatusOr<StateResponse> at_cut = server(old_leader).State();
  ASSERT_OK(at_cut);
  for (int follower : majority) {
    ASSERT_OK((*cutter)->Cut(server(old_leader).address(), server(follower).address()));
  }
  const absl::Time cut = absl::Now();

  // Keep proposing to the old leader, which may still believe it leads.
  Load minority({&server(old_leader)}, "minority-", /*follow_leader=*/false,
                absl::Milliseconds(300));
  minority.Start();

  const int new_leader = WaitForLeader(majority, kWait, old_leader);
  ASSERT_GT(new_leader, 0);
  std::printf("partition: node %d cut off, node %d leads the majority after %s\n", old_leader,
              new_leader, absl::FormatDuration(absl::Now() - cut).c_str());
  std::vector<Ack> majority_acks;
  for (int i = 0; i < 20; ++i) {
    const std::string value = absl::StrCat("majority-", i);
    absl::StatusOr<ProposeResponse> response = server(new_leader).Propose(value, absl::Seconds(5));
    ASSERT_OK(response);
    ASSERT_TRUE(response->ok()) << value << ": " << response->error();
    majority_acks.push_back(Ack{value, response->index()});
  }
  ASSERT_OK(WaitFor([&] { return minority.proposed().size() >= 3; }, kWait,
                    "3 proposals to the cut-off leader"));
  minority.Stop();

  absl::StatusOr<StateResponse> after = server(old_leader).State();
  ASSERT_OK(after);
  std::printf(
      "cut-off leader: %zu proposals, %zu acknowledged; commit %lld at the cut, %lld "
      "now\n",
      minority.proposed().size(), minority.num_acks(), static_cast<long long>(at_cut->commit()),
      static_cast<long long>(after->commit()));
  EXPECT_EQ(minority.num_acks(), 0u) << "the minority acknowledged a commit";
  EXPECT_EQ(after->commit(), at_cut->commit()) << "the minority's commit index advanced";
  EXPECT_EQ(after->applied_index(), at_cut->applied_index());

  ASSERT_OK((*cutter)->HealAll());
  const int leader_after_heal = WaitForLeader({1, 2, 3}, kWait);
  ASSERT_GT(leader_after_heal, 0);
  const Entries entries = WaitForConvergence({1, 2, 3}, MaxIndex(majority_acks));
  ExpectAcksAt(entries, before.acks());
  ExpectAcksAt(entries, majority_acks);
  const std::vector<std::string> minority_values = minority.proposed();
  const std::set<std::string> never(minority_values.begin(), minority_values.end());
  for (const auto& [index, value] : entries) {
    EXPECT_EQ(never.count(value), 0u)
        << "the cut-off leader's " << value << " was committed at " << index;
  }
  absl::StatusOr<StateResponse> healed = server(old_leader).State();
  ASSERT_OK(healed);
  EXPECT_GT(healed->commit(), at_cut->commit());
}

}  // namespace
}  // namespace karst::tests::raft
