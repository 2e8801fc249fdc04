// The sticky assignors' builder for the common case, every member subscribed to the same
// topics: Kafka's AbstractStickyAssignor.ConstrainedAssignmentBuilder (KAFKA-9987), without
// the rack-aware pass.
#include <algorithm>
#include <cstdint>
#include <deque>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/sticky_builders.h"

namespace karst::client::sticky_internal {
namespace {

class ConstrainedBuilder {
 public:
  ConstrainedBuilder(const PartitionsPerTopic& partitions_per_topic, const MemberPartitions& owned,
                     const std::set<TopicPartition>& multiple_owners)
      : partitions_per_topic_(partitions_per_topic),
        owned_(owned),
        multiple_owners_(multiple_owners) {
    int64_t total = 0;
    for (const auto& entry : partitions_per_topic) total += entry.second;
    const int64_t members = static_cast<int64_t>(owned.size());
    min_quota_ = total / members;
    max_quota_ = (total + members - 1) / members;
    expected_over_min_ = total % members;
    for (const auto& entry : owned) result_.assignment[entry.first];
    result_.partitions_transferring_ownership.emplace();
  }

  absl::StatusOr<AbstractStickyAssignor::Result> Build() {
    AssignOwnedPartitions();
    std::sort(under_min_.begin(), under_min_.end());
    std::sort(exactly_min_.begin(), exactly_min_.end());
    if (absl::Status s = AssignRoundRobin(UnassignedPartitions()); !s.ok()) return s;
    for (const std::string& member : under_min_) {
      if (static_cast<int64_t>(result_.assignment[member].size()) != min_quota_) {
        return absl::InternalError(absl::StrCat("sticky assignor: member ", member,
                                                " did not reach ", min_quota_, " partitions"));
      }
    }
    return std::move(result_);
  }

 private:
  // Step 1: each member keeps up to its quota of what it owned, taken in (partition, topic)
  // order as Kafka sorts them; members are walked in Kafka's HashMap order because only the
  // first `expected_over_min_` of them that own enough may keep maxQuota.
  void AssignOwnedPartitions() {
    std::vector<std::string> members;
    for (const auto& entry : owned_) members.push_back(entry.first);
    for (const std::string& member : JavaHashMapOrder(members)) {
      std::vector<TopicPartition> owned;
      for (const TopicPartition& tp : owned_.at(member)) {
        if (!multiple_owners_.contains(tp)) owned.push_back(tp);
      }
      std::sort(owned.begin(), owned.end(), [](const TopicPartition& a, const TopicPartition& b) {
        return a.partition != b.partition ? a.partition < b.partition : a.topic < b.topic;
      });
      const int64_t count = static_cast<int64_t>(owned.size());
      int64_t keep = count;
      if (count < min_quota_) {
        under_min_.push_back(member);
      } else if (count >= max_quota_ && over_min_ < expected_over_min_) {
        keep = max_quota_;
        if (++over_min_ == expected_over_min_) exactly_min_.clear();
      } else {
        keep = min_quota_;
        if (over_min_ < expected_over_min_) exactly_min_.push_back(member);
      }
      std::vector<TopicPartition>& assignment = result_.assignment[member];
      for (int64_t i = 0; i < count; ++i) {
        if (i < keep) {
          assignment.push_back(owned[i]);
          assigned_.insert(owned[i]);
        } else {
          revoked_.insert(owned[i]);
        }
      }
    }
  }

  // Every partition not kept, topics sorted by name, then partitions ascending.
  std::vector<TopicPartition> UnassignedPartitions() const {
    std::vector<TopicPartition> unassigned;
    for (const auto& [topic, count] : partitions_per_topic_) {
      for (int32_t p = 0; p < count; ++p) {
        if (!assigned_.contains({topic, p})) unassigned.push_back({topic, p});
      }
    }
    return unassigned;
  }

  // Steps 2-3: deal the rest round robin to the members under minQuota, then one each to the
  // members at minQuota that may still reach maxQuota.
  absl::Status AssignRoundRobin(const std::vector<TopicPartition>& unassigned) {
    size_t next = 0;  // Into under_min_, which shrinks as members reach minQuota.
    for (const TopicPartition& tp : unassigned) {
      std::string member;
      bool from_under_min = true;
      if (next < under_min_.size()) {
        member = under_min_[next];
      } else if (!under_min_.empty()) {
        next = 0;
        member = under_min_[0];
      } else if (!exactly_min_.empty()) {
        member = exactly_min_.front();
        exactly_min_.pop_front();
        from_under_min = false;
      } else {
        return absl::InternalError(
            absl::StrCat("sticky assignor: no member left to take ", ToString(tp)));
      }
      const int64_t count = AssignNewPartition(tp, member);
      if (from_under_min && count == min_quota_) {
        under_min_.erase(under_min_.begin() + static_cast<std::ptrdiff_t>(next));
        exactly_min_.push_back(member);
        continue;
      }
      if (from_under_min) ++next;
      if (count == max_quota_) ++over_min_;
    }
    return absl::OkStatus();
  }

  int64_t AssignNewPartition(const TopicPartition& tp, const std::string& member) {
    std::vector<TopicPartition>& assignment = result_.assignment[member];
    assignment.push_back(tp);
    // Owned partitions were all placed in step 1, so a revoked or doubly claimed partition
    // placed now has a new owner.
    if (revoked_.contains(tp) || multiple_owners_.contains(tp)) {
      (*result_.partitions_transferring_ownership)[tp] = member;
    }
    return static_cast<int64_t>(assignment.size());
  }

  const PartitionsPerTopic& partitions_per_topic_;
  const MemberPartitions& owned_;
  const std::set<TopicPartition>& multiple_owners_;
  int64_t min_quota_ = 0;
  int64_t max_quota_ = 0;
  int64_t expected_over_min_ = 0;
  int64_t over_min_ = 0;
  std::vector<std::string> under_min_;
  std::deque<std::string> exactly_min_;
  std::set<TopicPartition> assigned_;
  std::set<TopicPartition> revoked_;
  AbstractStickyAssignor::Result result_;
};

}  // namespace

std::vector<std::string> JavaHashMapOrder(std::vector<std::string> keys) {
  size_t capacity = 16;  // HashMap's default, doubled when size exceeds 3/4 of it.
  while (keys.size() > capacity * 3 / 4) capacity *= 2;
  auto bucket = [capacity](const std::string& key) {
    uint32_t h = 0;
    for (unsigned char c : key) h = 31 * h + c;  // String.hashCode()
    return (h ^ (h >> 16)) & (capacity - 1);     // HashMap.hash() and the table index
  };
  std::sort(keys.begin(), keys.end(), [&](const std::string& a, const std::string& b) {
    const uint32_t ba = bucket(a);
    const uint32_t bb = bucket(b);
    return ba != bb ? ba < bb : a < b;
  });
  return keys;
}

absl::StatusOr<AbstractStickyAssignor::Result> ConstrainedAssign(
    const PartitionsPerTopic& partitions_per_topic, const MemberPartitions& owned,
    const std::set<TopicPartition>& partitions_with_multiple_previous_owners) {
  return ConstrainedBuilder(partitions_per_topic, owned, partitions_with_multiple_previous_owners)
      .Build();
}

}  // namespace karst::client::sticky_internal
