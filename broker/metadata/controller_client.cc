#include "broker/metadata/controller_client.h"

#include <algorithm>
#include <chrono>

#include "absl/strings/str_cat.h"
#include "common/cluster_id_header.h"
#include "common/grpc_source_address.h"
#include "spdlog/spdlog.h"

namespace karst::broker {
namespace {

namespace pb = ::karst::controller_rpc;

constexpr int32_t kNotController = 41;

}  // namespace

void CallCanceller::Cancel() {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  // TryCancel is safe while another thread blocks in the call; the context outlives this
  // because Untrack needs mu_.
  for (grpc::ClientContext* context : in_flight_) context->TryCancel();
}

bool CallCanceller::cancelled() const {
  std::lock_guard<std::mutex> lock(mu_);
  return cancelled_;
}

ControllerClient::ControllerClient(ControllerClientOptions options)
    : options_(std::move(options)),
      clock_(options_.clock != nullptr ? *options_.clock : SystemClock::Get()) {
  for (const ControllerVoter& voter : options_.voters) {
    grpc::ChannelArguments args;
    if (!options_.local_address.empty()) {
      if (absl::Status s = SetSourceAddress(options_.local_address, args); !s.ok()) {
        spdlog::warn("controller client: not binding {}: {}", options_.local_address,
                     std::string(s.message()));
      }
    }
    stubs_.push_back(pb::Controller::NewStub(grpc::CreateCustomChannel(
        absl::StrCat(voter.host, ":", voter.port), grpc::InsecureChannelCredentials(), args)));
  }
}

ControllerClient::~ControllerClient() { Shutdown(); }

void ControllerClient::Shutdown() {
  shutdown_.Cancel();
  std::lock_guard<std::mutex> lock(mu_);
  cv_.notify_all();
}

NodeId ControllerClient::active_controller() const {
  std::lock_guard<std::mutex> lock(mu_);
  return active_known_ ? options_.voters[active_].id : NodeId(-1);
}

size_t ControllerClient::IndexOf(int32_t id) const {
  for (size_t i = 0; i < options_.voters.size(); ++i) {
    if (options_.voters[i].id.value() == id) return i;
  }
  return options_.voters.size();
}

bool ControllerClient::Track(grpc::ClientContext* context, CallCanceller* canceller) {
  for (CallCanceller* c : {&shutdown_, canceller}) {
    if (c == nullptr) continue;
    std::lock_guard<std::mutex> lock(c->mu_);
    c->in_flight_.insert(context);
    if (c->cancelled_) return false;
  }
  return true;
}

void ControllerClient::Untrack(grpc::ClientContext* context, CallCanceller* canceller) {
  for (CallCanceller* c : {&shutdown_, canceller}) {
    if (c == nullptr) continue;
    std::lock_guard<std::mutex> lock(c->mu_);
    c->in_flight_.erase(context);
  }
}

bool ControllerClient::Cancelled(const CallCanceller* canceller) const {
  return shutdown_.cancelled() || (canceller != nullptr && canceller->cancelled());
}

void ControllerClient::Backoff(absl::Duration duration, const CallCanceller* canceller) {
  // A condition-variable wait rather than a sleep, so Shutdown() ends it at once (a
  // CallCanceller's Cancel() is seen when it ends).
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, absl::ToChronoMilliseconds(duration),
               [&] { return shutdown_.cancelled() || (canceller && canceller->cancelled()); });
}

template <typename Response>
absl::StatusOr<Response> ControllerClient::Call(const char* method, const Rpc<Response>& rpc,
                                                Target target, absl::Duration extra_wait,
                                                absl::Duration timeout, CallCanceller* canceller) {
  const absl::Duration deadline = clock_.Monotonic() + timeout;
  size_t index;
  {
    std::lock_guard<std::mutex> lock(mu_);
    index = active_;
  }
  bool followed_hint = false;
  std::string last = "no controller tried";
  while (true) {
    if (Cancelled(canceller)) {
      return absl::CancelledError(absl::StrCat(method, ": cancelled"));
    }
    const absl::Duration remaining = deadline - clock_.Monotonic();
    if (remaining <= absl::ZeroDuration()) {
      return absl::DeadlineExceededError(absl::StrCat(method, ": no controller answered within ",
                                                      absl::FormatDuration(timeout), "; ", last));
    }
    const ControllerVoter& voter = options_.voters[index];
    grpc::ClientContext context;
    if (!options_.cluster_id.empty()) context.AddMetadata(kClusterIdHeader, options_.cluster_id);
    context.set_deadline(absl::ToChronoTime(
        clock_.Now() + std::min(remaining, options_.attempt_timeout + extra_wait)));
    Response response;
    grpc::Status status = grpc::Status::CANCELLED;
    if (Track(&context, canceller)) status = rpc(*stubs_[index], &context, &response);
    Untrack(&context, canceller);
    if (status.ok()) {
      const int32_t hint = response.controller().active_controller_id();
      const size_t hinted = IndexOf(hint);
      if (response.error().code() != kNotController) {
        std::lock_guard<std::mutex> lock(mu_);
        if (target == Target::kActiveController || hinted < options_.voters.size()) {
          active_ = target == Target::kActiveController ? index : hinted;
          active_known_ = true;
        }
        return response;
      }
      last = absl::StrCat("controller ", voter.id.value(), ": ", response.error().message());
      if (hinted < options_.voters.size() && hinted != index) {
        {
          std::lock_guard<std::mutex> lock(mu_);
          active_ = hinted;
          active_known_ = true;
        }
        index = hinted;
        // Follow a fresh hint at once; hints that go round in circles (stale views during an
        // election) wait like any other failure.
        if (!followed_hint) {
          followed_hint = true;
          continue;
        }
        Backoff(std::min(options_.backoff, remaining), canceller);
        continue;
      }
    } else {
      last = absl::StrCat("controller ", voter.id.value(), " at ", voter.host, ":", voter.port,
                          ": ", status.error_message());
    }
    index = (index + 1) % options_.voters.size();
    Backoff(std::min(options_.backoff, remaining), canceller);
  }
}

absl::StatusOr<pb::RegisterBrokerResponse> ControllerClient::RegisterBroker(
    const pb::RegisterBrokerRequest& request, absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::RegisterBrokerResponse>(
      "RegisterBroker",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::RegisterBrokerResponse* r) {
        return s.RegisterBroker(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::BrokerHeartbeatResponse> ControllerClient::BrokerHeartbeat(
    const pb::BrokerHeartbeatRequest& request, absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::BrokerHeartbeatResponse>(
      "BrokerHeartbeat",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::BrokerHeartbeatResponse* r) {
        return s.BrokerHeartbeat(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::CreateTopicResponse> ControllerClient::CreateTopic(
    const pb::CreateTopicRequest& request, absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::CreateTopicResponse>(
      "CreateTopic",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::CreateTopicResponse* r) {
        return s.CreateTopic(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::ErrorResponse> ControllerClient::DeleteTopic(
    const pb::DeleteTopicRequest& request, absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::ErrorResponse>(
      "DeleteTopic",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::ErrorResponse* r) {
        return s.DeleteTopic(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::ErrorResponse> ControllerClient::CreatePartitions(
    const pb::CreatePartitionsRequest& request, absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::ErrorResponse>(
      "CreatePartitions",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::ErrorResponse* r) {
        return s.CreatePartitions(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::ErrorResponse> ControllerClient::AlterPartition(
    const pb::AlterPartitionRequest& request, absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::ErrorResponse>(
      "AlterPartition",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::ErrorResponse* r) {
        return s.AlterPartition(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::ErrorResponse> ControllerClient::AlterTopicConfigs(
    const pb::AlterTopicConfigsRequest& request, absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::ErrorResponse>(
      "AlterTopicConfigs",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::ErrorResponse* r) {
        return s.AlterTopicConfigs(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::ErrorResponse> ControllerClient::AlterBrokerConfigs(
    const pb::AlterBrokerConfigsRequest& request, absl::Duration timeout,
    CallCanceller* canceller) {
  return Call<pb::ErrorResponse>(
      "AlterBrokerConfigs",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::ErrorResponse* r) {
        return s.AlterBrokerConfigs(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::ElectLeadersResponse> ControllerClient::ElectLeaders(
    const pb::ElectLeadersRequest& request, absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::ElectLeadersResponse>(
      "ElectLeaders",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::ElectLeadersResponse* r) {
        return s.ElectLeaders(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::AlterPartitionReassignmentsResponse>
ControllerClient::AlterPartitionReassignments(const pb::AlterPartitionReassignmentsRequest& request,
                                              absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::AlterPartitionReassignmentsResponse>(
      "AlterPartitionReassignments",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c,
          pb::AlterPartitionReassignmentsResponse* r) {
        return s.AlterPartitionReassignments(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::DescribeQuorumResponse> ControllerClient::DescribeQuorum(
    const pb::DescribeQuorumRequest& request, absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::DescribeQuorumResponse>(
      "DescribeQuorum",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::DescribeQuorumResponse* r) {
        return s.DescribeQuorum(c, request, r);
      },
      Target::kActiveController, absl::ZeroDuration(), timeout, canceller);
}

absl::StatusOr<pb::FetchMetadataResponse> ControllerClient::FetchMetadata(
    const pb::FetchMetadataRequest& request, absl::Duration timeout, CallCanceller* canceller) {
  return Call<pb::FetchMetadataResponse>(
      "FetchMetadata",
      [&](pb::Controller::Stub& s, grpc::ClientContext* c, pb::FetchMetadataResponse* r) {
        return s.FetchMetadata(c, request, r);
      },
      Target::kAnyController, absl::Milliseconds(std::max(request.max_wait_ms(), 0)), timeout,
      canceller);
}

}  // namespace karst::broker
