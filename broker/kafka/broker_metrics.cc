#include "broker/kafka/broker_metrics.h"

namespace karst::broker::kafka {
namespace {

prometheus::Family<prometheus::Counter>& Counter(prometheus::Registry& r, const char* name,
                                                 const char* help) {
  return prometheus::BuildCounter().Name(name).Help(help).Register(r);
}

}  // namespace

BrokerMetrics::BrokerMetrics(prometheus::Registry& registry)
    : requests_(Counter(registry, "karst_kafka_requests_total",
                        "Kafka requests answered, by API (RequestsPerSec)")),
      request_seconds_(prometheus::BuildHistogram()
                           .Name("karst_kafka_request_seconds")
                           .Help("Kafka request total time, receipt to response (TotalTimeMs)")
                           .Register(registry)),
      bytes_in_(Counter(registry, "karst_topic_bytes_in_total",
                        "Record bytes appended by producers, by topic (BytesInPerSec)")),
      messages_in_(Counter(registry, "karst_topic_messages_in_total",
                           "Records appended by producers, by topic (MessagesInPerSec)")),
      bytes_out_(Counter(registry, "karst_topic_bytes_out_total",
                         "Record bytes fetched by consumers, by topic (BytesOutPerSec)")),
      replication_bytes_out_(Counter(registry, "karst_topic_replication_bytes_out_total",
                                     "Record bytes fetched by follower replicas, by topic")) {}

void BrokerMetrics::ObserveRequest(const std::string& api, double seconds) {
  requests_.Add({{"api", api}}).Increment();
  static const prometheus::Histogram::BucketBoundaries kBuckets = {
      0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
  request_seconds_.Add({{"api", api}}, kBuckets).Observe(seconds);
}

void BrokerMetrics::RecordProduce(const std::string& topic, int64_t bytes, int64_t messages) {
  bytes_in_.Add({{"topic", topic}}).Increment(static_cast<double>(bytes));
  messages_in_.Add({{"topic", topic}}).Increment(static_cast<double>(messages));
}

void BrokerMetrics::RecordFetch(const std::string& topic, int64_t bytes, bool follower) {
  (follower ? replication_bytes_out_ : bytes_out_)
      .Add({{"topic", topic}})
      .Increment(static_cast<double>(bytes));
}

}  // namespace karst::broker::kafka
