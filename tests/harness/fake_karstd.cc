// A stand-in for karstd that honours the harness-facing part of its contract: it reads
// `--config <file>` and `--override key=value`, requires node.id and process.roles, serves
// GET /healthz ("ok"), GET /readyz ("ready") and GET /metrics on admin.listener, and exits 0 on
// SIGTERM. The harness's own tests run against it so they do not depend on the broker being built
// or healthy.
#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/string_view.h"
#include "absl/strings/strip.h"
#include "absl/time/clock.h"
#include "tests/harness/scoped_fd.h"
#include "tests/harness/tcp.h"

namespace karst::testing {
namespace {

using Properties = std::map<std::string, std::string>;

bool AddProperty(absl::string_view line, Properties& properties) {
  std::pair<std::string, std::string> kv = absl::StrSplit(line, absl::MaxSplits('=', 1));
  if (kv.first.empty()) return false;
  properties[kv.first] = kv.second;
  return true;
}

bool ParseArgs(int argc, char** argv, Properties& properties) {
  std::string config;
  Properties overrides;
  if (argc % 2 == 0) return false;  // Every flag takes a value.
  for (int i = 1; i + 1 < argc; i += 2) {
    const absl::string_view flag = argv[i];
    if (flag == "--config") {
      config = argv[i + 1];
    } else if (flag != "--override" || !AddProperty(argv[i + 1], overrides)) {
      return false;
    }
  }
  std::ifstream in(config);
  if (config.empty() || !in) return false;
  for (std::string line; std::getline(in, line);) {
    if (!line.empty() && line[0] != '#') AddProperty(line, properties);
  }
  for (const auto& [key, value] : overrides) properties[key] = value;
  return properties.count("node.id") == 1 && properties.count("process.roles") == 1;
}

std::string Respond(absl::string_view request) {
  absl::string_view path = request.substr(0, request.find(' ', 4));
  absl::ConsumePrefix(&path, "GET ");
  if (path == "/healthz") {
    return "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nok";
  }
  if (path == "/readyz") {
    return "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nready";
  }
  if (path == "/metrics") {
    return "HTTP/1.0 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\n\r\n"
           "# TYPE karst_up gauge\nkarst_up 1\n";
  }
  return "HTTP/1.0 404 Not Found\r\n\r\nnot found";
}

// Serves one request; a client that stalls for a second is dropped.
void Serve(int listener) {
  ScopedFd client(accept4(listener, nullptr, nullptr, SOCK_CLOEXEC | SOCK_NONBLOCK));
  if (!client.valid()) return;
  std::string request;
  char buffer[1024];
  const absl::Time deadline = absl::Now() + absl::Seconds(1);
  while (request.find("\r\n\r\n") == std::string::npos &&
         PollUntil(client.get(), POLLIN, deadline).ok()) {
    const ssize_t n = recv(client.get(), buffer, sizeof(buffer), 0);
    if (n <= 0) return;
    request.append(buffer, static_cast<size_t>(n));
  }
  const std::string response = Respond(request);
  (void)!send(client.get(), response.data(), response.size(), MSG_NOSIGNAL);
}

int Run(int argc, char** argv) {
  Properties properties;
  if (!ParseArgs(argc, argv, properties)) {
    fprintf(stderr,
            "usage: fake_karstd --config FILE [--override k=v]... "
            "(node.id and process.roles required)\n");
    return 2;
  }
  std::pair<std::string, std::string> admin =
      absl::StrSplit(properties["admin.listener"], absl::MaxSplits(':', 1));
  int port = 0;
  absl::StatusOr<ScopedFd> listener = absl::SimpleAtoi(admin.second, &port)
                                          ? ListenTcp(admin.first, port)
                                          : absl::InvalidArgumentError("bad admin.listener");
  if (!listener.ok()) {
    fprintf(stderr, "fake_karstd: %s\n", listener.status().ToString().c_str());
    return 1;
  }
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGTERM);
  sigaddset(&stop_signals, SIGINT);
  sigprocmask(SIG_BLOCK, &stop_signals, nullptr);
  ScopedFd signals(signalfd(-1, &stop_signals, SFD_CLOEXEC));
  printf("fake_karstd: node.id=%s admin.listener=%s serving\n", properties["node.id"].c_str(),
         properties["admin.listener"].c_str());
  fflush(stdout);
  for (;;) {
    pollfd fds[2] = {{listener->get(), POLLIN, 0}, {signals.get(), POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) continue;
    if (fds[1].revents != 0) break;
    if (fds[0].revents != 0) Serve(listener->get());
  }
  printf("fake_karstd: node.id=%s stopping on signal\n", properties["node.id"].c_str());
  return 0;
}

}  // namespace
}  // namespace karst::testing

int main(int argc, char** argv) { return karst::testing::Run(argc, argv); }
