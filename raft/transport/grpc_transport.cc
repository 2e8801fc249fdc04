#include "raft/transport/grpc_transport.h"

#include <grpc/support/time.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_source_address.h"
#include "raft/transport/peer_client.h"
#include "raft/transport/raft_service.h"

namespace karst::raft {

GrpcTransport::GrpcTransport(Options options, MessageHandler on_message)
    : options_(std::move(options)), on_message_(std::move(on_message)) {
  absl::MutexLock lock(&mu_);
  peers_ = options_.peers;
}

GrpcTransport::~GrpcTransport() { Stop(); }

absl::Status GrpcTransport::Start() {
  {
    absl::MutexLock lock(&mu_);
    if (running_ || stopped_) {
      return absl::FailedPreconditionError(absl::StrCat(
          "raft transport: node ", options_.self.value(), ": already started or stopped"));
    }
  }
  if (!options_.local_address.empty()) {
    // Checked here so that PeerClient::Start cannot fail.
    grpc::ChannelArguments probe;
    absl::Status status = SetSourceAddress(options_.local_address, probe);
    if (!status.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("node ", options_.self.value(), ": ", status.message()));
    }
  }
  service_ = std::make_unique<RaftService>(
      RaftService::Options{.self = options_.self,
                           .cluster_id = options_.cluster_id,
                           .max_snapshot_bytes = options_.max_snapshot_bytes},
      [this](NodeId id) { return IsPeer(id); }, on_message_, counters_);
  grpc::ServerBuilder builder;
  // gRPC sets SO_REUSEPORT by default, so a second server on a busy port would bind and
  // silently share its connections. Binding must fail instead.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.SetMaxReceiveMessageSize(static_cast<int>(
      std::min<size_t>(options_.max_receive_message_bytes, std::numeric_limits<int>::max())));
  builder.AddListeningPort(options_.listen_address, grpc::InsecureServerCredentials(), &port_);
  builder.RegisterService(service_.get());
  for (grpc::Service* service : options_.extra_services) builder.RegisterService(service);
  server_ = builder.BuildAndStart();
  if (server_ == nullptr || port_ == 0) {
    if (server_ != nullptr) server_->Shutdown();
    server_.reset();
    service_.reset();
    return absl::UnavailableError(absl::StrCat("raft transport: node ", options_.self.value(),
                                               ": cannot listen on ", options_.listen_address));
  }
  std::map<NodeId, std::string> peers;
  {
    absl::MutexLock lock(&mu_);
    running_ = true;
    peers = peers_;
  }
  for (const auto& [id, address] : peers) AddPeer(id, address);
  return absl::OkStatus();
}

void GrpcTransport::Stop() {
  std::map<NodeId, std::shared_ptr<PeerClient>> clients;
  {
    absl::MutexLock lock(&mu_);
    if (stopped_) return;
    stopped_ = true;
    running_ = false;
    clients.swap(clients_);
  }
  for (auto& [id, client] : clients) client->Stop();
  if (server_ != nullptr) {
    // Cancels incoming calls still running after the grace period, then waits for their
    // handlers to return, so on_message is not called after this.
    server_->Shutdown(gpr_time_add(
        gpr_now(GPR_CLOCK_MONOTONIC),
        gpr_time_from_micros(absl::ToInt64Microseconds(options_.shutdown_grace), GPR_TIMESPAN)));
    server_->Wait();
  }
}

int GrpcTransport::port() const { return port_; }

void GrpcTransport::AddPeer(NodeId id, std::string address) {
  std::shared_ptr<PeerClient> client;
  bool running = false;
  {
    absl::MutexLock lock(&mu_);
    peers_[id] = address;
    running = running_;
  }
  if (running) client = NewClient(id, address);
  std::shared_ptr<PeerClient> replaced;
  {
    absl::MutexLock lock(&mu_);
    // Stop() may have come in between; then the new client goes too.
    if (running_ && client != nullptr) {
      replaced = std::exchange(clients_[id], client);
    } else {
      replaced = std::move(client);
    }
  }
  // Joins a sender thread, so outside the lock.
  if (replaced != nullptr) replaced->Stop();
}

void GrpcTransport::RemovePeer(NodeId id) {
  std::shared_ptr<PeerClient> removed;
  {
    absl::MutexLock lock(&mu_);
    peers_.erase(id);
    auto it = clients_.find(id);
    if (it != clients_.end()) {
      removed = std::move(it->second);
      clients_.erase(it);
    }
  }
  if (removed != nullptr) removed->Stop();
}

void GrpcTransport::Send(Message message) {
  std::vector<Message> messages;
  messages.push_back(std::move(message));
  Send(std::move(messages));
}

void GrpcTransport::Send(std::vector<Message> messages) {
  // Split by receiver, keeping each receiver's order; one Enqueue per receiver lets its sender
  // see them together and batch them into one RPC.
  std::map<NodeId, std::vector<Message>> by_peer;
  for (Message& message : messages) by_peer[message.to].push_back(std::move(message));
  for (auto& [to, batch] : by_peer) {
    std::shared_ptr<PeerClient> client;
    {
      absl::MutexLock lock(&mu_);
      auto it = clients_.find(to);
      if (it != clients_.end()) client = it->second;
    }
    if (client == nullptr) {
      counters_.Add(&TransportCounts::messages_dropped, batch.size());
    } else {
      client->Enqueue(std::move(batch));
    }
  }
}

TransportCounts GrpcTransport::counters() const { return counters_.Get(); }

bool GrpcTransport::AwaitCounters(const std::function<bool(const TransportCounts&)>& done,
                                  absl::Duration timeout) const {
  return counters_.Await(done, timeout);
}

bool GrpcTransport::IsPeer(NodeId id) const {
  absl::MutexLock lock(&mu_);
  return peers_.count(id) > 0;
}

std::shared_ptr<PeerClient> GrpcTransport::NewClient(NodeId id, const std::string& address) {
  auto client = std::make_shared<PeerClient>(
      PeerClient::Options{
          .self = options_.self,
          .peer = id,
          .address = address,
          .local_address = options_.local_address,
          .cluster_id = options_.cluster_id,
          .max_pending = options_.max_inflight_per_peer,
          .max_batch_bytes = options_.max_batch_bytes,
          .rpc_deadline = options_.rpc_deadline,
          .snapshot_deadline = options_.snapshot_deadline,
          .initial_backoff = options_.initial_backoff,
          .max_backoff = options_.max_backoff,
          .snapshot_chunk_bytes = options_.snapshot_chunk_bytes,
          .log = options_.log,
      },
      counters_);
  client->Start();
  return client;
}

}  // namespace karst::raft
