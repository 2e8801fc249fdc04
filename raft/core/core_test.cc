// Core tests grouped by the Raft paper's sections: each drives Step/Tick on real cores over a
// tiny in-test network and checks what comes out in Ready.
#include "raft/core/core.h"

#include <map>
#include <memory>
#include <set>

#include "absl/strings/str_cat.h"
#include "common/testing/fake_random.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "raft/testing/mem_log.h"

namespace karst::raft {
namespace {

using ::karst::testing::FakeRandom;
using ::karst::testing::StatusIs;

// N cores, each with a MemLog; a Ready is persisted and its messages queued; Deliver() runs
// the queue until it is empty, dropping messages across cut links.
class Cluster {
 public:
  explicit Cluster(int n, int learners = 0) {
    ConfState conf;
    for (int i = 1; i <= n; ++i) conf.voters.insert(NodeId(i));
    for (int i = n + 1; i <= n + learners; ++i) conf.learners.insert(NodeId(i));
    for (int i = 1; i <= n + learners; ++i) {
      auto peer = std::make_unique<Peer>();
      peer->log = std::make_unique<testing::MemLog>(conf);
      // The lowest timeout: node 1 always campaigns first when ticked alone.
      peer->random = std::make_unique<FakeRandom>(std::vector<uint64_t>{0});
      CoreOptions options;
      options.id = NodeId(i);
      options.random = peer->random.get();
      peer->core = std::make_unique<Core>(options, *peer->log);
      peers_[NodeId(i)] = std::move(peer);
    }
  }

  Core& core(int id) { return *peers_.at(NodeId(id))->core; }
  testing::MemLog& log(int id) { return *peers_.at(NodeId(id))->log; }
  std::vector<Entry>& applied(int id) { return peers_.at(NodeId(id))->applied; }
  std::vector<ReadState>& reads(int id) { return peers_.at(NodeId(id))->reads; }

  void Cut(int a, int b) { cut_.insert({a, b}), cut_.insert({b, a}); }
  void Isolate(int a) {
    for (auto& [id, peer] : peers_) {
      if (id.value() != a) Cut(a, id.value());
    }
  }
  void HealAll() { cut_.clear(); }

  // Drains every peer's Ready and delivers messages until nothing moves.
  void Settle() {
    for (int round = 0; round < 1000; ++round) {
      bool moved = false;
      for (auto& [id, peer] : peers_) moved |= Drain(*peer);
      if (queue_.empty() && !moved) return;
      std::vector<Message> batch = std::move(queue_);
      queue_.clear();
      for (const Message& m : batch) {
        if (cut_.count({m.from.value(), m.to.value()}) > 0) continue;
        if (drop_ && drop_(m)) continue;
        peers_.at(m.to)->core->Step(m);
      }
    }
    FAIL() << "cluster did not settle";
  }

  void Tick(int id, int times = 1) {
    for (int i = 0; i < times; ++i) core(id).Tick();
    Settle();
  }

  // Ticks node `id` until it leads (pre-vote, vote, win).
  void Elect(int id) {
    Tick(id, 20);
    ASSERT_EQ(core(id).role(), Role::kLeader);
  }

  // Every message that went out since the last call, for inspection.
  std::vector<Message> TakeSent() { return std::exchange(sent_, {}); }
  void DropIf(std::function<bool(const Message&)> drop) { drop_ = std::move(drop); }

 private:
  struct Peer {
    std::unique_ptr<testing::MemLog> log;
    std::unique_ptr<FakeRandom> random;
    std::unique_ptr<Core> core;
    std::vector<Entry> applied;
    std::vector<ReadState> reads;
  };

  bool Drain(Peer& peer) {
    bool moved = false;
    while (peer.core->HasReady()) {
      moved = true;
      Ready ready = peer.core->GetReady();
      if (ready.snapshot.has_value()) peer.log->InstallSnapshot(*ready.snapshot);
      peer.log->Append(ready.entries);
      if (ready.hard_state.has_value()) peer.log->SetHardState(*ready.hard_state);
      for (const Message& m : ready.messages) {
        queue_.push_back(m);
        sent_.push_back(m);
      }
      for (const Entry& e : ready.committed) {
        if (!e.data.empty() || e.type == EntryType::kConfChange) peer.applied.push_back(e);
      }
      for (const ReadState& r : ready.read_states) peer.reads.push_back(r);
      peer.core->Advance(ready);
    }
    return moved;
  }

  std::map<NodeId, std::unique_ptr<Peer>> peers_;
  std::vector<Message> queue_;
  std::vector<Message> sent_;
  std::set<std::pair<int, int>> cut_;
  std::function<bool(const Message&)> drop_;
};

std::vector<std::string> Data(const std::vector<Entry>& entries) {
  std::vector<std::string> out;
  for (const Entry& e : entries) out.push_back(e.data);
  return out;
}

// ---- §5.2 Leader election ----

TEST(Election, SingleNodeLeadsAfterOneTimeout) {
  Cluster c(1);
  c.Tick(1, 10);
  EXPECT_EQ(c.core(1).role(), Role::kLeader);
  EXPECT_EQ(c.core(1).term(), Term(1));
}

TEST(Election, ThreeNodesElectTheFirstToTimeOut) {
  Cluster c(3);
  c.Elect(1);
  EXPECT_EQ(c.core(2).leader(), NodeId(1));
  EXPECT_EQ(c.core(3).leader(), NodeId(1));
  EXPECT_EQ(c.core(2).vote(), NodeId(1));
  EXPECT_EQ(c.log(2).InitialHardState().vote, NodeId(1));  // Persisted before answering.
}

TEST(Election, PreVoteKeepsAnIsolatedNodesTermStill) {
  Cluster c(3);
  c.Elect(1);
  const Term term = c.core(1).term();
  c.Isolate(3);
  c.Tick(3, 200);
  EXPECT_EQ(c.core(3).term(), term);  // Thesis §9.6: no pre-vote won, no term bump.
  c.HealAll();
  c.Tick(1, 2);
  EXPECT_EQ(c.core(1).role(), Role::kLeader);  // Rejoining did not disrupt the leader.
  EXPECT_EQ(c.core(1).term(), term);
}

TEST(Election, RejectsVoteWhenLogIsBehind) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_OK(c.core(1).Propose("x").status());
  c.Settle();
  Message request{.type = MessageType::kVote,
                  .from = NodeId(3),
                  .to = NodeId(2),
                  .term = c.core(2).term().Next(),
                  .index = LogIndex(1),
                  .log_term = Term(1)};
  // Past the lease (§4.2.3), so the request is considered at all.
  for (int i = 0; i < 10; ++i) c.core(2).Tick();
  c.TakeSent();
  c.core(2).Step(request);
  c.Settle();
  bool rejected = false;
  for (const Message& m : c.TakeSent()) {
    if (m.type == MessageType::kVoteResponse && m.to == NodeId(3)) rejected = m.reject;
  }
  EXPECT_TRUE(rejected);  // §5.4.1: node 2's log (index 2) is more up-to-date.
}

TEST(Election, IgnoresVoteRequestsWhileItsLeaderIsAlive) {
  Cluster c(3);
  c.Elect(1);
  c.TakeSent();
  c.core(2).Step({.type = MessageType::kVote,
                  .from = NodeId(3),
                  .to = NodeId(2),
                  .term = Term(9),
                  .index = LogIndex(9),
                  .log_term = Term(8)});
  c.Settle();
  EXPECT_EQ(c.core(2).term(), Term(1));  // Thesis §4.2.3: the lease holds.
  EXPECT_TRUE(c.TakeSent().empty());
}

TEST(Election, CheckQuorumStepsDownAnIsolatedLeader) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(1);
  c.Tick(1, 20);
  EXPECT_EQ(c.core(1).role(), Role::kFollower);
}

// ---- §5.3 Log replication ----

TEST(Replication, CommitsOnceAMajorityHasTheEntry) {
  Cluster c(3);
  c.Elect(1);
  c.Cut(1, 3);
  ASSERT_OK_AND_ASSIGN(LogIndex index, c.core(1).Propose("a"));
  c.Settle();
  EXPECT_EQ(c.core(1).log().committed(), index);  // Nodes 1 and 2 are a majority.
  EXPECT_EQ(Data(c.applied(1)), std::vector<std::string>{"a"});
  c.HealAll();
  c.Tick(1);
  EXPECT_EQ(Data(c.applied(3)), std::vector<std::string>{"a"});
}

TEST(Replication, FollowerConflictingSuffixIsReplaced) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(1);
  ASSERT_OK(c.core(1).Propose("lost-1").status());
  ASSERT_OK(c.core(1).Propose("lost-2").status());
  c.Settle();
  // Node 3 outlives its lease on node 1 (and pre-campaigns); then node 2 wins with it.
  c.Tick(3, 10);
  c.Tick(2, 10);
  ASSERT_EQ(c.core(2).role(), Role::kLeader);
  ASSERT_OK(c.core(2).Propose("kept").status());
  c.Settle();
  c.HealAll();
  c.Tick(2, 3);
  EXPECT_EQ(c.core(1).leader(), NodeId(2));
  EXPECT_EQ(Data(c.applied(1)), std::vector<std::string>{"kept"});
  EXPECT_EQ(c.core(1).log().LastIndex(), c.core(2).log().LastIndex());
}

TEST(Replication, PipelinesUpToTheInflightWindowWhileUnacknowledged) {
  Cluster c(3);
  c.Elect(1);
  c.DropIf([](const Message& m) { return m.type == MessageType::kAppendResponse; });
  c.TakeSent();
  for (int i = 0; i < 300; ++i) ASSERT_OK(c.core(1).Propose(absl::StrCat(i)).status());
  c.Settle();
  int appends_to_2 = 0;
  for (const Message& m : c.TakeSent()) {
    if (m.type == MessageType::kAppend && m.to == NodeId(2) && !m.entries.empty()) ++appends_to_2;
  }
  EXPECT_EQ(appends_to_2, 256);  // CoreOptions::max_inflight, then paused.
}

// ---- §5.4 Safety ----

TEST(Safety, OldTermEntriesCommitOnlyWithACurrentTermEntry) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(1);
  ASSERT_OK(c.core(1).Propose("old").status());  // Term 1, only on node 1.
  c.Settle();
  c.HealAll();
  // Node 1 re-elected in a later term replicates "old" together with its new no-op; "old"
  // is committed only because the no-op of the current term commits (§5.4.2).
  c.Cut(1, 2);
  c.Cut(1, 3);
  c.Tick(1, 20);
  c.HealAll();
  c.Tick(1, 30);
  const Core& leader = c.core(1).role() == Role::kLeader ? c.core(1) : c.core(2);
  const LogIndex committed = leader.log().committed();
  EXPECT_EQ(leader.log().TermAt(committed), leader.term());
}

// ---- §4.1 Membership ----

TEST(Membership, OneChangeAtATimeAndLearnersDoNotCountForCommit) {
  Cluster c(1, /*learners=*/1);
  c.Elect(1);
  ASSERT_OK_AND_ASSIGN(LogIndex index,
                       c.core(1).ProposeConfChange({ConfChange::Type::kAddVoter, NodeId(2)}));
  EXPECT_THAT(c.core(1).ProposeConfChange({ConfChange::Type::kAddLearner, NodeId(3)}),
              StatusIs(absl::StatusCode::kFailedPrecondition));
  c.Settle();
  EXPECT_EQ(c.core(1).log().applied(), index);
  EXPECT_EQ(c.core(1).conf().voters, (std::set<NodeId>{NodeId(1), NodeId(2)}));
  EXPECT_TRUE(c.core(1).conf().learners.empty());
  EXPECT_EQ(c.core(2).conf().voters, c.core(1).conf().voters);  // Applied there too.
  EXPECT_THAT(c.core(1).ProposeConfChange({ConfChange::Type::kRemove, NodeId(9)}),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(Membership, ThreeVotersBecomeFiveAndBackWithoutDowntime) {
  Cluster c(3, /*learners=*/2);  // Nodes 4 and 5 start as learners.
  c.Elect(1);
  auto change = [&](ConfChange::Type type, int node) {
    ASSERT_OK(c.core(1).ProposeConfChange({type, NodeId(node)}).status());
    c.Settle();
    // Proposals keep committing between changes: no downtime.
    ASSERT_OK_AND_ASSIGN(LogIndex index, c.core(1).Propose(absl::StrCat("after-", node)));
    c.Settle();
    ASSERT_GE(c.core(1).log().committed(), index);
  };
  change(ConfChange::Type::kAddVoter, 4);
  change(ConfChange::Type::kAddVoter, 5);
  EXPECT_EQ(c.core(1).conf().voters.size(), 5u);
  EXPECT_EQ(c.core(5).conf().voters.size(), 5u);
  change(ConfChange::Type::kRemove, 5);
  change(ConfChange::Type::kRemove, 4);
  EXPECT_EQ(c.core(1).conf().voters, (std::set<NodeId>{NodeId(1), NodeId(2), NodeId(3)}));
  EXPECT_EQ(c.core(1).role(), Role::kLeader);
  EXPECT_EQ(Data(c.applied(2)).back(), "after-4");
}

TEST(Membership, ARemovedLeaderStepsDown) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_OK(c.core(1).ProposeConfChange({ConfChange::Type::kRemove, NodeId(1)}).status());
  c.Settle();
  EXPECT_EQ(c.core(1).role(), Role::kFollower);
  EXPECT_EQ(c.core(2).conf().voters, (std::set<NodeId>{NodeId(2), NodeId(3)}));
}

// ---- §7 Log compaction ----

TEST(Compaction, AFollowerBehindTheSnapshotReceivesIt) {
  Cluster c(3);
  c.Elect(1);
  c.Isolate(3);
  for (int i = 0; i < 5; ++i) ASSERT_OK(c.core(1).Propose(absl::StrCat("e", i)).status());
  c.Settle();
  const LogIndex applied = c.core(1).log().applied();
  ASSERT_OK(c.log(1).Compact(applied, c.core(1).conf(), "state"));
  c.HealAll();
  c.Tick(1, 12);
  EXPECT_EQ(c.log(3).LatestSnapshot().metadata.index, applied);
  EXPECT_EQ(c.log(3).LatestSnapshot().data, "state");
  EXPECT_EQ(c.core(1).progress().at(NodeId(3)).match(), c.core(1).log().LastIndex());
}

// ---- Thesis §3.10 and §6.4 ----

TEST(Leadership, TransferHandsOverToACaughtUpVoter) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_OK(c.core(1).TransferLeadership(NodeId(3)));
  c.Settle();
  EXPECT_EQ(c.core(3).role(), Role::kLeader);
  EXPECT_EQ(c.core(1).leader(), NodeId(3));
  EXPECT_THAT(c.core(1).TransferLeadership(NodeId(2)), StatusIs(absl::StatusCode::kUnavailable));
}

TEST(ReadIndex, ServedAfterAQuorumConfirmsLeadership) {
  Cluster c(3);
  c.Elect(1);
  ASSERT_OK(c.core(1).Propose("w").status());
  c.Settle();
  c.Isolate(1);
  ASSERT_OK(c.core(1).ReadIndex("r1"));
  c.Settle();
  EXPECT_TRUE(c.reads(1).empty());  // No quorum reachable: no answer.
  c.HealAll();
  ASSERT_OK(c.core(1).ReadIndex("r2"));
  c.Settle();
  ASSERT_EQ(c.reads(1).size(), 2u);  // r1 is released with the later r2.
  EXPECT_EQ(c.reads(1)[1].context, "r2");
  EXPECT_EQ(c.reads(1)[1].index, c.core(1).log().committed());
  EXPECT_THAT(c.core(2).ReadIndex("x"), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace karst::raft
