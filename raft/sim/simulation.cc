#include "raft/sim/simulation.h"

#include <cstdio>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/random.h"
#include "raft/core/core.h"
#include "raft/testing/mem_log.h"

namespace karst::raft::sim {
namespace {

struct InFlight {
  int64_t deliver_at;
  Message message;
};

struct Node {
  NodeId id;
  std::unique_ptr<testing::MemLog> log;
  std::unique_ptr<SeededRandom> random;
  std::unique_ptr<Core> core;
  bool up = true;
  std::vector<Entry> applied;  // Everything applied since the last restart or snapshot.
  LogIndex applied_index{0};
  LogIndex last_commit{0};
};

class Simulation {
 public:
  explicit Simulation(const SimulationOptions& options) : options_(options), random_(options.seed) {
    const int64_t sizes[] = {1, 8, 1 << 20};
    const int64_t windows[] = {1, 4, 256};
    max_bytes_ = sizes[random_.Uniform(0, 2)];
    max_inflight_ = windows[random_.Uniform(0, 2)];
    ConfState conf;
    for (int i = 1; i <= options.nodes; ++i) conf.voters.insert(NodeId(i));
    for (int i = 1; i <= options.nodes; ++i) {
      Node node;
      node.id = NodeId(i);
      node.log = std::make_unique<testing::MemLog>(conf);
      node.log->Sync();
      nodes_.push_back(std::move(node));
      Start(nodes_.back());
    }
  }

  std::string Run() {
    for (step_ = 0; step_ < options_.fault_steps && failure_.empty(); ++step_) {
      FaultStep();
    }
    if (!failure_.empty()) return failure_;
    return Liveness();
  }

 private:
  void Trace(const std::string& what) {
    if (options_.trace) std::fprintf(stderr, "step %d: %s\n", step_, what.c_str());
  }

  void Fail(const std::string& what) {
    if (failure_.empty()) {
      failure_ = absl::StrCat("seed ", options_.seed, " step ", step_, ": ", what);
    }
  }

  void Start(Node& node) {
    node.random = std::make_unique<SeededRandom>(random_.Next());
    CoreOptions options;
    options.id = node.id;
    options.random = node.random.get();
    // Small messages and windows make appends split and pile up, so a new leader's older
    // entries can reach a quorum before its own (the Figure 8 situation, §5.4.2).
    options.max_bytes_per_message = static_cast<size_t>(max_bytes_);
    options.max_inflight = static_cast<size_t>(max_inflight_);
    node.core = std::make_unique<Core>(options, *node.log);
    node.up = true;
    node.applied.clear();
    node.applied_index = node.log->FirstIndex().Plus(-1);
    node.last_commit = LogIndex(0);
  }

  Node& At(NodeId id) { return nodes_[static_cast<size_t>(id.value() - 1)]; }

  bool Cut(NodeId a, NodeId b) const { return cut_.count({a, b}) > 0 || cut_.count({b, a}) > 0; }

  // Persist, sync, send, apply, advance: the driver's contract (types.h, Ready).
  void Drive(Node& node, bool allow_crash) {
    while (node.up && node.core->HasReady()) {
      Ready ready = node.core->GetReady();
      if (ready.snapshot.has_value()) node.log->InstallSnapshot(*ready.snapshot);
      node.log->Append(ready.entries);
      if (ready.hard_state.has_value()) node.log->SetHardState(*ready.hard_state);
      if (allow_crash && random_.Uniform(0, 999) < 3) {
        // Power loss before the sync: this Ready's writes vanish and nothing was sent.
        Trace(absl::StrCat("node ", node.id.value(), " crashes before syncing"));
        Crash(node);
        return;
      }
      // Sync only when the Ready says it must (a commit-only hard state may stay unsynced),
      // so a missing must_sync would show up as lost votes or entries after a crash.
      if (ready.must_sync || random_.Uniform(0, 1) == 0) node.log->Sync();
      for (Message& m : ready.messages) {
        network_.push_back({now_ + random_.Uniform(0, 3), std::move(m)});
      }
      if (ready.snapshot.has_value()) {
        node.applied.clear();
        node.applied_index = ready.snapshot->metadata.index;
      }
      for (const Entry& e : ready.committed) Apply(node, e);
      CheckCommit(node);
      node.core->Advance(ready);
      CheckNode(node);
      CheckLogMatching();
    }
  }

  void Apply(Node& node, const Entry& e) {
    if (e.index != node.applied_index.Next()) {
      Fail(absl::StrCat("node ", node.id.value(), " applied ", e.index.value(), " after ",
                        node.applied_index.value()));
      return;
    }
    node.applied_index = e.index;
    node.applied.push_back(e);
    // State Machine Safety: no two nodes apply different entries at one index.
    auto [it, inserted] = committed_.emplace(e.index.value(), e);
    if (!inserted && !(it->second == e)) {
      Fail(absl::StrCat("state machine safety: node ", node.id.value(), " applied term ",
                        e.term.value(), " at index ", e.index.value(), ", another applied term ",
                        it->second.term.value()));
    }
  }

  void Crash(Node& node) {
    node.log->Crash();
    node.up = false;
    node.core.reset();
  }

  // §5.4.2, checked before Advance applies membership changes (a commit is made under the
  // configuration in force when it happens): a leader's commit index only lands on an entry
  // of its own term, held by a quorum of voters in their logs.
  void CheckCommit(Node& node) {
    const Core& core = *node.core;
    if (core.log().committed() < node.last_commit) {
      Fail(absl::StrCat("node ", node.id.value(), " commit went back"));
    }
    const bool commit_moved = core.log().committed() > node.last_commit;
    node.last_commit = core.log().committed();
    if (core.role() == Role::kLeader && commit_moved) {
      // §5.4.2: a leader's commit index only ever lands on an entry of its own term, held by
      // a quorum of voters (the durable logs, not just their cores).
      const LogIndex c = core.log().committed();
      if (core.log().TermAt(c) != core.term()) {
        Fail(absl::StrCat("leader ", node.id.value(), " committed index ", c.value(),
                          " of an earlier term"));
      }
      size_t holders = 0;
      for (Node& other : nodes_) {
        if (core.conf().voters.count(other.id) == 0) continue;
        absl::StatusOr<Term> t = other.log->TermAt(c);
        if ((t.ok() && *t == core.term()) || other.log->FirstIndex() > c) ++holders;
      }
      if (holders < core.conf().voters.size() / 2 + 1) {
        Fail(absl::StrCat("leader ", node.id.value(), " committed index ", c.value(),
                          " held by only ", holders, " voters"));
      }
    }
  }

  void CheckNode(Node& node) {
    const Core& core = *node.core;
    // Commit never moves back within a process lifetime (CheckCommit records it).
    if (core.log().committed() < node.last_commit) {
      Fail(absl::StrCat("node ", node.id.value(), " commit went back"));
    }
    if (core.role() == Role::kLeader) {
      // Election Safety: one leader per term.
      auto [it, inserted] = leaders_.emplace(core.term().value(), node.id);
      if (!inserted && it->second != node.id) {
        Fail(absl::StrCat("election safety: nodes ", it->second.value(), " and ", node.id.value(),
                          " both lead term ", core.term().value()));
      }
      // Leader Completeness: a leader holds every entry committed before its term.
      for (const auto& [index, entry] : committed_) {
        if (entry.term >= core.term()) continue;
        const LogIndex i(index);
        if (i < core.log().FirstIndex()) continue;  // Compacted into its snapshot.
        if (core.log().TermAt(i) != entry.term) {
          Fail(absl::StrCat("leader completeness: leader ", node.id.value(), " of term ",
                            core.term().value(), " lacks committed index ", index));
          return;
        }
      }
    }
  }

  // Log Matching (§5.3): entries with equal index and term have equal prefixes.
  void CheckLogMatching() {
    for (size_t a = 0; a < nodes_.size(); ++a) {
      for (size_t b = a + 1; b < nodes_.size(); ++b) {
        if (!nodes_[a].up || !nodes_[b].up) continue;
        const RaftLog& la = nodes_[a].core->log();
        const RaftLog& lb = nodes_[b].core->log();
        const LogIndex lo = std::max(la.FirstIndex(), lb.FirstIndex());
        for (LogIndex i = std::min(la.LastIndex(), lb.LastIndex()); i >= lo; i = i.Plus(-1)) {
          if (la.TermAt(i) != lb.TermAt(i)) continue;
          const std::vector<Entry> ea = la.Slice(lo, i.Next(), SIZE_MAX);
          const std::vector<Entry> eb = lb.Slice(lo, i.Next(), SIZE_MAX);
          if (ea != eb) {
            Fail(absl::StrCat("log matching: nodes ", a + 1, " and ", b + 1, " agree on index ",
                              i.value(), " but not before it"));
          }
          break;
        }
      }
    }
  }

  void Deliver(bool faults) {
    std::vector<InFlight> later;
    std::vector<Message> now;
    for (InFlight& f : network_) {
      if (f.deliver_at > now_) {
        later.push_back(std::move(f));
      } else {
        now.push_back(std::move(f.message));
      }
    }
    network_ = std::move(later);
    // Reorder what is due.
    for (size_t i = now.size(); i > 1; --i) {
      std::swap(now[i - 1],
                now[static_cast<size_t>(random_.Uniform(0, static_cast<int64_t>(i) - 1))]);
    }
    for (Message& m : now) {
      if (faults && random_.Uniform(0, 99) < 5) continue;                           // Dropped.
      if (faults && random_.Uniform(0, 99) < 3) network_.push_back({now_ + 2, m});  // Duplicate.
      if (Cut(m.from, m.to)) continue;
      Node& to = At(m.to);
      if (!to.up) continue;
      to.core->Step(m);
      Drive(to, faults);
    }
  }

  void FaultStep() {
    ++now_;
    const int64_t dice = random_.Uniform(0, 99);
    if (dice < 40) {
      Node& n = nodes_[static_cast<size_t>(random_.Uniform(0, options_.nodes - 1))];
      if (n.up) {
        n.core->Tick();
        Drive(n, true);
      }
    } else if (dice < 75) {
      Deliver(/*faults=*/true);
    } else if (dice < 85) {
      Propose();
    } else if (dice < 88) {
      Node& n = nodes_[static_cast<size_t>(random_.Uniform(0, options_.nodes - 1))];
      if (n.up) {
        Trace(absl::StrCat("crash node ", n.id.value()));
        Crash(n);
      } else {
        Trace(absl::StrCat("restart node ", n.id.value()));
        Start(n);  // Its first Ready waits for the next tick or message.
      }
    } else if (dice < 92) {
      const NodeId a(static_cast<int32_t>(random_.Uniform(1, options_.nodes)));
      const NodeId b(static_cast<int32_t>(random_.Uniform(1, options_.nodes)));
      if (a != b) {
        Trace(absl::StrCat("cut ", a.value(), "-", b.value()));
        cut_.insert({a, b});
      }
    } else if (dice < 96) {
      Trace("heal all links");
      cut_.clear();
    } else {
      CompactSomeNode();
    }
    CheckLogMatching();
  }

  void Propose() {
    for (Node& n : nodes_) {
      if (!n.up || n.core->role() != Role::kLeader) continue;
      const int64_t action = random_.Uniform(0, 19);
      if (action < 2) {
        ChangeMembership(n);
      } else if (action == 2) {
        const auto& voters = n.core->conf().voters;
        const NodeId to =
            *std::next(voters.begin(), random_.Uniform(0, static_cast<int64_t>(voters.size()) - 1));
        Trace(absl::StrCat("leader ", n.id.value(), " transfers leadership to ", to.value()));
        (void)n.core->TransferLeadership(to);
      } else {
        (void)n.core->Propose(absl::StrCat("v", next_value_++));
      }
      Drive(n, true);
      return;
    }
  }

  // One server at a time: remove a voter other than the leader (keeping a majority of the
  // group as voters), or bring a removed node back as a learner and then as a voter.
  void ChangeMembership(Node& leader) {
    const ConfState& conf = leader.core->conf();
    std::vector<NodeId> removable, returning;
    for (const Node& n : nodes_) {
      if (n.id == leader.id) continue;
      if (conf.voters.count(n.id) > 0) {
        removable.push_back(n.id);
      } else {
        returning.push_back(n.id);
      }
    }
    ConfChange change;
    const bool can_remove = static_cast<int>(conf.voters.size()) > options_.nodes / 2 + 1;
    if (!returning.empty() && (!can_remove || random_.Uniform(0, 1) == 0)) {
      change.node = returning[static_cast<size_t>(
          random_.Uniform(0, static_cast<int64_t>(returning.size()) - 1))];
      change.type = conf.learners.count(change.node) > 0 ? ConfChange::Type::kAddVoter
                                                         : ConfChange::Type::kAddLearner;
    } else if (can_remove) {
      change.node = removable[static_cast<size_t>(
          random_.Uniform(0, static_cast<int64_t>(removable.size()) - 1))];
      change.type = ConfChange::Type::kRemove;
    } else {
      return;
    }
    absl::StatusOr<LogIndex> index = leader.core->ProposeConfChange(change);
    Trace(absl::StrCat("leader ", leader.id.value(), " proposes membership change type ",
                       static_cast<int>(change.type), " for node ", change.node.value(), ": ",
                       index.ok() ? "ok" : std::string(index.status().message())));
  }

  void CompactSomeNode() {
    Node& n = nodes_[static_cast<size_t>(random_.Uniform(0, options_.nodes - 1))];
    if (!n.up) return;
    const LogIndex applied = n.applied_index;
    if (applied < n.log->FirstIndex()) return;
    if (applied > n.log->LastIndex()) return;
    Trace(absl::StrCat("node ", n.id.value(), " snapshots at ", applied.value()));
    const absl::Status compacted =
        n.log->Compact(applied, n.core->conf(), absl::StrCat("state@", applied.value()));
    if (!compacted.ok()) Fail(absl::StrCat("compaction: ", compacted.ToString()));
  }

  std::string Liveness() {
    cut_.clear();
    for (Node& n : nodes_) {
      if (!n.up) {
        Start(n);
        Drive(n, false);
      }
    }
    Term proposed_term{-1};
    const std::string value = "final";
    for (int t = 0; t < options_.liveness_ticks; ++t) {
      ++now_;
      for (Node& n : nodes_) {
        n.core->Tick();
        Drive(n, false);
      }
      for (int round = 0; round < 4; ++round) Deliver(/*faults=*/false);
      if (options_.trace && t % 20 == 0) {
        std::string roles;
        for (Node& n : nodes_) {
          absl::StrAppend(&roles, " node ", n.id.value(), "=", RoleName(n.core->role()), "/t",
                          n.core->term().value(), "/last", n.core->log().LastIndex().value(), "/c",
                          n.core->log().committed().value());
        }
        Trace(absl::StrCat("liveness tick ", t, ":", roles));
      }
      for (Node& n : nodes_) {
        // A proposal may be lost with its leader's term: propose again to each new leader.
        if (n.core->role() == Role::kLeader && n.core->term() != proposed_term) {
          absl::StatusOr<LogIndex> index = n.core->Propose(value);
          if (index.ok()) {
            proposed_term = n.core->term();
            Drive(n, false);
          }
        }
      }
      if (!failure_.empty()) return failure_;
      for (const auto& [index, entry] : committed_) {
        if (entry.data == value) return "";
      }
    }
    return absl::StrCat("seed ", options_.seed, ": no leader committed a proposal within ",
                        options_.liveness_ticks, " ticks after the faults stopped");
  }

  SimulationOptions options_;
  SeededRandom random_;
  int64_t max_bytes_ = 1 << 20;
  int64_t max_inflight_ = 256;
  std::vector<Node> nodes_;
  std::vector<InFlight> network_;
  std::set<std::pair<NodeId, NodeId>> cut_;
  std::map<int64_t, Entry> committed_;  // Index -> the entry applied there.
  std::map<int64_t, NodeId> leaders_;   // Term -> its leader.
  int64_t now_ = 0;
  int step_ = 0;
  int next_value_ = 0;
  std::string failure_;
};

}  // namespace

std::string RunSimulation(const SimulationOptions& options) { return Simulation(options).Run(); }

}  // namespace karst::raft::sim
