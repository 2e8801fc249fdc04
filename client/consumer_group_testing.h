// Test fixture for the Consumer's group membership: a FakeBroker with a FakeGroupCoordinator,
// a recording rebalance listener and polls that wait on conditions with deadlines.
#ifndef KARST_CLIENT_CONSUMER_GROUP_TESTING_H_
#define KARST_CLIENT_CONSUMER_GROUP_TESTING_H_

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "client/consumer.h"
#include "client/testing/fake_broker.h"
#include "client/testing/fake_group_coordinator.h"
#include "common/clock.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"

namespace karst::client::testing {

// Records callbacks as "revoked:t-0,t-1", "assigned:", "lost:t-0".
class RecordingListener : public ConsumerRebalanceListener {
 public:
  void OnPartitionsRevoked(const std::vector<TopicPartition>& p) override { Add("revoked", p); }
  void OnPartitionsAssigned(const std::vector<TopicPartition>& p) override { Add("assigned", p); }
  void OnPartitionsLost(const std::vector<TopicPartition>& p) override { Add("lost", p); }
  std::vector<std::string> events;

 private:
  void Add(const char* kind, const std::vector<TopicPartition>& partitions) {
    std::vector<std::string> names;
    for (const TopicPartition& tp : partitions) names.push_back(ToString(tp));
    events.push_back(absl::StrCat(kind, ":", absl::StrJoin(names, ",")));
  }
};

class ConsumerGroupTest : public ::testing::Test {
 protected:
  // Every wait for a condition gives up after this long.
  static constexpr absl::Duration kDeadline = absl::Seconds(10);

  void SetUp() override {
    group_ = std::make_shared<FakeGroupCoordinator>();
    broker_ = Start(1);
    FakeMetadata metadata{
        .brokers = {{1, broker_->port()}},
        .topics = {{"t", {FakePartition{.leader = 1}, FakePartition{.leader = 1}}}}};
    broker_->SetMetadata(metadata);
    group_->SetCoordinator(1, broker_->port());
  }

  std::unique_ptr<FakeBroker> Start(int32_t node_id) {
    absl::StatusOr<std::unique_ptr<FakeBroker>> broker = FakeBroker::Start({.node_id = node_id});
    EXPECT_TRUE(broker.ok()) << broker.status();
    (*broker)->SetGroupCoordinator(group_);
    return *std::move(broker);
  }

  // Short intervals so that heartbeats and retries happen within a test's time.
  ConsumerOptions Options() const {
    ConsumerOptions o{.bootstrap_servers = {{"127.0.0.1", broker_->port()}},
                      .auto_offset_reset = OffsetReset::kEarliest,
                      .fetch_max_wait = absl::Milliseconds(10),
                      .request_timeout = absl::Seconds(10),
                      .retry_backoff = absl::Milliseconds(5),
                      .reconnect_backoff = absl::Milliseconds(5),
                      .default_api_timeout = absl::Seconds(10)};
    o.group_id = "g";
    o.heartbeat_interval = absl::Milliseconds(10);
    o.enable_auto_commit = false;
    return o;
  }

  std::unique_ptr<Consumer> Make(ConsumerOptions options) {
    absl::StatusOr<std::unique_ptr<Consumer>> c =
        Consumer::Create(std::move(options), SystemClock::Get());
    EXPECT_TRUE(c.ok()) << c.status();
    return *std::move(c);
  }

  // Polls until `done` holds (checked after each poll) or kDeadline passes, appending the
  // records polled to `out` when given. A failed Poll fails the test.
  void PollUntil(Consumer& consumer, const std::function<bool()>& done,
                 std::vector<ConsumerRecord>* out = nullptr) {
    const absl::Duration deadline = SystemClock::Get().Monotonic() + kDeadline;
    while (SystemClock::Get().Monotonic() < deadline) {
      absl::StatusOr<std::vector<ConsumerRecord>> records = consumer.Poll(absl::Milliseconds(20));
      EXPECT_TRUE(records.ok()) << records.status();
      if (!records.ok()) return;
      if (out != nullptr) {
        for (ConsumerRecord& r : *records) out->push_back(std::move(r));
      }
      if (done()) return;
    }
    ADD_FAILURE() << "condition not reached within " << kDeadline;
  }

  void Append(const TopicPartition& tp, int from, int to) {
    std::vector<std::string> values;
    for (int i = from; i < to; ++i) values.push_back(absl::StrCat("v", i));
    ASSERT_TRUE(broker_->AppendValues(tp.topic, tp.partition, values).ok());
  }

  std::shared_ptr<FakeGroupCoordinator> group_;
  std::unique_ptr<FakeBroker> broker_;
};

}  // namespace karst::client::testing

#endif  // KARST_CLIENT_CONSUMER_GROUP_TESTING_H_
