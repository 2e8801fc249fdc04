// KafkaChannel: a blocking Kafka protocol connection from this broker to another one, for the
// replica fetcher (a follower is a Kafka client of its leader). One request at a time, each
// bounded by a deadline; any error closes the connection and the next call reconnects.
//
// Thread-safety: none; one fetcher thread owns a channel. Shutdown() may be called from any
// thread to make a blocked call return promptly.
#ifndef KARST_BROKER_REPLICATION_KAFKA_CHANNEL_H_
#define KARST_BROKER_REPLICATION_KAFKA_CHANNEL_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/clock.h"
#include "kafka/protocol/apis.h"
#include "kafka/protocol/codec.h"
#include "kafka/protocol/header.h"
#include "kafka/protocol/wire.h"

namespace karst::broker::replication {

class KafkaChannel {
 public:
  // `clock` must outlive the channel. A non-empty `local_address` (an IPv4 address of this
  // node) is bound before connecting, so the connection comes from the node's own address
  // (tests cut links by address with nftables) instead of the one the kernel picks.
  KafkaChannel(std::string host, uint16_t port, std::string client_id, Clock& clock,
               std::string local_address = "");
  ~KafkaChannel();

  // Sends `request` at `version` and decodes the response into `response`, whose views
  // (records) point into `*buffer`. kUnavailable for
  // connection failures, kDeadlineExceeded past `timeout`, kInvalidArgument for a response
  // that does not decode; kCancelled after Shutdown().
  template <typename Request, typename Response>
  absl::Status Call(const Request& request, int16_t version, Response* response,
                    std::string* buffer, absl::Duration timeout) {
    const ::karst::kafka::protocol::ApiInfo* api =
        ::karst::kafka::protocol::FindApi(Request::kApiKey);
    std::string payload;
    ::karst::kafka::protocol::Writer w(&payload);
    const int32_t correlation_id = next_correlation_id_++;
    ::karst::kafka::protocol::EncodeRequestHeader(
        w, ::karst::kafka::protocol::RequestHeaderVersion(*api, version),
        {.api_key = Request::kApiKey,
         .api_version = version,
         .correlation_id = correlation_id,
         .client_id = client_id_});
    request.Encode(w, version);
    absl::StatusOr<std::string> frame =
        RoundTrip(::karst::kafka::protocol::Frame(payload), correlation_id,
                  ::karst::kafka::protocol::ResponseHeaderVersion(*api, version), timeout);
    if (!frame.ok()) return frame.status();
    *buffer = *std::move(frame);
    ::karst::kafka::protocol::Reader r(*buffer);
    absl::Status status = response->Decode(r, version);
    if (!status.ok()) Close();
    return status;
  }

  void Shutdown();
  void Close();

 private:
  // Writes `frame`, reads one response frame and checks its correlation id; returns the body.
  absl::StatusOr<std::string> RoundTrip(const std::string& frame, int32_t correlation_id,
                                        int header_version, absl::Duration timeout);
  absl::Status Connect(absl::Duration deadline);
  absl::Status WaitFor(short events, absl::Duration deadline);

  const std::string host_;
  const uint16_t port_;
  const std::string client_id_;
  Clock& clock_;
  const std::string local_address_;
  int fd_ = -1;
  int32_t next_correlation_id_ = 1;
  std::atomic<bool> shutdown_{false};
};

}  // namespace karst::broker::replication

#endif  // KARST_BROKER_REPLICATION_KAFKA_CHANNEL_H_
