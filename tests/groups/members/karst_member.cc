// A consumer group member of mixed_group.py, with Karst's own client (client::Consumer).
//
// Subscribes to TOPIC in GROUP with the "roundrobin" assignor and enable.auto.commit=false,
// processes each Poll's records (logging every one), then commits their positions with
// CommitSync. Events go to LOG_FILE in member_log.py's format. SIGTERM: stop processing, log
// the revocation, Close() (LeaveGroup) and exit 0.
//
// Usage: karst_member BOOTSTRAP TOPIC GROUP NAME LOG_FILE
// KARST_SESSION_TIMEOUT_MS (default 6000) sets session.timeout.ms.
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "client/client_properties.h"
#include "client/consumer.h"
#include "common/clock.h"

namespace {

volatile std::sig_atomic_t stopping = 0;

// member_log.py's JSON lines. Values are this test's ("r000042"): nothing to escape but
// quotes and backslashes, which error texts may hold.
class MemberLog {
 public:
  MemberLog(const std::string& path, std::string member)
      : out_(path, std::ios::app), member_(std::move(member)) {}

  // `fields`: JSON members without braces, e.g. "\"partition\": 3".
  void Event(const std::string& event, const std::string& fields = "", bool flush = true) {
    out_ << "{" << fields << (fields.empty() ? "" : ", ") << "\"member\": \"" << member_
         << "\", \"kind\": \"karst\", \"event\": \"" << event
         << "\", \"t\": " << absl::ToUnixMillis(absl::Now()) << "}\n";
    if (flush) out_.flush();
  }
  void Flush() { out_.flush(); }

  static std::string Quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += (c == '\n' ? ' ' : c);
    }
    return out + "\"";
  }

 private:
  std::ofstream out_;
  std::string member_;
};

// The member's generation as JSON (Consumer::GetGroupMetadata, Java's groupMetadata()).
std::string Generation(const karst::client::Consumer* consumer) {
  if (consumer == nullptr) return "null";
  absl::StatusOr<karst::client::Consumer::GroupMetadata> m = consumer->GetGroupMetadata();
  return m.ok() && m->generation_id >= 0 ? absl::StrCat(m->generation_id) : "null";
}

std::string PartitionList(const std::set<int32_t>& partitions,
                          const karst::client::Consumer* consumer) {
  return absl::StrCat("\"partitions\": [", absl::StrJoin(partitions, ", "),
                      "], \"generation\": ", Generation(consumer));
}

class Listener : public karst::client::ConsumerRebalanceListener {
 public:
  Listener(MemberLog& log, std::set<int32_t>& owned) : log_(log), owned_(owned) {}
  void set_consumer(const karst::client::Consumer* consumer) { consumer_ = consumer; }
  void OnPartitionsRevoked(const std::vector<karst::client::TopicPartition>& partitions) override {
    std::set<int32_t> revoked;
    for (const auto& tp : partitions) {
      if (owned_.erase(tp.partition) > 0) revoked.insert(tp.partition);
    }
    log_.Event("revoked", PartitionList(revoked, consumer_));
  }
  void OnPartitionsAssigned(const std::vector<karst::client::TopicPartition>& partitions) override {
    std::set<int32_t> assigned;
    for (const auto& tp : partitions) assigned.insert(tp.partition);
    owned_.insert(assigned.begin(), assigned.end());
    log_.Event("assigned", PartitionList(assigned, consumer_));
  }

 private:
  MemberLog& log_;
  std::set<int32_t>& owned_;
  const karst::client::Consumer* consumer_ = nullptr;
};

int Run(const std::string& bootstrap, const std::string& topic, const std::string& group,
        const std::string& name, const std::string& log_file) {
  MemberLog log(log_file, name);
  const char* session = std::getenv("KARST_SESSION_TIMEOUT_MS");
  absl::StatusOr<karst::client::ConsumerOptions> options =
      karst::client::ConsumerOptionsFromProperties({
          {"bootstrap.servers", bootstrap},
          {"group.id", group},
          {"client.id", name},
          {"enable.auto.commit", "false"},
          {"auto.offset.reset", "earliest"},
          {"partition.assignment.strategy", "roundrobin"},
          {"session.timeout.ms", session != nullptr ? session : "6000"},
          {"heartbeat.interval.ms", "1000"},
          {"max.poll.interval.ms", "30000"},
          {"max.poll.records", "200"},
      });
  if (!options.ok()) {
    std::cerr << "karst member: " << options.status() << "\n";
    return 2;
  }
  absl::StatusOr<std::unique_ptr<karst::client::Consumer>> consumer =
      karst::client::Consumer::Create(*options, karst::SystemClock::Get());
  if (!consumer.ok()) {
    std::cerr << "karst member: " << consumer.status() << "\n";
    return 2;
  }
  std::set<int32_t> owned;
  Listener listener(log, owned);
  listener.set_consumer(consumer->get());
  if (absl::Status s = (*consumer)->Subscribe({topic}, &listener); !s.ok()) {
    std::cerr << "karst member: subscribe: " << s << "\n";
    return 1;
  }
  log.Event("started");
  while (!stopping) {
    absl::StatusOr<std::vector<karst::client::ConsumerRecord>> records =
        (*consumer)->Poll(absl::Milliseconds(500));
    if (!records.ok()) {
      log.Event("error",
                absl::StrCat("\"error\": ", MemberLog::Quote(records.status().ToString())));
      continue;
    }
    std::map<int32_t, int64_t> positions;
    for (const karst::client::ConsumerRecord& r : *records) {
      if (!owned.contains(r.partition)) continue;
      log.Event("processed",
                absl::StrCat("\"partition\": ", r.partition, ", \"offset\": ", r.offset,
                             ", \"value\": ", MemberLog::Quote(r.value.value_or(""))),
                /*flush=*/false);
      positions[r.partition] = r.offset + 1;
    }
    if (positions.empty()) continue;
    log.Flush();
    karst::client::OffsetMap offsets;
    for (const auto& [partition, offset] : positions) {
      offsets[{.topic = topic, .partition = partition}] = {.offset = offset};
    }
    const int64_t sent = absl::ToUnixMillis(absl::Now());
    if (absl::Status s = (*consumer)->CommitSync(offsets); !s.ok()) {
      log.Event("commit_failed", absl::StrCat("\"error\": ", MemberLog::Quote(s.ToString())));
      continue;
    }
    for (const auto& [partition, offset] : positions) {
      log.Event("committed",
                absl::StrCat("\"partition\": ", partition, ", \"offset\": ", offset, ", \"sent\": ",
                             sent, ", \"generation\": ", Generation(consumer->get())),
                /*flush=*/false);
    }
    log.Flush();
  }
  log.Event("revoked", PartitionList(owned, consumer->get()));
  owned.clear();
  (*consumer)->Close();
  log.Event("closed");
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::cerr << "usage: karst_member BOOTSTRAP TOPIC GROUP NAME LOG_FILE\n";
    return 2;
  }
  std::signal(SIGTERM, [](int) { stopping = 1; });
  return Run(argv[1], argv[2], argv[3], argv[4], argv[5]);
}
