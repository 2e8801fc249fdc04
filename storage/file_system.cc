#include "storage/file_system.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace karst::storage {
namespace {

// strerror_r comes in two flavours (GNU returns the text, XSI fills the buffer); overloads
// accept whichever the C library declares.
[[maybe_unused]] const char* StrErrorResult(const char* text, const char* /*buffer*/) {
  return text;
}
[[maybe_unused]] const char* StrErrorResult(int rc, const char* buffer) {
  return rc == 0 ? buffer : "unknown error";
}

std::string StrError(int err) {
  char buffer[256] = {};
  std::string text = StrErrorResult(strerror_r(err, buffer, sizeof(buffer)), buffer);
  return absl::AsciiStrToLower(text);
}

// "open /data/x: no space left on device"; ENOENT is kNotFound, anything else kInternal.
absl::Status ErrnoStatus(absl::string_view op, absl::string_view path, int err) {
  std::string message = absl::StrCat(op, " ", path, ": ", StrError(err));
  if (err == ENOENT) return absl::NotFoundError(message);
  return absl::InternalError(message);
}

// The directory holding `path`, for syncing it after a rename.
std::string ParentDir(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

// open(2), retried on EINTR, always with O_CLOEXEC so no descriptor leaks into a child.
absl::StatusOr<int> OpenFd(const std::string& path, int flags, mode_t mode = 0644) {
  while (true) {
    const int fd = ::open(path.c_str(), flags | O_CLOEXEC, mode);
    if (fd >= 0) return fd;
    if (errno != EINTR) return ErrnoStatus("open", path, errno);
  }
}

// close(2) once: on Linux the descriptor is released even when close reports EINTR, so a retry
// could close a descriptor another thread has just been given.
absl::Status CloseFd(int fd, const std::string& path) {
  if (::close(fd) != 0 && errno != EINTR) return ErrnoStatus("close", path, errno);
  return absl::OkStatus();
}

// Writes all of `data`, looping over short writes and EINTR. `written` counts the bytes that
// reached the file, also when an error cuts the write short.
absl::Status WriteAll(int fd, absl::string_view data, const std::string& path, uint64_t* written) {
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    *written += static_cast<uint64_t>(n);
    data.remove_prefix(static_cast<size_t>(n));
  }
  return absl::OkStatus();
}

absl::Status FsyncFd(int fd, const std::string& path) {
  while (::fsync(fd) != 0) {
    if (errno != EINTR) return ErrnoStatus("fsync", path, errno);
  }
  return absl::OkStatus();
}

absl::StatusOr<struct stat> FstatFd(int fd, const std::string& path) {
  struct stat st;
  if (::fstat(fd, &st) != 0) return ErrnoStatus("fstat", path, errno);
  return st;
}

// Runs `body` on a descriptor for `path`, then closes it; the first error wins.
template <typename Body>
absl::Status WithFd(const std::string& path, int flags, Body body) {
  absl::StatusOr<int> fd = OpenFd(path, flags);
  if (!fd.ok()) return fd.status();
  absl::Status status = body(*fd);
  absl::Status closed = CloseFd(*fd, path);
  return status.ok() ? closed : status;
}

// mkdir(2) that accepts an existing directory. mkdir may report another error than EEXIST
// for a directory that exists (a read-only parent), so the stat decides.
absl::Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0) return absl::OkStatus();
  const int err = errno;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("mkdir", path, err);
  if (!S_ISDIR(st.st_mode)) return ErrnoStatus("mkdir", path, ENOTDIR);
  return absl::OkStatus();
}

class PosixAppendableFile final : public AppendableFile {
 public:
  PosixAppendableFile(std::string path, int fd, uint64_t size)
      : path_(std::move(path)), fd_(fd), size_(size) {}
  ~PosixAppendableFile() override { ::close(fd_); }

  absl::Status Append(absl::string_view data) override {
    return WriteAll(fd_, data, path_, &size_);
  }

  absl::Status AppendParts(absl::string_view head, absl::string_view tail) override {
    iovec parts[2] = {{const_cast<char*>(head.data()), head.size()},
                      {const_cast<char*>(tail.data()), tail.size()}};
    const ssize_t n = ::writev(fd_, parts, 2);
    if (n < 0 && errno != EINTR) return ErrnoStatus("writev", path_, errno);
    // A short (or interrupted) writev: finish with plain writes from where it stopped.
    const size_t done = n < 0 ? 0 : static_cast<size_t>(n);
    size_ += done;
    if (done < head.size()) {
      if (absl::Status s = WriteAll(fd_, head.substr(done), path_, &size_); !s.ok()) return s;
      return WriteAll(fd_, tail, path_, &size_);
    }
    return WriteAll(fd_, tail.substr(done - head.size()), path_, &size_);
  }

  absl::Status Sync() override {
    while (::fdatasync(fd_) != 0) {
      if (errno != EINTR) return ErrnoStatus("fdatasync", path_, errno);
    }
    return absl::OkStatus();
  }

  uint64_t Size() const override { return size_; }

 private:
  const std::string path_;
  const int fd_;
  uint64_t size_;
};

class PosixReadableFile final : public ReadableFile {
 public:
  PosixReadableFile(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  ~PosixReadableFile() override { ::close(fd_); }

  absl::StatusOr<absl::string_view> Read(uint64_t offset, size_t n, char* scratch) const override {
    size_t done = 0;
    while (done < n) {
      const ssize_t got = ::pread(fd_, scratch + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("pread", path_, errno);
      }
      if (got == 0) break;  // End of file.
      done += static_cast<size_t>(got);
    }
    return absl::string_view(scratch, done);
  }

  absl::StatusOr<uint64_t> Size() const override {
    absl::StatusOr<struct stat> st = FstatFd(fd_, path_);
    if (!st.ok()) return st.status();
    return static_cast<uint64_t>(st->st_size);
  }

 private:
  const std::string path_;
  const int fd_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<AppendableFile>> PosixFileSystem::OpenAppendable(
    const std::string& path) {
  absl::StatusOr<int> fd = OpenFd(path, O_WRONLY | O_CREAT | O_APPEND);
  if (!fd.ok()) return fd.status();
  absl::StatusOr<struct stat> st = FstatFd(*fd, path);
  if (!st.ok()) {
    ::close(*fd);
    return st.status();
  }
  return std::make_unique<PosixAppendableFile>(path, *fd, static_cast<uint64_t>(st->st_size));
}

absl::StatusOr<std::unique_ptr<ReadableFile>> PosixFileSystem::OpenReadable(
    const std::string& path) {
  absl::StatusOr<int> fd = OpenFd(path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  // open(2) accepts a directory for reading; refuse it here rather than at the first pread.
  absl::StatusOr<struct stat> st = FstatFd(*fd, path);
  absl::Status status =
      st.ok() && S_ISDIR(st->st_mode) ? ErrnoStatus("open", path, EISDIR) : st.status();
  if (!status.ok()) {
    ::close(*fd);
    return status;
  }
  return std::make_unique<PosixReadableFile>(path, *fd);
}

absl::Status PosixFileSystem::WriteFileAtomically(const std::string& path,
                                                  absl::string_view content) {
  const std::string tmp = absl::StrCat(path, ".tmp");
  absl::Status status = WithFd(tmp, O_WRONLY | O_CREAT | O_TRUNC, [&](int fd) {
    uint64_t written = 0;
    absl::Status s = WriteAll(fd, content, tmp, &written);
    return s.ok() ? FsyncFd(fd, tmp) : s;
  });
  if (status.ok() && ::rename(tmp.c_str(), path.c_str()) != 0) {
    status = ErrnoStatus(absl::StrCat("rename ", tmp, " to"), path, errno);
  }
  if (!status.ok()) {
    // Best effort: a leftover temporary file is harmless, since the next attempt truncates
    // it, and the write's own error is the one worth reporting.
    ::unlink(tmp.c_str());
    return status;
  }
  return SyncDir(ParentDir(path));
}

absl::StatusOr<std::string> PosixFileSystem::ReadFile(const std::string& path) {
  std::string content;
  absl::Status status = WithFd(path, O_RDONLY, [&](int fd) {
    absl::StatusOr<struct stat> st = FstatFd(fd, path);
    if (!st.ok()) return st.status();
    content.reserve(static_cast<size_t>(st->st_size));
    char buffer[64 * 1024];
    while (true) {
      const ssize_t n = ::read(fd, buffer, sizeof(buffer));
      if (n < 0) {
        if (errno == EINTR) continue;
        return ErrnoStatus("read", path, errno);
      }
      if (n == 0) return absl::OkStatus();
      content.append(buffer, static_cast<size_t>(n));
    }
  });
  if (!status.ok()) return status;
  return content;
}

absl::Status PosixFileSystem::Truncate(const std::string& path, uint64_t size) {
  return WithFd(path, O_WRONLY, [&](int fd) {
    while (::ftruncate(fd, static_cast<off_t>(size)) != 0) {
      if (errno != EINTR) return ErrnoStatus("ftruncate", path, errno);
    }
    return FsyncFd(fd, path);
  });
}

absl::Status PosixFileSystem::Delete(const std::string& path) {
  if (::unlink(path.c_str()) == 0) return absl::OkStatus();
  // Linux reports EISDIR for a directory: remove it if it is empty.
  if (errno == EISDIR) {
    if (::rmdir(path.c_str()) == 0) return absl::OkStatus();
    return ErrnoStatus("rmdir", path, errno);
  }
  return ErrnoStatus("unlink", path, errno);
}

absl::Status PosixFileSystem::Rename(const std::string& from, const std::string& to) {
  if (::rename(from.c_str(), to.c_str()) != 0) {
    return ErrnoStatus(absl::StrCat("rename ", from, " to"), to, errno);
  }
  return SyncDir(ParentDir(to));
}

absl::StatusOr<bool> PosixFileSystem::Exists(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) == 0) return true;
  if (errno == ENOENT || errno == ENOTDIR) return false;
  return ErrnoStatus("stat", path, errno);
}

absl::StatusOr<uint64_t> PosixFileSystem::FileSize(const std::string& path) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
  if (S_ISDIR(st.st_mode)) return ErrnoStatus("stat", path, EISDIR);
  return static_cast<uint64_t>(st.st_size);
}

absl::Status PosixFileSystem::CreateDirs(const std::string& dir) {
  // mkdir each prefix ending before a '/', then `dir` itself.
  for (size_t end = dir.find('/', 1);; end = dir.find('/', end + 1)) {
    const std::string prefix = dir.substr(0, end);
    if (!prefix.empty() && prefix.back() != '/') {
      if (absl::Status s = MakeDir(prefix); !s.ok()) return s;
    }
    if (end == std::string::npos) return absl::OkStatus();
  }
}

absl::StatusOr<std::vector<std::string>> PosixFileSystem::ListDir(const std::string& dir) {
  DIR* stream = ::opendir(dir.c_str());
  if (stream == nullptr) return ErrnoStatus("opendir", dir, errno);
  std::vector<std::string> names;
  while (true) {
    errno = 0;
    const struct dirent* entry = ::readdir(stream);
    if (entry == nullptr) break;
    const absl::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  const int err = errno;
  ::closedir(stream);
  if (err != 0) return ErrnoStatus("readdir", dir, err);
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status PosixFileSystem::SyncDir(const std::string& dir) {
  return WithFd(dir, O_RDONLY | O_DIRECTORY, [&](int fd) { return FsyncFd(fd, dir); });
}

std::string JoinPath(absl::string_view dir, absl::string_view name) {
  if (dir.empty()) return std::string(name);
  if (dir.back() == '/') return absl::StrCat(dir, name);
  return absl::StrCat(dir, "/", name);
}

}  // namespace karst::storage
