// MetadataDelta: folds committed metadata records into the image they change. Replay checks
// each record against the image (a partition of an unknown topic, a change to an unknown
// partition, an unknown broker, an unknown record version) and refuses it with an error that
// names the record, so a corrupt or out-of-order log is noticed instead of folded.
// Not thread-safe: one owner replays; the images it builds are shared freely.
#ifndef KARST_CONTROLLER_METADATA_METADATA_DELTA_H_
#define KARST_CONTROLLER_METADATA_METADATA_DELTA_H_

#include <memory>

#include "absl/status/status.h"
#include "controller/metadata/metadata_image.h"
#include "proto/metadata.pb.h"

namespace karst::controller {

namespace proto = ::karst::metadata::proto;

// The newest record version this build reads.
inline constexpr int32_t kMetadataRecordVersion = 0;

class MetadataDelta {
 public:
  explicit MetadataDelta(std::shared_ptr<const MetadataImage> base);

  // Folds `record`, committed at `offset`. On error the delta is unchanged.
  absl::Status Replay(const proto::MetadataRecord& record, int64_t offset);

  // The image with every replayed record applied.
  std::shared_ptr<const MetadataImage> Apply() const;

 private:
  MetadataImage next_;
};

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_METADATA_METADATA_DELTA_H_
