#include "raft/transport/peer_client.h"

#include <grpc/support/time.h>

#include <algorithm>
#include <limits>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/grpc_source_address.h"
#include "raft/transport/convert.h"

namespace karst::raft {
namespace {

// A monotonic deadline: gRPC accepts gpr_timespec, which keeps wall-clock steps out of it.
gpr_timespec DeadlineAfter(absl::Duration timeout) {
  return gpr_time_add(gpr_now(GPR_CLOCK_MONOTONIC),
                      gpr_time_from_micros(absl::ToInt64Microseconds(timeout), GPR_TIMESPAN));
}

// What a message adds to a batch, roughly: its payloads plus a generous allowance per field.
size_t ApproximateBytes(const Message& message) {
  size_t bytes = 64 + message.context.size();
  for (const Entry& entry : message.entries) bytes += 32 + entry.data.size();
  return bytes;
}

int ToMillis(absl::Duration duration) {
  return static_cast<int>(
      std::clamp<int64_t>(absl::ToInt64Milliseconds(duration), 1, std::numeric_limits<int>::max()));
}

}  // namespace

PeerClient::PeerClient(Options options, TransportCounters& counters)
    : options_(std::move(options)), counters_(counters) {}

PeerClient::~PeerClient() { Stop(); }

void PeerClient::Start() {
  grpc::ChannelArguments args;
  // gRPC reconnects a failed channel on its own, by default after 1s growing to 120s; Raft
  // wants a peer back within an election timeout, so the transport's backoff applies.
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, ToMillis(options_.initial_backoff));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, ToMillis(options_.max_backoff));
  // Channels to one address otherwise share a process-wide subchannel, and with it another
  // transport's connection state and backoff (several transports share a test process).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  if (!options_.local_address.empty()) {
    // GrpcTransport::Start validated the address, so this does not fail; log it if it does.
    absl::Status status = SetSourceAddress(options_.local_address, args);
    if (!status.ok()) Log(std::string(status.message()));
  }
  channel_ = grpc::CreateCustomChannel(options_.address, grpc::InsecureChannelCredentials(), args);
  stub_ = proto::Raft::NewStub(channel_);
  thread_ = std::thread([this] { Run(); });
}

void PeerClient::Stop() {
  {
    absl::MutexLock lock(&mu_);
    stopping_ = true;
    // Without this a call to a silent peer would hold Stop until its deadline.
    if (active_ != nullptr) active_->TryCancel();
  }
  if (thread_.joinable()) thread_.join();
  size_t dropped = 0;
  {
    absl::MutexLock lock(&mu_);
    dropped = queue_.size();
    queue_.clear();
  }
  if (dropped > 0) counters_.Add(&TransportCounts::messages_dropped, dropped);
}

void PeerClient::Enqueue(std::vector<Message> messages) {
  size_t dropped = 0;
  {
    absl::MutexLock lock(&mu_);
    for (Message& message : messages) {
      if (stopping_ || queue_.size() + in_flight_ >= options_.max_pending) {
        ++dropped;
      } else {
        queue_.push_back(std::move(message));
      }
    }
  }
  if (dropped > 0) counters_.Add(&TransportCounts::messages_dropped, dropped);
}

void PeerClient::Run() {
  absl::Duration backoff = absl::ZeroDuration();
  std::vector<Message> batch;
  while (TakeBatch(batch)) {
    size_t count = batch.size();
    grpc::Status status = batch.front().type == MessageType::kSnapshot
                              ? SendSnapshot(std::move(batch.front()))
                              : SendBatch(std::move(batch));
    bool stopping = false;
    {
      absl::MutexLock lock(&mu_);
      in_flight_ = 0;
      stopping = stopping_;
    }
    Finish(status, count, /*quiet=*/stopping, backoff);
    if (backoff > absl::ZeroDuration()) {
      // Waits out the backoff unless Stop comes first; messages keep queueing meanwhile.
      absl::MutexLock lock(&mu_);
      mu_.AwaitWithTimeout(absl::Condition(&stopping_), backoff);
    }
  }
}

bool PeerClient::TakeBatch(std::vector<Message>& batch) {
  batch.clear();
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(this, &PeerClient::HasWorkOrStopping));
  if (stopping_) return false;
  if (queue_.front().type == MessageType::kSnapshot) {
    batch.push_back(std::move(queue_.front()));
    queue_.pop_front();
  } else {
    size_t bytes = 0;
    while (!queue_.empty() && queue_.front().type != MessageType::kSnapshot) {
      size_t size = ApproximateBytes(queue_.front());
      if (!batch.empty() && bytes + size > options_.max_batch_bytes) break;
      bytes += size;
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
  }
  in_flight_ = batch.size();
  return true;
}

grpc::Status PeerClient::SendBatch(std::vector<Message> batch) {
  proto::MessageBatch request;
  request.set_cluster_id(options_.cluster_id);
  request.set_from(options_.self.value());
  request.set_to(options_.peer.value());
  request.mutable_messages()->Reserve(static_cast<int>(batch.size()));
  for (Message& message : batch) *request.add_messages() = ToProto(std::move(message));

  grpc::ClientContext context;
  context.set_deadline(DeadlineAfter(options_.rpc_deadline));
  if (!BeginRpc(&context)) return grpc::Status(grpc::StatusCode::CANCELLED, "stopping");
  proto::SendResponse response;
  grpc::Status status = stub_->Send(&context, request, &response);
  EndRpc();
  return status;
}

grpc::Status PeerClient::SendSnapshot(Message message) {
  std::string data = std::move(message.snapshot.data);
  proto::SnapshotChunk chunk;
  proto::SnapshotHeader* header = chunk.mutable_header();
  header->set_cluster_id(options_.cluster_id);
  header->set_data_bytes(data.size());
  *header->mutable_message() = ToProto(std::move(message));

  grpc::ClientContext context;
  context.set_deadline(DeadlineAfter(options_.snapshot_deadline));
  if (!BeginRpc(&context)) return grpc::Status(grpc::StatusCode::CANCELLED, "stopping");
  proto::SendResponse response;
  std::unique_ptr<grpc::ClientWriter<proto::SnapshotChunk>> writer =
      stub_->InstallSnapshot(&context, &response);
  // A failed Write means the stream is broken; Finish() then says why.
  bool ok = writer->Write(chunk);
  size_t step = std::max<size_t>(1, options_.snapshot_chunk_bytes);
  for (size_t offset = 0; ok && offset < data.size(); offset += step) {
    chunk.set_data(data.data() + offset, std::min(step, data.size() - offset));
    ok = writer->Write(chunk);
  }
  if (ok) writer->WritesDone();
  grpc::Status status = writer->Finish();
  EndRpc();
  return status;
}

bool PeerClient::BeginRpc(grpc::ClientContext* context) {
  absl::MutexLock lock(&mu_);
  if (stopping_) return false;
  active_ = context;
  counters_.Add(&TransportCounts::rpcs_sent);
  return true;
}

void PeerClient::EndRpc() {
  absl::MutexLock lock(&mu_);
  active_ = nullptr;
}

void PeerClient::Finish(const grpc::Status& status, size_t messages, bool quiet,
                        absl::Duration& backoff) {
  if (status.ok()) {
    counters_.Add(&TransportCounts::messages_sent, messages);
    if (!reachable_)
      Log(absl::StrCat("raft transport: node ", options_.peer.value(), " at ", options_.address,
                       " is reachable again"));
    reachable_ = true;
    backoff = absl::ZeroDuration();
    return;
  }
  counters_.Add(&TransportCounts::rpcs_failed);
  counters_.Add(&TransportCounts::messages_dropped, messages);
  if (reachable_ && !quiet) {
    Log(absl::StrCat("raft transport: node ", options_.peer.value(), " at ", options_.address,
                     ": rpc failed (code ", status.error_code(), ": ", status.error_message(),
                     "); its messages are dropped while it is unreachable"));
  }
  reachable_ = false;
  backoff = backoff == absl::ZeroDuration() ? options_.initial_backoff
                                            : std::min(backoff * 2, options_.max_backoff);
}

void PeerClient::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

}  // namespace karst::raft
