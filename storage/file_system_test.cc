#include "storage/file_system.h"

#include <stdlib.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/testing/status_matchers.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/testing/fake_file_system.h"

namespace karst::storage {
namespace {

using ::karst::storage::testing::CrashMode;
using ::karst::storage::testing::FakeFileSystem;
using ::karst::testing::IsOk;
using ::karst::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Pair;

// Debian's Abseil has no StatusOr matchers and gMock's Optional() needs operator bool.
MATCHER_P(IsOkAndHolds, inner, "is OK and holds a value that matches") {
  if (!arg.ok()) {
    *result_listener << "status is " << arg.status();
    return false;
  }
  return ::testing::ExplainMatchResult(inner, *arg, result_listener);
}

// The real file system, rooted in a fresh directory under TEST_TMPDIR.
class PosixEnv {
 public:
  static constexpr const char* kName = "Posix";
  absl::Status Init() {
    std::string dir = JoinPath(::testing::TempDir(), "file_system_test.XXXXXX");
    if (::mkdtemp(dir.data()) == nullptr) return absl::InternalError("mkdtemp failed");
    root_ = dir;
    return absl::OkStatus();
  }
  FileSystem& fs() { return fs_; }
  const std::string& root() const { return root_; }

 private:
  PosixFileSystem fs_;
  std::string root_;
};

class FakeEnv {
 public:
  static constexpr const char* kName = "Fake";
  absl::Status Init() { return fs_.CreateDirs(root_); }
  FileSystem& fs() { return fs_; }
  const std::string& root() const { return root_; }

 private:
  FakeFileSystem fs_;
  std::string root_ = "/data/karst";
};

struct EnvNames {
  template <typename Env>
  static std::string GetName(int) {
    return Env::kName;
  }
};

// The FileSystem contract: every implementation passes these.
template <typename Env>
class FileSystemContractTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(env_.Init()); }

  FileSystem& fs() { return env_.fs(); }
  std::string Path(absl::string_view name) const { return JoinPath(env_.root(), name); }

  // Creates (or extends) `path` with `content` through an AppendableFile, synced.
  absl::Status AppendFile(const std::string& path, absl::string_view content) {
    absl::StatusOr<std::unique_ptr<AppendableFile>> file = fs().OpenAppendable(path);
    if (!file.ok()) return file.status();
    if (absl::Status s = (*file)->Append(content); !s.ok()) return s;
    return (*file)->Sync();
  }

  Env env_;
};

using Envs = ::testing::Types<PosixEnv, FakeEnv>;
TYPED_TEST_SUITE(FileSystemContractTest, Envs, EnvNames);

TYPED_TEST(FileSystemContractTest, AppendedBytesAreReadBack) {
  const std::string path = this->Path("a.log");
  ASSERT_OK_AND_ASSIGN(auto out, this->fs().OpenAppendable(path));
  EXPECT_EQ(out->Size(), 0u);
  ASSERT_OK(out->Append("hello "));
  ASSERT_OK(out->Append("world"));
  ASSERT_OK(out->Sync());
  EXPECT_EQ(out->Size(), 11u);

  ASSERT_OK_AND_ASSIGN(auto in, this->fs().OpenReadable(path));
  EXPECT_THAT(in->Size(), IsOkAndHolds(11u));
  char scratch[5];
  ASSERT_OK_AND_ASSIGN(absl::string_view got, in->Read(6, 5, scratch));
  EXPECT_EQ(got, "world");
  EXPECT_THAT(this->fs().ReadFile(path), IsOkAndHolds(std::string("hello world")));
  EXPECT_THAT(this->fs().FileSize(path), IsOkAndHolds(11u));
}

TYPED_TEST(FileSystemContractTest, ReadPastTheEndReturnsShortView) {
  const std::string path = this->Path("a.log");
  ASSERT_OK(this->AppendFile(path, "abcdef"));
  ASSERT_OK_AND_ASSIGN(auto in, this->fs().OpenReadable(path));
  char scratch[16];
  ASSERT_OK_AND_ASSIGN(absl::string_view tail, in->Read(4, sizeof(scratch), scratch));
  EXPECT_EQ(tail, "ef");
  ASSERT_OK_AND_ASSIGN(absl::string_view at_end, in->Read(6, sizeof(scratch), scratch));
  EXPECT_THAT(at_end, IsEmpty());
  ASSERT_OK_AND_ASSIGN(absl::string_view beyond, in->Read(100, sizeof(scratch), scratch));
  EXPECT_THAT(beyond, IsEmpty());
}

TYPED_TEST(FileSystemContractTest, ReadableFileSeesLaterAppends) {
  const std::string path = this->Path("a.log");
  ASSERT_OK_AND_ASSIGN(auto out, this->fs().OpenAppendable(path));
  ASSERT_OK_AND_ASSIGN(auto in, this->fs().OpenReadable(path));
  ASSERT_OK(out->Append("abc"));
  char scratch[8];
  EXPECT_THAT(in->Read(0, sizeof(scratch), scratch), IsOkAndHolds(absl::string_view("abc")));
  EXPECT_THAT(in->Size(), IsOkAndHolds(3u));
}

TYPED_TEST(FileSystemContractTest, OpenAppendableKeepsExistingBytes) {
  const std::string path = this->Path("a.log");
  ASSERT_OK(this->AppendFile(path, "abc"));
  ASSERT_OK_AND_ASSIGN(auto out, this->fs().OpenAppendable(path));
  EXPECT_EQ(out->Size(), 3u);
  ASSERT_OK(out->Append("def"));
  EXPECT_EQ(out->Size(), 6u);
  EXPECT_THAT(this->fs().ReadFile(path), IsOkAndHolds(std::string("abcdef")));
}

TYPED_TEST(FileSystemContractTest, OpenReadableOfMissingFileIsNotFound) {
  const std::string path = this->Path("missing");
  EXPECT_THAT(this->fs().OpenReadable(path),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
  EXPECT_THAT(this->fs().ReadFile(path), StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
  EXPECT_THAT(this->fs().FileSize(path), StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TYPED_TEST(FileSystemContractTest, OpenAppendableInMissingDirectoryIsNotFound) {
  const std::string path = this->Path("no/such/dir/a.log");
  EXPECT_THAT(this->fs().OpenAppendable(path),
              StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
  EXPECT_THAT(this->fs().WriteFileAtomically(path, "x"), StatusIs(absl::StatusCode::kNotFound));
}

TYPED_TEST(FileSystemContractTest, OpeningADirectoryAsAFileFails) {
  ASSERT_OK(this->fs().CreateDirs(this->Path("d")));
  EXPECT_THAT(this->fs().OpenReadable(this->Path("d")), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(this->fs().OpenAppendable(this->Path("d")), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(this->fs().FileSize(this->Path("d")), StatusIs(absl::StatusCode::kInternal));
}

TYPED_TEST(FileSystemContractTest, WriteFileAtomicallyCreatesThenReplacesContent) {
  const std::string path = this->Path("checkpoint");
  ASSERT_OK(this->fs().WriteFileAtomically(path, "first version"));
  EXPECT_THAT(this->fs().ReadFile(path), IsOkAndHolds(std::string("first version")));
  ASSERT_OK(this->fs().WriteFileAtomically(path, "v2"));
  EXPECT_THAT(this->fs().ReadFile(path), IsOkAndHolds(std::string("v2")));
  // No temporary file is left beside it.
  EXPECT_THAT(this->fs().ListDir(this->Path("")), IsOkAndHolds(ElementsAre("checkpoint")));
}

TYPED_TEST(FileSystemContractTest, TruncateCutsTheTail) {
  const std::string path = this->Path("a.log");
  ASSERT_OK(this->AppendFile(path, "abcdef"));
  ASSERT_OK(this->fs().Truncate(path, 2));
  EXPECT_THAT(this->fs().ReadFile(path), IsOkAndHolds(std::string("ab")));
  EXPECT_THAT(this->fs().FileSize(path), IsOkAndHolds(2u));
  // Appending goes on from the new end.
  ASSERT_OK(this->AppendFile(path, "XY"));
  EXPECT_THAT(this->fs().ReadFile(path), IsOkAndHolds(std::string("abXY")));
}

TYPED_TEST(FileSystemContractTest, TruncateOfMissingFileIsNotFound) {
  EXPECT_THAT(this->fs().Truncate(this->Path("missing"), 0), StatusIs(absl::StatusCode::kNotFound));
}

TYPED_TEST(FileSystemContractTest, DeleteRemovesTheFile) {
  const std::string path = this->Path("a.log");
  ASSERT_OK(this->AppendFile(path, "abc"));
  ASSERT_OK(this->fs().Delete(path));
  EXPECT_THAT(this->fs().Exists(path), IsOkAndHolds(false));
  EXPECT_THAT(this->fs().Delete(path), StatusIs(absl::StatusCode::kNotFound, HasSubstr(path)));
}

TYPED_TEST(FileSystemContractTest, RenameReplacesTheTargetAndKeepsOpenReaders) {
  const std::string from = this->Path("a.log.swap");
  const std::string to = this->Path("a.log");
  ASSERT_OK(this->AppendFile(from, "new"));
  ASSERT_OK(this->AppendFile(to, "old"));
  ASSERT_OK_AND_ASSIGN(auto old_reader, this->fs().OpenReadable(to));
  ASSERT_OK(this->fs().Rename(from, to));
  EXPECT_THAT(this->fs().ReadFile(to), IsOkAndHolds(std::string("new")));
  EXPECT_THAT(this->fs().Exists(from), IsOkAndHolds(false));
  char scratch[3];
  EXPECT_THAT(old_reader->Read(0, 3, scratch), IsOkAndHolds(absl::string_view("old")));
  EXPECT_THAT(this->fs().Rename(from, to), StatusIs(absl::StatusCode::kNotFound));
}

TYPED_TEST(FileSystemContractTest, OpenReadableFileOutlivesDelete) {
  const std::string path = this->Path("a.log");
  ASSERT_OK(this->AppendFile(path, "abc"));
  ASSERT_OK_AND_ASSIGN(auto in, this->fs().OpenReadable(path));
  ASSERT_OK(this->fs().Delete(path));
  char scratch[3];
  EXPECT_THAT(in->Read(0, 3, scratch), IsOkAndHolds(absl::string_view("abc")));
}

TYPED_TEST(FileSystemContractTest, DeleteRemovesOnlyEmptyDirectories) {
  ASSERT_OK(this->fs().CreateDirs(this->Path("full")));
  ASSERT_OK(this->AppendFile(this->Path("full/a.log"), "abc"));
  EXPECT_THAT(this->fs().Delete(this->Path("full")), StatusIs(absl::StatusCode::kInternal));
  ASSERT_OK(this->fs().Delete(this->Path("full/a.log")));
  ASSERT_OK(this->fs().Delete(this->Path("full")));
  EXPECT_THAT(this->fs().Exists(this->Path("full")), IsOkAndHolds(false));
}

TYPED_TEST(FileSystemContractTest, ExistsReportsFilesAndDirectories) {
  ASSERT_OK(this->AppendFile(this->Path("a.log"), ""));
  ASSERT_OK(this->fs().CreateDirs(this->Path("d")));
  EXPECT_THAT(this->fs().Exists(this->Path("a.log")), IsOkAndHolds(true));
  EXPECT_THAT(this->fs().Exists(this->Path("d")), IsOkAndHolds(true));
  EXPECT_THAT(this->fs().Exists(this->Path("missing")), IsOkAndHolds(false));
  EXPECT_THAT(this->fs().Exists(this->Path("missing/x")), IsOkAndHolds(false));
}

TYPED_TEST(FileSystemContractTest, CreateDirsCreatesMissingParents) {
  const std::string dir = this->Path("a/b/c");
  ASSERT_OK(this->fs().CreateDirs(dir));
  EXPECT_THAT(this->fs().Exists(this->Path("a/b")), IsOkAndHolds(true));
  EXPECT_THAT(this->fs().Exists(dir), IsOkAndHolds(true));
  // Existing directories are fine, with or without a trailing slash.
  EXPECT_OK(this->fs().CreateDirs(dir));
  EXPECT_OK(this->fs().CreateDirs(dir + "/"));
  ASSERT_OK(this->AppendFile(JoinPath(dir, "f"), "x"));
  EXPECT_THAT(this->fs().ReadFile(JoinPath(dir, "f")), IsOkAndHolds(std::string("x")));
}

TYPED_TEST(FileSystemContractTest, CreateDirsThroughAFileFails) {
  ASSERT_OK(this->AppendFile(this->Path("f"), "x"));
  EXPECT_THAT(this->fs().CreateDirs(this->Path("f")), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(this->fs().CreateDirs(this->Path("f/sub")), StatusIs(absl::StatusCode::kInternal));
}

TYPED_TEST(FileSystemContractTest, ListDirReturnsSortedNames) {
  ASSERT_OK(this->AppendFile(this->Path("00000000000000000010.log"), ""));
  ASSERT_OK(this->AppendFile(this->Path("00000000000000000000.log"), ""));
  ASSERT_OK(this->fs().WriteFileAtomically(this->Path("recovery-point"), "0"));
  ASSERT_OK(this->fs().CreateDirs(this->Path("sub/deeper")));
  EXPECT_THAT(this->fs().ListDir(this->Path("")),
              IsOkAndHolds(ElementsAre("00000000000000000000.log", "00000000000000000010.log",
                                       "recovery-point", "sub")));
  EXPECT_THAT(this->fs().ListDir(this->Path("sub")), IsOkAndHolds(ElementsAre("deeper")));
  EXPECT_THAT(this->fs().ListDir(this->Path("sub/deeper")), IsOkAndHolds(IsEmpty()));
}

TYPED_TEST(FileSystemContractTest, ListDirOfMissingDirectoryIsNotFound) {
  const std::string dir = this->Path("missing");
  EXPECT_THAT(this->fs().ListDir(dir), StatusIs(absl::StatusCode::kNotFound, HasSubstr(dir)));
}

TYPED_TEST(FileSystemContractTest, SyncDirNeedsAnExistingDirectory) {
  EXPECT_OK(this->fs().SyncDir(this->Path("")));
  EXPECT_THAT(this->fs().SyncDir(this->Path("missing")), StatusIs(absl::StatusCode::kNotFound));
}

TEST(JoinPath, PutsOneSlashBetweenDirAndName) {
  EXPECT_EQ(JoinPath("/data", "a.log"), "/data/a.log");
  EXPECT_EQ(JoinPath("/data/", "a.log"), "/data/a.log");
  EXPECT_EQ(JoinPath("relative/dir", "x"), "relative/dir/x");
  EXPECT_EQ(JoinPath("", "a.log"), "a.log");
  EXPECT_EQ(JoinPath("/", "a.log"), "/a.log");
}

// FakeFileSystem's own behaviour: crashes, direct manipulation, error injection.
class FakeFileSystemTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_OK(fs_.CreateDirs("/d")); }

  // Appends `synced` and syncs, then appends `unsynced` without syncing.
  void WriteFile(const std::string& path, absl::string_view synced, absl::string_view unsynced) {
    ASSERT_OK_AND_ASSIGN(auto file, fs_.OpenAppendable(path));
    ASSERT_OK(file->Append(synced));
    ASSERT_OK(file->Sync());
    ASSERT_OK(file->Append(unsynced));
  }

  FakeFileSystem fs_;
};

TEST_F(FakeFileSystemTest, CrashDropUnsyncedKeepsOnlySyncedBytes) {
  WriteFile("/d/a", "synced", "-lost");
  WriteFile("/d/b", "", "all lost");
  EXPECT_THAT(fs_.GetSyncedContent("/d/a"), IsOkAndHolds(std::string("synced")));
  fs_.Crash(CrashMode::DropUnsynced());
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("synced")));
  // The file itself survives (directory entries are durable at once), empty.
  EXPECT_THAT(fs_.GetContent("/d/b"), IsOkAndHolds(std::string("")));
}

TEST_F(FakeFileSystemTest, CrashKeepUnsyncedKeepsEveryAppendedByte) {
  WriteFile("/d/a", "synced", "-kept");
  fs_.Crash(CrashMode::KeepUnsynced());
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("synced-kept")));
  // What survived is now durable: a second crash keeps it.
  fs_.Crash(CrashMode::DropUnsynced());
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("synced-kept")));
}

TEST_F(FakeFileSystemTest, CrashTornWriteKeepsThePromisedPrefixOfEachFile) {
  WriteFile("/d/a", "s1", "abcdef");
  WriteFile("/d/b", "", "xyz");
  WriteFile("/d/c", "all synced", "");
  std::vector<std::pair<std::string, uint64_t>> asked;
  fs_.Crash(CrashMode::TornWrite([&](const std::string& path, uint64_t unsynced_size) {
    asked.emplace_back(path, unsynced_size);
    return path == "/d/a" ? uint64_t{2} : uint64_t{100};
  }));
  EXPECT_THAT(asked, ElementsAre(Pair("/d/a", 6u), Pair("/d/b", 3u)));
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("s1ab")));
  EXPECT_THAT(fs_.GetContent("/d/b"), IsOkAndHolds(std::string("xyz")));  // Clamped.
  EXPECT_THAT(fs_.GetContent("/d/c"), IsOkAndHolds(std::string("all synced")));
}

TEST_F(FakeFileSystemTest, CrashTornWriteWithFixedCountKeepsAtMostThatMany) {
  WriteFile("/d/a", "s", "abcdef");
  WriteFile("/d/b", "s", "x");
  fs_.Crash(CrashMode::TornWrite(3));
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("sabc")));
  EXPECT_THAT(fs_.GetContent("/d/b"), IsOkAndHolds(std::string("sx")));
}

TEST_F(FakeFileSystemTest, CrashKeepsAtomicWritesAndTruncations) {
  ASSERT_OK(fs_.WriteFileAtomically("/d/checkpoint", "v1"));
  WriteFile("/d/a", "", "abcdef");
  ASSERT_OK(fs_.Truncate("/d/a", 4));
  fs_.Crash(CrashMode::DropUnsynced());
  EXPECT_THAT(fs_.GetContent("/d/checkpoint"), IsOkAndHolds(std::string("v1")));
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("abcd")));
}

TEST_F(FakeFileSystemTest, HandlesFromBeforeACrashFail) {
  ASSERT_OK_AND_ASSIGN(auto out, fs_.OpenAppendable("/d/a"));
  ASSERT_OK(out->Append("abc"));
  ASSERT_OK(out->Sync());
  ASSERT_OK_AND_ASSIGN(auto in, fs_.OpenReadable("/d/a"));
  fs_.Crash(CrashMode::KeepUnsynced());

  const auto stale =
      StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("file handle from before a crash"));
  EXPECT_THAT(out->Append("more"), stale);
  EXPECT_THAT(out->Sync(), stale);
  char scratch[3];
  EXPECT_THAT(in->Read(0, 3, scratch), stale);
  EXPECT_THAT(in->Size(), stale);
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("abc")));

  // Files opened after the crash work.
  ASSERT_OK_AND_ASSIGN(auto reopened, fs_.OpenAppendable("/d/a"));
  EXPECT_OK(reopened->Append("def"));
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("abcdef")));
}

TEST_F(FakeFileSystemTest, FailNextInjectsTheErrorOnceWithoutEffect) {
  ASSERT_OK_AND_ASSIGN(auto out, fs_.OpenAppendable("/d/a"));
  fs_.FailNext(FakeFileSystem::Op::kAppend, absl::InternalError("injected"));
  EXPECT_THAT(out->Append("lost"), StatusIs(absl::StatusCode::kInternal, "injected"));
  EXPECT_OK(out->Sync());  // Other operations are unaffected.
  EXPECT_OK(out->Append("kept"));
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("kept")));
}

TEST_F(FakeFileSystemTest, FailNextWithCountFailsThatManyCalls) {
  ASSERT_OK_AND_ASSIGN(auto out, fs_.OpenAppendable("/d/a"));
  ASSERT_OK(out->Append("abc"));
  fs_.FailNext(FakeFileSystem::Op::kSync, absl::InternalError("injected"), 2);
  EXPECT_THAT(out->Sync(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(out->Sync(), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(fs_.GetSyncedContent("/d/a"), IsOkAndHolds(std::string("")));
  EXPECT_OK(out->Sync());
  EXPECT_THAT(fs_.GetSyncedContent("/d/a"), IsOkAndHolds(std::string("abc")));
}

TEST_F(FakeFileSystemTest, FailNextReachesEveryOperation) {
  ASSERT_OK(fs_.SetContent("/d/a", "abc"));
  ASSERT_OK_AND_ASSIGN(auto out, fs_.OpenAppendable("/d/a"));
  ASSERT_OK_AND_ASSIGN(auto in, fs_.OpenReadable("/d/a"));
  char scratch[3];
  using Op = FakeFileSystem::Op;
  const std::vector<std::pair<Op, std::function<absl::Status()>>> cases = {
      {Op::kOpen, [&] { return fs_.OpenReadable("/d/a").status(); }},
      {Op::kOpen, [&] { return fs_.OpenAppendable("/d/a").status(); }},
      {Op::kRead, [&] { return in->Read(0, 3, scratch).status(); }},
      {Op::kRead, [&] { return fs_.ReadFile("/d/a").status(); }},
      {Op::kAppend, [&] { return out->Append("x"); }},
      {Op::kSync, [&] { return out->Sync(); }},
      {Op::kWriteAtomic, [&] { return fs_.WriteFileAtomically("/d/a", "x"); }},
      {Op::kTruncate, [&] { return fs_.Truncate("/d/a", 0); }},
      {Op::kDelete, [&] { return fs_.Delete("/d/a"); }},
      {Op::kSyncDir, [&] { return fs_.SyncDir("/d"); }},
      {Op::kRename, [&] { return fs_.Rename("/d/a", "/d/b"); }},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("case ", i));
    fs_.FailNext(cases[i].first, absl::UnavailableError("injected"));
    EXPECT_THAT(cases[i].second(), StatusIs(absl::StatusCode::kUnavailable));
    EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("abc")));
  }
}

TEST_F(FakeFileSystemTest, StopChangesAfterFailsEveryLaterChangeUntilACrash) {
  ASSERT_OK(fs_.SetContent("/d/a", "abc"));
  fs_.StopChangesAfter(1);
  ASSERT_OK(fs_.WriteFileAtomically("/d/b", "x"));
  EXPECT_THAT(fs_.Rename("/d/a", "/d/c"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(fs_.Delete("/d/a"), StatusIs(absl::StatusCode::kInternal));
  EXPECT_THAT(fs_.ReadFile("/d/a"), IsOkAndHolds(std::string("abc")));  // Reads still work.
  fs_.Crash(CrashMode::DropUnsynced());
  ASSERT_OK(fs_.Delete("/d/a"));
}

TEST_F(FakeFileSystemTest, FlipByteXorsOneByteInCurrentAndSyncedContent) {
  ASSERT_OK(fs_.SetContent("/d/a", "abc"));
  ASSERT_OK(fs_.FlipByte("/d/a", 1, 0x01));
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("acc")));
  EXPECT_THAT(fs_.GetSyncedContent("/d/a"), IsOkAndHolds(std::string("acc")));
  EXPECT_THAT(fs_.FlipByte("/d/a", 3, 0x01), StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(fs_.FlipByte("/d/missing", 0, 0x01), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(FakeFileSystemTest, SetContentCreatesParentsAndIsDurable) {
  ASSERT_OK(fs_.SetContent("/x/y/z", "data"));
  EXPECT_THAT(fs_.ListDir("/x/y"), IsOkAndHolds(ElementsAre("z")));
  fs_.Crash(CrashMode::DropUnsynced());
  EXPECT_THAT(fs_.GetContent("/x/y/z"), IsOkAndHolds(std::string("data")));
  EXPECT_THAT(fs_.SetContent("/x/y", "in the way"), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(FakeFileSystemTest, TruncateRawCutsSyncedContentToo) {
  WriteFile("/d/a", "abcdef", "gh");
  ASSERT_OK(fs_.TruncateRaw("/d/a", 3));
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("abc")));
  EXPECT_THAT(fs_.GetSyncedContent("/d/a"), IsOkAndHolds(std::string("abc")));
  EXPECT_THAT(fs_.TruncateRaw("/d/missing", 0), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(FakeFileSystemTest, DeleteRawRemovesAFile) {
  ASSERT_OK(fs_.SetContent("/d/a", "abc"));
  ASSERT_OK(fs_.DeleteRaw("/d/a"));
  EXPECT_THAT(fs_.Exists("/d/a"), IsOkAndHolds(false));
  EXPECT_THAT(fs_.DeleteRaw("/d/a"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(FakeFileSystemTest, DiskFullFailsWritesUntilCleared) {
  ASSERT_OK(fs_.WriteFileAtomically("/d/checkpoint", "old"));
  ASSERT_OK_AND_ASSIGN(auto out, fs_.OpenAppendable("/d/a"));
  fs_.SetDiskFull(true);
  EXPECT_THAT(out->Append("x"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no space left on device")));
  EXPECT_THAT(fs_.WriteFileAtomically("/d/checkpoint", "new"),
              StatusIs(absl::StatusCode::kInternal, HasSubstr("no space left on device")));
  EXPECT_THAT(fs_.GetContent("/d/checkpoint"), IsOkAndHolds(std::string("old")));
  fs_.SetDiskFull(false);
  EXPECT_OK(out->Append("x"));
  EXPECT_THAT(fs_.GetContent("/d/a"), IsOkAndHolds(std::string("x")));
}

TEST_F(FakeFileSystemTest, CountsSuccessfulSyncs) {
  ASSERT_OK_AND_ASSIGN(auto out, fs_.OpenAppendable("/d/a"));
  ASSERT_OK(out->Sync());
  fs_.FailNext(FakeFileSystem::Op::kSync, absl::InternalError("injected"));
  EXPECT_THAT(out->Sync(), StatusIs(absl::StatusCode::kInternal));
  ASSERT_OK(out->Sync());
  ASSERT_OK(fs_.SyncDir("/d"));
  EXPECT_EQ(fs_.SyncCount(), 2);
  EXPECT_EQ(fs_.SyncDirCount(), 1);
}

TEST_F(FakeFileSystemTest, PathsIgnoreRepeatedAndTrailingSlashes) {
  ASSERT_OK(fs_.SetContent("/d//a", "abc"));
  EXPECT_THAT(fs_.ReadFile("/d/a"), IsOkAndHolds(std::string("abc")));
  EXPECT_THAT(fs_.ListDir("/d/"), IsOkAndHolds(ElementsAre("a")));
}

}  // namespace
}  // namespace karst::storage
