// Parses Java-properties text (Kafka's server.properties format) into ordered key/value pairs
// with their file and line. Pure: no I/O; ReadPropertiesFile is the thin file-reading edge.
//
// Supported, as java.util.Properties does: '#' and '!' comment lines; key and value separated by
// '=', ':' or whitespace; a trailing backslash continues the line; escapes \t \n \r \f \\ \uXXXX
// and an escaped separator. Unlike java.util.Properties, a key given twice is an error (the
// second would silently win there), as is a line with a key but no separator and no value.
#ifndef KARST_COMMON_CONFIG_PROPERTIES_H_
#define KARST_COMMON_CONFIG_PROPERTIES_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "common/config/origin.h"

namespace karst::config {

struct Property {
  std::string key;
  std::string value;
  Origin origin;
};

// `file` names the source in origins and errors. Errors are kInvalidArgument and name the file
// and line ("server.properties:7: duplicate key 'node.id' (first set at line 2)").
absl::StatusOr<std::vector<Property>> ParseProperties(absl::string_view text,
                                                      const std::string& file);

// Reads and parses `path`. kNotFound if it does not exist, kInvalidArgument if unreadable or
// malformed; errors name the path.
absl::StatusOr<std::vector<Property>> ReadPropertiesFile(const std::string& path);

}  // namespace karst::config

#endif  // KARST_COMMON_CONFIG_PROPERTIES_H_
