// DescribeLogDirs (key 35): the broker's one log directory with the size of each hosted
// partition's log, optionally filtered by topic and partition (null: all), and for v4 the
// file system's total and usable bytes (KIP-827).
#include <sys/statvfs.h>

#include <map>

#include "broker/kafka/handlers/handlers.h"

namespace karst::broker::kafka {
namespace {

using Result = kp::DescribeLogDirsResponse::DescribeLogDirsResult;

bool Wanted(const kp::DescribeLogDirsRequest& request, const replication::TopicPartition& tp) {
  if (!request.topics.has_value()) return true;
  for (const auto& topic : *request.topics) {
    if (topic.topic != tp.topic) continue;
    for (int32_t p : topic.partitions) {
      if (p == tp.partition) return true;
    }
  }
  return false;
}

// Total and usable bytes of the file system holding `dir`; -1 each if unknown.
void FillSpace(const std::string& dir, Result& result) {
  struct statvfs fs {};
  if (::statvfs(dir.c_str(), &fs) != 0) return;
  result.total_bytes = static_cast<int64_t>(fs.f_blocks) * static_cast<int64_t>(fs.f_frsize);
  result.usable_bytes = static_cast<int64_t>(fs.f_bavail) * static_cast<int64_t>(fs.f_frsize);
}

}  // namespace

void HandleDescribeLogDirs(BrokerContext& ctx, const RequestInfo& /*info*/,
                           const kp::DescribeLogDirsRequest& request,
                           const Reply<kp::DescribeLogDirsResponse>& reply) {
  kp::DescribeLogDirsResponse response;
  Result& result = response.results.emplace_back();
  result.log_dir = ctx.partitions->log_dir();
  std::map<std::string, std::vector<kp::DescribeLogDirsResponse::DescribeLogDirsPartition>> topics;
  for (const std::shared_ptr<replication::Partition>& partition : ctx.partitions->All()) {
    if (!Wanted(request, partition->tp())) continue;
    auto& p = topics[partition->tp().topic].emplace_back();
    p.partition_index = partition->tp().partition;
    p.partition_size = static_cast<int64_t>(partition->size_bytes());
    // Kafka's ReplicaManager.getLogEndOffsetLag for a current (not future) log: how far the
    // log end is below the high watermark, so 0 for a leader.
    p.offset_lag = std::max<int64_t>(
        partition->high_watermark().value() - partition->log_end_offset().value(), 0);
    p.is_future_key = false;
  }
  for (auto& [name, partitions] : topics) {
    auto& t = result.topics.emplace_back();
    t.name = name;
    t.partitions = std::move(partitions);
  }
  FillSpace(result.log_dir, result);
  reply(response);
}

}  // namespace karst::broker::kafka
