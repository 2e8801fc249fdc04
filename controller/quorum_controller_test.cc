// Three controllers on a Raft group of in-process nodes: writes go through the active one and
// every standby's image follows; a standby names the active controller; a new active
// controller after a failover still has everything committed and carries on; a restarted
// controller catches up through a snapshot of the image. FetchMetadata serves the window of
// applied entries, a snapshot when the window does not cover the offset, and long polls.
#include "controller/quorum_controller.h"

#include <future>
#include <memory>
#include <vector>

#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "raft/testing/local_transport.h"
#include "raft/testing/mem_log.h"

namespace karst::controller {
namespace {

using ::karst::testing::StatusIs;
using ::testing::HasSubstr;

bool WaitUntil(const std::function<bool()>& condition) {
  const absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(5));  // Polling interval, not synchronisation.
  }
  return condition();
}

class Quorum {
 public:
  Quorum() {
    for (int i = 1; i <= 3; ++i) conf_.voters.insert(NodeId(i));
    for (int i = 1; i <= 3; ++i) {
      auto m = std::make_unique<Member>();
      m->log = std::make_unique<raft::testing::MemLog>(conf_);
      m->transport = std::make_unique<raft::testing::LocalTransport>(network_);
      members_.push_back(std::move(m));
      Start(i);
    }
  }
  ~Quorum() {
    for (auto& m : members_) {
      if (m->node) m->node->Stop();
    }
  }

  void Start(int i) {
    Member& m = *members_[static_cast<size_t>(i - 1)];
    m.controller = std::make_unique<QuorumController>(QuorumControllerOptions{
        .replication = {.num_partitions = 1, .default_replication_factor = 3}, .seed = 7});
    m.node = std::make_unique<raft::Node>(raft::NodeOptions{.id = NodeId(i),
                                                            .tick_interval = absl::Milliseconds(10),
                                                            .snapshot_every = 4,
                                                            .seed = static_cast<uint64_t>(i)},
                                          *m.log, *m.controller, *m.transport);
    m.controller->Attach(m.node.get());
    network_.Register(NodeId(i), m.node.get());
    ASSERT_OK(m.node->Start());
  }

  void Stop(int i) {
    Member& m = *members_[static_cast<size_t>(i - 1)];
    network_.Unregister(NodeId(i));
    m.node->Stop();
    m.node.reset();
  }

  QuorumController* controller(int i) {
    return members_[static_cast<size_t>(i - 1)]->controller.get();
  }
  bool up(int i) { return members_[static_cast<size_t>(i - 1)]->node != nullptr; }

  int Active() {
    int active = 0;
    WaitUntil([&] {
      for (int i = 1; i <= 3; ++i) {
        if (up(i) && controller(i)->IsActive()) active = i;
      }
      return active != 0;
    });
    return active;
  }

 private:
  struct Member {
    std::unique_ptr<raft::testing::MemLog> log;
    std::unique_ptr<raft::testing::LocalTransport> transport;
    std::unique_ptr<QuorumController> controller;
    std::unique_ptr<raft::Node> node;
  };
  raft::ConfState conf_;
  raft::testing::LocalNetwork network_;
  std::vector<std::unique_ptr<Member>> members_;
};

void RegisterBrokers(QuorumController& c) {
  for (int id = 1; id <= 3; ++id) {
    ASSERT_OK_AND_ASSIGN(RegisterBrokerResponse r,
                         c.RegisterBroker({NodeId(id), absl::StrCat("inc-", id), {}, ""}));
    ASSERT_TRUE(r.error.ok()) << r.error.message;
    ASSERT_OK_AND_ASSIGN(BrokerHeartbeatResponse h,
                         c.BrokerHeartbeat({NodeId(id), r.broker_epoch, c.image()->offset}));
    ASSERT_FALSE(h.is_fenced);
  }
}

TEST(QuorumController, WritesGoThroughTheActiveControllerAndEveryImageFollows) {
  Quorum q;
  const int active = q.Active();
  ASSERT_NE(active, 0);
  RegisterBrokers(*q.controller(active));
  ASSERT_OK_AND_ASSIGN(CreateTopicResponse created,
                       q.controller(active)->CreateTopic({"orders", 3, 3, {}}));
  ASSERT_TRUE(created.error.ok()) << created.error.message;
  for (int i = 1; i <= 3; ++i) {
    EXPECT_TRUE(WaitUntil([&] { return q.controller(i)->image()->FindTopic("orders"); }));
  }
  ASSERT_OK_AND_ASSIGN(CreateTopicResponse again,
                       q.controller(active)->CreateTopic({"orders", 3, 3, {}}));
  EXPECT_EQ(again.error.code, ErrorCode::kTopicAlreadyExists);
  const int standby = active % 3 + 1;
  EXPECT_THAT(q.controller(standby)->CreateTopic({"x", 1, 1, {}}),
              StatusIs(absl::StatusCode::kUnavailable,
                       HasSubstr(absl::StrCat("the active controller is node ", active))));
}

TEST(QuorumController, ANewActiveControllerHasEverythingAndCarriesOn) {
  Quorum q;
  int active = q.Active();
  ASSERT_NE(active, 0);
  RegisterBrokers(*q.controller(active));
  for (int t = 0; t < 5; ++t) {
    ASSERT_OK_AND_ASSIGN(CreateTopicResponse r,
                         q.controller(active)->CreateTopic({absl::StrCat("t", t), 1, 2, {}}));
    ASSERT_TRUE(r.error.ok()) << r.error.message;
  }
  q.Stop(active);
  const int next = q.Active();
  ASSERT_NE(next, 0);
  ASSERT_NE(next, active);
  for (int t = 0; t < 5; ++t) {
    EXPECT_NE(q.controller(next)->image()->FindTopic(absl::StrCat("t", t)), nullptr);
  }
  ASSERT_OK_AND_ASSIGN(CreateTopicResponse after,
                       q.controller(next)->CreateTopic({"after", 1, 2, {}}));
  EXPECT_TRUE(after.error.ok()) << after.error.message;
  // The stopped controller restarts and catches up (snapshots every 4 entries).
  q.Start(active);
  EXPECT_TRUE(WaitUntil(
      [&] { return q.controller(active)->image()->SameContent(*q.controller(next)->image()); }));
}

// A record batch registering broker `id`, as committed at `offset`.
std::string RegisterBatch(int id, int64_t offset) {
  proto::MetadataRecordBatch batch;
  proto::RegisterBrokerRecord* r = batch.add_records()->mutable_register_broker();
  r->set_broker_id(id);
  r->set_incarnation_id(absl::StrCat("inc-", id));
  r->set_broker_epoch(offset);
  r->set_fenced(true);
  return batch.SerializeAsString();
}

std::vector<int64_t> Offsets(const FetchMetadataResult& result) {
  std::vector<int64_t> out;
  for (const MetadataLogEntry& e : result.entries) out.push_back(e.offset);
  return out;
}

// Entries at 1, 2, 4, 6, 7 (the gaps stand for Raft's no-op and configuration entries); a
// window of three covers everything after offset 2.
TEST(QuorumControllerFetch, ServesTheEntriesAfterAnOffsetFromTheWindow) {
  QuorumController c({.metadata_window = 3, .max_fetch_entries = 2});
  for (int64_t offset : {1, 2, 4, 6, 7}) {
    c.Apply(LogIndex(offset), RegisterBatch(static_cast<int>(offset), offset));
  }
  EXPECT_EQ(Offsets(c.FetchMetadata(2, absl::ZeroDuration())), (std::vector<int64_t>{4, 6}));
  EXPECT_EQ(Offsets(c.FetchMetadata(3, absl::ZeroDuration())), (std::vector<int64_t>{4, 6}));
  const FetchMetadataResult after_four = c.FetchMetadata(4, absl::ZeroDuration());
  ASSERT_EQ(Offsets(after_four), (std::vector<int64_t>{6, 7}));
  EXPECT_EQ(after_four.snapshot, nullptr);
  EXPECT_EQ(after_four.entries[1].batch->records(0).register_broker().broker_id(), 7);
}

TEST(QuorumControllerFetch, AnswersWithASnapshotWhenTheWindowDoesNotCoverTheOffset) {
  QuorumController c({.metadata_window = 3});
  for (int64_t offset : {1, 2, 4, 6, 7}) {
    c.Apply(LogIndex(offset), RegisterBatch(static_cast<int>(offset), offset));
  }
  // -1 (nothing folded yet), older than the window, and newer than this controller's image.
  for (int64_t offset : {-1, 0, 1, 9}) {
    const FetchMetadataResult r = c.FetchMetadata(offset, absl::ZeroDuration());
    ASSERT_NE(r.snapshot, nullptr) << offset;
    EXPECT_TRUE(r.entries.empty());
    EXPECT_EQ(r.snapshot->offset, 7);
    EXPECT_EQ(r.snapshot->brokers.size(), 5u);
  }
  // Restore drops the window: only the snapshot's offset onwards is served from memory.
  const std::string snapshot = c.TakeSnapshot();
  QuorumController restored({.metadata_window = 3});
  restored.Apply(LogIndex(1), RegisterBatch(1, 1));
  restored.Restore({.index = LogIndex(7)}, snapshot);
  EXPECT_NE(restored.FetchMetadata(6, absl::ZeroDuration()).snapshot, nullptr);
  restored.Apply(LogIndex(8), RegisterBatch(8, 8));
  EXPECT_EQ(Offsets(restored.FetchMetadata(7, absl::ZeroDuration())), (std::vector<int64_t>{8}));
}

TEST(QuorumControllerFetch, ALongPollReturnsTheNextAppliedEntry) {
  QuorumController c({});
  c.Apply(LogIndex(1), RegisterBatch(1, 1));
  auto fetch =
      std::async(std::launch::async, [&] { return c.FetchMetadata(1, absl::Seconds(30)); });
  c.Apply(LogIndex(3), RegisterBatch(3, 3));
  // Whether the fetch waited before the apply or started after it, it returns the entry.
  EXPECT_EQ(Offsets(fetch.get()), (std::vector<int64_t>{3}));
}

TEST(QuorumControllerFetch, ALongPollTimesOutEmptyAndShutdownEndsIt) {
  QuorumController c({});
  c.Apply(LogIndex(1), RegisterBatch(1, 1));
  const FetchMetadataResult timed_out = c.FetchMetadata(1, absl::Milliseconds(10));
  EXPECT_TRUE(timed_out.entries.empty());
  EXPECT_EQ(timed_out.snapshot, nullptr);
  auto fetch =
      std::async(std::launch::async, [&] { return c.FetchMetadata(1, absl::Seconds(30)); });
  c.Shutdown();
  EXPECT_EQ(fetch.wait_for(std::chrono::seconds(10)), std::future_status::ready);
  EXPECT_TRUE(fetch.get().entries.empty());
  // After Shutdown nothing waits.
  EXPECT_TRUE(c.FetchMetadata(1, absl::Seconds(30)).entries.empty());
}

}  // namespace
}  // namespace karst::controller
