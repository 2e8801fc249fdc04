// BrokerMetrics: the Kafka listener's metrics with Kafka's meanings, as Prometheus series:
// requests and their total time per API (RequestsPerSec, TotalTimeMs), and bytes and messages
// in and out per topic (BytesInPerSec, MessagesInPerSec, BytesOutPerSec; follower fetches
// count as replication, not out). Thread-safe (prometheus-cpp metrics are).
#ifndef KARST_BROKER_KAFKA_BROKER_METRICS_H_
#define KARST_BROKER_KAFKA_BROKER_METRICS_H_

#include <cstdint>
#include <string>

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace karst::broker::kafka {

class BrokerMetrics {
 public:
  explicit BrokerMetrics(prometheus::Registry& registry);

  // One request of `api` answered after `seconds`.
  void ObserveRequest(const std::string& api, double seconds);
  void RecordProduce(const std::string& topic, int64_t bytes, int64_t messages);
  void RecordFetch(const std::string& topic, int64_t bytes, bool follower);

 private:
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Histogram>& request_seconds_;
  prometheus::Family<prometheus::Counter>& bytes_in_;
  prometheus::Family<prometheus::Counter>& messages_in_;
  prometheus::Family<prometheus::Counter>& bytes_out_;
  prometheus::Family<prometheus::Counter>& replication_bytes_out_;
};

}  // namespace karst::broker::kafka

#endif  // KARST_BROKER_KAFKA_BROKER_METRICS_H_
