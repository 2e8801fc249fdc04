#include "common/grpc_source_address.h"

#include <arpa/inet.h>
#include <grpc/support/sync.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cstring>
#include <type_traits>

#include "absl/strings/str_cat.h"

// A mirror of gRPC 1.51's src/core/lib/iomgr/socket_mutator.h (see the header's ABI note).
// The names must match: grpc_socket_mutator_init is exported with C++ linkage, so its mangled
// name encodes these struct names.
struct grpc_socket_mutator_vtable {
  bool (*mutate_fd)(int fd, grpc_socket_mutator* mutator);
  int (*compare)(grpc_socket_mutator* a, grpc_socket_mutator* b);
  void (*destroy)(grpc_socket_mutator* mutator);
  // The first argument is a `const grpc_mutate_socket_info*`: {int fd; grpc_fd_usage usage;}.
  bool (*mutate_fd_2)(const void* info, grpc_socket_mutator* mutator);
};

struct grpc_socket_mutator {
  const grpc_socket_mutator_vtable* vtable;
  gpr_refcount refcount;
};

void grpc_socket_mutator_init(grpc_socket_mutator* mutator,
                              const grpc_socket_mutator_vtable* vtable);

namespace karst {
namespace {

// grpc_mutate_socket_info and grpc_fd_usage, as of gRPC 1.51.
struct MutateSocketInfo {
  int fd;
  int usage;
};
constexpr int kClientConnectionUsage = 0;  // GRPC_FD_CLIENT_CONNECTION_USAGE

struct SourceAddressMutator {
  grpc_socket_mutator base;  // First, so a grpc_socket_mutator* is a SourceAddressMutator*.
  sockaddr_in v4;
  sockaddr_in6 v6;  // The v4-mapped form, for gRPC's dual-stack AF_INET6 client sockets.
};
static_assert(std::is_standard_layout_v<SourceAddressMutator>);

SourceAddressMutator* Cast(grpc_socket_mutator* mutator) {
  return reinterpret_cast<SourceAddressMutator*>(mutator);
}

bool BindFd(int fd, grpc_socket_mutator* base) {
  const SourceAddressMutator* mutator = Cast(base);
  int domain = 0;
  socklen_t len = sizeof(domain);
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &domain, &len) != 0) return false;
  if (domain == AF_INET) {
    return bind(fd, reinterpret_cast<const sockaddr*>(&mutator->v4), sizeof(mutator->v4)) == 0;
  }
  if (domain == AF_INET6) {
    return bind(fd, reinterpret_cast<const sockaddr*>(&mutator->v6), sizeof(mutator->v6)) == 0;
  }
  return true;  // e.g. a Unix socket: nothing to bind.
}

bool MutateFd2(const void* info, grpc_socket_mutator* base) {
  const auto* socket = static_cast<const MutateSocketInfo*>(info);
  if (socket->usage != kClientConnectionUsage) return true;
  return BindFd(socket->fd, base);
}

int Compare(grpc_socket_mutator* a, grpc_socket_mutator* b) {
  return std::memcmp(&Cast(a)->v4.sin_addr, &Cast(b)->v4.sin_addr, sizeof(in_addr));
}

void Destroy(grpc_socket_mutator* base) { delete Cast(base); }

constexpr grpc_socket_mutator_vtable kVtable = {
    .mutate_fd = BindFd, .compare = Compare, .destroy = Destroy, .mutate_fd_2 = MutateFd2};

}  // namespace

absl::Status SetSourceAddress(const std::string& host, grpc::ChannelArguments& args) {
  in_addr addr{};
  if (inet_pton(AF_INET, host.c_str(), &addr) != 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("raft transport: local address \"", host, "\" is not an IPv4 address"));
  }
  auto* mutator = new SourceAddressMutator{};
  mutator->v4.sin_family = AF_INET;
  mutator->v4.sin_addr = addr;
  mutator->v6.sin6_family = AF_INET6;
  mutator->v6.sin6_addr.s6_addr[10] = 0xff;
  mutator->v6.sin6_addr.s6_addr[11] = 0xff;
  std::memcpy(&mutator->v6.sin6_addr.s6_addr[12], &addr, sizeof(addr));
  grpc_socket_mutator_init(&mutator->base, &kVtable);
  // `args` takes the initial reference; each channel built from it takes its own.
  args.SetSocketMutator(&mutator->base);
  return absl::OkStatus();
}

}  // namespace karst
