// SourceAddressMutator: makes a gRPC channel's client sockets bind() to a chosen local IPv4
// address (port 0) before they connect, so that a node's outgoing connections come from its
// own loopback address instead of the one the kernel picks (127.0.0.1 for any 127/8
// destination). Partition tests rely on it: nftables rules match on the source address. Used by the
// Raft transport and the broker's controller client.
//
// ABI coupling, read before upgrading gRPC: gRPC's C++ API only accepts a
// `grpc_socket_mutator*` (grpc::ChannelArguments::SetSocketMutator); the struct and its vtable
// are declared in gRPC's private header src/core/lib/iomgr/socket_mutator.h. The .cc file
// mirrors their layout as of gRPC 1.51 (vtable: mutate_fd, compare, destroy, mutate_fd_2;
// mutator: vtable pointer then gpr_refcount) and calls the exported, C++-mangled
// `grpc_socket_mutator_init`. If a gRPC upgrade changes that layout, binding silently stops or
// crashes; raft/transport/grpc_transport_test's SendsFromTheConfiguredLocalAddress checks the
// source address a receiving server sees, so it fails loudly instead.
#ifndef KARST_COMMON_GRPC_SOURCE_ADDRESS_H_
#define KARST_COMMON_GRPC_SOURCE_ADDRESS_H_

#include <grpcpp/grpcpp.h>

#include <string>

#include "absl/status/status.h"

namespace karst {

// Sets a mutator on `args` that binds each client socket to `host` (dotted-quad IPv4, e.g.
// "127.41.7.3"), port 0; IPv6 sockets (gRPC's dual-stack ones) bind to the v4-mapped form.
// `args` owns the mutator. Errors: kInvalidArgument if `host` is not IPv4.
absl::Status SetSourceAddress(const std::string& host, grpc::ChannelArguments& args);

}  // namespace karst

#endif  // KARST_COMMON_GRPC_SOURCE_ADDRESS_H_
