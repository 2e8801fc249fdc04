// FakeBroker: a Kafka broker for client unit tests. It listens on 127.0.0.1 (ephemeral port),
// serves each connection on its own thread with the generated codec, and answers ApiVersions,
// Metadata (a scripted cluster), Produce, Fetch and ListOffsets (an in-memory log per
// partition), and the group APIs through an attached FakeGroupCoordinator. Tests inject partition
// errors, delays and closed connections, and assert on the requests it recorded. Thread-safe: every
// method may be called while clients talk to it.
//
// A partition is served only by its leader in the scripted metadata: other brokers answer
// NOT_LEADER_OR_FOLLOWER, and a topic or partition missing from the metadata gets
// UNKNOWN_TOPIC_OR_PARTITION. Logs are per broker; a failover test seeds both leaders.
#ifndef KARST_CLIENT_TESTING_FAKE_BROKER_H_
#define KARST_CLIENT_TESTING_FAKE_BROKER_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/testing/fake_group_coordinator.h"
#include "common/clock.h"
#include "kafka/protocol/codec.h"

namespace karst::client::testing {

struct FakePartition {
  int32_t leader = -1;  // -1: no leader (LEADER_NOT_AVAILABLE in Metadata).
  int32_t leader_epoch = 0;
  std::vector<int32_t> replicas;  // Empty: just the leader.
};

// What Metadata answers. Brokers map a node id to a port on 127.0.0.1.
struct FakeMetadata {
  std::map<int32_t, int> brokers;
  std::map<std::string, std::vector<FakePartition>> topics;  // By partition index.
};

// One request as received. The per-API fields are filled for their API only.
struct ReceivedRequest {
  struct ProducedBatch {
    std::string topic;
    int32_t partition = 0;
    int32_t record_count = 0;
  };
  struct FetchedPartition {
    std::string topic;
    int32_t partition = 0;
    int64_t fetch_offset = 0;
    int32_t partition_max_bytes = 0;
    int32_t current_leader_epoch = -1;
  };
  struct ListedPartition {
    std::string topic;
    int32_t partition = 0;
    int64_t timestamp = 0;  // -2 earliest, -1 latest.
  };
  int16_t api_key = 0;
  int16_t api_version = 0;
  std::optional<std::string> client_id;
  int16_t acks = 0;                       // Produce.
  std::vector<ProducedBatch> produced;    // Produce: one entry per batch, in request order.
  int32_t max_wait_ms = 0;                // Fetch.
  int32_t min_bytes = 0;                  // Fetch.
  int32_t max_bytes = 0;                  // Fetch.
  std::vector<FetchedPartition> fetched;  // Fetch.
  std::vector<ListedPartition> listed;    // ListOffsets.
  std::optional<std::vector<std::string>> metadata_topics;  // Metadata; nullopt: all topics.
};

class FakeBroker {
 public:
  struct Options {
    int32_t node_id = 1;
    // The [min, max] ApiVersions advertises per API key. Empty: ApiVersions 0..3, Metadata
    // 0..12, Produce 3..11, Fetch 4..12, ListOffsets 1..7, and the group APIs
    // (FakeGroupCoordinator): FindCoordinator 0..3, JoinGroup 0..9, SyncGroup 0..5, Heartbeat
    // 0..4, LeaveGroup 0..5, OffsetCommit 0..8, OffsetFetch 0..7. Other versions close the
    // connection.
    std::map<int16_t, std::pair<int16_t, int16_t>> api_versions;
  };

  // Listens and starts the accept thread. kUnavailable if the socket cannot be bound.
  static absl::StatusOr<std::unique_ptr<FakeBroker>> Start(Options options);
  ~FakeBroker();  // Stop().
  FakeBroker(const FakeBroker&) = delete;
  FakeBroker& operator=(const FakeBroker&) = delete;

  // Closes every connection and joins every thread. Idempotent.
  void Stop();

  int32_t node_id() const { return options_.node_id; }
  int port() const { return port_; }
  std::string address() const;  // "127.0.0.1:<port>", for bootstrap.servers.

  // Serves FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit and
  // OffsetFetch from `coordinator` (shared by the brokers of a test); without one, those
  // requests close the connection.
  void SetGroupCoordinator(std::shared_ptr<FakeGroupCoordinator> coordinator);

  // Replaces the metadata this broker serves (and uses to decide what it leads).
  void SetMetadata(FakeMetadata metadata);
  FakeMetadata metadata() const;

  // Appends one v2 batch to `topic`-`partition`, rewriting its base offset (and leader epoch)
  // as Produce does; returns the base offset. kDataLoss for a malformed batch.
  absl::StatusOr<int64_t> AppendBatch(const std::string& topic, int32_t partition,
                                      std::string batch);
  // Builds and appends one uncompressed batch of `values` (null keys); returns its base offset.
  absl::StatusOr<int64_t> AppendValues(const std::string& topic, int32_t partition,
                                       const std::vector<std::string>& values);
  // Moves the log start (retention): drops batches that end before it; an empty log or one
  // ending before `offset` then starts (and ends) at `offset`.
  void SetLogStartOffset(const std::string& topic, int32_t partition, int64_t offset);
  int64_t LogStartOffset(const std::string& topic, int32_t partition) const;
  int64_t LogEndOffset(const std::string& topic, int32_t partition) const;
  // The stored batches, base offsets assigned, in offset order.
  std::vector<std::string> Batches(const std::string& topic, int32_t partition) const;

  // The next `count` requests of `api_key` (Produce, Fetch, ListOffsets or Metadata) that name
  // `topic`-`partition` answer it with `error_code` instead of serving it. For Metadata the
  // error goes on the topic and `partition` is ignored.
  void InjectError(int16_t api_key, const std::string& topic, int32_t partition, int16_t error_code,
                   int count = 1);
  // The next `count` responses to `api_key` are sent `delay` late (Stop cuts a delay short).
  void DelayResponses(int16_t api_key, absl::Duration delay, int count = 1);
  // The next `count` requests of `api_key` are recorded, then their connection is closed
  // without an answer.
  void CloseConnectionOnNext(int16_t api_key, int count = 1);
  // Closes every open connection now.
  void CloseAllConnections();

  // Every request received, in arrival order (recorded before any delay or close).
  std::vector<ReceivedRequest> Requests() const;
  std::vector<ReceivedRequest> Requests(int16_t api_key) const;
  int RequestCount(int16_t api_key) const;
  void ClearRequests();
  int ConnectionsAccepted() const;
  // Waits until at least `n` requests of `api_key` have been received. kDeadlineExceeded
  // naming the count seen if `timeout` passes first.
  absl::Status WaitForRequests(int16_t api_key, int n, absl::Duration timeout) const;

  // --- Scripted handlers (AdminClient consumer group tests) ---
  // Answers every request of Request's API with `handler(request, version)` instead of the
  // built-in handling (there may be none); Options::api_versions must advertise the API.
  // Injections, delays and closes do not apply. `handler` runs on connection threads, outside
  // the broker's lock; a request that does not decode closes the connection.
  template <typename Request, typename Response>
  void SetHandler(std::function<Response(const Request&, int16_t version)> handler) {
    SetRawHandler(
        Request::kApiKey,
        [handler](const ::karst::kafka::protocol::Request& request) -> std::optional<std::string> {
          Request body;
          if (!::karst::kafka::protocol::DecodeBody(request, &body).ok()) return std::nullopt;
          return ::karst::kafka::protocol::EncodeResponse(
              *request.api, request.header.api_version, request.header.correlation_id,
              handler(body, request.header.api_version));
        });
  }
  // The response frame for a request (nullopt: close the connection).
  using RawHandler =
      std::function<std::optional<std::string>(const ::karst::kafka::protocol::Request&)>;
  void SetRawHandler(int16_t api_key, RawHandler handler);

 private:
  struct Batch {
    int64_t base_offset = 0;
    int64_t last_offset = 0;
    int64_t max_timestamp = -1;
    std::string bytes;
  };
  struct Log {
    int64_t log_start_offset = 0;
    int64_t log_end_offset = 0;
    std::vector<Batch> batches;
  };
  struct Injection {
    int16_t api_key = 0;
    std::string topic;
    int32_t partition = 0;
    int16_t error_code = 0;
    int remaining = 0;
  };
  struct ConnectionThread {
    int fd = -1;  // -1 once the thread closed it (under mu_).
    std::thread thread;
  };
  class Handlers;  // The per-API request handlers (fake_broker.cc).

  FakeBroker(Options options, int listen_fd, int port);
  void AcceptLoop();
  void Serve(ConnectionThread* connection);
  // The response frame for one request frame ("" for none: Produce with acks=0); nullopt:
  // close the connection.
  std::optional<std::string> Handle(const std::string& frame);
  // Waits until `ready` holds, Stop() runs or `timeout` passes; true if `ready` held.
  template <typename Predicate>
  bool AwaitLocked(std::unique_lock<std::mutex>& lock, Predicate ready,
                   absl::Duration timeout) const;
  // The injected error for `api_key` on the partition, consumed; 0 when none.
  int16_t TakeInjectedError(int16_t api_key, const std::string& topic, int32_t partition);
  // NONE, or why this broker does not serve the partition (leadership, epoch).
  int16_t CheckLeader(const std::string& topic, int32_t partition, int32_t leader_epoch) const;
  int32_t LeaderEpochLocked(const std::string& topic, int32_t partition) const;
  // SetRawHandler's handler for `api_key`, or an empty function.
  RawHandler ScriptedHandler(int16_t api_key) const;
  absl::StatusOr<int64_t> AppendLocked(const std::string& topic, int32_t partition,
                                       std::string batch);

  const Options options_;
  Clock& clock_;  // The system clock: a fake must not wait on a clock nobody advances.
  const int listen_fd_;
  const int port_;
  std::thread accept_thread_;

  // std::mutex rather than absl::Mutex: Debian's Abseil is not built for ThreadSanitizer, which
  // then cannot see its synchronisation. Guards every field below; AwaitLocked,
  // TakeInjectedError, CheckLeader and the *Locked methods require it held.
  mutable std::mutex mu_;
  // Notified on every change a waiter may want: requests, appends, Stop().
  mutable std::condition_variable changed_;
  bool stopping_ = false;
  // Bumped by every append, so waiting fetches wake.
  int64_t appends_ = 0;
  FakeMetadata metadata_;
  std::shared_ptr<FakeGroupCoordinator> group_coordinator_;
  std::map<std::pair<std::string, int32_t>, Log> logs_;
  std::vector<Injection> injections_;
  std::map<int16_t, std::pair<absl::Duration, int>> delays_;
  std::map<int16_t, int> closes_;
  std::vector<ReceivedRequest> requests_;
  std::vector<std::unique_ptr<ConnectionThread>> connections_;
  int accepted_ = 0;
  std::map<int16_t, RawHandler> scripted_;  // SetRawHandler's, by API key.
};

}  // namespace karst::client::testing

#endif  // KARST_CLIENT_TESTING_FAKE_BROKER_H_
