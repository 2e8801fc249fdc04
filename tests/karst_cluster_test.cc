// `karst cluster` as a user meets it: a detached 3-node cluster that kcat can use, `status`,
// `down`, and a second `up` that restarts the same cluster with its data. Runs the real karst
// and karstd binaries on loopback addresses from an AddressBlock; waits on conditions with
// deadlines, never fixed sleeps.
#include <signal.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/status_macros.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/harness/address_block.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/wait.h"

namespace karst::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

constexpr char kKcat[] = "/usr/bin/kcat";
constexpr char kTimeout[] = "/usr/bin/timeout";
// Bounds every kcat run: a consumer of a leaderless partition would otherwise wait forever.
constexpr char kKcatSeconds[] = "15";

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs `karst cluster <args>`; returns its exit code and output.
CommandResult Karst(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {fs::absolute(std::getenv("KARST")).string(), "cluster"};
  argv.insert(argv.end(), args.begin(), args.end());
  absl::StatusOr<CommandResult> result = RunCommand(argv);
  EXPECT_OK(result.status());
  return result.ok() ? *result : CommandResult{};
}

absl::StatusOr<CommandResult> Kcat(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {kTimeout, kKcatSeconds, kKcat};
  argv.insert(argv.end(), args.begin(), args.end());
  return RunCommand(argv);
}

// The cluster's directory, stopped however the test ends: `karst cluster down`, then SIGKILL
// for any pid file left. On failure the node logs' tails go to stderr.
class ClusterDir {
 public:
  explicit ClusterDir(fs::path dir) : dir_(std::move(dir)) { fs::remove_all(dir_); }
  ~ClusterDir() {
    if (::testing::Test::HasFailure()) DumpLogs();
    Karst({"down", "--dir", dir_.string()});
    std::error_code error;
    for (const fs::directory_entry& node : fs::directory_iterator(dir_, error)) {
      int pid = 0;
      if (absl::SimpleAtoi(absl::StripAsciiWhitespace(ReadFile(node.path() / "pid")), &pid) &&
          pid > 0) {
        kill(pid, SIGKILL);
      }
    }
  }
  const fs::path& path() const { return dir_; }

 private:
  void DumpLogs() const {
    std::error_code error;
    for (const fs::directory_entry& node : fs::directory_iterator(dir_, error)) {
      if (!absl::StartsWith(node.path().filename().string(), "node-")) continue;
      std::string log = ReadFile(node.path() / "karstd.log");
      if (log.size() > 8000) log = log.substr(log.size() - 8000);
      std::cerr << "--- " << (node.path() / "karstd.log").string() << " (tail) ---\n" << log;
    }
  }

  fs::path dir_;
};

// Waits until `kcat -L` lists `brokers` brokers.
absl::Status WaitForBrokers(const std::string& bootstrap, int brokers) {
  std::string last;
  return WaitForOk(
      [&]() -> absl::Status {
        ASSIGN_OR_RETURN(CommandResult r, Kcat({"-b", bootstrap, "-L"}));
        if (r.exit_status.Success() &&
            absl::StrContains(r.output, absl::StrCat(" ", brokers, " brokers:"))) {
          return absl::OkStatus();
        }
        return absl::UnavailableError(r.output);
      },
      absl::Seconds(30), absl::StrCat("kcat -L to list ", brokers, " brokers"));
}

// Waits until consuming t1 from the beginning to its end yields `expected`.
absl::Status WaitForMessages(const std::string& bootstrap, const std::string& expected) {
  return WaitForOk(
      [&]() -> absl::Status {
        ASSIGN_OR_RETURN(CommandResult r,
                         Kcat({"-b", bootstrap, "-C", "-t", "t1", "-e", "-q", "-f", "%s\\n"}));
        std::vector<std::string> lines = absl::StrSplit(r.output, '\n', absl::SkipEmpty());
        std::sort(lines.begin(), lines.end());
        if (r.exit_status.Success() && absl::StrJoin(lines, ",") == expected) {
          return absl::OkStatus();
        }
        ASSIGN_OR_RETURN(CommandResult metadata, Kcat({"-b", bootstrap, "-L", "-t", "t1"}));
        return absl::UnavailableError(absl::StrCat("kcat -C ", r.exit_status.ToString(), ": ",
                                                   r.output, "; kcat -L: ", metadata.output));
      },
      absl::Seconds(30), absl::StrCat("t1 to hold ", expected));
}

TEST(KarstCluster, UpStatusDownAndRestartKeepsTheData) {
  const std::string base = AddressBlock::ForCurrentTest().prefix() + ".";
  ClusterDir dir(fs::path(std::getenv("TEST_TMPDIR")) / "c");
  const std::string d = dir.path().string();

  CommandResult up = Karst({"up", "--nodes", "3", "--detach", "--dir", d, "--address-base", base});
  ASSERT_TRUE(up.exit_status.Success()) << up.exit_status.ToString() << "\n" << up.output;
  const std::string bootstrap =
      std::string(absl::StripAsciiWhitespace(ReadFile(dir.path() / "bootstrap.servers")));
  EXPECT_EQ(bootstrap, absl::StrCat(base, "11:9092,", base, "12:9092,", base, "13:9092"));
  EXPECT_THAT(up.output, HasSubstr(bootstrap));
  EXPECT_THAT(up.output, HasSubstr(absl::StrCat("http://", base, "12:9644/metrics")));
  for (int id = 1; id <= 3; ++id) {
    EXPECT_TRUE(fs::exists(dir.path() / absl::StrCat("node-", id) / "pid")) << id;
  }
  ASSERT_OK(WaitForBrokers(bootstrap, 3));

  // `up` refuses a running cluster and a different shape.
  CommandResult again = Karst({"up", "--detach", "--dir", d});
  EXPECT_EQ(again.exit_status.exit_code, 1);
  EXPECT_THAT(again.output, HasSubstr("already running"));
  CommandResult reshaped = Karst({"up", "--nodes", "5", "--detach", "--dir", d});
  EXPECT_EQ(reshaped.exit_status.exit_code, 1);
  EXPECT_THAT(reshaped.output, HasSubstr("holds a cluster of 3 combined nodes"));

  const fs::path messages = dir.path() / "messages.txt";
  std::ofstream(messages) << "m1\nm2\nm3\n";
  ASSERT_OK_AND_ASSIGN(CommandResult produced, Kcat({"-b", bootstrap, "-P", "-t", "t1", "-X",
                                                     "acks=all", "-l", messages.string()}));
  ASSERT_TRUE(produced.exit_status.Success()) << produced.output;
  ASSERT_OK(WaitForMessages(bootstrap, "m1,m2,m3"));

  CommandResult status = Karst({"status", "--dir", d});
  EXPECT_EQ(status.exit_status.exit_code, 0) << status.output;
  EXPECT_THAT(status.output, HasSubstr(absl::StrCat(base, "13")));
  EXPECT_THAT(status.output, HasSubstr("running, ready"));
  EXPECT_THAT(status.output, HasSubstr("controller leader: node "));

  CommandResult down = Karst({"down", "--dir", d});
  ASSERT_TRUE(down.exit_status.Success()) << down.output;
  EXPECT_THAT(down.output, HasSubstr("node 3 (" + base + "13): stopped"));
  EXPECT_FALSE(fs::exists(dir.path() / "node-1" / "pid"));
  CommandResult stopped = Karst({"status", "--dir", d});
  EXPECT_EQ(stopped.exit_status.exit_code, 3) << stopped.output;
  EXPECT_THAT(stopped.output, HasSubstr("stopped"));

  // Same directory, no shape flags: the same cluster with its data.
  CommandResult restart = Karst({"up", "--detach", "--dir", d});
  ASSERT_TRUE(restart.exit_status.Success()) << restart.output;
  ASSERT_OK(WaitForBrokers(bootstrap, 3));
  EXPECT_OK(WaitForMessages(bootstrap, "m1,m2,m3"));

  CommandResult final_down = Karst({"down", "--dir", d});
  EXPECT_TRUE(final_down.exit_status.Success()) << final_down.output;
}

}  // namespace
}  // namespace karst::testing
