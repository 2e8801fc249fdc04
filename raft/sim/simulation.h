// A deterministic simulation of a Raft group: N cores over a fake network that drops,
// duplicates, reorders and delays messages and partitions nodes, with crashes that lose
// unsynced writes, under a random client workload. Every event is followed by the safety
// checks (Election Safety, Log Matching, Leader Completeness, State Machine Safety, commit
// monotonic within a process lifetime). Then faults stop and a leader must be elected and
// commit a proposal within a bounded number of ticks. Everything derives from one seed.
#ifndef KARST_RAFT_SIM_SIMULATION_H_
#define KARST_RAFT_SIM_SIMULATION_H_

#include <cstdint>
#include <string>

namespace karst::raft::sim {

struct SimulationOptions {
  uint64_t seed = 1;
  int nodes = 3;
  int fault_steps = 400;     // Steps with faults.
  int liveness_ticks = 400;  // Ticks allowed after healing to elect and commit.
  bool trace = false;        // Print every event to stderr.
};

// "" when every check held; otherwise what failed, with the seed and step.
std::string RunSimulation(const SimulationOptions& options);

}  // namespace karst::raft::sim

#endif  // KARST_RAFT_SIM_SIMULATION_H_
