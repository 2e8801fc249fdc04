// Three controllers on a Raft group of in-process nodes: writes go through the active one and
// every standby's image follows; a standby names the active controller; a new active
// controller after a failover still has everything committed and carries on; a restarted
// controller catches up through a snapshot of the image.
#include "controller/quorum_controller.h"

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

}  // namespace
}  // namespace karst::controller
