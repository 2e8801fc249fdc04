// AdminServer: the admin HTTP listener (default port 9644). Serves
//   GET /metrics  Prometheus text format from the given collectables (registries);
//   GET /healthz  200 "ok" while the process is up;
//   GET /readyz   200 "ready" once the readiness check (SetReadinessCheck) finds nothing
//                 missing, else 503 with what is missing ("starting" before a check is set);
// and 404 for other paths, 405 for other methods. One request per connection; a request head
// larger than `max_request_bytes` or slower than `read_timeout` is dropped, so a slow client
// cannot hold the server. Owns one I/O thread: Start() starts it, Stop() joins it.
// Thread-safe: Start/Stop from the owner; handlers run on the I/O thread.
#ifndef KARST_COMMON_ADMIN_SERVER_H_
#define KARST_COMMON_ADMIN_SERVER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "prometheus/collectable.h"

namespace karst {

struct HttpResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
};

class AdminServer {
 public:
  struct Options {
    std::string host = "0.0.0.0";  // Empty: every interface.
    uint16_t port = 9644;          // 0: pick a free port (see port()).
    // Weak, as prometheus-cpp's Exposer holds them: the owner keeps each one alive.
    std::vector<std::weak_ptr<prometheus::Collectable>> collectables;
    absl::Duration read_timeout = absl::Seconds(5);
    size_t max_request_bytes = 16 * 1024;
  };

  explicit AdminServer(Options options);
  ~AdminServer();  // Stops if running.
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Binds and starts serving. kInvalidArgument for a host that is not an IP address,
  // kUnavailable if the address cannot be bound (in use, not local); both name host:port.
  // REQUIRES: not started.
  absl::Status Start();

  // Stops accepting, closes connections and joins the I/O thread. Idempotent.
  void Stop();

  // `check` returns why the node is not ready to serve, or nullopt when it is. Thread-safe;
  // `check` runs on the I/O thread and must be cheap and non-blocking; once this returns, the
  // previous check is no longer running and never runs again.
  void SetReadinessCheck(std::function<std::optional<std::string>()> check);

  // The bound port. REQUIRES: Start() returned OK.
  uint16_t port() const;

  // Routing, without I/O: the response to `method` `target` (target may carry a query).
  HttpResponse Respond(absl::string_view method, absl::string_view target) const;

 private:
  struct Io;  // The asio state, kept out of this header.

  Options options_;
  mutable std::mutex readiness_mu_;
  std::function<std::optional<std::string>()> readiness_;  // Guarded by readiness_mu_.
  std::unique_ptr<Io> io_;
  std::thread thread_;
};

}  // namespace karst

#endif  // KARST_COMMON_ADMIN_SERVER_H_
