// TransportCounters: GrpcTransport's counters, shared by its peer clients and its service.
// Readers take a consistent copy (Get) or wait until a condition on the counts holds (Await).
// Thread-safe.
#ifndef KARST_RAFT_TRANSPORT_TRANSPORT_COUNTERS_H_
#define KARST_RAFT_TRANSPORT_TRANSPORT_COUNTERS_H_

#include <cstdint>
#include <functional>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace karst::raft {

struct TransportCounts {
  uint64_t messages_sent = 0;      // Acknowledged by the peer (its handler has them).
  uint64_t messages_dropped = 0;   // Not delivered: queue full, unknown peer, RPC failed, stopped.
  uint64_t messages_received = 0;  // Passed to this node's on_message.
  uint64_t rpcs_sent = 0;          // Outgoing Send and InstallSnapshot RPCs started.
  uint64_t rpcs_failed = 0;        // Outgoing RPCs that did not end OK.
  uint64_t rpcs_refused = 0;       // Incoming RPCs this node refused or could not read.
  bool operator==(const TransportCounts&) const = default;
};

class TransportCounters {
 public:
  // Adds `n` to one count: Add(&TransportCounts::messages_sent, 3).
  void Add(uint64_t TransportCounts::*count, uint64_t n = 1) {
    absl::MutexLock lock(&mu_);
    counts_.*count += n;
  }

  TransportCounts Get() const {
    absl::MutexLock lock(&mu_);
    return counts_;
  }

  // Blocks until `done(counts)` holds or `timeout` passes; returns whether it holds.
  bool Await(const std::function<bool(const TransportCounts&)>& done,
             absl::Duration timeout) const {
    auto holds = [&]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return done(counts_); };
    absl::MutexLock lock(&mu_);
    return mu_.AwaitWithTimeout(absl::Condition(&holds), timeout);
  }

 private:
  mutable absl::Mutex mu_;
  TransportCounts counts_ ABSL_GUARDED_BY(mu_);
};

}  // namespace karst::raft

#endif  // KARST_RAFT_TRANSPORT_TRANSPORT_COUNTERS_H_
