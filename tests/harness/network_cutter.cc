#include "tests/harness/network_cutter.h"

#include <arpa/inet.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <utility>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "tests/harness/subprocess.h"

namespace karst::testing {
namespace {

bool IsLoopbackV4(const std::string& address) {
  in_addr parsed;
  return inet_pton(AF_INET, address.c_str(), &parsed) == 1 && absl::StartsWith(address, "127.");
}

// Runs `nft <script>`; the script may hold several ';'-separated commands, which nft applies as
// one transaction.
absl::Status RunNft(const std::string& nft_path, const std::string& script) {
  ASSIGN_OR_RETURN(const CommandResult result, RunCommand({nft_path, script}));
  if (!result.exit_status.Success()) {
    return absl::InternalError(
        absl::StrCat("nft '", script, "': ", result.exit_status.ToString(), ": ", result.output));
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<std::unique_ptr<NetworkCutter>> NetworkCutter::Create(NetworkCutterOptions options) {
  static std::atomic<int> instances{0};
  if (options.table_name.empty()) {
    options.table_name = absl::StrCat("karst_test_", getpid(), "_", instances.fetch_add(1));
  }
  if (geteuid() != 0 || access(options.nft_path.c_str(), X_OK) != 0) {
    return absl::FailedPreconditionError(absl::StrCat(
        "link cutting needs root and nftables: running as uid ", geteuid(), ", ", options.nft_path,
        access(options.nft_path.c_str(), X_OK) == 0 ? " found" : " missing",
        "; run this test as root on a host with nftables (apt-get install nftables)"));
  }
  const std::string t = absl::StrCat("inet ", options.table_name);
  // "add; delete; add" replaces a table left behind by a crashed process with the same pid.
  RETURN_IF_ERROR(RunNft(
      options.nft_path,
      absl::StrFormat("add table %1$s; delete table %1$s; add table %1$s; "
                      "add set %1$s cut { type ipv4_addr . ipv4_addr; }; "
                      "add chain %1$s input { type filter hook input priority 0; policy accept; }; "
                      "add rule %1$s input ip saddr . ip daddr @cut drop",
                      t)));
  return std::unique_ptr<NetworkCutter>(new NetworkCutter(std::move(options)));
}

NetworkCutter::~NetworkCutter() {
  absl::Status deleted = Nft(absl::StrCat("delete table inet ", table_name()));
  if (!deleted.ok()) {
    fprintf(stderr, "karst harness: network cutter: %s\n", deleted.ToString().c_str());
  }
}

absl::Status NetworkCutter::Nft(const std::string& script) const {
  return RunNft(options_.nft_path, script);
}

absl::StatusOr<std::string> NetworkCutter::PairElements(const std::string& a,
                                                        const std::string& b) const {
  if (!IsLoopbackV4(a) || !IsLoopbackV4(b)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cut ", a, " <-> ", b, ": both must be IPv4 addresses in 127.0.0.0/8"));
  }
  return absl::StrFormat("inet %s cut { %s . %s, %s . %s }", table_name(), a, b, b, a);
}

absl::Status NetworkCutter::Cut(const std::string& a, const std::string& b) {
  ASSIGN_OR_RETURN(const std::string elements, PairElements(a, b));
  return Nft(absl::StrCat("add element ", elements));
}

absl::Status NetworkCutter::Heal(const std::string& a, const std::string& b) {
  ASSIGN_OR_RETURN(const std::string elements, PairElements(a, b));
  // Adding first makes the delete succeed even when the link was not cut.
  return Nft(absl::StrCat("add element ", elements, "; delete element ", elements));
}

absl::Status NetworkCutter::HealAll() {
  return Nft(absl::StrCat("flush set inet ", table_name(), " cut"));
}

}  // namespace karst::testing
