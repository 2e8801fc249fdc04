// Node drives real cores on their own threads over an in-process network: proposals commit
// and apply in order everywhere, a stopped leader is replaced, followers answer NOT_LEADER
// naming the leader, a restarted node catches up (by snapshot when the log was compacted),
// and ReadIndex waits for the apply. Waits are on conditions with deadlines.
#include "raft/node/node.h"

#include <memory>
#include <mutex>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "prometheus/registry.h"
#include "raft/node/raft_metrics.h"
#include "raft/testing/local_transport.h"
#include "raft/testing/mem_log.h"

namespace karst::raft {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

// A state machine that records what it applied, in order.
class Recorder final : public StateMachine {
 public:
  void Apply(LogIndex, absl::string_view data) override {
    std::lock_guard<std::mutex> lock(mu_);
    values_.emplace_back(data);
  }
  std::string TakeSnapshot() override {
    std::lock_guard<std::mutex> lock(mu_);
    return absl::StrJoin(values_, ",");
  }
  void Restore(const SnapshotMetadata&, absl::string_view data) override {
    std::lock_guard<std::mutex> lock(mu_);
    values_ = data.empty() ? std::vector<std::string>{}
                           : std::vector<std::string>(absl::StrSplit(data, ','));
  }
  std::vector<std::string> values() {
    std::lock_guard<std::mutex> lock(mu_);
    return values_;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> values_;
};

bool WaitUntil(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(20)) {
  const absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(5));  // Polling interval, not synchronisation.
  }
  return condition();
}

class Group {
 public:
  explicit Group(int n, int64_t snapshot_every = 10000) : snapshot_every_(snapshot_every) {
    for (int i = 1; i <= n; ++i) conf_.voters.insert(NodeId(i));
    for (int i = 1; i <= n; ++i) {
      auto member = std::make_unique<Member>();
      member->log = std::make_unique<testing::MemLog>(conf_);
      member->transport = std::make_unique<testing::LocalTransport>(network_);
      members_.push_back(std::move(member));
      StartNode(i);
    }
  }
  ~Group() {
    for (auto& m : members_) {
      if (m->node) m->node->Stop();
    }
  }

  void StartNode(int i) {
    Member& m = *members_[static_cast<size_t>(i - 1)];
    m.recorder = std::make_unique<Recorder>();
    NodeOptions options;
    options.id = NodeId(i);
    options.tick_interval = absl::Milliseconds(10);
    options.seed = static_cast<uint64_t>(i) * 7919;
    options.snapshot_every = snapshot_every_;
    m.node = std::make_unique<Node>(options, *m.log, *m.recorder, *m.transport);
    network_.Register(NodeId(i), m.node.get());
    ASSERT_OK(m.node->Start());
  }
  void StopNode(int i) {
    Member& m = *members_[static_cast<size_t>(i - 1)];
    network_.Unregister(NodeId(i));
    m.node->Stop();
    m.node.reset();
  }

  Node* node(int i) { return members_[static_cast<size_t>(i - 1)]->node.get(); }
  Recorder& recorder(int i) { return *members_[static_cast<size_t>(i - 1)]->recorder; }
  testing::LocalNetwork& network() { return network_; }

  // The one node that leads, waiting for there to be one.
  Node* Leader() {
    Node* leader = nullptr;
    WaitUntil([&] {
      for (auto& m : members_) {
        if (m->node && m->node->IsLeader()) leader = m->node.get();
      }
      return leader != nullptr;
    });
    return leader;
  }

 private:
  struct Member {
    std::unique_ptr<testing::MemLog> log;
    std::unique_ptr<testing::LocalTransport> transport;
    std::unique_ptr<Recorder> recorder;
    std::unique_ptr<Node> node;
  };
  int64_t snapshot_every_;
  ConfState conf_;
  testing::LocalNetwork network_;
  std::vector<std::unique_ptr<Member>> members_;
};

absl::StatusOr<LogIndex> Commit(Node* node, const std::string& value) {
  auto future = node->Propose(value);
  if (future.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    return absl::DeadlineExceededError("proposal did not complete");
  }
  return future.get();
}

TEST(Node, ProposalsApplyInOrderOnEveryNode) {
  Group g(3);
  Node* leader = g.Leader();
  ASSERT_NE(leader, nullptr);
  std::vector<std::string> want;
  for (int i = 0; i < 50; ++i) {
    want.push_back(absl::StrCat("v", i));
    ASSERT_OK(Commit(leader, want.back()).status());
  }
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(WaitUntil([&] { return g.recorder(i).values() == want; })) << "node " << i;
  }
}

TEST(Node, FollowersAnswerNotLeaderNamingTheLeader) {
  Group g(3);
  Node* leader = g.Leader();
  ASSERT_NE(leader, nullptr);
  ASSERT_OK(Commit(leader, "x").status());
  for (int i = 1; i <= 3; ++i) {
    if (g.node(i) == leader) continue;
    ASSERT_TRUE(WaitUntil([&] { return g.node(i)->leader() == leader->id(); }));
    EXPECT_THAT(Commit(g.node(i), "y"),
                StatusIs(absl::StatusCode::kUnavailable,
                         HasSubstr(absl::StrCat("leader is node ", leader->id().value()))));
  }
}

TEST(Node, AStoppedLeaderIsReplacedAndNothingCommittedIsLost) {
  Group g(3);
  Node* leader = g.Leader();
  ASSERT_NE(leader, nullptr);
  for (int i = 0; i < 10; ++i) ASSERT_OK(Commit(leader, absl::StrCat("a", i)).status());
  const int old = leader->id().value();
  g.StopNode(old);
  Node* next = g.Leader();
  ASSERT_NE(next, nullptr);
  ASSERT_NE(next->id().value(), old);
  ASSERT_OK(Commit(next, "after").status());
  g.StartNode(old);
  std::vector<std::string> want;
  for (int i = 0; i < 10; ++i) want.push_back(absl::StrCat("a", i));
  want.push_back("after");
  EXPECT_TRUE(WaitUntil([&] { return g.recorder(old).values() == want; }));
}

TEST(Node, ALaggingNodeCatchesUpFromASnapshot) {
  Group g(3, /*snapshot_every=*/5);
  Node* leader = g.Leader();
  ASSERT_NE(leader, nullptr);
  int lagging = leader->id().value() % 3 + 1;
  g.StopNode(lagging);
  std::vector<std::string> want;
  for (int i = 0; i < 30; ++i) {
    want.push_back(absl::StrCat("s", i));
    ASSERT_OK(Commit(g.Leader(), want.back()).status());
  }
  g.StartNode(lagging);
  EXPECT_TRUE(WaitUntil([&] { return g.recorder(lagging).values() == want; }));
}

// Every voter's match and contact times as the leader sees them (Kafka's DescribeQuorum).
bool AllCaughtUp(const QuorumStatus& s) {
  if (s.voters.size() != 3 || s.commit != s.last_index) return false;
  for (const ReplicaStatus& r : s.voters) {
    if (r.match != s.last_index || !r.last_fetch.has_value() || !r.last_caught_up.has_value()) {
      return false;
    }
  }
  return true;
}

TEST(Node, DescribeQuorumShowsTheLeadersViewOfEachVoter) {
  Group g(3);
  Node* leader = g.Leader();
  ASSERT_NE(leader, nullptr);
  for (int i = 0; i < 5; ++i) ASSERT_OK(Commit(leader, absl::StrCat("q", i)).status());
  QuorumStatus status;
  ASSERT_TRUE(WaitUntil([&] {
    status = leader->DescribeQuorum();
    return AllCaughtUp(status);
  }));
  EXPECT_EQ(status.self, leader->id());
  EXPECT_EQ(status.leader, leader->id());
  EXPECT_EQ(status.term, leader->term());
  EXPECT_GE(status.commit.value(), 6);  // The leader's empty entry and five proposals.
  EXPECT_TRUE(status.learners.empty());
  for (int i = 1; i <= 3; ++i) EXPECT_EQ(status.voters[static_cast<size_t>(i - 1)].id, NodeId(i));

  // A follower knows the leader and term but nothing of the others' logs.
  const int follower = leader->id().value() % 3 + 1;
  ASSERT_TRUE(WaitUntil([&] { return g.node(follower)->DescribeQuorum().leader == leader->id(); }));
  const QuorumStatus seen = g.node(follower)->DescribeQuorum();
  EXPECT_EQ(seen.term, status.term);
  ASSERT_EQ(seen.voters.size(), 3u);
  for (const ReplicaStatus& r : seen.voters) {
    EXPECT_FALSE(r.match.has_value());
    EXPECT_FALSE(r.last_fetch.has_value());
  }

  // A stopped follower falls behind, and its contact times stop moving. (Commits go through
  // the live follower, whose answers queue behind any the stopped one sent before stopping.)
  const size_t stopped = static_cast<size_t>(follower - 1);
  g.StopNode(follower);
  for (int i = 0; i < 3; ++i) ASSERT_OK(Commit(leader, absl::StrCat("r", i)).status());
  const QuorumStatus after = leader->DescribeQuorum();
  ASSERT_TRUE(after.voters[stopped].match.has_value());
  EXPECT_LE(*after.voters[stopped].match, *status.voters[stopped].match);
  EXPECT_LT(*after.voters[stopped].match, after.last_index);
  ASSERT_OK(Commit(leader, "s").status());
  const QuorumStatus later = leader->DescribeQuorum();
  EXPECT_EQ(later.voters[stopped].last_fetch, after.voters[stopped].last_fetch);
  EXPECT_EQ(later.voters[stopped].last_caught_up, after.voters[stopped].last_caught_up);
  EXPECT_EQ(later.voters[stopped].match, after.voters[stopped].match);
}

TEST(Node, PublishesMetrics) {
  auto registry = std::make_shared<prometheus::Registry>();
  RaftMetrics metrics(*registry, "test");
  testing::MemLog log(ConfState{{NodeId(1)}, {}});
  testing::LocalNetwork network;
  testing::LocalTransport transport(network);
  Recorder recorder;
  Node node({.id = NodeId(1),
             .tick_interval = absl::Milliseconds(10),
             .snapshot_every = 3,
             .seed = 1,
             .metrics = &metrics},
            log, recorder, transport);
  network.Register(NodeId(1), &node);
  ASSERT_OK(node.Start());
  ASSERT_TRUE(WaitUntil([&] { return node.IsLeader(); }));
  for (int i = 0; i < 5; ++i) ASSERT_OK(Commit(&node, absl::StrCat("m", i)).status());
  node.Stop();
  EXPECT_EQ(metrics.role.Value(), 3);
  EXPECT_EQ(metrics.leader.Value(), 1);
  EXPECT_GE(metrics.applied_index.Value(), 6);
  EXPECT_GE(metrics.leader_changes.Value(), 1);
  EXPECT_GE(metrics.snapshots.Value(), 1);
  EXPECT_EQ(metrics.commit_latency.Collect().histogram.sample_count, 5u);
}

TEST(Node, ReadIndexCompletesAfterTheApply) {
  Group g(3);
  Node* leader = g.Leader();
  ASSERT_NE(leader, nullptr);
  ASSERT_OK_AND_ASSIGN(LogIndex written, Commit(leader, "w"));
  auto read = leader->ReadIndex();
  ASSERT_EQ(read.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  ASSERT_OK_AND_ASSIGN(LogIndex index, read.get());
  EXPECT_GE(index, written);
  EXPECT_GE(leader->applied(), index);
}

TEST(Node, StoppingCompletesEveryPendingFuture) {
  Group g(1);
  Node* leader = g.Leader();
  ASSERT_NE(leader, nullptr);
  std::vector<std::future<absl::StatusOr<LogIndex>>> futures;
  for (int i = 0; i < 200; ++i) futures.push_back(leader->Propose(absl::StrCat("p", i)));
  g.StopNode(1);
  for (auto& f : futures) {
    ASSERT_EQ(f.wait_for(std::chrono::seconds(0)), std::future_status::ready);
    absl::StatusOr<LogIndex> r = f.get();  // Committed, or aborted by the stop; never hung.
    if (!r.ok()) {
      EXPECT_EQ(r.status().code(), absl::StatusCode::kAborted);
    }
  }
}

}  // namespace
}  // namespace karst::raft
