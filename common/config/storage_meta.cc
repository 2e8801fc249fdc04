#include "common/config/storage_meta.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <system_error>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/config/properties.h"
#include "common/status_macros.h"

namespace karst::config {
namespace {

namespace fs = std::filesystem;

// A data dir as the node sees it at start-up.
struct DataDir {
  std::string path;
  std::string label;                   // "log dir /x" or "metadata log dir /y".
  std::string file;                    // <path>/meta.properties.
  std::optional<MetaProperties> meta;  // nullopt: not formatted.
};

absl::StatusOr<MetaProperties> FromProperties(const std::vector<Property>& properties,
                                              const std::string& file) {
  std::optional<std::string> version, cluster_id, node_id;
  for (const Property& p : properties) {
    if (p.key == "version") version = p.value;
    if (p.key == "cluster.id") cluster_id = p.value;
    if (p.key == "node.id") node_id = p.value;
  }
  if (version != "1") {
    return absl::InvalidArgumentError(absl::StrCat(
        file, ": version ", version.has_value() ? absl::StrCat("'", *version, "'") : "missing",
        " is not supported (expected version=1)"));
  }
  if (!cluster_id.has_value() || cluster_id->empty()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": cluster.id is missing"));
  }
  if (!node_id.has_value()) {
    return absl::InvalidArgumentError(absl::StrCat(file, ": node.id is missing"));
  }
  int32_t id = -1;
  if (!absl::SimpleAtoi(*node_id, &id) || id < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat(file, ": node.id '", *node_id, "' is not a node id"));
  }
  return MetaProperties{*cluster_id, NodeId(id)};
}

// log.dirs plus metadata.log.dir, each once, in that order.
std::vector<DataDir> ListDirs(const StorageFormatOptions& options) {
  std::vector<DataDir> dirs;
  auto add = [&](const std::string& path, absl::string_view kind) {
    for (const DataDir& d : dirs) {
      if (fs::path(d.path).lexically_normal() == fs::path(path).lexically_normal()) return;
    }
    dirs.push_back({path, absl::StrCat(kind, " ", path),
                    (fs::path(path) / kMetaPropertiesFile).string(), std::nullopt});
  };
  for (const std::string& dir : options.log_dirs) add(dir, "log dir");
  if (!options.metadata_log_dir.empty()) add(options.metadata_log_dir, "metadata log dir");
  return dirs;
}

absl::Status ReadDir(DataDir& dir) {
  absl::StatusOr<std::vector<Property>> properties = ReadPropertiesFile(dir.file);
  if (absl::IsNotFound(properties.status())) return absl::OkStatus();
  RETURN_IF_ERROR(properties.status());
  ASSIGN_OR_RETURN(dir.meta, FromProperties(*properties, dir.file));
  return absl::OkStatus();
}

// Rules 1-3 of the header: the effective cluster id, or why there is none.
absl::StatusOr<std::string> EffectiveClusterId(const StorageFormatOptions& options,
                                               const std::vector<DataDir>& dirs) {
  const DataDir* first = nullptr;  // The first formatted dir.
  for (const DataDir& dir : dirs) {
    if (!dir.meta.has_value()) continue;
    if (dir.meta->node_id != options.node_id) {
      return absl::FailedPreconditionError(absl::StrCat(
          dir.file, ": node.id ", dir.meta->node_id.value(), " does not match node.id ",
          options.node_id.value(), " (", options.node_id_origin, ")"));
    }
    if (!options.cluster_id.empty() && dir.meta->cluster_id != options.cluster_id) {
      return absl::FailedPreconditionError(absl::StrCat(
          dir.file, ": cluster.id '", dir.meta->cluster_id, "' does not match cluster.id '",
          options.cluster_id, "' (", options.cluster_id_origin, ")"));
    }
    if (first != nullptr && dir.meta->cluster_id != first->meta->cluster_id) {
      return absl::FailedPreconditionError(
          absl::StrCat(dir.file, ": cluster.id '", dir.meta->cluster_id,
                       "' does not match cluster.id '", first->meta->cluster_id, "' in ",
                       first->file, "; every data dir of a node belongs to one cluster"));
    }
    if (first == nullptr) first = &dir;
  }
  if (!options.cluster_id.empty()) return options.cluster_id;
  if (first != nullptr) return first->meta->cluster_id;
  return absl::FailedPreconditionError(
      absl::StrCat(dirs.empty() ? "no data dir" : dirs.front().label,
                   " is not formatted: set cluster.id (e.g. KARST_CLUSTER_ID=<id> or --override "
                   "cluster.id=<id>, the same on every node of the cluster) to format it"));
}

absl::Status ErrnoError(absl::string_view what, const std::string& path) {
  return absl::InternalError(absl::StrCat(what, " ", path, ": ", std::strerror(errno)));
}

absl::Status WriteAll(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write", path);
    done += static_cast<size_t>(n);
  }
  return absl::OkStatus();
}

absl::Status Fsync(const std::string& path, int flags) {
  const int fd = open(path.c_str(), flags | O_CLOEXEC);
  if (fd < 0) return ErrnoError("open", path);
  const int synced = fsync(fd);
  close(fd);
  return synced == 0 ? absl::OkStatus() : ErrnoError("fsync", path);
}

// Creates the dir if missing and writes meta.properties through a temporary file and a rename,
// both synced, so a crash leaves either no file or a whole one.
absl::Status Format(const DataDir& dir, const MetaProperties& meta) {
  std::error_code ec;
  fs::create_directories(dir.path, ec);
  if (ec) return absl::InternalError(absl::StrCat("mkdir ", dir.path, ": ", ec.message()));
  const std::string tmp = dir.file + ".tmp";
  const int fd = open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return ErrnoError("open", tmp);
  absl::Status written = WriteAll(fd, FormatMetaProperties(meta), tmp);
  if (written.ok() && fsync(fd) != 0) written = ErrnoError("fsync", tmp);
  close(fd);
  RETURN_IF_ERROR(written);
  if (rename(tmp.c_str(), dir.file.c_str()) != 0) return ErrnoError("rename", tmp);
  return Fsync(dir.path, O_RDONLY | O_DIRECTORY);
}

}  // namespace

std::string FormatMetaProperties(const MetaProperties& meta) {
  return absl::StrCat("# Written by karstd when it formatted this directory; do not edit.\n",
                      "version=1\n", "cluster.id=", meta.cluster_id, "\n",
                      "node.id=", meta.node_id.value(), "\n");
}

absl::StatusOr<MetaProperties> ParseMetaProperties(absl::string_view text,
                                                   const std::string& file) {
  ASSIGN_OR_RETURN(const std::vector<Property> properties, ParseProperties(text, file));
  return FromProperties(properties, file);
}

absl::StatusOr<StorageFormat> FormatStorage(const StorageFormatOptions& options) {
  std::vector<DataDir> dirs = ListDirs(options);
  for (DataDir& dir : dirs) RETURN_IF_ERROR(ReadDir(dir));
  StorageFormat result;
  ASSIGN_OR_RETURN(result.cluster_id, EffectiveClusterId(options, dirs));
  for (const DataDir& dir : dirs) {
    if (dir.meta.has_value()) continue;
    RETURN_IF_ERROR(Format(dir, {result.cluster_id, options.node_id}));
    result.formatted.push_back(dir.path);
  }
  return result;
}

}  // namespace karst::config
