// `karst quorum` as a user meets it, against a real 3-node karstd cluster (every node broker and
// controller): describe --status and --replication show one leader, its epoch and three voters
// that catch up (lag 0), every broker names the same leader, --output json parses, and bad flags
// and an unreachable cluster fail with the documented exit codes. Also Kafka's DescribeQuorum
// (key 55) on the wire at v0-v2, as kafka-metadata-quorum sends it. Runs the real karst binary;
// waits on conditions with deadlines, never fixed sleeps.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "kafka/protocol/errors.h"
#include "kafka/protocol/messages/all.h"
#include "tests/harness/cluster.h"
#include "tests/harness/kafka_connection.h"
#include "tests/harness/karst_cli_test.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace fs = std::filesystem;
namespace kp = ::karst::kafka::protocol;
using ::testing::HasSubstr;

constexpr absl::Duration kCatchUp = absl::Seconds(30);

// One row of `describe --replication`, its cells trimmed.
using Row = std::vector<std::string>;

std::vector<Row> ParseTable(const std::string& output) {
  std::vector<Row> rows;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    Row row;
    for (absl::string_view cell : absl::StrSplit(line, '\t')) {
      row.emplace_back(absl::StripAsciiWhitespace(cell));
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

// The `describe --status` lines as key -> value ("LeaderId" -> "2").
std::map<std::string, std::string> ParseStatus(const std::string& output) {
  std::map<std::string, std::string> fields;
  for (absl::string_view line : absl::StrSplit(output, '\n', absl::SkipEmpty())) {
    const size_t colon = line.find(':');
    if (colon == absl::string_view::npos) continue;
    fields[std::string(line.substr(0, colon))] =
        std::string(absl::StripAsciiWhitespace(line.substr(colon + 1)));
  }
  return fields;
}

// Three voters, a leader, every one at lag 0 with both contact times known.
bool AllCaughtUp(const std::vector<Row>& rows) {
  if (rows.size() != 4 || rows[0].size() != 6 || rows[0][0] != "NodeId") return false;
  int leaders = 0;
  for (size_t i = 1; i < rows.size(); ++i) {
    const Row& r = rows[i];
    if (r.size() != 6 || r[2] != "0" || r[3] == "-1" || r[4] == "-1") return false;
    if (r[5] == "Leader") ++leaders;
    if (r[5] != "Leader" && r[5] != "Follower") return false;
  }
  return leaders == 1 && rows[1][5] == "Leader";
}

class KarstQuorum : public KarstCliTest {
 protected:
  static void SetUpTestSuite() { StartCluster(); }

  // Runs `karst quorum [--bootstrap-server <bootstrap>] <args>`; "" leaves the flag out.
  static CommandResult Quorum(const std::vector<std::string>& args,
                              const std::string& bootstrap = cluster_->BootstrapServers()) {
    std::vector<std::string> argv = {fs::absolute(std::getenv("KARST")).string(), "quorum"};
    if (!bootstrap.empty()) {
      argv.push_back("--bootstrap-server");
      argv.push_back(bootstrap);
    }
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> result = RunCommand(argv);
    EXPECT_OK(result.status());
    return result.ok() ? *result : CommandResult{};
  }

  // Waits until `describe --replication` shows three caught-up voters; returns its rows.
  static std::vector<Row> WaitForCaughtUp() {
    std::string last;
    std::vector<Row> rows;
    EXPECT_OK(WaitFor(
        [&] {
          CommandResult r = Quorum({"describe", "--replication"});
          last = r.output;
          rows = ParseTable(r.output);
          return r.exit_status.Success() && AllCaughtUp(rows);
        },
        kCatchUp, "three voters at lag 0"))
        << "last output:\n"
        << last;
    return rows;
  }

  // Runs /usr/bin/python3 -c `script` on `json` (written to a file); returns its result.
  static CommandResult CheckJson(const std::string& name, const std::string& json,
                                 const std::string& script) {
    const fs::path path = fs::path(std::getenv("TEST_TMPDIR")) / name;
    std::ofstream(path) << json;
    absl::StatusOr<CommandResult> result =
        RunCommand({"/usr/bin/python3", "-c", script, path.string()});
    EXPECT_OK(result.status());
    return result.ok() ? *result : CommandResult{};
  }
};

TEST_F(KarstQuorum, StatusAndReplicationShowALeaderAndThreeCaughtUpVoters) {
  const std::vector<Row> rows = WaitForCaughtUp();
  ASSERT_TRUE(AllCaughtUp(rows));
  const std::string leader = rows[1][0];
  std::vector<std::string> ids = {rows[1][0], rows[2][0], rows[3][0]};
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<std::string>{"1", "2", "3"}));
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  int64_t fetched_ms = 0;
  ASSERT_TRUE(absl::SimpleAtoi(rows[2][3], &fetched_ms)) << rows[2][3];
  EXPECT_GT(fetched_ms, now_ms - 60000);  // The leader's clock, on this machine.
  EXPECT_LE(fetched_ms, now_ms + 1000);

  CommandResult status = Quorum({"describe", "--status"});
  ASSERT_EQ(status.exit_status.exit_code, 0) << status.output;
  std::map<std::string, std::string> fields = ParseStatus(status.output);
  EXPECT_EQ(fields["ClusterId"], cluster_->cluster_id()) << status.output;
  EXPECT_EQ(fields["LeaderId"], leader) << status.output;
  int64_t epoch = 0, high_watermark = 0;
  EXPECT_TRUE(absl::SimpleAtoi(fields["LeaderEpoch"], &epoch) && epoch >= 1) << status.output;
  EXPECT_TRUE(absl::SimpleAtoi(fields["HighWatermark"], &high_watermark) && high_watermark >= 1)
      << status.output;
  EXPECT_EQ(fields["CurrentVoters"], "[1,2,3]") << status.output;
  EXPECT_EQ(fields["CurrentObservers"], "[]") << status.output;
  EXPECT_TRUE(absl::StartsWith(status.output, "ClusterId:              ")) << status.output;

  // Every broker asks the active controller, so each names the same leader; `status` is the
  // shortcut for `describe --status`.
  for (int i = 0; i < cluster_->size(); ++i) {
    const std::string bootstrap = cluster_->node(i).kafka_address();
    std::string last;
    EXPECT_OK(WaitFor(
        [&] {
          CommandResult r = Quorum({"status"}, bootstrap);
          last = r.output;
          return r.exit_status.Success() && ParseStatus(r.output)["LeaderId"] == leader;
        },
        kCatchUp, absl::StrCat("node ", i + 1, " naming leader ", leader)))
        << last;
  }
}

TEST_F(KarstQuorum, JsonOutputParses) {
  WaitForCaughtUp();
  CommandResult status = Quorum({"describe", "--status", "--output", "json"});
  ASSERT_EQ(status.exit_status.exit_code, 0) << status.output;
  CommandResult checked = CheckJson("status.json", status.output, R"(
import json, sys
d = json.load(open(sys.argv[1]))
assert sorted(d["currentVoters"]) == [1, 2, 3], d
assert d["currentObservers"] == [], d
assert d["leaderId"] in (1, 2, 3) and d["leaderEpoch"] >= 1 and d["highWatermark"] >= 1, d
assert isinstance(d["clusterId"], str) and d["clusterId"], d
assert isinstance(d["maxFollowerLag"], int) and isinstance(d["maxFollowerLagTimeMs"], int), d
print("ok")
)");
  EXPECT_EQ(checked.exit_status.exit_code, 0) << checked.output << "\n" << status.output;

  CommandResult replication = Quorum({"describe", "--replication", "--output=json"});
  ASSERT_EQ(replication.exit_status.exit_code, 0) << replication.output;
  checked = CheckJson("replication.json", replication.output, R"(
import json, sys
rows = json.load(open(sys.argv[1]))
assert len(rows) == 3, rows
assert rows[0]["status"] == "Leader", rows
assert sorted(r["nodeId"] for r in rows) == [1, 2, 3], rows
assert all(r["status"] in ("Leader", "Follower") for r in rows), rows
for r in rows:
    for k in ("logEndOffset", "lag", "lastFetchTimestamp", "lastCaughtUpTimestamp"):
        assert isinstance(r[k], int), (k, r)
print("ok")
)");
  EXPECT_EQ(checked.exit_status.exit_code, 0) << checked.output << "\n" << replication.output;
}

TEST_F(KarstQuorum, DescribeQuorumOnTheWireAtEachVersion) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<KafkaConnection> c,
                       KafkaConnection::Open(cluster_->node(1)));
  kp::ApiVersionsResponse versions;
  ASSERT_OK(c->Call(kp::ApiVersionsRequest{}, 3, &versions));
  bool advertised = false;
  for (const auto& api : versions.api_keys) {
    if (api.api_key != 55) continue;
    advertised = true;
    EXPECT_EQ(api.min_version, 0);
    EXPECT_EQ(api.max_version, 2);
  }
  EXPECT_TRUE(advertised);

  WaitForCaughtUp();
  kp::DescribeQuorumRequest request;
  auto& topic = request.topics.emplace_back();
  topic.topic_name = "__cluster_metadata";
  topic.partitions.emplace_back().partition_index = 0;
  for (int16_t version : {0, 1, 2}) {
    SCOPED_TRACE(absl::StrCat("DescribeQuorum v", version));
    kp::DescribeQuorumResponse response;
    ASSERT_OK(c->Call(request, version, &response));
    ASSERT_EQ(response.error_code, 0);
    ASSERT_EQ(response.topics.size(), 1u);
    EXPECT_EQ(response.topics[0].topic_name, "__cluster_metadata");
    ASSERT_EQ(response.topics[0].partitions.size(), 1u);
    const auto& p = response.topics[0].partitions[0];
    EXPECT_EQ(p.error_code, 0);
    EXPECT_GE(p.leader_id, 1);
    EXPECT_GE(p.leader_epoch, 1);
    EXPECT_GE(p.high_watermark, 1);
    ASSERT_EQ(p.current_voters.size(), 3u);
    EXPECT_TRUE(p.observers.empty());
    for (const auto& v : p.current_voters) {
      EXPECT_GE(v.log_end_offset, 0);
      // v0 carries no contact times; they decode as the schema default.
      if (version == 0) {
        EXPECT_EQ(v.last_fetch_timestamp, -1);
      } else {
        EXPECT_GT(v.last_fetch_timestamp, 0);
      }
    }
    if (version >= 2) {
      ASSERT_EQ(response.nodes.size(), 3u);
      for (const auto& node : response.nodes) {
        ASSERT_EQ(node.listeners.size(), 1u);
        EXPECT_EQ(node.listeners[0].port, 9093);
      }
    }
  }
  // KRaft has one Raft partition; any other is INVALID_REQUEST, as Kafka answers.
  request.topics[0].topic_name = "orders";
  kp::DescribeQuorumResponse invalid;
  ASSERT_OK(c->Call(request, 1, &invalid));
  EXPECT_EQ(invalid.error_code, static_cast<int16_t>(kp::ErrorCode::kInvalidRequest));
}

TEST_F(KarstQuorum, BadFlagsAndUnreachableClusters) {
  CommandResult bad_flag = Quorum({"describe", "--status", "--zookeeper", "z:2181"});
  EXPECT_EQ(bad_flag.exit_status.exit_code, 2) << bad_flag.output;
  EXPECT_THAT(bad_flag.output, HasSubstr("unknown flag --zookeeper"));
  EXPECT_THAT(bad_flag.output, HasSubstr("usage: karst quorum"));
  CommandResult no_command = Quorum({"describe"});
  EXPECT_EQ(no_command.exit_status.exit_code, 2) << no_command.output;
  CommandResult no_bootstrap = Quorum({"status"}, "");
  EXPECT_EQ(no_bootstrap.exit_status.exit_code, 2) << no_bootstrap.output;
  EXPECT_THAT(no_bootstrap.output, HasSubstr("--bootstrap-server is required"));

  // Port 1 on the first node's address: nothing listens there, so the connect is refused.
  const std::string address = absl::StrCat(cluster_->node(0).address(), ":1");
  const absl::Time start = absl::Now();
  CommandResult unreachable = Quorum({"describe", "--status"}, address);
  EXPECT_EQ(unreachable.exit_status.exit_code, 1) << unreachable.output;
  EXPECT_THAT(unreachable.output, HasSubstr(address));
  EXPECT_LT(absl::Now() - start, absl::Seconds(30));  // Within request.timeout.ms.
}

}  // namespace
}  // namespace karst::testing
