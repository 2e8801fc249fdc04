// Real Kafka clients against a 3-node karstd cluster (issue #7's acceptance item). Every node is
// a combined broker and controller with default.replication.factor=3, min.insync.replicas=2 and
// num.partitions=3. Each case runs one client program from tests/compat/clients/ as a child
// process on its own topic (3 partitions, replication factor 3) and requires exit code 0:
// - kcat and confluent-kafka-python (librdkafka 2.0.2): 100,000 keyed records with acks=all for
//   each codec (none, gzip, snappy, lz4, zstd), read back by partition from the beginning with
//   keys, values, headers and timestamps intact and per-partition order kept. kcat's topics are
//   auto-created by its producer's Metadata request; the others create theirs with CreateTopics.
// - kafka-python 2.0.2: the same, uncompressed.
// - kafkajs 2.2.4: produces (none and gzip, all it ships), creates and deletes a topic with its
//   admin client; confluent-kafka-python reads its records back (kafkajs consumes only in a
//   group, which Karst does not have yet).
// - sarama 1.22 (Version 2.x): produces and consumes by partition (none and zstd).
// The clients' own output (with per-phase timings) is printed for every case, and in full on
// failure, with the tail of every broker log.
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/harness/cluster.h"
#include "tests/harness/subprocess.h"

namespace karst::testing {
namespace {

constexpr int kRecords = 100000;
// Each client program stops itself after this long (KARST_CLIENT_DEADLINE_S); timeout(1) kills
// it kTimeoutSlackSeconds later if it hangs anyway.
constexpr int kClientDeadlineSeconds = 120;
constexpr int kTimeoutSlackSeconds = 30;

// A runfiles path from the environment (set by BUILD.bazel), made absolute.
std::string RunfilePath(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return "";
  return std::filesystem::absolute(value).string();
}

class KarstdClientsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ClusterOptions options;
    options.karstd_path = RunfilePath("KARSTD");
    options.num_nodes = 3;
    options.logger_level = "info";
    options.properties = {{"default.replication.factor", "3"},
                          {"min.insync.replicas", "2"},
                          {"num.partitions", "3"},
                          {"offsets.topic.replication.factor", "3"}};
    absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Create(options);
    ASSERT_OK(cluster.status());
    cluster_ = cluster->release();
    ASSERT_OK(cluster_->StartAll());
  }

  static void TearDownTestSuite() {
    if (cluster_ == nullptr) return;
    if (failed_) cluster_->MarkFailed();
    delete cluster_;
    cluster_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(cluster_, nullptr) << "the cluster did not start";
    ASSERT_OK(cluster_->WaitAllHealthy(absl::Seconds(30)));
  }

  void TearDown() override {
    if (HasFailure()) failed_ = true;
  }

  // Runs `argv` (argv[0] an absolute path) with `env` added to the environment, under timeout(1).
  // Fails the test unless it exits 0; prints its output either way.
  static void RunClient(const std::string& name, const std::vector<std::string>& argv,
                        std::vector<std::string> env = {}) {
    env.push_back(absl::StrCat("KARST_CLIENT_DEADLINE_S=", kClientDeadlineSeconds));
    env.push_back("PYTHONDONTWRITEBYTECODE=1");
    std::vector<std::string> command = {"/usr/bin/timeout", "-k", "5",
                                        absl::StrCat(kClientDeadlineSeconds + kTimeoutSlackSeconds),
                                        "/usr/bin/env"};
    command.insert(command.end(), env.begin(), env.end());
    command.insert(command.end(), argv.begin(), argv.end());
    const absl::Time start = absl::Now();
    absl::StatusOr<CommandResult> result = RunCommand(command);
    ASSERT_OK(result.status()) << name;
    const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
    std::cout << "=== " << name << " (" << seconds << " s, " << result->exit_status.ToString()
              << ")\n";
    if (result->exit_status.Success()) std::cout << result->output;
    std::cout << std::flush;
    EXPECT_TRUE(result->exit_status.Success())
        << name << " failed (" << result->exit_status.ToString()
        << (result->exit_status.exit_code == 124 ? ", timed out" : "") << ")\n$ "
        << absl::StrJoin(argv, " ") << "\n"
        << result->output;
  }

  static std::string Bootstrap() { return cluster_->BootstrapServers(); }

  static Cluster* cluster_;
  static bool failed_;
};

Cluster* KarstdClientsTest::cluster_ = nullptr;
bool KarstdClientsTest::failed_ = false;

const std::vector<std::string> kLibrdkafkaCodecs = {"none", "gzip", "snappy", "lz4", "zstd"};

TEST_F(KarstdClientsTest, KcatProducesAndConsumesEveryCodec) {
  for (const std::string& codec : kLibrdkafkaCodecs) {
    RunClient(absl::StrCat("kcat ", codec),
              {"/usr/bin/python3", RunfilePath("KCAT_CLIENT"), Bootstrap(),
               absl::StrCat("kcat-", codec), absl::StrCat(kRecords), codec});
  }
}

TEST_F(KarstdClientsTest, ConfluentKafkaPythonProducesAndConsumesEveryCodec) {
  for (const std::string& codec : kLibrdkafkaCodecs) {
    RunClient(absl::StrCat("confluent-kafka ", codec),
              {"/usr/bin/python3", RunfilePath("CONFLUENT_KAFKA_CLIENT"), Bootstrap(),
               absl::StrCat("confluent-kafka-", codec), absl::StrCat(kRecords), codec});
  }
}

TEST_F(KarstdClientsTest, KafkaPythonProducesAndConsumes) {
  RunClient("kafka-python none",
            {"/usr/bin/python3", RunfilePath("KAFKA_PYTHON_CLIENT"), Bootstrap(),
             "kafka-python-none", absl::StrCat(kRecords), "none"});
}

TEST_F(KarstdClientsTest, KafkajsProducesAndCreatesAndDeletesTopics) {
  // kafkajs comes from tests/compat/js/node_modules (tools/setup.sh installs it).
  const std::filesystem::path node_modules =
      std::filesystem::path(RunfilePath("KAFKAJS_PACKAGE_JSON")).parent_path() / "node_modules";
  ASSERT_TRUE(std::filesystem::exists(node_modules / "kafkajs" / "package.json"))
      << node_modules << " has no kafkajs: run tools/setup.sh";
  for (const std::string codec : {"none", "gzip"}) {
    const std::string topic = absl::StrCat("kafkajs-", codec);
    const std::string base_ts = absl::StrCat(absl::ToUnixMillis(absl::Now()) - kRecords);
    RunClient(absl::StrCat("kafkajs ", codec),
              {"/usr/bin/node", RunfilePath("KAFKAJS_CLIENT"), Bootstrap(), topic,
               absl::StrCat(kRecords), codec, base_ts},
              {absl::StrCat("NODE_PATH=", node_modules.string())});
    if (HasFailure()) return;
    RunClient(
        absl::StrCat("kafkajs ", codec, " read back by confluent-kafka"),
        {"/usr/bin/python3", RunfilePath("CONFLUENT_KAFKA_CLIENT"), "--verify-only", Bootstrap(),
         topic, absl::StrCat(kRecords), absl::StrCat("kafkajs-", codec), base_ts});
  }
}

TEST_F(KarstdClientsTest, SaramaProducesAndConsumesByPartition) {
  for (const std::string codec : {"none", "zstd"}) {
    RunClient(absl::StrCat("sarama ", codec),
              {RunfilePath("SARAMA_CLIENT"), Bootstrap(), absl::StrCat("sarama-", codec),
               absl::StrCat(kRecords), codec});
  }
}

}  // namespace
}  // namespace karst::testing
