// FileSystem: the storage layer's only door to files, so tests can swap in FakeFileSystem
// (storage/testing/fake_file_system.h: torn writes, lost unsynced data, injected errors).
// PosixFileSystem is the real one. Paths are plain strings. Errors: kNotFound for a missing
// file or directory, kInternal for other I/O failures (naming the path and errno text).
// Implementations are thread-safe; a single file object is used by one thread at a time.
#ifndef KARST_STORAGE_FILE_SYSTEM_H_
#define KARST_STORAGE_FILE_SYSTEM_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace karst::storage {

// A file open for appending. Appended bytes are durable only after Sync().
class AppendableFile {
 public:
  virtual ~AppendableFile() = default;
  virtual absl::Status Append(absl::string_view data) = 0;
  // Appends `head` then `tail`, in one writev(2) where the implementation can, so a caller
  // that rewrites a header need not copy the body. The default appends them in turn.
  virtual absl::Status AppendParts(absl::string_view head, absl::string_view tail) {
    if (absl::Status s = Append(head); !s.ok()) return s;
    return Append(tail);
  }
  // Makes everything appended so far durable (fdatasync).
  virtual absl::Status Sync() = 0;
  virtual uint64_t Size() const = 0;
};

// A file open for positional reads.
class ReadableFile {
 public:
  virtual ~ReadableFile() = default;
  // Reads up to `n` bytes at `offset` into `scratch` (which must hold n bytes) and returns a
  // view of what was read; shorter than n only at the end of the file.
  virtual absl::StatusOr<absl::string_view> Read(uint64_t offset, size_t n,
                                                 char* scratch) const = 0;
  virtual absl::StatusOr<uint64_t> Size() const = 0;
};

class FileSystem {
 public:
  virtual ~FileSystem() = default;

  // Opens `path` for appending, creating it if missing; existing bytes are kept.
  virtual absl::StatusOr<std::unique_ptr<AppendableFile>> OpenAppendable(
      const std::string& path) = 0;
  virtual absl::StatusOr<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) = 0;

  // Replaces `path` atomically and durably: write a temporary file, sync it, rename it over
  // `path`, sync the directory. A crash leaves either the old or the new content.
  virtual absl::Status WriteFileAtomically(const std::string& path, absl::string_view content) = 0;
  virtual absl::StatusOr<std::string> ReadFile(const std::string& path) = 0;

  // Cuts `path` to `size` bytes, durably.
  virtual absl::Status Truncate(const std::string& path, uint64_t size) = 0;
  virtual absl::Status Delete(const std::string& path) = 0;
  // Renames the file `from` to `to`, replacing `to` atomically if it exists, durably (the
  // directory is synced). kNotFound if `from` is missing.
  virtual absl::Status Rename(const std::string& from, const std::string& to) = 0;
  virtual absl::StatusOr<bool> Exists(const std::string& path) = 0;
  virtual absl::StatusOr<uint64_t> FileSize(const std::string& path) = 0;
  // Creates `dir` and any missing parents.
  virtual absl::Status CreateDirs(const std::string& dir) = 0;
  // The names (not paths) of the entries in `dir`, sorted.
  virtual absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) = 0;
  // Makes creations, renames and deletions in `dir` durable.
  virtual absl::Status SyncDir(const std::string& dir) = 0;
};

// The real file system (POSIX calls; fdatasync for Sync).
class PosixFileSystem final : public FileSystem {
 public:
  absl::StatusOr<std::unique_ptr<AppendableFile>> OpenAppendable(const std::string& path) override;
  absl::StatusOr<std::unique_ptr<ReadableFile>> OpenReadable(const std::string& path) override;
  absl::Status WriteFileAtomically(const std::string& path, absl::string_view content) override;
  absl::StatusOr<std::string> ReadFile(const std::string& path) override;
  absl::Status Truncate(const std::string& path, uint64_t size) override;
  absl::Status Delete(const std::string& path) override;
  absl::Status Rename(const std::string& from, const std::string& to) override;
  absl::StatusOr<bool> Exists(const std::string& path) override;
  absl::StatusOr<uint64_t> FileSize(const std::string& path) override;
  absl::Status CreateDirs(const std::string& dir) override;
  absl::StatusOr<std::vector<std::string>> ListDir(const std::string& dir) override;
  absl::Status SyncDir(const std::string& dir) override;
};

// "<dir>/<name>".
std::string JoinPath(absl::string_view dir, absl::string_view name);

}  // namespace karst::storage

#endif  // KARST_STORAGE_FILE_SYSTEM_H_
