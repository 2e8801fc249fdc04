#include "broker/kafka/server.h"

#include <atomic>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "asio.hpp"
#include "broker/kafka/connection.h"
#include "broker/kafka/handler_pool.h"
#include "common/logging.h"
#include "spdlog/spdlog.h"

namespace karst::broker::kafka {
namespace {

std::string FormatEndpoint(const asio::ip::tcp::endpoint& endpoint) {
  const asio::ip::address address = endpoint.address();
  return address.is_v6() ? absl::StrCat("[", address.to_string(), "]:", endpoint.port())
                         : absl::StrCat(address.to_string(), ":", endpoint.port());
}

absl::Status ValidateOptions(const ServerOptions& options) {
  if (options.listeners.empty()) return absl::InvalidArgumentError("kafka server: no listeners");
  absl::flat_hash_set<std::string> names;
  for (const ListenerSpec& listener : options.listeners) {
    if (listener.name.empty() || !names.insert(listener.name).second) {
      return absl::InvalidArgumentError(
          absl::StrCat("kafka listener '", listener.name, "' at ", listener.host, ":",
                       listener.port, ": listener names must be non-empty and unique"));
    }
  }
  if (options.max_request_bytes < 0 || options.network_threads < 1 || options.handler_threads < 1 ||
      options.max_queued_requests_per_connection < 1 ||
      options.connections_max_idle <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "kafka server: max_request_bytes (", options.max_request_bytes,
        ") must be >= 0; network_threads (", options.network_threads, "), handler_threads (",
        options.handler_threads, ") and max_queued_requests_per_connection (",
        options.max_queued_requests_per_connection, ") >= 1; connections_max_idle (",
        absl::FormatDuration(options.connections_max_idle), ") > 0"));
  }
  return absl::OkStatus();
}

// An IP address, or else a name resolved now (Start() may block; network threads never do).
absl::StatusOr<asio::ip::tcp::endpoint> Resolve(const ListenerSpec& spec,
                                                const std::string& where) {
  if (spec.host.empty()) return asio::ip::tcp::endpoint(asio::ip::address_v4::any(), spec.port);
  asio::error_code error;
  const asio::ip::address address = asio::ip::make_address(spec.host, error);
  if (!error) return asio::ip::tcp::endpoint(address, spec.port);
  asio::io_context context;
  asio::ip::tcp::resolver resolver(context);
  const auto results = resolver.resolve(spec.host, std::to_string(spec.port), error);
  if (error || results.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(where, ": cannot resolve host: ", error ? error.message() : "no address"));
  }
  return results.begin()->endpoint();
}

}  // namespace

struct Server::Io {
  struct Listener {
    std::string name;
    asio::ip::tcp::acceptor acceptor;
    uint16_t port = 0;
    std::string bound;  // host:port as bound, for logs.
  };

  asio::io_context context;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::unique_ptr<Listener>> listeners;
  std::vector<std::thread> threads;
  Connection::Options connection_options;
  Connection::Context connection_context;
  std::atomic<uint64_t> next_connection_id{1};

  std::mutex mu;  // Not absl::Mutex: see HandlerPool::mu_.
  // Every open connection, so that a muted one (no pending operation) stays alive.
  absl::flat_hash_map<uint64_t, std::shared_ptr<Connection>> connections;  // Guarded by mu.

  absl::Status Listen(const ListenerSpec& spec);
  void Accept(Listener& listener);
  void Open(const std::string& listener_name, asio::ip::tcp::socket socket);
  void Forget(uint64_t id);
};

absl::Status Server::Io::Listen(const ListenerSpec& spec) {
  const std::string where =
      absl::StrCat("kafka listener ", spec.name, " ", spec.host, ":", spec.port);
  absl::StatusOr<asio::ip::tcp::endpoint> endpoint = Resolve(spec, where);
  if (!endpoint.ok()) return endpoint.status();
  auto listener = std::make_unique<Listener>(Listener{spec.name, asio::ip::tcp::acceptor(context)});
  asio::error_code error;
  listener->acceptor.open(endpoint->protocol(), error);
  if (!error) listener->acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), error);
  if (!error) listener->acceptor.bind(*endpoint, error);
  if (!error) listener->acceptor.listen(asio::socket_base::max_listen_connections, error);
  asio::ip::tcp::endpoint bound;
  if (!error) bound = listener->acceptor.local_endpoint(error);
  if (error) {
    return absl::UnavailableError(absl::StrCat(where, ": cannot listen: ", error.message()));
  }
  listener->port = bound.port();
  listener->bound = FormatEndpoint(bound);
  listeners.push_back(std::move(listener));
  return absl::OkStatus();
}

// Accepts until the acceptor closes. Each socket gets a strand of its own, so that a
// connection's handlers never run concurrently while connections spread over the threads.
void Server::Io::Accept(Listener& listener) {
  listener.acceptor.async_accept(
      asio::make_strand(context),
      [this, &listener](const asio::error_code& error, asio::ip::tcp::socket socket) {
        if (error == asio::error::operation_aborted || !listener.acceptor.is_open()) return;
        if (error) {
          spdlog::warn("kafka listener {}: accept failed: {}", listener.name, error.message());
        } else {
          Open(listener.name, std::move(socket));
        }
        Accept(listener);
      });
}

void Server::Io::Open(const std::string& listener_name, asio::ip::tcp::socket socket) {
  asio::error_code error;
  const asio::ip::tcp::endpoint peer = socket.remote_endpoint(error);
  if (error) return;  // Already disconnected.
  socket.set_option(asio::ip::tcp::no_delay(true), error);
  const uint64_t id = next_connection_id.fetch_add(1);
  auto connection = std::make_shared<Connection>(
      std::move(socket), ConnectionInfo{id, listener_name, FormatEndpoint(peer)},
      connection_options, connection_context);
  {
    std::lock_guard<std::mutex> lock(mu);
    connections.emplace(id, connection);
  }
  connection->Start();
}

void Server::Io::Forget(uint64_t id) {
  std::shared_ptr<Connection> closed;  // Released after the lock.
  std::lock_guard<std::mutex> lock(mu);
  if (auto it = connections.find(id); it != connections.end()) {
    closed = std::move(it->second);
    connections.erase(it);
  }
}

Server::Server(ServerOptions options, RequestDispatcher& dispatcher)
    : options_(std::move(options)), dispatcher_(dispatcher) {}

Server::~Server() { Stop(); }

absl::Status Server::Start() {
  if (io_ != nullptr) return absl::FailedPreconditionError("kafka server: already started");
  if (absl::Status status = ValidateOptions(options_); !status.ok()) return status;
  auto io = std::make_unique<Io>();
  for (const ListenerSpec& spec : options_.listeners) {
    if (absl::Status status = io->Listen(spec); !status.ok()) return status;
  }
  liveness_ = std::make_shared<Liveness>();
  handler_pool_ = std::make_unique<HandlerPool>(options_.handler_threads);
  handler_pool_->Start();
  io->connection_options = {.max_request_bytes = options_.max_request_bytes,
                            .max_idle = options_.connections_max_idle,
                            .max_queued_requests = options_.max_queued_requests_per_connection};
  io->connection_context = {.handler_pool = handler_pool_.get(),
                            .dispatcher = &dispatcher_,
                            .liveness = liveness_,
                            .on_closed = [raw = io.get()](uint64_t id) { raw->Forget(id); }};
  io->work.emplace(io->context.get_executor());
  for (const auto& listener : io->listeners) {
    spdlog::info("kafka listener {} on {}", listener->name, listener->bound);
    io->Accept(*listener);
  }
  for (int i = 0; i < options_.network_threads; ++i) {
    io->threads.emplace_back([context = &io->context] { context->run(); });
  }
  io_ = std::move(io);
  return absl::OkStatus();
}

void Server::Stop() {
  if (io_ == nullptr) return;
  // Responders become no-ops first, so none posts into the io_context being torn down.
  liveness_->MarkStopped();
  io_->context.stop();
  for (std::thread& thread : io_->threads) thread.join();
  handler_pool_->Stop();
  asio::error_code ignored;
  for (const auto& listener : io_->listeners) listener->acceptor.close(ignored);
  absl::flat_hash_map<uint64_t, std::shared_ptr<Connection>> connections;
  {
    std::lock_guard<std::mutex> lock(io_->mu);
    connections.swap(io_->connections);
  }
  connections.clear();
  // Destroys the handlers still queued, and with them the last references to connections.
  io_.reset();
  handler_pool_.reset();
}

uint16_t Server::port(const std::string& listener_name) const {
  if (io_ == nullptr) return 0;
  for (const auto& listener : io_->listeners) {
    if (listener->name == listener_name) return listener->port;
  }
  return 0;
}

}  // namespace karst::broker::kafka
