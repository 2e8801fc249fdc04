#include "controller/producer_id_control.h"

#include "absl/strings/str_cat.h"

namespace karst::controller {

ControllerResult<ProducerIdBlock> GenerateAllocateProducerIds(const MetadataImage& image,
                                                              NodeId broker, int64_t broker_epoch) {
  ControllerResult<ProducerIdBlock> result;
  auto it = image.brokers.find(broker);
  if (it == image.brokers.end()) {
    result.response.error = {ErrorCode::kBrokerIdNotRegistered,
                             absl::StrCat("Broker ", broker.value(), " is not registered.")};
    return result;
  }
  if (it->second.epoch != broker_epoch) {
    result.response.error = {
        ErrorCode::kStaleBrokerEpoch,
        absl::StrCat("Broker epoch ", broker_epoch, " is not the current ", it->second.epoch, ".")};
    return result;
  }
  auto* r = result.records.emplace_back().mutable_producer_ids();
  r->set_broker_id(broker.value());
  r->set_broker_epoch(broker_epoch);
  r->set_next_producer_id(image.next_producer_id + kProducerIdBlockSize);
  result.response.first = image.next_producer_id;
  result.response.size = kProducerIdBlockSize;
  return result;
}

}  // namespace karst::controller
