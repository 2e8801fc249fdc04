// NetworkCutter cuts and heals loopback links between two test addresses with nftables, for
// partition tests. It owns one nft table (inet family, name unique per process and instance,
// e.g. karst_test_4242_0) holding a set of cut (source . destination) pairs and an input-hook
// rule dropping packets that match the set; the destructor deletes the table. Packets are
// dropped silently, so a connect across a cut link hangs rather than being refused.
// Requires root (CAP_NET_ADMIN) and nftables: a test that needs it must fail, not skip, when
// Create() returns an error. Not thread-safe.
#ifndef KARST_TESTS_HARNESS_NETWORK_CUTTER_H_
#define KARST_TESTS_HARNESS_NETWORK_CUTTER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace karst::testing {

struct NetworkCutterOptions {
  std::string nft_path = "/usr/sbin/nft";
  // Default: karst_test_<pid>_<n>, n counting instances in this process.
  std::string table_name;
};

class NetworkCutter {
 public:
  // Creates the table (replacing a stale one of the same name).
  // Errors: kFailedPrecondition "... needs root and nftables ..." if not running as root or
  // nft is not executable; kInternal if nft rejects the table (its output is included).
  static absl::StatusOr<std::unique_ptr<NetworkCutter>> Create(NetworkCutterOptions options = {});
  // Deletes the table, healing every link. Failures are printed to stderr.
  ~NetworkCutter();
  NetworkCutter(const NetworkCutter&) = delete;
  NetworkCutter& operator=(const NetworkCutter&) = delete;

  // Drops all packets from a to b and from b to a, including on established connections.
  // Idempotent. REQUIRES: a and b are IPv4 addresses in 127.0.0.0/8.
  // Errors: kInvalidArgument for other addresses; kInternal if nft fails.
  absl::Status Cut(const std::string& a, const std::string& b);
  // Undoes Cut(a, b) (either order); healing an uncut link is OK. Errors: as Cut.
  absl::Status Heal(const std::string& a, const std::string& b);
  // Heals every link this cutter cut. Errors: kInternal if nft fails.
  absl::Status HealAll();

  const std::string& table_name() const { return options_.table_name; }

 private:
  explicit NetworkCutter(NetworkCutterOptions options) : options_(std::move(options)) {}
  // Runs `nft <script>` with the configured binary.
  absl::Status Nft(const std::string& script) const;
  // "inet <table> cut { a . b, b . a }", for add/delete element.
  absl::StatusOr<std::string> PairElements(const std::string& a, const std::string& b) const;

  NetworkCutterOptions options_;
};

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_NETWORK_CUTTER_H_
