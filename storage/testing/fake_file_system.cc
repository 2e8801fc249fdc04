#include "storage/testing/fake_file_system.h"

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"

namespace karst::storage::testing {
namespace {

// Collapses repeated '/' and drops a trailing one, so "a//b/" and "a/b" name one file.
std::string Normalize(absl::string_view path) {
  std::string out;
  out.reserve(path.size());
  for (const char c : path) {
    if (c == '/' && !out.empty() && out.back() == '/') continue;
    out.push_back(c);
  }
  if (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

// The directory holding `path`: "" for a relative name without '/', "/" for "/name".
std::string Parent(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return "";
  if (slash == 0) return path == "/" ? "" : "/";
  return path.substr(0, slash);
}

std::string BaseName(const std::string& path) {
  const size_t slash = path.rfind('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

// Messages in PosixFileSystem's words, so tests of either see the same text.
absl::Status NoSuchFile(absl::string_view op, absl::string_view path) {
  return absl::NotFoundError(absl::StrCat(op, " ", path, ": no such file or directory"));
}
absl::Status Internal(absl::string_view op, absl::string_view path, absl::string_view what) {
  return absl::InternalError(absl::StrCat(op, " ", path, ": ", what));
}
absl::Status StaleHandle(absl::string_view op, absl::string_view path) {
  return absl::FailedPreconditionError(
      absl::StrCat(op, " ", path, ": file handle from before a crash"));
}

}  // namespace

CrashMode CrashMode::DropUnsynced() {
  return CrashMode([](const std::string&, uint64_t) { return uint64_t{0}; });
}

CrashMode CrashMode::KeepUnsynced() {
  return CrashMode([](const std::string&, uint64_t unsynced_size) { return unsynced_size; });
}

CrashMode CrashMode::TornWrite(KeepFunction keep) { return CrashMode(std::move(keep)); }

CrashMode CrashMode::TornWrite(uint64_t keep_bytes) {
  return CrashMode([keep_bytes](const std::string&, uint64_t) { return keep_bytes; });
}

uint64_t CrashMode::BytesToKeep(const std::string& path, uint64_t unsynced_size) const {
  return std::min(keep_(path, unsynced_size), unsynced_size);
}

class FakeFileSystem::FakeAppendableFile final : public AppendableFile {
 public:
  FakeAppendableFile(FakeFileSystem& fs, std::string path, std::shared_ptr<Node> node,
                     int64_t epoch)
      : fs_(fs), path_(std::move(path)), node_(std::move(node)), epoch_(epoch) {
    size_ = node_->content.size();
  }

  absl::Status Append(absl::string_view data) override {
    absl::MutexLock lock(&fs_.mu_);
    if (epoch_ != fs_.epoch_) return StaleHandle("write", path_);
    if (absl::Status s = fs_.TakeInjectedError(Op::kAppend); !s.ok()) return s;
    if (fs_.disk_full_) return Internal("write", path_, "no space left on device");
    node_->content.append(data.data(), data.size());
    size_ += data.size();
    return absl::OkStatus();
  }

  absl::Status Sync() override {
    absl::MutexLock lock(&fs_.mu_);
    if (epoch_ != fs_.epoch_) return StaleHandle("fdatasync", path_);
    if (absl::Status s = fs_.TakeInjectedError(Op::kSync); !s.ok()) return s;
    node_->synced_size = node_->content.size();
    ++fs_.sync_count_;
    return absl::OkStatus();
  }

  // Like PosixFileSystem's: the size at open plus what this object appended.
  uint64_t Size() const override { return size_; }

 private:
  FakeFileSystem& fs_;
  const std::string path_;
  const std::shared_ptr<Node> node_;
  const int64_t epoch_;
  uint64_t size_;
};

class FakeFileSystem::FakeReadableFile final : public ReadableFile {
 public:
  FakeReadableFile(FakeFileSystem& fs, std::string path, std::shared_ptr<Node> node, int64_t epoch)
      : fs_(fs), path_(std::move(path)), node_(std::move(node)), epoch_(epoch) {}

  absl::StatusOr<absl::string_view> Read(uint64_t offset, size_t n, char* scratch) const override {
    absl::MutexLock lock(&fs_.mu_);
    if (epoch_ != fs_.epoch_) return StaleHandle("pread", path_);
    if (absl::Status s = fs_.TakeInjectedError(Op::kRead); !s.ok()) return s;
    const std::string& content = node_->content;
    if (offset >= content.size()) return absl::string_view(scratch, 0);
    const size_t count = std::min<uint64_t>(n, content.size() - offset);
    std::copy_n(content.data() + offset, count, scratch);
    return absl::string_view(scratch, count);
  }

  absl::StatusOr<uint64_t> Size() const override {
    absl::MutexLock lock(&fs_.mu_);
    if (epoch_ != fs_.epoch_) return StaleHandle("fstat", path_);
    return node_->content.size();
  }

 private:
  FakeFileSystem& fs_;
  const std::string path_;
  const std::shared_ptr<Node> node_;
  const int64_t epoch_;
};

absl::StatusOr<std::unique_ptr<AppendableFile>> FakeFileSystem::OpenAppendable(
    const std::string& path) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeInjectedError(Op::kOpen); !s.ok()) return s;
  if (absl::Status s = CheckParentExists(p); !s.ok()) return s;
  if (dirs_.contains(p)) return Internal("open", p, "is a directory");
  std::shared_ptr<Node>& node = files_[p];
  if (node == nullptr) node = std::make_shared<Node>();
  return std::make_unique<FakeAppendableFile>(*this, p, node, epoch_);
}

absl::StatusOr<std::unique_ptr<ReadableFile>> FakeFileSystem::OpenReadable(
    const std::string& path) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeInjectedError(Op::kOpen); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<Node>> node = FindFile("open", p);
  if (!node.ok()) return node.status();
  return std::make_unique<FakeReadableFile>(*this, p, *std::move(node), epoch_);
}

absl::Status FakeFileSystem::WriteFileAtomically(const std::string& path,
                                                 absl::string_view content) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeInjectedError(Op::kWriteAtomic); !s.ok()) return s;
  if (absl::Status s = CheckParentExists(p); !s.ok()) return s;
  if (dirs_.contains(p)) return Internal("rename", p, "is a directory");
  if (disk_full_) return Internal("write", absl::StrCat(p, ".tmp"), "no space left on device");
  // A new node, as rename(2) gives the path a new inode: objects open on the old one keep it.
  auto node = std::make_shared<Node>();
  node->content = std::string(content);
  node->synced_size = node->content.size();
  files_[p] = std::move(node);
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeFileSystem::ReadFile(const std::string& path) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeInjectedError(Op::kRead); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<Node>> node = FindFile("open", p);
  if (!node.ok()) return node.status();
  return (*node)->content;
}

absl::Status FakeFileSystem::Truncate(const std::string& path, uint64_t size) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeInjectedError(Op::kTruncate); !s.ok()) return s;
  absl::StatusOr<std::shared_ptr<Node>> node = FindFile("open", p);
  if (!node.ok()) return node.status();
  // PosixFileSystem fsyncs after ftruncate, which makes the whole file durable.
  (*node)->content.resize(size);
  (*node)->synced_size = size;
  return absl::OkStatus();
}

absl::Status FakeFileSystem::Delete(const std::string& path) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeInjectedError(Op::kDelete); !s.ok()) return s;
  if (files_.erase(p) > 0) return absl::OkStatus();
  if (!dirs_.contains(p)) return NoSuchFile("unlink", p);
  if (HasChildren(p)) return Internal("rmdir", p, "directory not empty");
  dirs_.erase(p);
  return absl::OkStatus();
}

absl::Status FakeFileSystem::Rename(const std::string& from, const std::string& to) {
  const std::string f = Normalize(from);
  const std::string t = Normalize(to);
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeInjectedError(Op::kRename); !s.ok()) return s;
  if (absl::Status s = CheckParentExists(t); !s.ok()) return s;
  if (dirs_.contains(t)) return Internal("rename", t, "is a directory");
  auto it = files_.find(f);
  if (it == files_.end()) return NoSuchFile("rename", f);
  // Unsynced bytes move with the node: they stay unsynced.
  std::shared_ptr<Node> node = it->second;
  files_.erase(it);
  files_[t] = std::move(node);
  return absl::OkStatus();
}

absl::StatusOr<bool> FakeFileSystem::Exists(const std::string& path) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  return files_.contains(p) || DirExists(p);
}

absl::StatusOr<uint64_t> FakeFileSystem::FileSize(const std::string& path) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = FindFile("stat", p);
  if (!node.ok()) return node.status();
  return (*node)->content.size();
}

absl::Status FakeFileSystem::CreateDirs(const std::string& dir) {
  const std::string d = Normalize(dir);
  absl::MutexLock lock(&mu_);
  return CreateDirsLocked(d);
}

absl::StatusOr<std::vector<std::string>> FakeFileSystem::ListDir(const std::string& dir) {
  const std::string d = Normalize(dir);
  absl::MutexLock lock(&mu_);
  if (files_.contains(d)) return Internal("opendir", d, "not a directory");
  if (!DirExists(d)) return NoSuchFile("opendir", d);
  std::vector<std::string> names;
  for (const auto& [path, node] : files_) {
    if (Parent(path) == d) names.push_back(BaseName(path));
  }
  for (const std::string& path : dirs_) {
    if (Parent(path) == d) names.push_back(BaseName(path));
  }
  std::sort(names.begin(), names.end());
  return names;
}

absl::Status FakeFileSystem::SyncDir(const std::string& dir) {
  const std::string d = Normalize(dir);
  absl::MutexLock lock(&mu_);
  if (absl::Status s = TakeInjectedError(Op::kSyncDir); !s.ok()) return s;
  if (files_.contains(d)) return Internal("open", d, "not a directory");
  if (!DirExists(d)) return NoSuchFile("open", d);
  ++sync_dir_count_;
  return absl::OkStatus();
}

void FakeFileSystem::Crash(const CrashMode& mode) {
  absl::MutexLock lock(&mu_);
  for (auto& [path, node] : files_) {
    const uint64_t unsynced = node->content.size() - node->synced_size;
    if (unsynced == 0) continue;
    node->content.resize(node->synced_size + mode.BytesToKeep(path, unsynced));
    // What reached the disk is all there is after the reboot.
    node->synced_size = node->content.size();
  }
  ++epoch_;
  changes_left_ = -1;
}

absl::Status FakeFileSystem::SetContent(const std::string& path, absl::string_view content) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (absl::Status s = CreateDirsLocked(Parent(p)); !s.ok()) return s;
  if (dirs_.contains(p)) return Internal("open", p, "is a directory");
  std::shared_ptr<Node>& node = files_[p];
  if (node == nullptr) node = std::make_shared<Node>();
  node->content = std::string(content);
  node->synced_size = node->content.size();
  return absl::OkStatus();
}

absl::StatusOr<std::string> FakeFileSystem::GetContent(const std::string& path) const {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = FindFile("open", p);
  if (!node.ok()) return node.status();
  return (*node)->content;
}

absl::StatusOr<std::string> FakeFileSystem::GetSyncedContent(const std::string& path) const {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = FindFile("open", p);
  if (!node.ok()) return node.status();
  return (*node)->content.substr(0, (*node)->synced_size);
}

absl::Status FakeFileSystem::FlipByte(const std::string& path, uint64_t offset, uint8_t mask) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = FindFile("open", p);
  if (!node.ok()) return node.status();
  std::string& content = (*node)->content;
  if (offset >= content.size()) {
    return absl::InvalidArgumentError(absl::StrCat("flip byte in ", p, ": offset ", offset,
                                                   " is past the end (size ", content.size(), ")"));
  }
  content[offset] = static_cast<char>(static_cast<uint8_t>(content[offset]) ^ mask);
  return absl::OkStatus();
}

absl::Status FakeFileSystem::TruncateRaw(const std::string& path, uint64_t size) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  absl::StatusOr<std::shared_ptr<Node>> node = FindFile("open", p);
  if (!node.ok()) return node.status();
  (*node)->content.resize(size);
  (*node)->synced_size = std::min((*node)->synced_size, size);
  return absl::OkStatus();
}

absl::Status FakeFileSystem::DeleteRaw(const std::string& path) {
  const std::string p = Normalize(path);
  absl::MutexLock lock(&mu_);
  if (files_.erase(p) == 0) return NoSuchFile("unlink", p);
  return absl::OkStatus();
}

void FakeFileSystem::FailNext(Op op, absl::Status error, int count) {
  absl::MutexLock lock(&mu_);
  for (int i = 0; i < count; ++i) injected_[op].push_back(error);
}

void FakeFileSystem::SetDiskFull(bool full) {
  absl::MutexLock lock(&mu_);
  disk_full_ = full;
}

int64_t FakeFileSystem::SyncCount() const {
  absl::MutexLock lock(&mu_);
  return sync_count_;
}

int64_t FakeFileSystem::SyncDirCount() const {
  absl::MutexLock lock(&mu_);
  return sync_dir_count_;
}

void FakeFileSystem::StopChangesAfter(int64_t count) {
  absl::MutexLock lock(&mu_);
  changes_left_ = count < 0 ? -1 : count;
}

absl::Status FakeFileSystem::TakeInjectedError(Op op) {
  const bool change = op != Op::kOpen && op != Op::kRead;
  if (change && changes_left_ == 0) {
    return absl::InternalError("fake file system: stopped (simulated crash point)");
  }
  if (change && changes_left_ > 0) --changes_left_;
  auto it = injected_.find(op);
  if (it == injected_.end() || it->second.empty()) return absl::OkStatus();
  absl::Status error = std::move(it->second.front());
  it->second.pop_front();
  return error;
}

absl::Status FakeFileSystem::CheckParentExists(const std::string& path) const {
  const std::string parent = Parent(path);
  if (files_.contains(parent)) return Internal("open", path, "not a directory");
  if (!DirExists(parent)) return NoSuchFile("open", path);
  return absl::OkStatus();
}

bool FakeFileSystem::DirExists(const std::string& dir) const {
  return dir.empty() || dir == "/" || dirs_.contains(dir);
}

absl::StatusOr<std::shared_ptr<FakeFileSystem::Node>> FakeFileSystem::FindFile(
    absl::string_view op, const std::string& path) const {
  if (auto it = files_.find(path); it != files_.end()) return it->second;
  if (dirs_.contains(path)) return Internal(op, path, "is a directory");
  return NoSuchFile(op, path);
}

absl::Status FakeFileSystem::CreateDirsLocked(const std::string& dir) {
  // Check every component before creating any, so a failure changes nothing.
  std::vector<std::string> missing;
  for (std::string d = dir; !d.empty() && d != "/"; d = Parent(d)) {
    if (files_.contains(d)) return Internal("mkdir", d, "not a directory");
    if (!dirs_.contains(d)) missing.push_back(d);
  }
  dirs_.insert(missing.begin(), missing.end());
  return absl::OkStatus();
}

bool FakeFileSystem::HasChildren(const std::string& dir) const {
  for (const auto& [path, node] : files_) {
    if (Parent(path) == dir) return true;
  }
  for (const std::string& path : dirs_) {
    if (Parent(path) == dir) return true;
  }
  return false;
}

}  // namespace karst::storage::testing
