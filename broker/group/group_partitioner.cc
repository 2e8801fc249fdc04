#include "broker/group/group_partitioner.h"

#include <limits>

#include "absl/base/internal/raw_logging.h"

namespace karst::broker::group {
namespace {

constexpr uint32_t kReplacement = 0xFFFD;

// Decodes one code point starting at `*pos`, advancing it. Malformed input (a bad lead byte,
// a missing or wrong continuation, an overlong form, a surrogate or a value above U+10FFFF)
// consumes one byte and yields U+FFFD.
uint32_t NextCodePoint(absl::string_view s, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<uint8_t>(s[i]); };
  const uint8_t lead = byte(*pos);
  int extra = 0;
  uint32_t cp = 0;
  uint32_t min = 0;
  if (lead < 0x80) {
    ++*pos;
    return lead;
  } else if ((lead & 0xE0) == 0xC0) {
    extra = 1, cp = lead & 0x1F, min = 0x80;
  } else if ((lead & 0xF0) == 0xE0) {
    extra = 2, cp = lead & 0x0F, min = 0x800;
  } else if ((lead & 0xF8) == 0xF0) {
    extra = 3, cp = lead & 0x07, min = 0x10000;
  } else {
    ++*pos;
    return kReplacement;
  }
  if (*pos + extra >= s.size()) {
    ++*pos;
    return kReplacement;
  }
  for (int i = 1; i <= extra; ++i) {
    const uint8_t b = byte(*pos + i);
    if ((b & 0xC0) != 0x80) {
      ++*pos;
      return kReplacement;
    }
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
    ++*pos;
    return kReplacement;
  }
  *pos += extra + 1;
  return cp;
}

}  // namespace

int32_t JavaStringHashCode(absl::string_view utf8) {
  // Unsigned arithmetic wraps like Java's int; the final cast is two's complement.
  uint32_t h = 0;
  size_t pos = 0;
  while (pos < utf8.size()) {
    const uint32_t cp = NextCodePoint(utf8, &pos);
    if (cp > 0xFFFF) {
      const uint32_t v = cp - 0x10000;
      h = 31 * h + (0xD800 + (v >> 10));
      h = 31 * h + (0xDC00 + (v & 0x3FF));
    } else {
      h = 31 * h + cp;
    }
  }
  return static_cast<int32_t>(h);
}

int32_t JavaUtilsAbs(int32_t n) {
  if (n == std::numeric_limits<int32_t>::min()) return 0;
  return n < 0 ? -n : n;
}

PartitionIndex PartitionForGroup(absl::string_view group_id, int32_t num_partitions) {
  ABSL_RAW_CHECK(num_partitions > 0, "offsets.topic.num.partitions must be positive");
  return PartitionIndex(JavaUtilsAbs(JavaStringHashCode(group_id)) % num_partitions);
}

}  // namespace karst::broker::group
