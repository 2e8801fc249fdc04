// StorageMeta: the identity of karstd's data directories, like Kafka KRaft's meta.properties
// (`kafka-storage format`). Each log dir and the metadata log dir holds a meta.properties with
// version=1, cluster.id and node.id. main() calls FormatStorage once at start-up, before any
// role starts, so a node never joins a cluster its storage does not belong to. Plain functions;
// FormatStorage reads and writes files, the rest is pure.
//
// FormatStorage's rules, in order:
//   1. every formatted dir's meta.properties parses, has version 1 and node.id = node.id;
//   2. formatted dirs agree on cluster.id, and with cluster.id when that is set;
//   3. the effective cluster id is cluster.id, else the one the formatted dirs carry; with
//      neither (no dir formatted, cluster.id unset) the node refuses to start;
//   4. unformatted dirs (no meta.properties; created if missing) are formatted with it.
#ifndef KARST_COMMON_CONFIG_STORAGE_META_H_
#define KARST_COMMON_CONFIG_STORAGE_META_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/strong_id.h"

namespace karst::config {

inline constexpr char kMetaPropertiesFile[] = "meta.properties";

// One meta.properties (version 1: Kafka's KRaft format).
struct MetaProperties {
  std::string cluster_id;
  NodeId node_id;
};

// The file's text: a comment line, then version=1, cluster.id and node.id.
std::string FormatMetaProperties(const MetaProperties& meta);

// Parses meta.properties text; `file` names it in errors. Keys other than version, cluster.id
// and node.id are ignored (Kafka 3.7+ adds directory.id). kInvalidArgument naming the file for
// malformed text, a version other than 1, or a missing or bad cluster.id or node.id.
absl::StatusOr<MetaProperties> ParseMetaProperties(absl::string_view text, const std::string& file);

struct StorageFormatOptions {
  NodeId node_id;
  std::string node_id_origin;     // Where node.id came from, for messages ("flag ...").
  std::string cluster_id;         // cluster.id; empty: not set.
  std::string cluster_id_origin;  // Where cluster.id came from, for messages.
  std::vector<std::string> log_dirs;
  std::string metadata_log_dir;  // May be one of log_dirs.
};

struct StorageFormat {
  std::string cluster_id;              // The effective cluster id.
  std::vector<std::string> formatted;  // The dirs this call formatted.
};

// Checks every dir's meta.properties and formats the unformatted ones (see the header
// comment). Errors: kFailedPrecondition naming the file and both values for a disagreement,
// and naming the dir when nothing is formatted and cluster.id is unset; kInvalidArgument for a
// malformed meta.properties; kInternal naming the path when a dir or file cannot be read,
// created or written. Nothing is written unless every formatted dir passes.
absl::StatusOr<StorageFormat> FormatStorage(const StorageFormatOptions& options);

}  // namespace karst::config

#endif  // KARST_COMMON_CONFIG_STORAGE_META_H_
