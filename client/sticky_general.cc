// The sticky assignors' builder when members subscribe to different topics: Kafka's
// AbstractStickyAssignor.GeneralAssignmentBuilder (KIP-54), without the rack-aware passes.
// Keep valid previous ownership, give unassigned partitions to the least loaded eligible
// member, then move partitions from fuller to emptier members until balanced, preferring to
// return a partition to its owner of an older generation and avoiding moving partitions of a
// topic back and forth between two members.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "client/sticky_builders.h"

namespace karst::client::sticky_internal {
namespace {

// Kafka's PartitionMovements: where each moved partition came from and went to, per topic,
// so that a move opposite to an earlier one undoes that one instead.
class PartitionMovements {
 public:
  // The partition to move from `from` to `to` in place of `tp`: one of the same topic that
  // earlier moved from `to` to `from`, if any.
  TopicPartition ActualPartitionToMove(const TopicPartition& tp, std::string from,
                                       const std::string& to) const {
    auto topic = by_topic_.find(tp.topic);
    if (topic == by_topic_.end()) return tp;
    if (auto moved = moves_.find(tp); moved != moves_.end()) from = moved->second.first;
    auto reverse = topic->second.find({to, from});
    if (reverse == topic->second.end()) return tp;
    return *reverse->second.begin();
  }

  void Move(const TopicPartition& tp, const std::string& from, const std::string& to) {
    auto moved = moves_.find(tp);
    if (moved == moves_.end()) {
      Add(tp, {from, to});
      return;
    }
    const std::string source = moved->second.first;
    Remove(tp);
    if (source != to) Add(tp, {source, to});  // Not a move back to where it started.
  }

 private:
  using Pair = std::pair<std::string, std::string>;  // (source, destination)

  void Add(const TopicPartition& tp, const Pair& pair) {
    moves_[tp] = pair;
    by_topic_[tp.topic][pair].insert(tp);
  }
  void Remove(const TopicPartition& tp) {
    const Pair pair = moves_.at(tp);
    moves_.erase(tp);
    auto& pairs = by_topic_.at(tp.topic);
    pairs.at(pair).erase(tp);
    if (pairs.at(pair).empty()) pairs.erase(pair);
    if (pairs.empty()) by_topic_.erase(tp.topic);
  }

  std::map<TopicPartition, Pair> moves_;
  std::map<std::string, std::map<Pair, std::set<TopicPartition>>> by_topic_;
};

class GeneralBuilder {
 public:
  explicit GeneralBuilder(GeneralInput input) : in_(std::move(input)), current_(in_.owned) {
    for (const auto& entry : in_.partitions_per_topic) topic_members_[entry.first];
    for (const auto& [member, subscription] : in_.subscriptions) {
      std::vector<std::string>& topics = member_topics_[member];
      for (const std::string& topic : subscription.topics) {
        auto it = topic_members_.find(topic);
        if (it == topic_members_.end()) continue;
        if (std::find(topics.begin(), topics.end(), topic) != topics.end()) continue;
        topics.push_back(topic);
        it->second.push_back(member);
      }
      current_[member];
    }
    for (const auto& [member, partitions] : current_) {
      for (const TopicPartition& tp : partitions) owner_[tp] = member;
    }
    // Topics with fewer potential members first, so the most constrained are placed first.
    std::vector<std::string> topics;
    for (const auto& entry : topic_members_) topics.push_back(entry.first);
    std::stable_sort(topics.begin(), topics.end(), [&](const std::string& a, const std::string& b) {
      return topic_members_.at(a).size() < topic_members_.at(b).size();
    });
    for (const std::string& topic : topics) {
      for (int32_t p = 0; p < in_.partitions_per_topic.at(topic); ++p)
        sorted_all_.push_back({topic, p});
    }
  }

  absl::StatusOr<MemberPartitions> Build() {
    PreparePreviousAssignment();
    std::set<TopicPartition> kept = KeepOwnedPartitions();
    std::vector<TopicPartition> unassigned;
    for (const TopicPartition& tp : sorted_all_) {
      if (!kept.contains(tp)) unassigned.push_back(tp);
    }
    for (const auto& entry : current_) by_load_.insert({entry.second.size(), entry.first});
    if (absl::Status s = Balance(std::move(unassigned)); !s.ok()) return s;
    return std::move(current_);
  }

 private:
  using Load = std::pair<size_t, std::string>;  // Kafka's SubscriptionComparator order.

  // Ownership claims of generations older than the newest, for returning partitions to them.
  void PreparePreviousAssignment() {
    std::vector<std::string> members;
    for (const auto& entry : in_.subscriptions) members.push_back(entry.first);
    for (const std::string& member : JavaHashMapOrder(members)) {
      const StickyMemberData& data = in_.member_data.at(member);
      std::optional<int32_t> generation;
      if (data.generation && *data.generation < in_.max_generation) {
        generation = data.generation;
      } else if (!data.generation && in_.max_generation > kDefaultGeneration) {
        generation = kDefaultGeneration;
      }
      if (!generation) continue;
      for (const TopicPartition& tp : data.partitions) {
        auto [it, inserted] = previous_.try_emplace(tp, member, *generation);
        if (!inserted && *generation > it->second.second) it->second = {member, *generation};
      }
    }
  }

  // Keeps what each member owned of the topics it still subscribes to.
  std::set<TopicPartition> KeepOwnedPartitions() {
    std::set<TopicPartition> kept;
    for (auto& [member, partitions] : current_) {
      const std::vector<std::string>& subscribed = in_.subscriptions.at(member).topics;
      std::vector<TopicPartition> keep;
      for (const TopicPartition& tp : partitions) {
        if (std::find(subscribed.begin(), subscribed.end(), tp.topic) == subscribed.end()) {
          revocation_required_ = true;
        } else {
          keep.push_back(tp);
          kept.insert(tp);
        }
      }
      partitions = std::move(keep);
    }
    return kept;
  }

  size_t Size(const std::string& member) const { return current_.at(member).size(); }

  void Reload(const std::string& member, size_t old_size) {
    by_load_.erase({old_size, member});
    by_load_.insert({Size(member), member});
  }

  bool Subscribes(const std::string& member, const std::string& topic) const {
    const std::vector<std::string>& topics = member_topics_.at(member);
    return std::find(topics.begin(), topics.end(), topic) != topics.end();
  }

  int64_t MaxAssignmentSize(const std::string& member) const {
    int64_t size = 0;
    for (const std::string& topic : member_topics_.at(member)) {
      size += in_.partitions_per_topic.at(topic);
    }
    return size;
  }

  // The least loaded member that subscribes to the topic, if any.
  std::optional<std::string> LeastLoaded(const std::string& topic) const {
    for (const Load& load : by_load_) {
      if (Subscribes(load.second, topic)) return load.second;
    }
    return std::nullopt;
  }

  void AssignTo(const TopicPartition& tp, const std::string& member) {
    const size_t old_size = Size(member);
    current_.at(member).push_back(tp);
    owner_[tp] = member;
    Reload(member, old_size);
  }

  bool TopicCanMove(const std::string& topic) const { return topic_members_.at(topic).size() >= 2; }

  bool MemberCanMove(const std::string& member) const {
    if (static_cast<int64_t>(Size(member)) < MaxAssignmentSize(member)) return true;
    for (const TopicPartition& tp : current_.at(member)) {
      if (TopicCanMove(tp.topic)) return true;
    }
    return false;
  }

  absl::Status Balance(std::vector<TopicPartition> unassigned) {
    const bool initializing = Size(by_load_.rbegin()->second) == 0;
    for (const TopicPartition& tp : unassigned) {
      if (std::optional<std::string> member = LeastLoaded(tp.topic)) AssignTo(tp, *member);
    }
    // Only partitions of topics with two or more potential members can move, and only
    // members that could gain or lose some.
    auto fixed_partition = [&](const TopicPartition& tp) { return !TopicCanMove(tp.topic); };
    std::erase_if(sorted_all_, fixed_partition);
    std::erase_if(unassigned, fixed_partition);
    MemberPartitions fixed_members;
    for (const auto& entry : member_topics_) {
      if (MemberCanMove(entry.first)) continue;
      by_load_.erase({Size(entry.first), entry.first});
      fixed_members[entry.first] = std::move(current_.at(entry.first));
      current_.erase(entry.first);
    }
    const MemberPartitions before = current_;
    const std::map<TopicPartition, std::string> owner_before = owner_;
    absl::StatusOr<bool> moved = false;
    // First try moving only the newly placed partitions, unless revocations are due anyway.
    if (!revocation_required_) moved = PerformReassignments(unassigned);
    if (!moved.ok()) return moved.status();
    absl::StatusOr<bool> moved_all = PerformReassignments(sorted_all_);
    if (!moved_all.ok()) return moved_all.status();
    if (!initializing && *moved_all && BalanceScore(current_) >= BalanceScore(before)) {
      current_ = before;
      owner_ = owner_before;
    }
    for (auto& [member, partitions] : fixed_members) current_[member] = std::move(partitions);
    return absl::OkStatus();
  }

  absl::StatusOr<bool> PerformReassignments(const std::vector<TopicPartition>& partitions) {
    bool performed = false;
    bool modified = true;
    while (modified) {
      modified = false;
      for (const TopicPartition& tp : partitions) {
        if (IsBalanced()) break;
        auto owner = owner_.find(tp);
        if (owner == owner_.end() || !current_.contains(owner->second)) {
          return absl::InternalError(
              absl::StrCat("sticky assignor: ", ToString(tp), " has no owner to move it from"));
        }
        const std::string member = owner->second;
        auto previous = previous_.find(tp);
        if (previous != previous_.end() && current_.contains(previous->second.first) &&
            Size(member) > Size(previous->second.first) + 1) {
          if (absl::Status s = Reassign(tp, previous->second.first); !s.ok()) return s;
          performed = modified = true;
          continue;
        }
        for (const std::string& other : topic_members_.at(tp.topic)) {
          if (!current_.contains(other) || Size(member) <= Size(other) + 1) continue;
          std::optional<std::string> target = LeastLoaded(tp.topic);
          if (!target) break;
          if (absl::Status s = Reassign(tp, *target); !s.ok()) return s;
          performed = modified = true;
          break;
        }
      }
    }
    return performed;
  }

  absl::Status Reassign(const TopicPartition& tp, const std::string& to) {
    const TopicPartition actual = movements_.ActualPartitionToMove(tp, owner_.at(tp), to);
    auto owner = owner_.find(actual);
    auto from_partitions = owner == owner_.end() ? current_.end() : current_.find(owner->second);
    if (from_partitions == current_.end()) {
      return absl::InternalError(absl::StrCat("sticky assignor: cannot move ", ToString(actual)));
    }
    std::vector<TopicPartition>& list = from_partitions->second;
    auto it = std::find(list.begin(), list.end(), actual);
    if (it == list.end()) {
      return absl::InternalError(absl::StrCat("sticky assignor: ", ToString(actual),
                                              " is not with its owner ", owner->second));
    }
    const std::string from = owner->second;
    const size_t from_size = list.size();
    movements_.Move(actual, from, to);
    list.erase(it);
    Reload(from, from_size);
    AssignTo(actual, to);
    return absl::OkStatus();
  }

  // Balanced when loads differ by at most one, or no member could take a partition from a
  // member holding two or more partitions more than it.
  bool IsBalanced() const {
    if (by_load_.begin()->first + 1 >= by_load_.rbegin()->first) return true;
    for (const Load& load : by_load_) {
      const std::string& member = load.second;
      if (static_cast<int64_t>(load.first) == MaxAssignmentSize(member)) continue;
      const std::vector<TopicPartition>& mine = current_.at(member);
      for (const std::string& topic : member_topics_.at(member)) {
        for (int32_t p = 0; p < in_.partitions_per_topic.at(topic); ++p) {
          const TopicPartition tp{topic, p};
          if (std::find(mine.begin(), mine.end(), tp) != mine.end()) continue;
          auto owner = owner_.find(tp);
          if (owner == owner_.end() || !current_.contains(owner->second)) continue;
          if (load.first + 1 < Size(owner->second)) return false;
        }
      }
    }
    return true;
  }

  // The sum of load differences over all pairs of members; 0 is perfectly balanced.
  static int64_t BalanceScore(const MemberPartitions& assignment) {
    std::vector<int64_t> sizes;
    for (const auto& entry : assignment) sizes.push_back(static_cast<int64_t>(entry.second.size()));
    int64_t score = 0;
    for (size_t i = 0; i < sizes.size(); ++i) {
      for (size_t j = i + 1; j < sizes.size(); ++j) score += std::abs(sizes[i] - sizes[j]);
    }
    return score;
  }

  GeneralInput in_;
  MemberPartitions current_;
  std::map<std::string, std::vector<std::string>> topic_members_;
  std::map<std::string, std::vector<std::string>> member_topics_;
  std::map<TopicPartition, std::string> owner_;
  std::vector<TopicPartition> sorted_all_;
  std::map<TopicPartition, std::pair<std::string, int32_t>> previous_;
  std::set<Load> by_load_;
  PartitionMovements movements_;
  bool revocation_required_ = false;
};

}  // namespace

absl::StatusOr<MemberPartitions> GeneralAssign(GeneralInput input) {
  return GeneralBuilder(std::move(input)).Build();
}

}  // namespace karst::client::sticky_internal
