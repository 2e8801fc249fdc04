// Origin: where a configuration value came from (a default, a file line, an environment
// variable or a command-line flag), so every error can name its source.
#ifndef KARST_COMMON_CONFIG_ORIGIN_H_
#define KARST_COMMON_CONFIG_ORIGIN_H_

#include <string>

namespace karst::config {

struct Origin {
  enum class Kind { kDefault, kFile, kEnvironment, kFlag };

  Kind kind = Kind::kDefault;
  std::string name;  // kFile: the path; kEnvironment: the variable; kFlag: the flag's text.
  int line = 0;      // kFile only: 1-based.

  static Origin Default() { return Origin{}; }
  static Origin File(std::string path, int line) { return {Kind::kFile, std::move(path), line}; }
  static Origin Environment(std::string variable) {
    return {Kind::kEnvironment, std::move(variable), 0};
  }
  static Origin Flag(std::string text) { return {Kind::kFlag, std::move(text), 0}; }

  // "default", "/etc/karst/server.properties:12", "environment variable KARST_NODE_ID",
  // "flag --override node.id=1".
  std::string ToString() const;
};

}  // namespace karst::config

#endif  // KARST_COMMON_CONFIG_ORIGIN_H_
