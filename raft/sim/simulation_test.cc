// Runs the Raft simulation over many seeds, 3- and 5-node groups. The default run covers
// 2,000 seeds; KARST_RAFT_SEEDS=100000 runs more, KARST_RAFT_SEED=<n> replays one (with
// KARST_RAFT_TRACE=1 printing every event).
#include "raft/sim/simulation.h"

#include <cstdlib>

#include "gtest/gtest.h"

namespace karst::raft::sim {
namespace {

uint64_t EnvNumber(const char* name, uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(Simulation, SafetyAndLivenessOverManySeeds) {
  const bool trace = std::getenv("KARST_RAFT_TRACE") != nullptr;
  if (const char* one = std::getenv("KARST_RAFT_SEED")) {
    const uint64_t seed = std::strtoull(one, nullptr, 10);
    SimulationOptions options{.seed = seed, .nodes = seed % 2 == 0 ? 3 : 5, .trace = trace};
    EXPECT_EQ(RunSimulation(options), "");
    return;
  }
  const uint64_t seeds = EnvNumber("KARST_RAFT_SEEDS", 2000);
  for (uint64_t seed = 1; seed <= seeds; ++seed) {
    SimulationOptions options{.seed = seed, .nodes = seed % 2 == 0 ? 3 : 5};
    const std::string failure = RunSimulation(options);
    ASSERT_EQ(failure, "") << "replay with KARST_RAFT_SEED=" << seed;
  }
}

}  // namespace
}  // namespace karst::raft::sim
