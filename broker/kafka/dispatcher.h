// KafkaDispatcher: the RequestDispatcher of the broker's Kafka listeners. It decodes each
// frame's header, answers ApiVersions itself (with the KIP-511 fallback for versions above
// ours), and hands every other API to its handler at a version the handler serves. An
// unknown API key, an unsupported version or a malformed request closes the connection, as
// Kafka does (CLIENTS.md rule 1). Thread-safe (handlers are).
#ifndef KARST_BROKER_KAFKA_DISPATCHER_H_
#define KARST_BROKER_KAFKA_DISPATCHER_H_

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "broker/kafka/handlers/broker_context.h"
#include "broker/kafka/server.h"
#include "kafka/protocol/codec.h"

namespace karst::broker::kafka {

// One API as this broker serves it.
struct ApiHandler {
  int16_t key = 0;
  int16_t min_version = 0;  // Advertised.
  int16_t max_version = 0;
  // Versions below this are advertised but refused (Produce 0-2: CLIENTS.md rule 2).
  int16_t min_accepted_version = 0;
  std::function<void(BrokerContext&, const RequestInfo&, const ::karst::kafka::protocol::Request&,
                     const Responder&)>
      handle;
};

class KafkaDispatcher final : public RequestDispatcher {
 public:
  // `context` must outlive the dispatcher.
  explicit KafkaDispatcher(BrokerContext& context);

  void Dispatch(const ConnectionInfo& connection, std::string frame, Responder respond) override;

  // The served APIs, by key (what ApiVersions advertises).
  const std::map<int16_t, ApiHandler>& apis() const { return apis_; }

 private:
  void HandleApiVersions(const ::karst::kafka::protocol::Request& request,
                         const Responder& respond) const;

  BrokerContext& context_;
  std::map<int16_t, ApiHandler> apis_;
};

}  // namespace karst::broker::kafka

#endif  // KARST_BROKER_KAFKA_DISPATCHER_H_
