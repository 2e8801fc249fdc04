// The gRPC metadata key that carries the caller's cluster id on every call between Karst nodes
// (broker -> controller). Servers refuse a call whose value names another cluster; see
// controller/controller_service.h. gRPC requires metadata keys in lower case.
#ifndef KARST_COMMON_CLUSTER_ID_HEADER_H_
#define KARST_COMMON_CLUSTER_ID_HEADER_H_

namespace karst {

inline constexpr char kClusterIdHeader[] = "karst-cluster-id";

}  // namespace karst

#endif  // KARST_COMMON_CLUSTER_ID_HEADER_H_
