// FakeFileSystem: an in-memory FileSystem for storage tests that models what a power loss keeps
// (Crash), lets a test corrupt files directly, and injects errors. It passes the same contract
// tests as PosixFileSystem (storage/file_system_test.cc). Thread-safe: one mutex guards all
// state; a single file object is used by one thread at a time, as with any FileSystem.
//
// Durability model, kept deliberately simple:
//   - Each file has content and a synced length; the synced bytes are always a prefix of the
//     content, since files only grow by Append. AppendableFile::Sync makes all content durable;
//     WriteFileAtomically and Truncate are durable when they return.
//   - Directory entries are durable at once: a created file or directory survives a crash (with
//     its synced bytes, possibly none), and a deleted one stays deleted. SyncDir only checks
//     that the directory exists. WriteFileAtomically is atomic: old or new content, never a mix.
//   - Crash(mode) cuts every file to its synced bytes plus a prefix of its unsynced bytes chosen
//     by `mode`; what is left becomes the synced content. Every file object opened before the
//     crash then fails with kFailedPrecondition ("file handle from before a crash").
//   - As on POSIX, an open file object keeps referring to its file after Delete or after
//     WriteFileAtomically replaces the path; reads see later appends and truncations.
//
// Paths are plain strings: trailing and repeated '/' are ignored, "." and ".." are not resolved.
// "" and "/" always exist. Opening or writing a file needs its parent directory (kNotFound).
#ifndef KARST_STORAGE_TESTING_FAKE_FILE_SYSTEM_H_
#define KARST_STORAGE_TESTING_FAKE_FILE_SYSTEM_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/synchronization/mutex.h"
#include "storage/file_system.h"

namespace karst::storage::testing {

// How much of each file's unsynced tail a Crash keeps.
class CrashMode {
 public:
  // `keep(path, unsynced_size)` returns how many of the file's `unsynced_size` unsynced bytes
  // to keep; larger answers are clamped. It is called only for files with unsynced bytes, in
  // path order, while the fake's lock is held (it must not call back into the fake).
  using KeepFunction = std::function<uint64_t(const std::string& path, uint64_t unsynced_size)>;

  // Power loss with nothing of the page cache written back.
  static CrashMode DropUnsynced();
  // A process crash: the page cache survives, so every appended byte does.
  static CrashMode KeepUnsynced();
  // A torn write: keeps `keep(path, unsynced_size)` bytes of each unsynced tail.
  static CrashMode TornWrite(KeepFunction keep);
  // A torn write keeping the same number of unsynced bytes (at most) in every file.
  static CrashMode TornWrite(uint64_t keep_bytes);

  uint64_t BytesToKeep(const std::string& path, uint64_t unsynced_size) const;

 private:
  explicit CrashMode(KeepFunction keep) : keep_(std::move(keep)) {}
  KeepFunction keep_;
};

class FakeFileSystem final : public FileSystem {
 public:
  // Operations FailNext can fail. kOpen: OpenAppendable and OpenReadable; kRead:
  // ReadableFile::Read and ReadFile; kAppend and kSync: AppendableFile's; kWriteAtomic:
  // WriteFileAtomically; kSyncDir: SyncDir. A failed operation changes nothing.
  enum class Op {
    kOpen,
    kRead,
    kAppend,
    kSync,
    kWriteAtomic,
    kTruncate,
    kDelete,
    kSyncDir,
    kRename
  };

  FakeFileSystem() = default;
  FakeFileSystem(const FakeFileSystem&) = delete;
  FakeFileSystem& operator=(const FakeFileSystem&) = delete;
  // REQUIRES: every file object it returned has been destroyed.
  ~FakeFileSystem() override = default;

  // FileSystem.
  absl::StatusOr<std::unique_ptr<AppendableFile>> OpenAppendable(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) override;
  absl::Status WriteFileAtomically(const std::string& path, absl::string_view content) override;
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::Status Truncate(const std::string& path, uint64_t size) override;
  // Removes a file or an empty directory.
  absl::Status Delete(const std::string& path) override;
  // Moves a file (not a directory) to a new node at `to`: objects open on `to`'s old file
  // keep it, objects open on `from` keep theirs, as with rename(2).
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::StatusOr<bool> Exists(const std::string& path) override;
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;
  absl::Status CreateDirs(const std::string& dir) override;
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override;
  absl::Status SyncDir(const std::string& dir) override;

  // Simulates a power loss or process crash as described at the top of this file.
  void Crash(const CrashMode& mode);

  // Direct manipulation of the "disk", bypassing injected errors and open file objects' view
  // of the crash epoch. kNotFound for a missing file unless stated otherwise.
  // Replaces the content, all of it synced, creating the file and its parent directories if
  // missing. kInternal if `path` or one of its parents is in the way (a directory or a file).
  absl::Status SetContent(const std::string& path, absl::string_view content);
  absl::StatusOr<std::string> GetContent(const std::string& path) const;
  // The synced bytes: what would survive Crash(CrashMode::DropUnsynced()).
  absl::StatusOr<std::string> GetSyncedContent(const std::string& path) const;
  // XORs the byte at `offset` with `mask`, in the synced bytes too if it lies among them.
  // kInvalidArgument if offset >= size.
  absl::Status FlipByte(const std::string& path, uint64_t offset, uint8_t mask);
  // Cuts the current and the synced content to at most `size` bytes; a larger `size`
  // appends unsynced zero bytes.
  absl::Status TruncateRaw(const std::string& path, uint64_t size);
  // Removes a file (not a directory).
  absl::Status DeleteRaw(const std::string& path);

  // Error injection. The next `count` calls of `op` return `error` (which must not be OK);
  // errors queued for the same op are returned in the order given.
  void FailNext(Op op, absl::Status error, int count = 1);
  // A crash at an exact step: after `count` more successful changes (Append, Sync,
  // WriteFileAtomically, Truncate, Delete, Rename, SyncDir), every change fails with
  // kInternal "stopped", until Crash() clears it. A negative count clears it now.
  void StopChangesAfter(int64_t count);
  // While full, Append and WriteFileAtomically fail with kInternal "no space left on device".
  void SetDiskFull(bool full);

  // Successful AppendableFile::Sync and SyncDir calls since construction.
  int64_t SyncCount() const;
  int64_t SyncDirCount() const;

 private:
  class FakeAppendableFile;
  class FakeReadableFile;
  struct Node {
    std::string content;
    uint64_t synced_size = 0;
  };

  absl::Status TakeInjectedError(Op op) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status CheckParentExists(const std::string& path) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  bool DirExists(const std::string& dir) const ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::StatusOr<std::shared_ptr<Node>> FindFile(absl::string_view op,
                                                 const std::string& path) const
      ABSL_SHARED_LOCKS_REQUIRED(mu_);
  absl::Status CreateDirsLocked(const std::string& dir) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  bool HasChildren(const std::string& dir) const ABSL_SHARED_LOCKS_REQUIRED(mu_);

  mutable absl::Mutex mu_;
  // Keyed by normalised path. A Node is shared with the file objects open on it.
  std::map<std::string, std::shared_ptr<Node>> files_ ABSL_GUARDED_BY(mu_);
  std::set<std::string> dirs_ ABSL_GUARDED_BY(mu_);
  // Bumped by Crash; file objects remember the epoch they were opened in.
  int64_t epoch_ ABSL_GUARDED_BY(mu_) = 0;
  std::map<Op, std::deque<absl::Status>> injected_ ABSL_GUARDED_BY(mu_);
  bool disk_full_ ABSL_GUARDED_BY(mu_) = false;
  int64_t changes_left_ ABSL_GUARDED_BY(mu_) = -1;  // -1: unlimited.
  int64_t sync_count_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t sync_dir_count_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace karst::storage::testing

#endif  // KARST_STORAGE_TESTING_FAKE_FILE_SYSTEM_H_
