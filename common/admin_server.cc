#include "common/admin_server.h"

#include <sstream>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "asio.hpp"
#include "prometheus/text_serializer.h"

namespace karst {
namespace {

const char* Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 503:
      return "Service Unavailable";
    default:
      return "Error";
  }
}

std::string Serialize(const HttpResponse& r, bool head_only) {
  std::string out = absl::StrCat(
      "HTTP/1.1 ", r.status, " ", Reason(r.status), "\r\n", "Content-Type: ", r.content_type,
      "\r\n", "Content-Length: ", r.body.size(), "\r\n", "Connection: close\r\n\r\n");
  if (!head_only) out += r.body;
  return out;
}

// One accepted connection: read the request head (bounded in size and time), answer, close.
class Session : public std::enable_shared_from_this<Session> {
 public:
  Session(asio::ip::tcp::socket socket, const AdminServer& server, absl::Duration timeout,
          size_t max_bytes)
      : socket_(std::move(socket)),
        timer_(socket_.get_executor()),
        buffer_(max_bytes),
        server_(server),
        timeout_(timeout) {}

  void Start() {
    auto self = shared_from_this();
    timer_.expires_after(absl::ToChronoMilliseconds(timeout_));
    timer_.async_wait([self](const asio::error_code& ec) {
      if (!ec) self->Close();
    });
    asio::async_read_until(socket_, buffer_, "\r\n\r\n",
                           [self](const asio::error_code& ec, size_t) { self->OnHead(ec); });
  }

 private:
  void OnHead(const asio::error_code& ec) {
    if (ec) {
      Close();
      return;
    }
    std::istream in(&buffer_);
    std::string request_line;
    std::getline(in, request_line);
    if (!request_line.empty() && request_line.back() == '\r') request_line.pop_back();
    std::vector<std::string> parts = absl::StrSplit(request_line, ' ');
    HttpResponse response;
    bool head_only = false;
    if (parts.size() != 3 || !absl::StartsWith(parts[2], "HTTP/1.")) {
      response = {400, "text/plain; charset=utf-8", "malformed request line\n"};
    } else {
      head_only = parts[0] == "HEAD";
      response = server_.Respond(head_only ? "GET" : parts[0], parts[1]);
    }
    out_ = Serialize(response, head_only);
    auto self = shared_from_this();
    asio::async_write(socket_, asio::buffer(out_),
                      [self](const asio::error_code&, size_t) { self->Close(); });
  }

  void Close() {
    asio::error_code ignored;
    timer_.cancel();
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  asio::ip::tcp::socket socket_;
  asio::steady_timer timer_;
  asio::streambuf buffer_;
  const AdminServer& server_;
  absl::Duration timeout_;
  std::string out_;
};

}  // namespace

struct AdminServer::Io {
  asio::io_context context;
  asio::ip::tcp::acceptor acceptor{context};
  uint16_t port = 0;

  // Accepts connections until the acceptor closes, each served by its own Session.
  void Accept(const AdminServer& server) {
    acceptor.async_accept(
        [this, &server](const asio::error_code& error, asio::ip::tcp::socket socket) {
          if (error == asio::error::operation_aborted || !acceptor.is_open()) return;
          if (!error) {
            std::make_shared<Session>(std::move(socket), server, server.options_.read_timeout,
                                      server.options_.max_request_bytes)
                ->Start();
          }
          Accept(server);
        });
  }
};

AdminServer::AdminServer(Options options) : options_(std::move(options)) {}

AdminServer::~AdminServer() { Stop(); }

void AdminServer::SetReadinessCheck(std::function<std::optional<std::string>()> check) {
  std::lock_guard<std::mutex> lock(readiness_mu_);
  readiness_ = std::move(check);
}

HttpResponse AdminServer::Respond(absl::string_view method, absl::string_view target) const {
  const absl::string_view path = target.substr(0, target.find('?'));
  if (path != "/metrics" && path != "/healthz" && path != "/readyz") {
    return {404, "text/plain; charset=utf-8", absl::StrCat("no such path: ", path, "\n")};
  }
  if (method != "GET") return {405, "text/plain; charset=utf-8", "only GET is served\n"};
  if (path == "/healthz") return {200, "text/plain; charset=utf-8", "ok\n"};
  if (path == "/readyz") {
    // Under the lock, so that once SetReadinessCheck returns the old check no longer runs.
    std::optional<std::string> missing;
    {
      std::lock_guard<std::mutex> lock(readiness_mu_);
      missing = readiness_ ? readiness_() : std::optional<std::string>("starting");
    }
    if (missing.has_value()) return {503, "text/plain; charset=utf-8", *missing + "\n"};
    return {200, "text/plain; charset=utf-8", "ready\n"};
  }
  std::vector<prometheus::MetricFamily> families;
  for (const auto& weak : options_.collectables) {
    if (auto collectable = weak.lock()) {
      std::vector<prometheus::MetricFamily> more = collectable->Collect();
      families.insert(families.end(), std::make_move_iterator(more.begin()),
                      std::make_move_iterator(more.end()));
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return {200, "text/plain; version=0.0.4; charset=utf-8", out.str()};
}

absl::Status AdminServer::Start() {
  const std::string where = absl::StrCat(options_.host, ":", options_.port);
  asio::error_code ec;
  const asio::ip::address address = options_.host.empty()
                                        ? asio::ip::address(asio::ip::address_v4::any())
                                        : asio::ip::make_address(options_.host, ec);
  if (ec) {
    return absl::InvalidArgumentError(
        absl::StrCat("admin listener ", where, ": host is not an IP address"));
  }
  io_ = std::make_unique<Io>();
  const asio::ip::tcp::endpoint endpoint(address, options_.port);
  io_->acceptor.open(endpoint.protocol(), ec);
  if (!ec) io_->acceptor.set_option(asio::ip::tcp::acceptor::reuse_address(true), ec);
  if (!ec) io_->acceptor.bind(endpoint, ec);
  if (!ec) io_->acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    io_.reset();
    return absl::UnavailableError(
        absl::StrCat("admin listener ", where, ": cannot listen: ", ec.message()));
  }
  io_->port = io_->acceptor.local_endpoint().port();
  io_->Accept(*this);
  thread_ = std::thread([this]() { io_->context.run(); });
  return absl::OkStatus();
}

void AdminServer::Stop() {
  if (!io_) return;
  io_->context.stop();
  if (thread_.joinable()) thread_.join();
  asio::error_code ignored;
  io_->acceptor.close(ignored);
  io_.reset();  // Destroys pending sessions with the context.
}

uint16_t AdminServer::port() const { return io_ ? io_->port : 0; }

}  // namespace karst
