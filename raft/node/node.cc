#include "raft/node/node.h"

#include <cstdio>
#include <cstdlib>

#include "absl/strings/str_cat.h"

namespace karst::raft {
namespace {

// Fail-stop (STYLE.md §4): an I/O error on the Raft log cannot be survived safely.
[[noreturn]] void Fatal(NodeId id, Term term, const absl::Status& status) {
  std::fprintf(stderr, "raft node %d term %ld: fatal log store error: %s\n", id.value(),
               static_cast<long>(term.value()), std::string(status.message()).c_str());
  std::abort();
}

}  // namespace

Node::Node(NodeOptions options, LogStore& store, StateMachine& state_machine, Transport& transport)
    : options_(std::move(options)),
      store_(store),
      state_machine_(state_machine),
      transport_(transport),
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock::Get()) {}

Node::~Node() { Stop(); }

absl::Status Node::Start() {
  const uint64_t seed = options_.seed != 0 ? options_.seed : SeedFromEntropy();
  if (options_.log) options_.log(absl::StrCat("raft node ", options_.id.value(), " seed ", seed));
  random_ = std::make_unique<SeededRandom>(seed);
  CoreOptions core_options;
  core_options.id = options_.id;
  core_options.election_tick = options_.election_tick;
  core_options.heartbeat_tick = options_.heartbeat_tick;
  core_options.random = random_.get();
  core_options.log = options_.log;
  core_ = std::make_unique<Core>(core_options, store_);
  const Snapshot snapshot = store_.LatestSnapshot();
  if (!snapshot.empty()) state_machine_.Restore(snapshot.metadata, snapshot.data);
  last_snapshot_ = snapshot.metadata.index;
  applied_ = core_->log().applied().value();
  PublishQuorumStatus();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this] { Loop(); });
  return absl::OkStatus();
}

void Node::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  std::deque<Event> events;
  {
    std::lock_guard<std::mutex> lock(mu_);
    events.swap(events_);
  }
  for (Event& e : events) {
    if (e.cancel) e.cancel();
  }
  FailAll(absl::AbortedError(absl::StrCat("raft node ", options_.id.value(), " stopped")));
}

void Node::Post(std::function<void()> run, std::function<void()> cancel) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!stopping_) {
      events_.push_back({std::move(run), std::move(cancel)});
      cv_.notify_one();
      return;
    }
  }
  if (cancel) cancel();
}

void Node::Receive(Message message) {
  Post([this, m = std::move(message)] {
    core_->Step(m);
    NoteContact(m);
  });
}

void Node::Propose(std::function<absl::StatusOr<LogIndex>()> propose,
                   std::shared_ptr<std::promise<absl::StatusOr<LogIndex>>> promise) {
  Post(
      [this, propose = std::move(propose), promise] {
        absl::StatusOr<LogIndex> index = propose();
        if (!index.ok()) {
          promise->set_value(index.status());
          return;
        }
        proposals_[index->value()] = {core_->term(), std::move(*promise), clock_.Monotonic()};
      },
      [promise] { promise->set_value(absl::AbortedError("raft node stopped")); });
}

std::future<absl::StatusOr<LogIndex>> Node::Propose(std::string data) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<LogIndex>>>();
  auto future = promise->get_future();
  Post([this, data = std::move(data),
        promise]() mutable { batch_.emplace_back(std::move(data), std::move(*promise)); },
       [promise] { promise->set_value(absl::AbortedError("raft node stopped")); });
  return future;
}

void Node::ProposeBatch() {
  if (batch_.empty()) return;
  std::vector<std::string> data;
  data.reserve(batch_.size());
  for (auto& [d, promise] : batch_) data.push_back(std::move(d));
  absl::StatusOr<LogIndex> first = core_->ProposeBatch(std::move(data));
  for (size_t i = 0; i < batch_.size(); ++i) {
    if (!first.ok()) {
      batch_[i].second.set_value(first.status());
      continue;
    }
    proposals_[first->value() + static_cast<int64_t>(i)] =
        PendingProposal{core_->term(), std::move(batch_[i].second), clock_.Monotonic()};
  }
  batch_.clear();
}

std::future<absl::StatusOr<LogIndex>> Node::ProposeConfChange(ConfChange change) {
  auto promise = std::make_shared<std::promise<absl::StatusOr<LogIndex>>>();
  auto future = promise->get_future();
  Propose([this, change] { return core_->ProposeConfChange(change); }, promise);
  return future;
}

std::future<absl::StatusOr<LogIndex>> Node::ReadIndex() {
  auto promise = std::make_shared<std::promise<absl::StatusOr<LogIndex>>>();
  auto future = promise->get_future();
  Post(
      [this, promise] {
        const std::string context = absl::StrCat(options_.id.value(), "/", next_read_++);
        if (absl::Status s = core_->ReadIndex(context); !s.ok()) {
          promise->set_value(s);
          return;
        }
        reads_.emplace(context, std::move(*promise));
      },
      [promise] { promise->set_value(absl::AbortedError("raft node stopped")); });
  return future;
}

void Node::Loop() {
  absl::Duration next_tick = clock_.Monotonic() + options_.tick_interval;
  while (true) {
    std::deque<Event> events;
    {
      std::unique_lock<std::mutex> lock(mu_);
      const absl::Duration wait = std::max(next_tick - clock_.Monotonic(), absl::ZeroDuration());
      cv_.wait_for(lock, absl::ToChronoNanoseconds(wait),
                   [this] { return stopping_ || !events_.empty(); });
      if (stopping_) return;
      events.swap(events_);
    }
    for (Event& e : events) e.run();
    ProposeBatch();
    if (clock_.Monotonic() >= next_tick) {
      core_->Tick();
      next_tick += options_.tick_interval;
      // After a long stall, tick once rather than many times in a burst.
      if (next_tick < clock_.Monotonic()) next_tick = clock_.Monotonic() + options_.tick_interval;
    }
    HandleReady();
    PublishQuorumStatus();
  }
}

void Node::HandleReady() {
  while (core_->HasReady()) {
    Ready ready = core_->GetReady();
    // Persist before anything that depends on it leaves this node (Raft Fig. 2).
    if (ready.hard_state.has_value() || ready.snapshot.has_value() || !ready.entries.empty()) {
      const absl::Duration start = clock_.Monotonic();
      if (absl::Status s =
              store_.Save(ready.hard_state, ready.snapshot, ready.entries, ready.must_sync);
          !s.ok()) {
        Fatal(options_.id, core_->term(), s);
      }
      if (options_.metrics != nullptr) {
        options_.metrics->append_latency.Observe(absl::ToDoubleSeconds(clock_.Monotonic() - start));
      }
    }
    for (Message& m : ready.messages) transport_.Send(std::move(m));
    if (ready.snapshot.has_value()) {
      state_machine_.Restore(ready.snapshot->metadata, ready.snapshot->data);
      last_snapshot_ = ready.snapshot->metadata.index;
      applied_ = last_snapshot_.value();
      // Proposals the snapshot covers were decided, but which entry won is not known here.
      while (!proposals_.empty() && proposals_.begin()->first <= last_snapshot_.value()) {
        proposals_.begin()->second.promise.set_value(absl::AbortedError(
            "outcome unknown: the entry was installed through a snapshot; retry idempotently"));
        proposals_.erase(proposals_.begin());
      }
    }
    ApplyCommitted(ready);
    for (const ReadState& r : ready.read_states) {
      reads_waiting_apply_[r.index.value()].push_back(r.context);
    }
    core_->Advance(ready);
    committed_ = core_->log().committed().value();
    term_ = core_->term().value();
    leader_ = core_->leader().value();
    if (ready.leader != last_leader_ || core_->term() != last_term_) {
      // The core dropped its pending reads with the old term; so must the futures.
      for (auto& [context, promise] : reads_) {
        promise.set_value(absl::UnavailableError("leadership changed; retry the read"));
      }
      reads_.clear();
      reads_waiting_apply_.clear();
      if (ready.leader != last_leader_ && options_.metrics != nullptr) {
        options_.metrics->leader_changes.Increment();
      }
      last_leader_ = ready.leader;
      last_term_ = core_->term();
      last_fetch_.clear();
      last_caught_up_.clear();
      if (options_.on_leader_change) options_.on_leader_change(last_leader_, last_term_);
    }
    PublishMetrics(ready);
    // Reads whose index is applied can be served.
    while (!reads_waiting_apply_.empty() &&
           reads_waiting_apply_.begin()->first <= applied_.load()) {
      for (const std::string& context : reads_waiting_apply_.begin()->second) {
        auto it = reads_.find(context);
        if (it == reads_.end()) continue;
        it->second.set_value(LogIndex(reads_waiting_apply_.begin()->first));
        reads_.erase(it);
      }
      reads_waiting_apply_.erase(reads_waiting_apply_.begin());
    }
    MaybeSnapshot();
  }
}

void Node::ApplyCommitted(const Ready& ready) {
  for (const Entry& e : ready.committed) {
    if (e.type == EntryType::kNormal && !e.data.empty()) state_machine_.Apply(e.index, e.data);
    applied_ = e.index.value();
    CompletePending(e);
  }
}

void Node::CompletePending(const Entry& entry) {
  // Proposals at or below this index are decided: ours if the term matches.
  while (!proposals_.empty() && proposals_.begin()->first <= entry.index.value()) {
    auto it = proposals_.begin();
    if (it->first == entry.index.value() && it->second.term == entry.term) {
      if (options_.metrics != nullptr) {
        options_.metrics->commit_latency.Observe(
            absl::ToDoubleSeconds(clock_.Monotonic() - it->second.proposed_at));
      }
      it->second.promise.set_value(entry.index);
    } else {
      it->second.promise.set_value(
          absl::AbortedError(absl::StrCat("entry ", it->first, " of term ", it->second.term.value(),
                                          " was replaced by another leader's")));
    }
    proposals_.erase(it);
  }
}

void Node::MaybeSnapshot() {
  if (options_.snapshot_every <= 0) return;
  const LogIndex applied(applied_.load());
  if (applied.value() - last_snapshot_.value() < options_.snapshot_every) return;
  std::string data = state_machine_.TakeSnapshot();
  const size_t bytes = data.size();
  if (absl::Status s = store_.Compact(applied, core_->conf(), std::move(data)); !s.ok()) {
    Fatal(options_.id, core_->term(), s);
  }
  last_snapshot_ = applied;
  if (options_.metrics != nullptr) {
    options_.metrics->snapshots.Increment();
    options_.metrics->snapshot_bytes.Set(static_cast<double>(bytes));
  }
}

void Node::PublishMetrics(const Ready& ready) {
  RaftMetrics* m = options_.metrics;
  if (m == nullptr) return;
  m->term.Set(static_cast<double>(core_->term().value()));
  m->role.Set(static_cast<double>(static_cast<int>(ready.role)));
  m->leader.Set(static_cast<double>(ready.leader.value()));
  m->commit_index.Set(static_cast<double>(committed_.load()));
  m->applied_index.Set(static_cast<double>(applied_.load()));
}

void Node::NoteContact(const Message& m) {
  if (core_->role() != Role::kLeader || m.term != core_->term()) return;
  if (m.type != MessageType::kAppendResponse && m.type != MessageType::kHeartbeatResponse) return;
  const auto it = core_->progress().find(m.from);
  if (it == core_->progress().end()) return;
  // Kafka's LastFetchTimestamp and LastCaughtUpTimestamp (KIP-836): a follower's answer is our
  // "fetch", and it is caught up when it holds everything the leader has.
  const absl::Time now = clock_.Now();
  last_fetch_[m.from] = now;
  if (it->second.match() >= core_->log().LastIndex()) last_caught_up_[m.from] = now;
}

void Node::PublishQuorumStatus() {
  QuorumStatus status;
  status.self = options_.id;
  status.leader = core_->leader();
  status.term = core_->term();
  status.commit = core_->log().committed();
  status.last_index = core_->log().LastIndex();
  const bool leading = core_->role() == Role::kLeader;
  const absl::Time now = clock_.Now();
  auto describe = [&](NodeId id) {
    ReplicaStatus r{.id = id};
    if (!leading) return r;
    if (id == options_.id) {
      // As Kafka reports the leader: its own log end, fetching and caught up now.
      return ReplicaStatus{
          .id = id, .match = status.last_index, .last_fetch = now, .last_caught_up = now};
    }
    if (auto it = core_->progress().find(id); it != core_->progress().end()) {
      r.match = it->second.match();
    }
    if (auto it = last_fetch_.find(id); it != last_fetch_.end()) r.last_fetch = it->second;
    if (auto it = last_caught_up_.find(id); it != last_caught_up_.end()) {
      r.last_caught_up = it->second;
    }
    return r;
  };
  for (NodeId id : core_->conf().voters) status.voters.push_back(describe(id));
  for (NodeId id : core_->conf().learners) status.learners.push_back(describe(id));
  std::lock_guard<std::mutex> lock(status_mu_);
  status_ = std::move(status);
}

QuorumStatus Node::DescribeQuorum() const {
  std::lock_guard<std::mutex> lock(status_mu_);
  return status_;
}

void Node::FailAll(const absl::Status& status) {
  for (auto& [data, promise] : batch_) promise.set_value(status);
  batch_.clear();
  for (auto& [index, pending] : proposals_) pending.promise.set_value(status);
  proposals_.clear();
  for (auto& [context, promise] : reads_) promise.set_value(status);
  reads_.clear();
  reads_waiting_apply_.clear();
}

}  // namespace karst::raft
