#include "broker/replication/offset_checkpoint.h"

#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"

namespace karst::broker::replication {

std::string FormatOffsetCheckpoint(const std::map<TopicPartition, int64_t>& offsets) {
  std::string out = absl::StrCat("0\n", offsets.size(), "\n");
  for (const auto& [tp, offset] : offsets) {
    absl::StrAppend(&out, tp.topic, " ", tp.partition, " ", offset, "\n");
  }
  return out;
}

absl::StatusOr<std::map<TopicPartition, int64_t>> ParseOffsetCheckpoint(absl::string_view text,
                                                                        absl::string_view file) {
  std::vector<absl::string_view> lines = absl::StrSplit(text, '\n');
  // A complete file ends in a newline, which leaves one empty piece.
  if (!lines.empty() && lines.back().empty()) lines.pop_back();
  const auto error = [&](size_t line, absl::string_view what) {
    return absl::DataLossError(absl::StrCat(file, ":", line, ": ", what));
  };
  if (lines.empty() || lines[0] != "0") {
    return error(1,
                 absl::StrCat("expected version 0, got \"", lines.empty() ? "" : lines[0], "\""));
  }
  int64_t count = 0;
  if (lines.size() < 2 || !absl::SimpleAtoi(lines[1], &count) || count < 0) {
    return error(2, "expected the number of entries");
  }
  if (static_cast<int64_t>(lines.size()) - 2 != count) {
    return error(lines.size() + 1,
                 absl::StrCat("expected ", count, " entries, found ", lines.size() - 2));
  }
  std::map<TopicPartition, int64_t> offsets;
  for (size_t i = 2; i < lines.size(); ++i) {
    std::vector<absl::string_view> fields = absl::StrSplit(lines[i], ' ');
    int32_t partition = 0;
    int64_t offset = 0;
    if (fields.size() != 3 || fields[0].empty() || !absl::SimpleAtoi(fields[1], &partition) ||
        partition < 0 || !absl::SimpleAtoi(fields[2], &offset) || offset < 0) {
      return error(
          i + 1, absl::StrCat("expected \"<topic> <partition> <offset>\", got \"", lines[i], "\""));
    }
    offsets[TopicPartition{std::string(fields[0]), partition}] = offset;
  }
  return offsets;
}

}  // namespace karst::broker::replication
