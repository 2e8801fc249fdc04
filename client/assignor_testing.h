// Test helpers for the assignor tests: subscriptions in a line, and Kafka's
// AbstractStickyAssignorTest.verifyValidityAndBalance checks.
#ifndef KARST_CLIENT_ASSIGNOR_TESTING_H_
#define KARST_CLIENT_ASSIGNOR_TESTING_H_

#include <algorithm>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "client/assignor.h"
#include "gtest/gtest.h"

namespace karst::client::testing {

using Partitions = std::vector<TopicPartition>;

inline TopicPartition Tp(const std::string& topic, int32_t partition) { return {topic, partition}; }

inline Subscription Sub(std::vector<std::string> topics) { return {.topics = std::move(topics)}; }

// A v2+ subscription of a member that owned `owned` in `generation`.
inline Subscription SubOwned(std::vector<std::string> topics, Partitions owned,
                             int32_t generation) {
  return {.topics = std::move(topics),
          .owned_partitions = std::move(owned),
          .generation_id = generation};
}

inline std::map<std::string, Partitions> PartitionsOf(const GroupAssignment& assignment) {
  std::map<std::string, Partitions> out;
  for (const auto& [member, a] : assignment) out[member] = a.partitions;
  return out;
}

inline bool IsFullyBalanced(const GroupAssignment& assignment) {
  size_t min = SIZE_MAX, max = 0;
  for (const auto& [member, a] : assignment) {
    min = std::min(min, a.partitions.size());
    max = std::max(max, a.partitions.size());
  }
  return assignment.empty() || max - min <= 1;
}

// Every assigned partition exists, is assigned once, to a member subscribed to its topic; if
// `complete`, every partition of a subscribed topic is assigned and a member with two or more
// partitions more than another holds none of a topic the other subscribes to.
inline void VerifyValidityAndBalance(const GroupSubscription& subscriptions,
                                     const GroupAssignment& assignment,
                                     const PartitionsPerTopic& partitions_per_topic,
                                     bool complete = true) {
  std::set<TopicPartition> seen;
  std::set<std::string> subscribed;
  for (const auto& [member, a] : assignment) {
    const auto& topics = subscriptions.at(member).topics;
    subscribed.insert(topics.begin(), topics.end());
    for (const TopicPartition& tp : a.partitions) {
      EXPECT_TRUE(seen.insert(tp).second) << ToString(tp) << " assigned twice";
      EXPECT_NE(std::find(topics.begin(), topics.end(), tp.topic), topics.end())
          << member << " got " << ToString(tp) << " without subscribing";
      ASSERT_TRUE(partitions_per_topic.contains(tp.topic));
      EXPECT_LT(tp.partition, partitions_per_topic.at(tp.topic));
    }
  }
  if (complete) {
    for (const auto& [topic, count] : partitions_per_topic) {
      if (!subscribed.contains(topic)) continue;
      for (int32_t p = 0; p < count; ++p) {
        EXPECT_TRUE(seen.contains({topic, p})) << topic << "-" << p << " unassigned";
      }
    }
  }
  // A cooperative assignment that withholds moving partitions need not be balanced yet.
  if (!complete) return;
  for (const auto& [a, pa] : assignment) {
    for (const auto& [b, pb] : assignment) {
      if (pa.partitions.size() <= pb.partitions.size() + 1) continue;
      const auto& topics_b = subscriptions.at(b).topics;
      for (const TopicPartition& tp : pa.partitions) {
        EXPECT_TRUE(std::find(topics_b.begin(), topics_b.end(), tp.topic) == topics_b.end())
            << a << " has " << pa.partitions.size() << " partitions, " << b << " "
            << pb.partitions.size() << ", and " << b << " could take " << ToString(tp);
      }
    }
  }
}

}  // namespace karst::client::testing

#endif  // KARST_CLIENT_ASSIGNOR_TESTING_H_
