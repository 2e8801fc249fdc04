// Strong id types: a NodeId is not a Term is not an Offset, even though each wraps an integer.
// Used at every interface that names a node, term, offset or epoch; a raw int64_t never crosses
// one. Values are immutable and trivially copyable, so they are safe to share across threads.
#ifndef KARST_COMMON_STRONG_ID_H_
#define KARST_COMMON_STRONG_ID_H_

#include <compare>
#include <cstdint>
#include <ostream>
#include <type_traits>

namespace karst {

// StrongId<Tag, Rep> wraps a Rep; ids with different tags do not convert into each other.
// Arithmetic is deliberately absent: code that steps an offset says so with Next()/Plus().
template <typename Tag, typename Rep>
class StrongId {
 public:
  static_assert(std::is_integral_v<Rep>, "StrongId wraps an integer");
  using ValueType = Rep;

  constexpr StrongId() = default;
  constexpr explicit StrongId(Rep value) : value_(value) {}

  constexpr Rep value() const { return value_; }
  constexpr StrongId Next() const { return StrongId(value_ + 1); }
  constexpr StrongId Plus(Rep delta) const { return StrongId(value_ + delta); }

  friend constexpr auto operator<=>(const StrongId&, const StrongId&) = default;

  template <typename H>
  friend H AbslHashValue(H h, const StrongId& id) {
    return H::combine(std::move(h), id.value_);
  }

  friend std::ostream& operator<<(std::ostream& os, const StrongId& id) {
    return os << Tag::kName << "(" << +id.value_ << ")";
  }

 private:
  Rep value_{};
};

#define KARST_DEFINE_STRONG_ID(Name, Rep)       \
  struct Name##Tag {                            \
    static constexpr const char* kName = #Name; \
  };                                            \
  using Name = ::karst::StrongId<Name##Tag, Rep>

// A node in the cluster (Kafka's node.id / broker.id).
KARST_DEFINE_STRONG_ID(NodeId, int32_t);
// A Raft term (Raft §5.1).
KARST_DEFINE_STRONG_ID(Term, int64_t);
// A position in a Raft log (Raft §5.3).
KARST_DEFINE_STRONG_ID(LogIndex, int64_t);
// A record's position in a partition log (Kafka's offset).
KARST_DEFINE_STRONG_ID(Offset, int64_t);
// The generation of a partition's leader (Kafka's leader epoch, KIP-101).
KARST_DEFINE_STRONG_ID(LeaderEpoch, int32_t);
// A partition's index within its topic.
KARST_DEFINE_STRONG_ID(PartitionIndex, int32_t);
// An idempotent or transactional producer (Kafka's producer id, KIP-98).
KARST_DEFINE_STRONG_ID(ProducerId, int64_t);

}  // namespace karst

#endif  // KARST_COMMON_STRONG_ID_H_
