// KarstCliTest: the base of tests that run the `karst` CLI against one real 3-node cluster
// per test suite. StartCluster (from SetUpTestSuite) starts it with extra properties; Run
// invokes `karst <command> --bootstrap-server <cluster> <args...>`; WaitForOutput retries a
// command until it exits 0 with output the caller accepts. The karst binary comes from $KARST,
// karstd from $KARSTD (Bazel `data` deps). A failed test marks the cluster, whose logs are
// then kept.
#ifndef KARST_TESTS_HARNESS_KARST_CLI_TEST_H_
#define KARST_TESTS_HARNESS_KARST_CLI_TEST_H_

#include <cstdlib>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "tests/harness/cluster.h"
#include "tests/harness/subprocess.h"
#include "tests/harness/wait.h"

namespace karst::testing {

class KarstCliTest : public ::testing::Test {
 protected:
  static void StartCluster(std::map<std::string, std::string> properties = {}) {
    ClusterOptions options;
    options.karstd_path = std::getenv("KARSTD");
    options.num_nodes = 3;
    options.logger_level = "info";
    options.properties = std::move(properties);
    absl::StatusOr<std::unique_ptr<Cluster>> cluster = Cluster::Create(std::move(options));
    ASSERT_OK(cluster.status());
    cluster_ = cluster->release();
    ASSERT_OK(cluster_->StartAll());
  }
  static void TearDownTestSuite() {
    delete cluster_;
    cluster_ = nullptr;
  }
  void SetUp() override { ASSERT_NE(cluster_, nullptr); }
  void TearDown() override {
    if (HasFailure()) cluster_->MarkFailed();
  }

  static std::string Karst() { return std::filesystem::absolute(std::getenv("KARST")).string(); }

  // Runs `karst <command> --bootstrap-server <cluster> <args>`.
  static CommandResult Run(const std::string& command, const std::vector<std::string>& args) {
    std::vector<std::string> argv = {Karst(), command, "--bootstrap-server",
                                     cluster_->BootstrapServers()};
    argv.insert(argv.end(), args.begin(), args.end());
    absl::StatusOr<CommandResult> result = RunCommand(argv);
    EXPECT_OK(result.status());
    return result.ok() ? *result : CommandResult{};
  }

  // Waits up to `timeout` until `karst <command> <args>` exits 0 with output satisfying
  // `accept`; returns the last output.
  static std::string WaitForOutput(const std::string& command, const std::vector<std::string>& args,
                                   const std::function<bool(const std::string&)>& accept,
                                   absl::string_view what,
                                   absl::Duration timeout = absl::Seconds(60)) {
    std::string last;
    EXPECT_OK(WaitFor(
        [&] {
          CommandResult r = Run(command, args);
          last = r.output;
          return r.exit_status.Success() && accept(r.output);
        },
        timeout, what))
        << "last output:\n"
        << last;
    return last;
  }

  static inline Cluster* cluster_ = nullptr;
};

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_KARST_CLI_TEST_H_
