#include "broker/group/consumer_protocol.h"

#include <algorithm>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "kafka/protocol/wire.h"

namespace karst::broker::group {
namespace {

using ::karst::kafka::protocol::Reader;
using ::karst::kafka::protocol::Writer;

// Subscriptions are never flexible (ConsumerProtocolSubscription.json: flexibleVersions none).
constexpr bool kCompact = false;

absl::Status ReadStringArray(Reader& r, std::vector<std::string>* out) {
  int32_t n = 0;
  RETURN_IF_ERROR(r.ArrayLength(&n, kCompact));
  for (int32_t i = 0; i < n; ++i) RETURN_IF_ERROR(r.String(&out->emplace_back(), kCompact));
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<ConsumerSubscription> DecodeConsumerSubscription(absl::string_view bytes) {
  Reader r(bytes);
  int16_t version = 0;
  RETURN_IF_ERROR(r.Int16(&version));
  if (version < 0) {
    return absl::InvalidArgumentError(absl::StrCat("consumer subscription: version ", version));
  }
  version = std::min(version, kMaxSubscriptionVersion);
  ConsumerSubscription s;
  RETURN_IF_ERROR(ReadStringArray(r, &s.topics));
  RETURN_IF_ERROR(r.NullableBytes(&s.user_data, kCompact));
  if (version >= 1) {
    int32_t n = 0;
    RETURN_IF_ERROR(r.ArrayLength(&n, kCompact));
    for (int32_t i = 0; i < n; ++i) {
      ConsumerSubscription::OwnedPartitions& owned = s.owned_partitions.emplace_back();
      RETURN_IF_ERROR(r.String(&owned.topic, kCompact));
      int32_t m = 0;
      RETURN_IF_ERROR(r.ArrayLength(&m, kCompact));
      for (int32_t j = 0; j < m; ++j) RETURN_IF_ERROR(r.Int32(&owned.partitions.emplace_back()));
    }
  }
  if (version >= 2) RETURN_IF_ERROR(r.Int32(&s.generation_id));
  if (version >= 3) RETURN_IF_ERROR(r.NullableString(&s.rack_id, kCompact));
  return s;
}

std::string EncodeConsumerSubscription(const ConsumerSubscription& s, int16_t version) {
  std::string out;
  Writer w(&out);
  w.Int16(version);
  w.ArrayLength(s.topics.size(), kCompact);
  for (const std::string& topic : s.topics) w.String(topic, kCompact);
  w.NullableBytes(s.user_data, kCompact);
  if (version >= 1) {
    w.ArrayLength(s.owned_partitions.size(), kCompact);
    for (const auto& owned : s.owned_partitions) {
      w.String(owned.topic, kCompact);
      w.ArrayLength(owned.partitions.size(), kCompact);
      for (int32_t p : owned.partitions) w.Int32(p);
    }
  }
  if (version >= 2) w.Int32(s.generation_id);
  if (version >= 3) w.NullableString(s.rack_id, kCompact);
  return out;
}

}  // namespace karst::broker::group
