// ControllerResult: what a Generate* step returns: the records to commit through Raft and the
// response to send once they are committed (an error response carries no records). The
// controller changes state in one way only: records are committed and then replayed.
#ifndef KARST_CONTROLLER_CONTROLLER_RESULT_H_
#define KARST_CONTROLLER_CONTROLLER_RESULT_H_

#include <vector>

#include "proto/metadata.pb.h"

namespace karst::controller {

template <typename Response>
struct ControllerResult {
  std::vector<metadata::proto::MetadataRecord> records;
  Response response;
};

}  // namespace karst::controller

#endif  // KARST_CONTROLLER_CONTROLLER_RESULT_H_
