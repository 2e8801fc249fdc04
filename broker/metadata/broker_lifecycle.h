// BrokerLifecycle: a broker's life with the controller quorum (KRaft's BrokerLifecycleManager
// and metadata loader). It registers the broker, heartbeats, follows the metadata log into a
// MetadataImage it publishes, and runs the controlled shutdown. Thread-safe; Start/Stop
// belong to the owner.
//
//   Start -> registering --RegisterBroker ok--> fenced --caught up (heartbeat)--> unfenced
//               ^                                  |                               |
//               +--- STALE_BROKER_EPOCH / BROKER_ID_NOT_REGISTERED in a heartbeat --+
//   ControlledShutdown: heartbeats want_shutdown until should_shutdown (leads nothing).
// A controller of another cluster answers INCONSISTENT_CLUSTER_ID (104): the broker stays
// unregistered, retries every heartbeat interval and logs the refusal once (and once again
// when a call is accepted).
//
// Two threads: the heartbeat thread registers and heartbeats (so a long poll never delays a
// heartbeat); the fetch thread long-polls FetchMetadata and folds what comes back.
#ifndef KARST_BROKER_METADATA_BROKER_LIFECYCLE_H_
#define KARST_BROKER_METADATA_BROKER_LIFECYCLE_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "broker/metadata/controller_client.h"
#include "controller/metadata/metadata_image.h"

namespace karst::broker {

struct BrokerLifecycleOptions {
  NodeId broker_id{-1};
  std::vector<controller::Endpoint> endpoints;           // The broker's listeners.
  std::string rack;                                      // Empty: none.
  absl::Duration heartbeat_interval = absl::Seconds(2);  // broker.heartbeat.interval.ms.
  absl::Duration fetch_max_wait = absl::Milliseconds(500);
  // Each call's overall timeout (beyond a fetch's wait), and the wait after a failed one.
  absl::Duration request_timeout = absl::Seconds(5);
  absl::Duration retry_backoff = absl::Milliseconds(100);
  // For the incarnation id (16 random bytes per process start); 0: from the OS.
  uint64_t seed = 0;
};

class BrokerLifecycle {
 public:
  using ImageListener = std::function<void(std::shared_ptr<const controller::MetadataImage>)>;

  // `client` must outlive this.
  BrokerLifecycle(BrokerLifecycleOptions options, ControllerClient& client);
  ~BrokerLifecycle();

  // Called on the fetch thread with each new image, after image() returns it. REQUIRES:
  // before Start().
  void SetListener(ImageListener listener);

  // Starts both threads. kFailedPrecondition if already started.
  absl::Status Start();
  // Ends calls in flight, wakes waiters and joins both threads. Idempotent.
  void Stop();

  // The newest folded image (the empty image at offset -1 before the first).
  std::shared_ptr<const controller::MetadataImage> image() const;
  // -1 until registered.
  int64_t broker_epoch() const;
  // From the last heartbeat response; true until one says otherwise.
  bool fenced() const;
  // The incarnation id this process registers with.
  const std::string& incarnation_id() const { return incarnation_id_; }

  // Waits until the image's offset is at least `offset`; false on timeout or Stop().
  bool WaitForImage(int64_t offset, absl::Duration timeout) const;
  // Heartbeats want_shutdown until the controller answers should_shutdown (the broker then
  // leads nothing and is fenced). kDeadlineExceeded on timeout; kFailedPrecondition if not
  // running.
  absl::Status ControlledShutdown(absl::Duration timeout);

 private:
  void HeartbeatLoop();
  void FetchLoop();
  // One registration or heartbeat; returns when the next one is due.
  void Register();
  void Heartbeat();
  // Folds a fetch response; kDataLoss-like errors mean the next fetch asks for a snapshot.
  absl::Status Fold(const controller_rpc::FetchMetadataResponse& response);
  void Publish(std::shared_ptr<const controller::MetadataImage> image);
  // Whether `code` is INCONSISTENT_CLUSTER_ID; logs the first of a run of them.
  bool RefusedByCluster(int32_t code, const std::string& message);
  // A call was accepted: ends a run of refusals.
  void AcceptedByCluster();
  // Waits `duration`, or until Stop() (or, with `wake_on_heartbeat`, a heartbeat request).
  void Wait(absl::Duration duration, bool wake_on_heartbeat);

  BrokerLifecycleOptions options_;
  ControllerClient& client_;
  std::string incarnation_id_;
  ImageListener listener_;
  CallCanceller canceller_;  // Cancelled by Stop().

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::shared_ptr<const controller::MetadataImage> image_;  // Guarded by mu_.
  int64_t broker_epoch_ = -1;                               // Guarded by mu_.
  bool fenced_ = true;                                      // Guarded by mu_.
  bool want_shutdown_ = false;                              // Guarded by mu_.
  bool should_shutdown_ = false;                            // Guarded by mu_.
  bool heartbeat_now_ = false;                              // Guarded by mu_.
  bool started_ = false;                                    // Guarded by mu_.
  bool stopping_ = false;                                   // Guarded by mu_.
  bool cluster_refused_ = false;                            // Guarded by mu_.
  std::thread heartbeat_thread_;
  std::thread fetch_thread_;
};

}  // namespace karst::broker

#endif  // KARST_BROKER_METADATA_BROKER_LIFECYCLE_H_
