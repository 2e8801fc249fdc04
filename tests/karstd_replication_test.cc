// Replication under failures (issue #7's acceptance items), with real karstd processes and a
// librdkafka 2.0.2 client (tests/replication/kafka_tool.py, run as a child process). Topics have
// 3 partitions and replication factor 3; min.insync.replicas=2; producers use acks=all.
//
// Topology: 3 controllers (process.roles=controller, node ids 1-3) and 3 brokers
// (process.roles=broker, node ids 4-6), each on its own 127.B.C.x address. Separate roles
// because the second scenario stops two of the three replicas: in combined mode that would also
// stop two of three controller voters, the metadata quorum would be lost and no ISR change could
// commit, so "the ISR grows back to 3" could not be observed. With separate roles every broker
// failure leaves the quorum intact, and the network cut of the third scenario isolates a broker
// from the controllers as well as from its peers.
//
// Failure detection is shortened: broker.session.timeout.ms=3000 (heartbeats every 500 ms) and
// replica.lag.time.max.ms=3000.
//
// - Failover: a producer runs at a limited rate until told to stop; after 2,000 acknowledged
//   records the leader of partition 0 is killed with SIGKILL while the producer runs; the
//   producer moves to the new leaders and every partition gets another 1,000 acknowledged
//   records; then every acknowledged record is in the log at the partition and offset its
//   acknowledgement named (duplicates allowed), and the killed broker restarts and rejoins the
//   ISR of every partition.
// - Two of three replicas stopped: with only the leader left the ISR shrinks to it, acks=all
//   writes fail with NOT_ENOUGH_REPLICAS and append nothing, and every record acknowledged
//   before is still readable; after both restart the ISR of every partition is back to 3 and
//   acks=all writes succeed again.
// - Network partition: the leader of partition 0 is cut off from every other node (brokers and
//   controllers) during an acks=all run. The controllers fence it and elect new leaders, and the
//   producer moves there. After healing, the isolated broker truncates the records it appended
//   after the cut ("partition <topic>-0: truncating from X to Y" in its log) and rejoins the
//   ISR, and no acknowledged record (by any broker, the isolated one included) is lost or
//   contradicted: each is in the final log at the partition and offset its acknowledgement
//   named.
#include <fcntl.h>
#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/harness/cluster.h"
#include "tests/harness/network_cutter.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

// kafka_tool.py's producer flushes for message.timeout.ms (60 s) + 30 s before it gives up and
// reports what is still unacknowledged; waiting longer than that lets it say so itself.
constexpr absl::Duration kProducerStopTimeout = absl::Seconds(100);

constexpr int kControllers = 3;
constexpr int kBrokers = 3;
constexpr int kPartitions = 3;
// Records a second for the producers that run until stopped.
constexpr int kRate = 2000;
// Each kafka_tool.py command is killed (timeout(1)) after this long.
constexpr absl::Duration kToolTimeout = absl::Seconds(90);

// A runfiles path from the environment (set by BUILD.bazel), made absolute.
std::string RunfilePath(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr) return "";
  return std::filesystem::absolute(value).string();
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::stringstream out;
  out << in.rdbuf();
  return out.str();
}

// Node ids 1-3 are controllers (indices 0-2), 4-6 brokers (indices 3-5).
ClusterOptions SplitRoles() {
  ClusterOptions options;
  options.karstd_path = RunfilePath("KARSTD");
  options.num_nodes = kControllers + kBrokers;
  options.logger_level = "info";
  options.properties = {{"default.replication.factor", "3"},
                        {"min.insync.replicas", "2"},
                        {"num.partitions", "3"},
                        {"offsets.topic.replication.factor", "3"},
                        {"broker.session.timeout.ms", "3000"},
                        {"broker.heartbeat.interval.ms", "500"},
                        {"replica.lag.time.max.ms", "3000"}};
  options.customize_node = [](int index, const AddressBlock&, NodeOptions& node) {
    node.process_roles = index < kControllers ? "controller" : "broker";
  };
  return options;
}

int IndexOfNode(int node_id) { return node_id - 1; }

// Waits until `node` answers GET /readyz with 200: a broker once registered, unfenced and
// caught up with the metadata log (before that it answers Metadata with no brokers).
absl::Status WaitReady(Node& node, absl::Duration timeout = absl::Seconds(30)) {
  return WaitForOk(
      [&]() -> absl::Status {
        absl::StatusOr<HttpResponse> response = node.AdminGet("/readyz");
        if (!response.ok()) return response.status();
        if (response->status_code != 200) return absl::UnavailableError(response->body);
        return absl::OkStatus();
      },
      timeout, absl::StrCat(node.name(), " to be ready"));
}

// bootstrap.servers for the given broker node ids.
std::string Bootstrap(Cluster& cluster, const std::vector<int>& node_ids) {
  std::vector<std::string> addresses;
  for (int id : node_ids) addresses.push_back(cluster.node(IndexOfNode(id)).kafka_address());
  return absl::StrJoin(addresses, ",");
}

std::vector<std::string> ToolCommand(const std::vector<std::string>& args) {
  std::vector<std::string> command = {"/usr/bin/env", "PYTHONDONTWRITEBYTECODE=1",
                                      "/usr/bin/python3", RunfilePath("KAFKA_TOOL")};
  command.insert(command.end(), args.begin(), args.end());
  return command;
}

// Runs kafka_tool.py with `args` to completion (killed after kToolTimeout).
absl::StatusOr<CommandResult> RunTool(const std::vector<std::string>& args) {
  std::vector<std::string> command = {"/usr/bin/timeout", "-k", "5",
                                      absl::StrCat(absl::ToInt64Seconds(kToolTimeout))};
  std::vector<std::string> tool = ToolCommand(args);
  command.insert(command.end(), tool.begin(), tool.end());
  return RunCommand(command);
}

// Runs kafka_tool.py and fails the test unless it exits 0. Returns its output.
std::string RunToolOk(const std::vector<std::string>& args) {
  const absl::Time start = absl::Now();
  absl::StatusOr<CommandResult> result = RunTool(args);
  EXPECT_OK(result.status());
  if (!result.ok()) return "";
  std::printf("$ kafka_tool.py %s (%s, %s)\n%s", absl::StrJoin(args, " ").c_str(),
              absl::FormatDuration(absl::Now() - start).c_str(),
              result->exit_status.ToString().c_str(), result->output.c_str());
  std::fflush(stdout);
  EXPECT_TRUE(result->exit_status.Success())
      << "kafka_tool.py " << absl::StrJoin(args, " ") << ": " << result->output;
  return result->output;
}

struct PartitionState {
  int leader = -1;
  std::set<int> isr;
};

// `kafka_tool.py describe`, by partition.
absl::StatusOr<std::map<int, PartitionState>> Describe(const std::string& bootstrap,
                                                       const std::string& topic) {
  absl::StatusOr<CommandResult> result = RunTool({"describe", bootstrap, topic});
  if (!result.ok()) return result.status();
  if (!result->exit_status.Success()) {
    return absl::UnavailableError(absl::StrCat("describe: ", result->output));
  }
  std::map<int, PartitionState> partitions;
  for (absl::string_view line : absl::StrSplit(result->output, '\n', absl::SkipEmpty())) {
    std::vector<std::string> fields = absl::StrSplit(line, ' ');
    int partition = 0;
    PartitionState state;
    if (fields.size() != 3 || !absl::SimpleAtoi(fields[0], &partition) ||
        !absl::SimpleAtoi(fields[1], &state.leader)) {
      return absl::InternalError(absl::StrCat("describe: bad line: ", line));
    }
    for (absl::string_view id : absl::StrSplit(fields[2], ',', absl::SkipEmpty())) {
      int replica = 0;
      if (!absl::SimpleAtoi(id, &replica)) return absl::InternalError(std::string(line));
      state.isr.insert(replica);
    }
    partitions[partition] = state;
  }
  if (partitions.size() != kPartitions) {
    return absl::UnavailableError(absl::StrCat("describe: ", result->output));
  }
  return partitions;
}

std::string ToString(const std::map<int, PartitionState>& partitions) {
  std::vector<std::string> parts;
  for (const auto& [p, state] : partitions) {
    parts.push_back(
        absl::StrCat(p, ": leader ", state.leader, " isr {", absl::StrJoin(state.isr, ","), "}"));
  }
  return absl::StrJoin(parts, "; ");
}

// Waits until `accept` holds for every partition as `bootstrap` describes them; returns the
// last description.
absl::StatusOr<std::map<int, PartitionState>> WaitForPartitions(
    const std::string& bootstrap, const std::string& topic,
    const std::function<bool(const PartitionState&)>& accept, absl::Duration timeout,
    absl::string_view what) {
  std::map<int, PartitionState> last;
  absl::Status status = WaitForOk(
      [&]() -> absl::Status {
        absl::StatusOr<std::map<int, PartitionState>> partitions = Describe(bootstrap, topic);
        if (!partitions.ok()) return partitions.status();
        last = *partitions;
        for (const auto& [p, state] : last) {
          if (!accept(state)) return absl::UnavailableError(ToString(last));
        }
        return absl::OkStatus();
      },
      timeout, what);
  if (!status.ok()) return status;
  return last;
}

// The remote addresses of established TCP connections whose local end is `address`:`port`,
// from /proc/net/tcp and /proc/net/tcp6 (IPv4 and IPv4-mapped IPv6 sockets only).
std::vector<std::string> PeersOf(const std::string& address, int port) {
  // A /proc/net address "0100007F:238D" (IPv4, little-endian) or the 32-digit IPv6 form.
  auto decode = [](absl::string_view hex_address, std::string* ip, int* port) {
    std::vector<absl::string_view> parts = absl::StrSplit(hex_address, ':');
    if (parts.size() != 2) return false;
    absl::string_view hex = parts[0];
    if (hex.size() == 32) {
      if (!absl::StartsWith(hex, "0000000000000000FFFF0000")) return false;
      hex = hex.substr(24);
    }
    uint32_t word = 0;
    uint32_t p = 0;
    if (hex.size() != 8 || !absl::SimpleHexAtoi(hex, &word) || !absl::SimpleHexAtoi(parts[1], &p)) {
      return false;
    }
    *ip = absl::StrCat(word & 0xff, ".", (word >> 8) & 0xff, ".", (word >> 16) & 0xff, ".",
                       word >> 24);
    *port = static_cast<int>(p);
    return true;
  };
  std::vector<std::string> peers;
  for (const char* file : {"/proc/net/tcp", "/proc/net/tcp6"}) {
    for (absl::string_view line : absl::StrSplit(ReadFile(file), '\n', absl::SkipEmpty())) {
      std::vector<absl::string_view> fields = absl::StrSplit(line, ' ', absl::SkipEmpty());
      std::string local_ip, remote_ip;
      int local_port = 0, remote_port = 0;
      if (fields.size() < 4 || fields[3] != "01" || !decode(fields[1], &local_ip, &local_port) ||
          !decode(fields[2], &remote_ip, &remote_port)) {
        continue;
      }
      if (local_ip == address && local_port == port) peers.push_back(remote_ip);
    }
  }
  return peers;
}

int PortOf(const std::string& host_port) {
  int port = 0;
  std::vector<std::string> parts = absl::StrSplit(host_port, ':');
  if (parts.size() == 2 && absl::SimpleAtoi(parts[1], &port)) return port;
  return -1;
}

// NetworkCutter matches packets by source and destination address, so it can only cut a node
// off if the nodes' connections to each other come from their own addresses (not 127.0.0.1,
// which the kernel picks for any 127/8 destination unless the socket is bound). Checks the
// connections the cut must break: brokers to every controller, and the followers of the
// broker at `leader_index` to it.
absl::Status CheckNodesConnectFromTheirOwnAddresses(Cluster& cluster, int leader_index) {
  std::set<std::string> addresses;
  for (int i = 0; i < cluster.size(); ++i) addresses.insert(cluster.node(i).address());
  std::set<std::string> problems;  // A set: one line per kind of connection.
  for (int i = 0; i < cluster.size(); ++i) {
    Node& node = cluster.node(i);
    if (!node.IsController()) continue;
    for (const std::string& peer : PeersOf(node.address(), PortOf(node.controller_address()))) {
      if (!addresses.contains(peer)) {
        problems.insert(absl::StrCat(node.name(), " has a controller connection from ", peer));
      }
    }
  }
  Node& leader = cluster.node(leader_index);
  std::vector<std::string> fetchers = PeersOf(leader.address(), PortOf(leader.kafka_address()));
  for (int i = 0; i < cluster.size(); ++i) {
    Node& node = cluster.node(i);
    if (i == leader_index || !node.IsBroker()) continue;
    if (std::find(fetchers.begin(), fetchers.end(), node.address()) == fetchers.end()) {
      problems.insert(absl::StrCat(
          "no connection from ", node.name(), "'s address to ", leader.name(),
          "'s Kafka listener (connections to it come from ",
          absl::StrJoin(std::set<std::string>(fetchers.begin(), fetchers.end()), ", "), ")"));
    }
  }
  if (problems.empty()) return absl::OkStatus();
  return absl::FailedPreconditionError(absl::StrCat(
      "a network cut cannot isolate a broker whose outgoing connections do not come from its "
      "own address: ",
      absl::StrJoin(problems, "; ")));
}

struct AckedRecord {
  int64_t seq = 0;
  int partition = 0;
  int64_t offset = 0;
};

// A `kafka_tool.py produce` running in the background, writing the records it got
// acknowledged to a file the test reads while it runs.
class BackgroundProducer {
 public:
  // Starts producing to `topic`; `args` are produce's trailing arguments (flags and settings).
  // COUNT is 0 (until Stop) unless `count` is given.
  static absl::StatusOr<std::unique_ptr<BackgroundProducer>> Start(const std::filesystem::path& dir,
                                                                   const std::string& bootstrap,
                                                                   const std::string& topic,
                                                                   std::vector<std::string> args) {
    auto producer = std::unique_ptr<BackgroundProducer>(new BackgroundProducer(dir));
    std::error_code ignored;
    std::filesystem::remove(producer->stop_file(), ignored);
    std::vector<std::string> tool_args = {
        "produce",
        bootstrap,
        topic,
        "0",
        producer->acked_file().string(),
        absl::StrCat("--stop-file=", producer->stop_file().string())};
    tool_args.insert(tool_args.end(), args.begin(), args.end());
    producer->fd_ = ::open(producer->output_file().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (producer->fd_ < 0) return absl::InternalError("cannot open the producer's output file");
    std::vector<std::string> env = CurrentEnvironment();
    absl::StatusOr<pid_t> pid = SpawnProcess(ToolCommand(tool_args), env, producer->fd_);
    if (!pid.ok()) return pid.status();
    producer->pid_ = *pid;
    return producer;
  }

  ~BackgroundProducer() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      int status = 0;
      ::waitpid(pid_, &status, 0);
    }
    if (fd_ >= 0) ::close(fd_);
  }

  bool IsRunning() {
    if (pid_ <= 0) return false;
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      exit_status_ = ExitStatus::FromWaitStatus(status);
      pid_ = -1;
      return false;
    }
    return true;
  }

  // The records acknowledged so far, in acknowledgement order.
  std::vector<AckedRecord> Acked() const {
    std::vector<AckedRecord> records;
    for (absl::string_view line : absl::StrSplit(ReadFile(acked_file()), '\n')) {
      std::vector<absl::string_view> fields = absl::StrSplit(line, ' ');
      AckedRecord record;
      // A line being written may be partial: only whole lines count.
      if (fields.size() != 3 || !absl::SimpleAtoi(fields[0], &record.seq) ||
          !absl::SimpleAtoi(fields[1], &record.partition) ||
          !absl::SimpleAtoi(fields[2], &record.offset)) {
        continue;
      }
      records.push_back(record);
    }
    return records;
  }

  // Tells the producer to stop, waits until every record it sent is acknowledged or failed and
  // it exits. Returns its exit status.
  absl::StatusOr<ExitStatus> Stop(absl::Duration timeout) {
    std::ofstream(stop_file()).put('\n');
    absl::Status waited = WaitFor([&] { return !IsRunning(); }, timeout, "the producer to exit");
    if (!waited.ok()) return waited;
    return *exit_status_;
  }

  std::string Output() const { return ReadFile(output_file()); }
  std::filesystem::path acked_file() const { return dir_ / "acked.txt"; }

 private:
  explicit BackgroundProducer(std::filesystem::path dir) : dir_(std::move(dir)) {}
  std::filesystem::path stop_file() const { return dir_ / "stop"; }
  std::filesystem::path output_file() const { return dir_ / "producer.out"; }

  std::filesystem::path dir_;
  int fd_ = -1;
  pid_t pid_ = -1;
  std::optional<ExitStatus> exit_status_;
};

// Acknowledged records at or after index `from` of `acked`, by partition.
std::map<int, int> AckedByPartitionSince(const std::vector<AckedRecord>& acked, size_t from) {
  std::map<int, int> counts;
  for (size_t i = from; i < acked.size(); ++i) ++counts[acked[i].partition];
  return counts;
}

bool EveryPartitionHasAtLeast(const std::map<int, int>& counts, int n) {
  for (int p = 0; p < kPartitions; ++p) {
    auto it = counts.find(p);
    if (it == counts.end() || it->second < n) return false;
  }
  return true;
}

class KarstdReplicationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(cluster_, Cluster::Create(SplitRoles()));
    ASSERT_OK(cluster_->StartAll());
    for (int i = 0; i < cluster_->size(); ++i) ASSERT_OK(WaitReady(cluster_->node(i)));
  }

  // Creates `topic` (3 partitions, RF 3) and returns its partitions once each has a leader and
  // a full ISR.
  std::map<int, PartitionState> CreateTopic(const std::string& topic) {
    RunToolOk(
        {"create", AllBrokers(), topic, absl::StrCat(kPartitions), "3", "min.insync.replicas=2"});
    absl::StatusOr<std::map<int, PartitionState>> partitions = WaitForPartitions(
        AllBrokers(), topic, [](const PartitionState& s) { return s.isr.size() == 3; },
        absl::Seconds(30), "a full ISR for every partition");
    EXPECT_OK(partitions.status());
    return partitions.ok() ? *partitions : std::map<int, PartitionState>{};
  }

  std::string AllBrokers() { return Bootstrap(*cluster_, {4, 5, 6}); }

  std::filesystem::path Dir(const std::string& name) {
    std::filesystem::path dir = cluster_->dir() / name;
    std::filesystem::create_directories(dir);
    return dir;
  }

  std::unique_ptr<Cluster> cluster_;
};

TEST_F(KarstdReplicationTest, LeaderKilledMidRunLosesNoAcknowledgedRecord) {
  const std::string topic = "failover";
  std::map<int, PartitionState> partitions = CreateTopic(topic);
  ASSERT_FALSE(HasFailure());
  const int victim = partitions[0].leader;
  std::vector<int> survivors;
  for (int id = kControllers + 1; id <= kControllers + kBrokers; ++id) {
    if (id != victim) survivors.push_back(id);
  }

  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<BackgroundProducer> producer,
      BackgroundProducer::Start(Dir("producer"), AllBrokers(), topic,
                                {absl::StrCat("--rate=", kRate), "request.timeout.ms=5000"}));
  ASSERT_OK(WaitFor([&] { return producer->Acked().size() >= 2000; }, absl::Seconds(30),
                    "2,000 acknowledged records before the kill"));
  ASSERT_TRUE(producer->IsRunning()) << producer->Output();
  const size_t acked_before = producer->Acked().size();
  ASSERT_OK(cluster_->node(IndexOfNode(victim)).Kill9());
  const absl::Time killed = absl::Now();
  std::printf("killed broker %d (leader of partition 0) after %zu acknowledged records\n", victim,
              acked_before);
  ASSERT_OK(WaitFor(
      [&] {
        return EveryPartitionHasAtLeast(AckedByPartitionSince(producer->Acked(), acked_before),
                                        1000);
      },
      absl::Seconds(60), "1,000 more acknowledged records in every partition after the kill"))
      << producer->Output();
  std::printf("every partition had 1,000 more acknowledged records %s after the kill\n",
              absl::FormatDuration(absl::Now() - killed).c_str());
  ASSERT_TRUE(producer->IsRunning()) << producer->Output();
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, producer->Stop(kProducerStopTimeout));
  const std::string output = producer->Output();
  std::printf("producer: %s", output.c_str());
  EXPECT_TRUE(exit.Success()) << exit.ToString() << ": " << output;
  EXPECT_TRUE(absl::StrContains(output, "failed 0 ")) << output;

  RunToolOk({"verify", Bootstrap(*cluster_, survivors), topic, producer->acked_file().string()});

  // The killed broker restarts and rejoins every ISR.
  ASSERT_OK(cluster_->node(IndexOfNode(victim)).Start());
  ASSERT_OK(WaitReady(cluster_->node(IndexOfNode(victim))));
  ASSERT_OK(WaitForPartitions(
                AllBrokers(), topic, [](const PartitionState& s) { return s.isr.size() == 3; },
                absl::Seconds(30), "the restarted broker back in every ISR")
                .status());
}

TEST_F(KarstdReplicationTest, TwoReplicasDownRefuseAcksAllWritesUntilTheyReturn) {
  const std::string topic = "min-isr";
  CreateTopic(topic);
  ASSERT_FALSE(HasFailure());
  const std::filesystem::path dir = Dir("min-isr");
  const std::string before = (dir / "before.txt").string();
  const std::string after = (dir / "after.txt").string();
  std::string output = RunToolOk({"produce", AllBrokers(), topic, "3000", before});
  EXPECT_TRUE(absl::StrContains(output, "acked 3000 failed 0")) << output;

  // Stop brokers 5 and 6; broker 4 is left, alone in every ISR.
  for (int id : {5, 6}) {
    absl::StatusOr<ExitStatus> exit = cluster_->node(IndexOfNode(id)).Terminate();
    ASSERT_OK(exit.status());
    EXPECT_TRUE(exit->Success()) << "broker " << id << ": " << exit->ToString();
  }
  const std::string alone = Bootstrap(*cluster_, {4});
  ASSERT_OK(WaitForPartitions(
                alone, topic,
                [](const PartitionState& s) { return s.leader == 4 && s.isr == std::set{4}; },
                absl::Seconds(30), "broker 4 leading every partition with ISR {4}")
                .status());

  // acks=all is refused; nothing is acknowledged.
  output =
      RunToolOk({"produce", alone, topic, "20", (dir / "refused.txt").string(), "--first=100000",
                 "message.timeout.ms=5000", "retries=2", "retry.backoff.ms=200"});
  EXPECT_TRUE(absl::StrContains(output, "acked 0 failed 20 errors NOT_ENOUGH_REPLICAS:20"))
      << output;
  // What was committed before is still readable.
  RunToolOk({"verify", alone, topic, before});

  // Both come back, catch up and rejoin every ISR; acks=all works again.
  for (int id : {5, 6}) ASSERT_OK(cluster_->node(IndexOfNode(id)).Start());
  for (int id : {5, 6}) ASSERT_OK(WaitReady(cluster_->node(IndexOfNode(id))));
  const absl::Time restarted = absl::Now();
  ASSERT_OK(WaitForPartitions(
                AllBrokers(), topic, [](const PartitionState& s) { return s.isr.size() == 3; },
                absl::Seconds(30), "every ISR back to 3")
                .status());
  std::printf("every ISR back to 3 %s after the restart\n",
              absl::FormatDuration(absl::Now() - restarted).c_str());
  output = RunToolOk({"produce", AllBrokers(), topic, "3000", after, "--first=200000"});
  EXPECT_TRUE(absl::StrContains(output, "acked 3000 failed 0")) << output;
  RunToolOk({"verify", AllBrokers(), topic, before});
  RunToolOk({"verify", AllBrokers(), topic, after});
}

TEST_F(KarstdReplicationTest, PartitionedLeaderIsFencedAndTruncatesAfterHealing) {
  const std::string topic = "partitioned";
  std::map<int, PartitionState> partitions = CreateTopic(topic);
  ASSERT_FALSE(HasFailure());
  const int isolated = partitions[0].leader;
  Node& isolated_node = cluster_->node(IndexOfNode(isolated));
  std::vector<int> others;
  for (int id = kControllers + 1; id <= kControllers + kBrokers; ++id) {
    if (id != isolated) others.push_back(id);
  }
  absl::StatusOr<std::unique_ptr<NetworkCutter>> cutter = NetworkCutter::Create();
  ASSERT_OK(cutter.status()) << "this test needs root and nftables";

  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<BackgroundProducer> producer,
      BackgroundProducer::Start(Dir("producer"), AllBrokers(), topic,
                                {absl::StrCat("--rate=", kRate), "request.timeout.ms=3000"}));
  ASSERT_OK(WaitFor([&] { return producer->Acked().size() >= 2000; }, absl::Seconds(30),
                    "2,000 acknowledged records before the cut"));
  ASSERT_TRUE(producer->IsRunning()) << producer->Output();
  ASSERT_OK(CheckNodesConnectFromTheirOwnAddresses(*cluster_, IndexOfNode(isolated)));
  const size_t acked_before = producer->Acked().size();
  for (int i = 0; i < cluster_->size(); ++i) {
    if (i == IndexOfNode(isolated)) continue;
    ASSERT_OK((*cutter)->Cut(isolated_node.address(), cluster_->node(i).address()));
  }
  const absl::Time cut = absl::Now();
  std::printf("cut broker %d (leader of partition 0) off after %zu acknowledged records\n",
              isolated, acked_before);

  // The controllers fence it and move leadership; the producer follows.
  ASSERT_OK(WaitForPartitions(
                Bootstrap(*cluster_, others), topic,
                [&](const PartitionState& s) {
                  return s.leader != isolated && !s.isr.contains(isolated);
                },
                absl::Seconds(30), "leaders and ISRs without the isolated broker")
                .status());
  std::printf("leadership moved %s after the cut\n",
              absl::FormatDuration(absl::Now() - cut).c_str());
  ASSERT_OK(WaitFor(
      [&] {
        return EveryPartitionHasAtLeast(AckedByPartitionSince(producer->Acked(), acked_before),
                                        1000);
      },
      absl::Seconds(60), "1,000 more acknowledged records in every partition after the cut"))
      << producer->Output();
  std::printf("every partition had 1,000 more acknowledged records %s after the cut\n",
              absl::FormatDuration(absl::Now() - cut).c_str());

  ASSERT_OK((*cutter)->HealAll());
  const absl::Time healed = absl::Now();
  const std::string truncation = absl::StrCat("partition ", topic, "-0: truncating from ");
  ASSERT_OK(
      WaitFor([&] { return absl::StrContains(ReadFile(isolated_node.log_path()), truncation); },
              absl::Seconds(30), "the healed broker to truncate partition 0"));
  ASSERT_OK(WaitForPartitions(
                AllBrokers(), topic, [](const PartitionState& s) { return s.isr.size() == 3; },
                absl::Seconds(30), "the healed broker back in every ISR")
                .status());
  std::printf("healed broker back in every ISR %s after healing\n",
              absl::FormatDuration(absl::Now() - healed).c_str());
  for (absl::string_view line : absl::StrSplit(ReadFile(isolated_node.log_path()), '\n')) {
    if (absl::StrContains(line, "truncating from")) std::printf("%s\n", std::string(line).c_str());
  }

  ASSERT_TRUE(producer->IsRunning()) << producer->Output();
  ASSERT_OK_AND_ASSIGN(ExitStatus exit, producer->Stop(kProducerStopTimeout));
  const std::string output = producer->Output();
  std::printf("producer: %s", output.c_str());
  EXPECT_TRUE(exit.Success()) << exit.ToString() << ": " << output;
  RunToolOk({"verify", AllBrokers(), topic, producer->acked_file().string()});
}

}  // namespace
}  // namespace karst::testing
