// The LogStore contract, run against both implementations (testing::MemLog and
// RocksDbLogStore), then RocksDbLogStore's own durability and corruption handling.
#include "raft/node/log_store.h"

#include <cstdlib>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "raft/node/rocksdb_log_store.h"
#include "raft/testing/mem_log.h"
#include "rocksdb/db.h"
#include "rocksdb/options.h"

namespace karst::raft {
namespace {

using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// A directory under Bazel's TEST_TMPDIR named after the running test.
std::string TestDbPath() {
  const char* tmp = std::getenv("TEST_TMPDIR");
  const ::testing::TestInfo* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::string name =
      absl::StrReplaceAll(absl::StrCat(info->test_suite_name(), ".", info->name()), {{"/", "_"}});
  return absl::StrCat(tmp != nullptr ? tmp : "/tmp", "/", name);
}

Entry E(int64_t index, int64_t term, std::string data = "") {
  return Entry{Term(term), LogIndex(index), EntryType::kNormal, std::move(data)};
}

ConfState Voters(std::initializer_list<int32_t> ids) {
  ConfState conf;
  for (int32_t id : ids) conf.voters.insert(NodeId(id));
  return conf;
}

std::vector<int64_t> Terms(const std::vector<Entry>& entries) {
  std::vector<int64_t> terms;
  for (const Entry& e : entries) terms.push_back(e.term.value());
  return terms;
}

absl::StatusOr<std::unique_ptr<RocksDbLogStore>> OpenRocksDb(const std::string& path,
                                                             const ConfState& conf = {}) {
  return RocksDbLogStore::Open(path, {.initial_conf_state = conf});
}

// Each factory makes a fresh store and restarts one the way its process would: MemLog keeps
// only what was synced (a power loss), RocksDbLogStore closes and reopens the database.
struct MemLogFactory {
  static std::unique_ptr<LogStore> Make(const ConfState& conf) {
    auto log = std::make_unique<testing::MemLog>(conf);
    log->Sync();
    return log;
  }
  static std::unique_ptr<LogStore> Restart(std::unique_ptr<LogStore> store) {
    static_cast<testing::MemLog&>(*store).Crash();
    return store;
  }
};

struct RocksDbFactory {
  static std::unique_ptr<LogStore> Make(const ConfState& conf) {
    EXPECT_TRUE(rocksdb::DestroyDB(TestDbPath(), rocksdb::Options()).ok());
    return Reopen(conf);
  }
  static std::unique_ptr<LogStore> Restart(std::unique_ptr<LogStore> store) {
    store.reset();
    return Reopen({});
  }

 private:
  static std::unique_ptr<LogStore> Reopen(const ConfState& conf) {
    absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = OpenRocksDb(TestDbPath(), conf);
    EXPECT_OK(store);
    return store.ok() ? *std::move(store) : nullptr;
  }
};

struct FactoryNames {
  template <typename T>
  static std::string GetName(int) {
    return std::is_same_v<T, MemLogFactory> ? "MemLog" : "RocksDb";
  }
};

template <typename Factory>
class LogStoreContract : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = Factory::Make(Voters({1, 2, 3}));
    ASSERT_NE(store_, nullptr);
  }
  void Restart() {
    store_ = Factory::Restart(std::move(store_));
    ASSERT_NE(store_, nullptr);
  }
  LogStore& store() { return *store_; }
  absl::Status Append(const std::vector<Entry>& entries) {
    return store_->Save(std::nullopt, std::nullopt, entries, /*sync=*/true);
  }

  std::unique_ptr<LogStore> store_;
};

using Factories = ::testing::Types<MemLogFactory, RocksDbFactory>;
TYPED_TEST_SUITE(LogStoreContract, Factories, FactoryNames);

TYPED_TEST(LogStoreContract, ANewStoreIsEmptyWithItsInitialConfiguration) {
  LogStore& s = this->store();
  EXPECT_EQ(s.FirstIndex(), LogIndex(1));
  EXPECT_EQ(s.LastIndex(), LogIndex(0));
  EXPECT_EQ(s.InitialHardState(), HardState{});
  EXPECT_EQ(s.InitialConfState(), Voters({1, 2, 3}));
  EXPECT_EQ(*s.TermAt(LogIndex(0)), Term(0));
  EXPECT_THAT(s.TermAt(LogIndex(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_TRUE(s.LatestSnapshot().empty());
}

TYPED_TEST(LogStoreContract, AppendedEntriesAreReadBackInOrder) {
  const std::vector<Entry> entries = {E(1, 1, "a"), E(2, 1, "bb"), E(3, 2, "ccc")};
  ASSERT_OK(this->Append(entries));
  LogStore& s = this->store();
  EXPECT_EQ(s.FirstIndex(), LogIndex(1));
  EXPECT_EQ(s.LastIndex(), LogIndex(3));
  EXPECT_EQ(s.Entries(LogIndex(1), LogIndex(4), 1000), entries);
  EXPECT_EQ(s.Entries(LogIndex(2), LogIndex(3), 1000), std::vector<Entry>{entries[1]});
  EXPECT_EQ(*s.TermAt(LogIndex(2)), Term(1));
  EXPECT_EQ(*s.TermAt(LogIndex(3)), Term(2));
  EXPECT_THAT(s.TermAt(LogIndex(4)), StatusIs(absl::StatusCode::kNotFound));
}

TYPED_TEST(LogStoreContract, ConfChangeEntriesKeepTheirType) {
  Entry change = E(1, 1, EncodeConfChange({ConfChange::Type::kAddLearner, NodeId(4)}));
  change.type = EntryType::kConfChange;
  ASSERT_OK(this->Append({change}));
  EXPECT_EQ(this->store().Entries(LogIndex(1), LogIndex(2), 0), std::vector<Entry>{change});
}

TYPED_TEST(LogStoreContract, EntriesStopAtMaxBytesButReturnAtLeastOne) {
  const std::string ten(10, 'x');
  ASSERT_OK(this->Append({E(1, 1, ten), E(2, 1, ten), E(3, 1, ten), E(4, 1, ten)}));
  LogStore& s = this->store();
  EXPECT_EQ(s.Entries(LogIndex(1), LogIndex(5), 0).size(), 1u);
  EXPECT_EQ(s.Entries(LogIndex(1), LogIndex(5), 25).size(), 2u);
  EXPECT_EQ(s.Entries(LogIndex(1), LogIndex(5), 30).size(), 3u);
  EXPECT_EQ(s.Entries(LogIndex(2), LogIndex(5), 1000).size(), 3u);
}

TYPED_TEST(LogStoreContract, EntriesReplaceTheSuffixFromTheirFirstIndex) {
  ASSERT_OK(this->Append({E(1, 1), E(2, 1), E(3, 1), E(4, 1), E(5, 1)}));
  ASSERT_OK(this->Append({E(3, 2), E(4, 2)}));
  LogStore& s = this->store();
  EXPECT_EQ(s.LastIndex(), LogIndex(4));
  EXPECT_EQ(Terms(s.Entries(LogIndex(1), LogIndex(5), 1000)), (std::vector<int64_t>{1, 1, 2, 2}));
  EXPECT_THAT(s.TermAt(LogIndex(5)), StatusIs(absl::StatusCode::kNotFound));
  // Appending right after the last index extends the log.
  ASSERT_OK(this->Append({E(5, 3)}));
  EXPECT_EQ(*s.TermAt(LogIndex(5)), Term(3));
  EXPECT_EQ(s.LastIndex(), LogIndex(5));
}

TYPED_TEST(LogStoreContract, EntriesThatLeaveAGapAreRejectedAndNothingIsWritten) {
  ASSERT_OK(this->Append({E(1, 1), E(2, 1)}));
  LogStore& s = this->store();
  EXPECT_THAT(this->Append({E(4, 1)}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(this->Append({E(3, 1), E(5, 1)}), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(
      s.Save(HardState{Term(9), NodeId(1), LogIndex(1)}, std::nullopt, {E(0, 1)}, /*sync=*/true),
      StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_EQ(s.LastIndex(), LogIndex(2));
  EXPECT_EQ(s.InitialHardState(), HardState{});
}

TYPED_TEST(LogStoreContract, HardStateRoundTripsAndSurvivesSavesWithoutOne) {
  const HardState hs{Term(3), NodeId(2), LogIndex(1)};
  LogStore& s = this->store();
  ASSERT_OK(s.Save(hs, std::nullopt, {E(1, 3)}, /*sync=*/true));
  EXPECT_EQ(s.InitialHardState(), hs);
  ASSERT_OK(this->Append({E(2, 3)}));
  EXPECT_EQ(s.InitialHardState(), hs);
  this->Restart();
  EXPECT_EQ(this->store().InitialHardState(), hs);
}

TYPED_TEST(LogStoreContract, ASnapshotReplacesTheWholeLog) {
  ASSERT_OK(this->Append({E(1, 1), E(2, 1), E(3, 1), E(4, 1), E(5, 1)}));
  const Snapshot snap{{LogIndex(10), Term(3), Voters({1, 2})}, "state"};
  LogStore& s = this->store();
  ASSERT_OK(s.Save(std::nullopt, snap, {}, /*sync=*/true));
  EXPECT_EQ(s.FirstIndex(), LogIndex(11));
  EXPECT_EQ(s.LastIndex(), LogIndex(10));
  EXPECT_EQ(*s.TermAt(LogIndex(10)), Term(3));
  EXPECT_THAT(s.TermAt(LogIndex(5)), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_THAT(s.TermAt(LogIndex(11)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(s.LatestSnapshot(), snap);
  EXPECT_EQ(s.InitialConfState(), Voters({1, 2}));
  EXPECT_EQ(s.InitialHardState().commit, LogIndex(10));  // The snapshot is committed.
}

TYPED_TEST(LogStoreContract, ASnapshotBehindTheLogStillDropsEveryEntry) {
  ASSERT_OK(this->Append({E(1, 1), E(2, 1), E(3, 1), E(4, 1), E(5, 1)}));
  LogStore& s = this->store();
  ASSERT_OK(s.Save(std::nullopt, Snapshot{{LogIndex(3), Term(1), Voters({1})}, "s"}, {}, true));
  EXPECT_EQ(s.FirstIndex(), LogIndex(4));
  EXPECT_EQ(s.LastIndex(), LogIndex(3));
  EXPECT_THAT(s.TermAt(LogIndex(4)), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_OK(this->Append({E(4, 2)}));
  EXPECT_EQ(Terms(s.Entries(LogIndex(4), LogIndex(5), 0)), std::vector<int64_t>{2});
}

TYPED_TEST(LogStoreContract, SnapshotEntriesAndHardStateLandTogether) {
  const Snapshot snap{{LogIndex(10), Term(3), Voters({1, 2, 3})}, "state"};
  const HardState hs{Term(4), NodeId(1), LogIndex(11)};
  LogStore& s = this->store();
  ASSERT_OK(s.Save(hs, snap, {E(11, 4, "x"), E(12, 4, "y")}, /*sync=*/true));
  EXPECT_EQ(s.FirstIndex(), LogIndex(11));
  EXPECT_EQ(s.LastIndex(), LogIndex(12));
  EXPECT_EQ(s.InitialHardState(), hs);
  EXPECT_EQ(s.Entries(LogIndex(11), LogIndex(13), 1000),
            (std::vector<Entry>{E(11, 4, "x"), E(12, 4, "y")}));
  // Entries after a snapshot in the same Save must follow it.
  EXPECT_THAT(s.Save(std::nullopt, snap, {E(12, 4)}, /*sync=*/true),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TYPED_TEST(LogStoreContract, CompactionDropsTheEntriesItCovers) {
  ASSERT_OK(this->Append({E(1, 1), E(2, 1), E(3, 2), E(4, 2), E(5, 3)}));
  LogStore& s = this->store();
  ASSERT_OK(s.Compact(LogIndex(3), Voters({1, 2}), "state@3"));
  EXPECT_EQ(s.FirstIndex(), LogIndex(4));
  EXPECT_EQ(s.LastIndex(), LogIndex(5));
  EXPECT_EQ(*s.TermAt(LogIndex(3)), Term(2));
  EXPECT_THAT(s.TermAt(LogIndex(2)), StatusIs(absl::StatusCode::kOutOfRange));
  EXPECT_EQ(Terms(s.Entries(LogIndex(4), LogIndex(6), 1000)), (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(s.LatestSnapshot(), (Snapshot{{LogIndex(3), Term(2), Voters({1, 2})}, "state@3"}));
  EXPECT_EQ(s.InitialConfState(), Voters({1, 2}));
  // At or below the snapshot: nothing to do. Past the end: rejected.
  EXPECT_OK(s.Compact(LogIndex(2), Voters({1}), "old"));
  EXPECT_EQ(s.LatestSnapshot().data, "state@3");
  EXPECT_THAT(s.Compact(LogIndex(6), Voters({1}), "x"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TYPED_TEST(LogStoreContract, CompactingEverythingKeepsTheLastIndexAndTerm) {
  ASSERT_OK(this->Append({E(1, 1), E(2, 2)}));
  LogStore& s = this->store();
  ASSERT_OK(s.Compact(LogIndex(2), Voters({1}), "all"));
  EXPECT_EQ(s.FirstIndex(), LogIndex(3));
  EXPECT_EQ(s.LastIndex(), LogIndex(2));
  EXPECT_EQ(*s.TermAt(LogIndex(2)), Term(2));
  ASSERT_OK(this->Append({E(3, 2)}));
  EXPECT_EQ(s.LastIndex(), LogIndex(3));
  // Entries at or below the snapshot can no longer be written.
  EXPECT_THAT(this->Append({E(2, 5)}), StatusIs(absl::StatusCode::kInvalidArgument));
}

TYPED_TEST(LogStoreContract, SyncedWritesSurviveARestart) {
  LogStore& s = this->store();
  ASSERT_OK(s.Save(HardState{Term(2), NodeId(3), LogIndex(2)}, std::nullopt,
                   {E(1, 1, "a"), E(2, 2, "b"), E(3, 2, "c")}, /*sync=*/true));
  ASSERT_OK(s.Compact(LogIndex(1), Voters({1, 3}), "s1"));
  this->Restart();
  LogStore& r = this->store();
  EXPECT_EQ(r.InitialHardState(), (HardState{Term(2), NodeId(3), LogIndex(2)}));
  EXPECT_EQ(r.FirstIndex(), LogIndex(2));
  EXPECT_EQ(r.LastIndex(), LogIndex(3));
  EXPECT_EQ(r.Entries(LogIndex(2), LogIndex(4), 1000),
            (std::vector<Entry>{E(2, 2, "b"), E(3, 2, "c")}));
  EXPECT_EQ(r.LatestSnapshot(), (Snapshot{{LogIndex(1), Term(1), Voters({1, 3})}, "s1"}));
  EXPECT_EQ(r.InitialConfState(), Voters({1, 3}));
}

// ---- RocksDbLogStore only ----

class RocksDbLogStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = TestDbPath();
    ASSERT_TRUE(rocksdb::DestroyDB(path_, rocksdb::Options()).ok());
  }
  void TearDown() override { EXPECT_TRUE(rocksdb::DestroyDB(path_, rocksdb::Options()).ok()); }

  // Writes `value` under `key` through a raw RocksDB handle (the store must be closed).
  void PutRaw(const std::string& key, const std::string& value) {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), path_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Put(rocksdb::WriteOptions(), key, value).ok());
  }
  void DeleteRaw(const std::string& key) {
    rocksdb::DB* raw = nullptr;
    ASSERT_TRUE(rocksdb::DB::Open(rocksdb::Options(), path_, &raw).ok());
    std::unique_ptr<rocksdb::DB> db(raw);
    ASSERT_TRUE(db->Delete(rocksdb::WriteOptions(), key).ok());
  }
  // A closed store holding entries 1..3 and a hard state.
  void WriteThreeEntries() {
    ASSERT_OK_AND_ASSIGN(auto store, OpenRocksDb(path_, Voters({1})));
    ASSERT_OK(store->Save(HardState{Term(1), NodeId(1), LogIndex(3)}, std::nullopt,
                          {E(1, 1, "a"), E(2, 1, "b"), E(3, 1, "c")}, /*sync=*/true));
  }

  std::string path_;
};

TEST_F(RocksDbLogStoreTest, ReopenAfterCloseKeepsEverythingIncludingUnsyncedWrites) {
  {
    ASSERT_OK_AND_ASSIGN(auto store, OpenRocksDb(path_, Voters({1, 2, 3})));
    ASSERT_OK(store->Save(HardState{Term(1), NodeId(1), LogIndex(2)}, std::nullopt,
                          {E(1, 1, "a"), E(2, 1, "b"), E(3, 1, "c")}, /*sync=*/true));
    ASSERT_OK(store->Compact(LogIndex(2), Voters({1, 2, 3}), "state@2"));
    ASSERT_OK(store->Save(HardState{Term(2), NodeId(2), LogIndex(3)}, std::nullopt,
                          {E(3, 2, "c2"), E(4, 2, "d")}, /*sync=*/false));
  }
  // A different initial configuration does not override the stored one.
  ASSERT_OK_AND_ASSIGN(auto store, OpenRocksDb(path_, Voters({7})));
  EXPECT_EQ(store->InitialHardState(), (HardState{Term(2), NodeId(2), LogIndex(3)}));
  EXPECT_EQ(store->InitialConfState(), Voters({1, 2, 3}));
  EXPECT_EQ(store->FirstIndex(), LogIndex(3));
  EXPECT_EQ(store->LastIndex(), LogIndex(4));
  EXPECT_EQ(store->Entries(LogIndex(3), LogIndex(5), 1000),
            (std::vector<Entry>{E(3, 2, "c2"), E(4, 2, "d")}));
  EXPECT_EQ(store->LatestSnapshot().data, "state@2");
}

TEST_F(RocksDbLogStoreTest, AProcessCrashKeepsSyncedWritesAndReopensConsistently) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");  // The child re-executes: no forked threads.
  EXPECT_EXIT(
      {
        absl::StatusOr<std::unique_ptr<RocksDbLogStore>> store = OpenRocksDb(path_);
        bool ok = store.ok() &&
                  (*store)
                      ->Save(HardState{Term(1), NodeId(1), LogIndex(1)}, std::nullopt,
                             {E(1, 1, "a"), E(2, 1, "b")}, /*sync=*/true)
                      .ok() &&
                  (*store)->Save(std::nullopt, std::nullopt, {E(3, 1, "c")}, /*sync=*/false).ok();
        std::_Exit(ok ? 0 : 1);  // No destructors: the database is never closed.
      },
      ::testing::ExitedWithCode(0), "");
  ASSERT_OK_AND_ASSIGN(auto store, OpenRocksDb(path_));
  EXPECT_EQ(store->InitialHardState(), (HardState{Term(1), NodeId(1), LogIndex(1)}));
  // The unsynced entry 3 may or may not be there; the synced ones must be.
  ASSERT_GE(store->LastIndex(), LogIndex(2));
  ASSERT_LE(store->LastIndex(), LogIndex(3));
  const std::vector<Entry> entries = store->Entries(LogIndex(1), store->LastIndex().Next(), 1000);
  EXPECT_EQ(entries.size(), static_cast<size_t>(store->LastIndex().value()));
  EXPECT_EQ(entries[1], E(2, 1, "b"));
}

TEST_F(RocksDbLogStoreTest, AMalformedHardStateIsDataLossAtOpenNamingTheKey) {
  WriteThreeEntries();
  PutRaw(RocksDbLogStore::HardStateKey(), "garbage");
  EXPECT_THAT(OpenRocksDb(path_),
              StatusIs(absl::StatusCode::kDataLoss,
                       AllOf(HasSubstr("0x02 (hard state)"), HasSubstr(path_))));
}

TEST_F(RocksDbLogStoreTest, AnUnknownVersionIsDataLoss) {
  WriteThreeEntries();
  std::string meta("\x09", 1);
  PutRaw(RocksDbLogStore::SnapshotMetaKey(), meta);
  EXPECT_THAT(OpenRocksDb(path_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("snapshot metadata")));
}

TEST_F(RocksDbLogStoreTest, AMalformedLastEntryIsDataLossAtOpen) {
  WriteThreeEntries();
  PutRaw(RocksDbLogStore::EntryKey(LogIndex(3)), std::string("\x01\x00", 2));
  EXPECT_THAT(OpenRocksDb(path_), StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 3")));
}

TEST_F(RocksDbLogStoreTest, AMissingFirstEntryIsDataLossAtOpen) {
  WriteThreeEntries();
  DeleteRaw(RocksDbLogStore::EntryKey(LogIndex(1)));
  EXPECT_THAT(OpenRocksDb(path_),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("does not follow the snapshot")));
}

TEST_F(RocksDbLogStoreTest, AMalformedMiddleEntryIsDataLossForTermAtAndFatalForEntries) {
  WriteThreeEntries();
  PutRaw(RocksDbLogStore::EntryKey(LogIndex(2)), "\x01short");
  ASSERT_OK_AND_ASSIGN(auto store, OpenRocksDb(path_));
  EXPECT_THAT(store->TermAt(LogIndex(2)),
              StatusIs(absl::StatusCode::kDataLoss, HasSubstr("entry 2")));
  store.reset();  // The death test's child opens the database itself.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto reopened = OpenRocksDb(path_);
        if (reopened.ok()) (*reopened)->Entries(LogIndex(1), LogIndex(4), 1000);
      },
      "entry 2");
}

TEST_F(RocksDbLogStoreTest, OpenWithoutCreateIfMissingIsNotFound) {
  EXPECT_THAT(RocksDbLogStore::Open(path_, {.create_if_missing = false}),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(RocksDbLogStoreTest, RocksDbErrorsAreInternalNamingThePath) {
  ASSERT_OK_AND_ASSIGN(auto store, OpenRocksDb(path_));
  // The first store holds the database's lock.
  EXPECT_THAT(OpenRocksDb(path_),
              StatusIs(absl::StatusCode::kInternal, AllOf(HasSubstr(path_), HasSubstr("open"))));
}

}  // namespace
}  // namespace karst::raft
