// `karst produce` and `karst consume` against a real 3-node karstd cluster: keyed lines under
// every codec read back in per-key order, keys on Java's murmur2 partition, and interop with
// librdkafka (kcat, confluent-kafka) both ways. Runs the real binaries through /bin/sh for stdin
// and stderr redirection; waits on conditions with deadlines, never fixed sleeps.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "client/partitioner.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/harness/cluster.h"
#include "tests/harness/karst_cli_test.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr int kRecords = 1000;
constexpr int kKeys = 37;
constexpr char kKcat[] = "/usr/bin/kcat";

class KarstProduceConsume : public KarstCliTest {
 protected:
  static void SetUpTestSuite() { StartCluster(); }

  static std::string Karst() { return fs::absolute(std::getenv("KARST")).string(); }
  static std::string Dir() { return ::testing::TempDir(); }

  // Runs `command` with /bin/sh; the result holds its stdout and stderr.
  static CommandResult Shell(const std::string& command) {
    absl::StatusOr<CommandResult> r = RunCommand({"/bin/sh", "-c", command});
    EXPECT_OK(r.status());
    return r.ok() ? *r : CommandResult{};
  }

  static void CreateTopic(const std::string& topic) {
    CommandResult r =
        Shell(absl::StrCat(Karst(), " topics --bootstrap-server ", cluster_->BootstrapServers(),
                           " --create --topic ", topic, " --partitions 3 --replication-factor 3"));
    ASSERT_TRUE(r.exit_status.Success()) << r.output;
    // Wait until every partition has a leader: a consume of the empty topic then succeeds.
    ASSERT_OK(WaitFor(
        [&] {
          CommandResult d =
              Shell(absl::StrCat(Karst(), " topics --bootstrap-server ",
                                 cluster_->BootstrapServers(), " --describe --topic ", topic));
          return d.exit_status.Success() && d.output.find("Leader: none") == std::string::npos &&
                 d.output.find("Partition: 2") != std::string::npos;
        },
        absl::Seconds(30), "leaders for " + topic));
  }

  // Writes kRecords lines "key-<i % kKeys>:<tag>-<i>" and returns the file path.
  static std::string WriteLines(const std::string& tag) {
    const std::string path = absl::StrCat(Dir(), "/", tag, ".txt");
    std::ofstream out(path);
    for (int i = 0; i < kRecords; ++i) out << "key-" << i % kKeys << ":" << tag << "-" << i << "\n";
    return path;
  }

  // Consumed "key:value" lines of `output` (stderr lines dropped), by key in order.
  static std::map<std::string, std::vector<int>> ByKey(const std::string& output,
                                                       const std::string& tag, int* count) {
    std::map<std::string, std::vector<int>> out;
    *count = 0;
    for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
      std::vector<std::string> kv = absl::StrSplit(line, absl::MaxSplits(':', 1));
      if (kv.size() != 2 || kv[1].rfind(tag + "-", 0) != 0) continue;
      ++*count;
      out[kv[0]].push_back(std::stoi(kv[1].substr(tag.size() + 1)));
    }
    return out;
  }

  static void ExpectAllInKeyOrder(const std::string& output, const std::string& tag) {
    int count = 0;
    const auto by_key = ByKey(output, tag, &count);
    EXPECT_EQ(count, kRecords) << output.substr(0, 2000);
    ASSERT_EQ(by_key.size(), static_cast<size_t>(kKeys));
    for (const auto& [key, values] : by_key) {
      std::vector<int> want;
      for (int i = 0; i < kRecords; ++i) {
        if (absl::StrCat("key-", i % kKeys) == key) want.push_back(i);
      }
      EXPECT_EQ(values, want) << key;
    }
  }

  // How many of the kRecords lines (keys "key-<i % kKeys>") Java's partitioner puts in
  // partition `p` of 3: a per-partition read stops after them instead of idling to a timeout.
  static int RecordsInPartition(int p) {
    int n = 0;
    for (int i = 0; i < kRecords; ++i) {
      if (client::KeyPartition(absl::StrCat("key-", i % kKeys), 3) == p) ++n;
    }
    return n;
  }

  std::string ConsumeCommand(const std::string& topic, const std::string& extra) {
    return absl::StrCat(Karst(), " consume --bootstrap-server ", cluster_->BootstrapServers(),
                        " --topic ", topic, " --from-beginning --timeout-ms 20000",
                        " --property print.key=true --property key.separator=: ", extra,
                        " 2>/dev/null");
  }
};

TEST_F(KarstProduceConsume, EveryCodecRoundTripsInKeyOrderOnMurmur2Partitions) {
  for (const std::string codec : {"none", "gzip", "snappy", "lz4", "zstd"}) {
    SCOPED_TRACE(codec);
    const std::string topic = "codec-" + codec;
    CreateTopic(topic);
    const std::string lines = WriteLines(codec);
    CommandResult produced = Shell(absl::StrCat(
        Karst(), " produce --bootstrap-server ", cluster_->BootstrapServers(), " --topic ", topic,
        " --property parse.key=true --property key.separator=: --compression-codec ", codec,
        " --producer-property batch.size=4096 < ", lines));
    ASSERT_TRUE(produced.exit_status.Success()) << produced.output;

    CommandResult consumed = Shell(ConsumeCommand(topic, "--max-messages 1000"));
    ASSERT_TRUE(consumed.exit_status.Success()) << consumed.output;
    ExpectAllInKeyOrder(consumed.output, codec);

    int total = 0;
    for (int p = 0; p < 3; ++p) {
      CommandResult part = Shell(ConsumeCommand(
          topic, absl::StrCat("--partition ", p, " --max-messages ", RecordsInPartition(p))));
      ASSERT_TRUE(part.exit_status.Success()) << part.output;
      int count = 0;
      for (const auto& [key, values] : ByKey(part.output, codec, &count)) {
        EXPECT_EQ(client::KeyPartition(key, 3), p) << key;
      }
      total += count;
    }
    EXPECT_EQ(total, kRecords);
  }
}

// --group: a consumer that stops after 400 records commits exactly those on exit; the next
// member of the group starts where it stopped, and a third finds nothing left.
TEST_F(KarstProduceConsume, ConsumeWithAGroupResumesFromTheGroupsCommittedOffsets) {
  const std::string topic = "grouped";
  CreateTopic(topic);
  CommandResult produced = Shell(absl::StrCat(
      Karst(), " produce --bootstrap-server ", cluster_->BootstrapServers(), " --topic ", topic,
      " --property parse.key=true --property key.separator=: < ", WriteLines("grouped")));
  ASSERT_TRUE(produced.exit_status.Success()) << produced.output;

  std::map<std::string, std::vector<int>> seen;
  int total = 0;
  for (int want : {400, kRecords - 400}) {
    CommandResult part =
        Shell(ConsumeCommand(topic, absl::StrCat("--group resume --max-messages ", want)));
    ASSERT_TRUE(part.exit_status.Success()) << part.output;
    int count = 0;
    for (auto& [key, values] : ByKey(part.output, "grouped", &count)) {
      seen[key].insert(seen[key].end(), values.begin(), values.end());
    }
    EXPECT_EQ(count, want);
    total += count;
  }
  EXPECT_EQ(total, kRecords);
  for (auto& [key, values] : seen) {  // Every record once: none twice, none skipped.
    std::sort(values.begin(), values.end());
    EXPECT_EQ(std::adjacent_find(values.begin(), values.end()), values.end()) << key;
  }
  CommandResult rest = Shell(ConsumeCommand(topic, "--group resume --timeout-ms 3000"));
  ASSERT_TRUE(rest.exit_status.Success()) << rest.output;
  int count = 0;
  ByKey(rest.output, "grouped", &count);
  EXPECT_EQ(count, 0) << rest.output.substr(0, 2000);
}

// --include: one group member reads every topic whose name matches, and no other.
TEST_F(KarstProduceConsume, ConsumeIncludeReadsEveryMatchingTopic) {
  for (const std::string topic : {"inc-a", "inc-b", "other-c"}) {
    CreateTopic(topic);
    CommandResult produced = Shell(absl::StrCat("printf '", topic, "-1\\n", topic, "-2\\n' | ",
                                                Karst(), " produce --bootstrap-server ",
                                                cluster_->BootstrapServers(), " --topic ", topic));
    ASSERT_TRUE(produced.exit_status.Success()) << produced.output;
  }
  CommandResult consumed = Shell(
      absl::StrCat(Karst(), " consume --bootstrap-server ", cluster_->BootstrapServers(),
                   " --include 'inc-.*' --group include-test --from-beginning --max-messages 4 "
                   "--timeout-ms 30000 2>/dev/null"));
  ASSERT_TRUE(consumed.exit_status.Success()) << consumed.output;
  std::vector<std::string> lines = absl::StrSplit(consumed.output, '\n', absl::SkipEmpty());
  std::sort(lines.begin(), lines.end());
  EXPECT_EQ(lines, (std::vector<std::string>{"inc-a-1", "inc-a-2", "inc-b-1", "inc-b-2"}));
}

TEST_F(KarstProduceConsume, KcatReadsKarstRecordsAndKarstReadsKcatRecords) {
  const std::string topic = "interop";
  CreateTopic(topic);
  CommandResult produced = Shell(absl::StrCat(
      Karst(), " produce --bootstrap-server ", cluster_->BootstrapServers(), " --topic ", topic,
      " --property parse.key=true --property key.separator=: --compression-codec lz4 < ",
      WriteLines("karst")));
  ASSERT_TRUE(produced.exit_status.Success()) << produced.output;
  CommandResult read = Shell(absl::StrCat(kKcat, " -C -e -q -b ", cluster_->BootstrapServers(),
                                          " -t ", topic, " -o beginning -f '%k:%s\\n'"));
  ASSERT_TRUE(read.exit_status.Success()) << read.output;
  ExpectAllInKeyOrder(read.output, "karst");

  // librdkafka's murmur2_random partitioner is Java's; karst must read every record back.
  CommandResult kcat_produced =
      Shell(absl::StrCat(kKcat, " -P -q -b ", cluster_->BootstrapServers(), " -t ", topic,
                         " -K: -z zstd -X partitioner=murmur2_random -l ", WriteLines("kcat")));
  ASSERT_TRUE(kcat_produced.exit_status.Success()) << kcat_produced.output;
  CommandResult consumed = Shell(ConsumeCommand(topic, "--max-messages 2000"));
  ASSERT_TRUE(consumed.exit_status.Success()) << consumed.output;
  ExpectAllInKeyOrder(consumed.output, "kcat");
  ExpectAllInKeyOrder(consumed.output, "karst");
  for (int p = 0; p < 3; ++p) {
    // The partition holds the karst and the kcat copy of each key's records.
    CommandResult part = Shell(ConsumeCommand(
        topic, absl::StrCat("--partition ", p, " --max-messages ", 2 * RecordsInPartition(p))));
    ASSERT_TRUE(part.exit_status.Success()) << part.output;
    int count = 0;
    for (const auto& [key, values] : ByKey(part.output, "kcat", &count)) {
      EXPECT_EQ(client::KeyPartition(key, 3), p) << key;
    }
    EXPECT_EQ(count, RecordsInPartition(p));
  }
}

// Keys, values and headers cross between karst and confluent-kafka (librdkafka) both ways,
// under every codec: each side reads the other's compressed batches.
TEST_F(KarstProduceConsume, ConfluentKafkaAndKarstExchangeRecordsWithHeadersUnderEveryCodec) {
  const std::string python = "/usr/bin/python3";
  const std::string script = fs::absolute(std::getenv("CONFLUENT_RECORDS")).string();
  // "key|value|headers" lines (confluent_records.py) or, with `headers_first`,
  // "headers|key|value" (karst consume's print.headers layout) tagged `tag`: every record's
  // headers must be h=hv-<value>,x=1 (with `kv` between name and value); returns the values by
  // key.
  const auto parse = [](const std::string& output, const std::string& tag, char kv,
                        bool headers_first, int* count) {
    std::map<std::string, std::vector<int>> by_key;
    *count = 0;
    for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
      std::vector<std::string> fields = absl::StrSplit(line, '|');
      if (headers_first && fields.size() == 3)
        std::rotate(fields.begin(), fields.begin() + 1, fields.end());
      if (fields.size() != 3 || fields[1].rfind(tag + "-", 0) != 0) continue;
      ++*count;
      EXPECT_EQ(fields[2], absl::StrCat("h", std::string(1, kv), "hv-", fields[1], ",x",
                                        std::string(1, kv), "1"))
          << line;
      by_key[fields[0]].push_back(std::stoi(fields[1].substr(tag.size() + 1)));
    }
    return by_key;
  };
  const auto expect_key_order = [](const std::map<std::string, std::vector<int>>& by_key) {
    ASSERT_EQ(by_key.size(), static_cast<size_t>(kKeys));
    for (const auto& [key, values] : by_key) {
      std::vector<int> want;
      for (int i = 0; i < kRecords; ++i) {
        if (absl::StrCat("key-", i % kKeys) == key) want.push_back(i);
      }
      EXPECT_EQ(values, want) << key;
    }
  };
  for (const std::string codec : {"gzip", "snappy", "lz4", "zstd"}) {
    SCOPED_TRACE(codec);
    const std::string topic = "confluent-" + codec;
    CreateTopic(topic);
    // karst -> confluent-kafka. Lines: "h:hv-<value>,x:1<TAB>key:value".
    const std::string karst_tag = "karst" + codec;
    const std::string lines = absl::StrCat(Dir(), "/", karst_tag, "-headers.txt");
    {
      std::ofstream out(lines);
      for (int i = 0; i < kRecords; ++i) {
        const std::string value = absl::StrCat(karst_tag, "-", i);
        out << "h:hv-" << value << ",x:1\tkey-" << i % kKeys << ":" << value << "\n";
      }
    }
    CommandResult produced = Shell(absl::StrCat(
        Karst(), " produce --bootstrap-server ", cluster_->BootstrapServers(), " --topic ", topic,
        " --property parse.key=true --property key.separator=: --property parse.headers=true",
        " --compression-codec ", codec, " < ", lines));
    ASSERT_TRUE(produced.exit_status.Success()) << produced.output;
    CommandResult read =
        Shell(absl::StrCat(python, " ", script, " consume ", cluster_->BootstrapServers(), " ",
                           topic, " ", kRecords, " 2>&1"));
    ASSERT_TRUE(read.exit_status.Success()) << read.output;
    int count = 0;
    expect_key_order(parse(read.output, karst_tag, '=', false, &count));
    EXPECT_EQ(count, kRecords);

    // confluent-kafka -> karst.
    const std::string cf_tag = "cf" + codec;
    CommandResult cf_produced =
        Shell(absl::StrCat(python, " ", script, " produce ", cluster_->BootstrapServers(), " ",
                           topic, " ", codec, " ", WriteLines(cf_tag), " 2>&1"));
    ASSERT_TRUE(cf_produced.exit_status.Success()) << cf_produced.output;
    CommandResult consumed = Shell(
        absl::StrCat(Karst(), " consume --bootstrap-server ", cluster_->BootstrapServers(),
                     " --topic ", topic, " --from-beginning --timeout-ms 20000 --max-messages ",
                     2 * kRecords, " --property print.key=true --property print.headers=true",
                     " --property key.separator='|' 2>/dev/null"));
    ASSERT_TRUE(consumed.exit_status.Success()) << consumed.output;
    expect_key_order(parse(consumed.output, cf_tag, ':', true, &count));
    EXPECT_EQ(count, kRecords);
  }
}

// Like Java's producer, karst produce asks for a missing topic to be created (brokers with
// auto.create.topics.enable, the default, create it with num.partitions and
// default.replication.factor) and waits for its leaders instead of failing.
TEST_F(KarstProduceConsume, ProducingToAMissingTopicCreatesIt) {
  const std::string lines = WriteLines("auto");
  CommandResult produced = Shell(absl::StrCat(
      Karst(), " produce --bootstrap-server ", cluster_->BootstrapServers(),
      " --topic auto-created --property parse.key=true", " --property key.separator=: < ", lines));
  ASSERT_TRUE(produced.exit_status.Success()) << produced.output;
  CommandResult consumed = Shell(ConsumeCommand("auto-created", "--max-messages 1000"));
  ASSERT_TRUE(consumed.exit_status.Success()) << consumed.output;
  ExpectAllInKeyOrder(consumed.output, "auto");
}

// `karst perf produce` and `karst perf consume` print kafka-producer-perf-test's and
// kafka-consumer-perf-test's reports, or JSON, for the records they really moved.
TEST_F(KarstProduceConsume, PerfProduceAndConsumeReportWhatTheyMoved) {
  const std::string topic = "perf";
  CreateTopic(topic);
  const std::string bootstrap = cluster_->BootstrapServers();
  CommandResult text = Shell(absl::StrCat(
      Karst(), " perf produce --topic ", topic, " --num-records 3000 --record-size 200",
      " --throughput -1 --bootstrap-server ", bootstrap, " --producer-props acks=all linger.ms=5"));
  ASSERT_TRUE(text.exit_status.Success()) << text.output;
  EXPECT_THAT(text.output, ::testing::ContainsRegex(
                               "3000 records sent, [0-9.]+ records/sec \\([0-9.]+ MB/sec\\), "
                               "[0-9.]+ ms avg latency, [0-9.]+ ms max latency, [0-9]+ ms 50th, "
                               "[0-9]+ ms 95th, [0-9]+ ms 99th, [0-9]+ ms 99.9th."));
  // Throttled to 1000 records/s, 500 records cannot take less than about half a second.
  CommandResult json = Shell(
      absl::StrCat(Karst(), " perf produce --topic ", topic, " --num-records 500 --record-size 100",
                   " --throughput 1000 --bootstrap-server ", bootstrap, " --output json"));
  ASSERT_TRUE(json.exit_status.Success()) << json.output;
  EXPECT_THAT(json.output, HasSubstr("\"records\":500,\"failed\":0,\"record_size\":100"));
  const size_t at = json.output.find("\"elapsed_ms\":");
  ASSERT_NE(at, std::string::npos) << json.output;
  EXPECT_GE(std::stod(json.output.substr(at + 13)), 490.0) << json.output;

  CommandResult consumed =
      Shell(absl::StrCat(Karst(), " perf consume --bootstrap-server ", bootstrap, " --topic ",
                         topic, " --messages 3500 --timeout 20000"));
  ASSERT_TRUE(consumed.exit_status.Success()) << consumed.output;
  EXPECT_THAT(consumed.output, HasSubstr("start.time, end.time, data.consumed.in.MB, MB.sec, "
                                         "data.consumed.in.nMsg, nMsg.sec"));
  // 3000 x 200 B + 500 x 100 B = 650,000 B = 0.6199 MB.
  EXPECT_THAT(consumed.output, HasSubstr(", 0.6199, ")) << consumed.output;
  EXPECT_THAT(consumed.output, HasSubstr(", 3500, ")) << consumed.output;
  CommandResult consumed_json =
      Shell(absl::StrCat(Karst(), " perf consume --bootstrap-server ", bootstrap, " --topic ",
                         topic, " --messages 3500 --output json"));
  ASSERT_TRUE(consumed_json.exit_status.Success()) << consumed_json.output;
  EXPECT_THAT(consumed_json.output, HasSubstr("{\"records\":3500,\"mb\":0.6199,"));

  // Asking for more records than the topic holds ends after --timeout without a record.
  CommandResult starved =
      Shell(absl::StrCat(Karst(), " perf consume --bootstrap-server ", bootstrap, " --topic ",
                         topic, " --messages 3501 --timeout 1000"));
  EXPECT_EQ(starved.exit_status.exit_code, 1) << starved.output;
  EXPECT_THAT(starved.output, HasSubstr("3500 of 3501 records"));
}

// Wrong flags print usage and exit 2; an unknown topic or an unreachable cluster exits 1
// naming the topic or the address, within the client's timeouts.
TEST_F(KarstProduceConsume, ConsoleAndPerfToolsReportBadFlagsUnknownTopicsAndDeadClusters) {
  const std::string bootstrap = cluster_->BootstrapServers();
  const std::string dead = absl::StrCat(cluster_->node(0).address(), ":1");
  for (const std::string command :
       {"produce --topic t --bogus 1", "consume --topic t --bogus 1",
        "perf produce --topic t --num-records 1 --record-size 1 --bogus 1",
        "perf consume --topic t --messages 1 --bogus 1", "perf explode"}) {
    CommandResult r =
        Shell(absl::StrCat(Karst(), " ", command, " --bootstrap-server ", bootstrap, " 2>&1"));
    EXPECT_EQ(r.exit_status.exit_code, 2) << command << ": " << r.output;
    EXPECT_THAT(r.output, HasSubstr("usage: karst")) << command;
  }

  CommandResult unknown = Shell(absl::StrCat(Karst(), " consume --bootstrap-server ", bootstrap,
                                             " --topic no-such-topic --timeout-ms 1000 2>&1"));
  EXPECT_EQ(unknown.exit_status.exit_code, 1) << unknown.output;
  EXPECT_THAT(unknown.output, HasSubstr("UNKNOWN_TOPIC_OR_PARTITION"));

  CommandResult consume_dead = Shell(absl::StrCat(Karst(), " consume --bootstrap-server ", dead,
                                                  " --topic t --timeout-ms 1000 2>&1"));
  EXPECT_EQ(consume_dead.exit_status.exit_code, 1) << consume_dead.output;
  EXPECT_THAT(consume_dead.output, HasSubstr(dead));
  CommandResult produce_dead =
      Shell(absl::StrCat("echo v | ", Karst(), " produce --bootstrap-server ", dead,
                         " --topic t --producer-property delivery.timeout.ms=1000 2>&1"));
  EXPECT_EQ(produce_dead.exit_status.exit_code, 1) << produce_dead.output;
  EXPECT_THAT(produce_dead.output, HasSubstr(dead));
  EXPECT_THAT(produce_dead.output, HasSubstr("delivery.timeout.ms"));
  CommandResult perf_dead = Shell(absl::StrCat(
      Karst(), " perf produce --topic t --num-records 10 --record-size 10 --bootstrap-server ",
      dead, " --producer-props delivery.timeout.ms=1000 2>&1"));
  EXPECT_EQ(perf_dead.exit_status.exit_code, 1) << perf_dead.output;
  EXPECT_THAT(perf_dead.output, HasSubstr("10 records failed"));
  EXPECT_THAT(perf_dead.output, HasSubstr(dead));
}

}  // namespace
}  // namespace karst::testing
