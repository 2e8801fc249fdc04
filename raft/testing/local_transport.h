// LocalTransport: delivers Raft messages between Nodes in one process, for tests. Links can
// be cut and healed. Thread-safe.
#ifndef KARST_RAFT_TESTING_LOCAL_TRANSPORT_H_
#define KARST_RAFT_TESTING_LOCAL_TRANSPORT_H_

#include <map>
#include <mutex>
#include <set>
#include <utility>

#include "raft/node/node.h"

namespace karst::raft::testing {

class LocalNetwork {
 public:
  void Register(NodeId id, Node* node) {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_[id] = node;
  }
  void Unregister(NodeId id) {
    std::lock_guard<std::mutex> lock(mu_);
    nodes_.erase(id);
  }
  void Cut(NodeId a, NodeId b) {
    std::lock_guard<std::mutex> lock(mu_);
    cut_.insert({a, b});
    cut_.insert({b, a});
  }
  void HealAll() {
    std::lock_guard<std::mutex> lock(mu_);
    cut_.clear();
  }
  void Deliver(Message m) {
    Node* to = nullptr;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (cut_.count({m.from, m.to}) > 0) return;
      auto it = nodes_.find(m.to);
      if (it == nodes_.end()) return;
      to = it->second;
    }
    to->Receive(std::move(m));
  }

 private:
  std::mutex mu_;
  std::map<NodeId, Node*> nodes_;
  std::set<std::pair<NodeId, NodeId>> cut_;
};

class LocalTransport final : public Transport {
 public:
  explicit LocalTransport(LocalNetwork& network) : network_(network) {}
  void Send(Message message) override { network_.Deliver(std::move(message)); }

 private:
  LocalNetwork& network_;
};

}  // namespace karst::raft::testing

#endif  // KARST_RAFT_TESTING_LOCAL_TRANSPORT_H_
