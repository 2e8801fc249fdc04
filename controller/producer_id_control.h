// ProducerIdControl: hands out blocks of producer ids for idempotent and transactional
// producers (KIP-730); the next free id is replicated in ProducerIdsRecord, so a new active
// controller never hands out an id twice. Stateless beyond the image.
#ifndef KARST_CONTROLLER_PRODUCER_ID_CONTROL_H_
#define KARST_CONTROLLER_PRODUCER_ID_CONTROL_H_

#include "controller/controller_result.h"
#include "controller/replication_control.h"

namespace karst::controller {

struct ProducerIdBlock {
  ApiError error;
  int64_t first = -1;
  int32_t size = 0;
};

inline constexpr int32_t kProducerIdBlockSize = 1000;  // Kafka's block size.

// A block for `broker` (which must be registered with `broker_epoch`).
ControllerResult<ProducerIdBlock> GenerateAllocateProducerIds(const MetadataImage& image,
                                                              NodeId broker, int64_t broker_epoch);

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_PRODUCER_ID_CONTROL_H_
