#include "common/config/properties.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"

namespace karst::config {
namespace {

bool IsBlank(char c) { return c == ' ' || c == '\t' || c == '\f'; }

// Joins physical lines into logical ones: a line ending in an odd number of backslashes
// continues onto the next, whose leading blanks are dropped. Each logical line keeps the
// number of its first physical line.
struct LogicalLine {
  std::string text;
  int line;
};

std::vector<LogicalLine> LogicalLines(absl::string_view text) {
  std::vector<LogicalLine> lines;
  int number = 0;
  bool continuing = false;
  size_t pos = 0;
  while (pos <= text.size()) {
    size_t end = text.find('\n', pos);
    if (end == absl::string_view::npos) end = text.size();
    absl::string_view physical = text.substr(pos, end - pos);
    if (!physical.empty() && physical.back() == '\r') physical.remove_suffix(1);
    ++number;
    pos = end + 1;
    size_t start = 0;
    while (start < physical.size() && IsBlank(physical[start])) ++start;
    physical.remove_prefix(start);
    if (!continuing) {
      if (physical.empty() || physical[0] == '#' || physical[0] == '!') continue;
      lines.push_back({"", number});
    }
    size_t backslashes = 0;
    while (backslashes < physical.size() && physical[physical.size() - 1 - backslashes] == '\\') {
      ++backslashes;
    }
    continuing = backslashes % 2 == 1;
    if (continuing) physical.remove_suffix(1);
    lines.back().text.append(physical.data(), physical.size());
  }
  return lines;
}

absl::Status LineError(const std::string& file, int line, absl::string_view message) {
  return absl::InvalidArgumentError(absl::StrCat(file, ":", line, ": ", message));
}

// Undoes escapes in a key or value.
absl::StatusOr<std::string> Unescape(absl::string_view raw, const std::string& file, int line) {
  std::string out;
  for (size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '\\') {
      out.push_back(raw[i]);
      continue;
    }
    if (++i == raw.size()) break;
    switch (raw[i]) {
      case 't':
        out.push_back('\t');
        break;
      case 'n':
        out.push_back('\n');
        break;
      case 'r':
        out.push_back('\r');
        break;
      case 'f':
        out.push_back('\f');
        break;
      case 'u': {
        if (i + 4 >= raw.size()) {
          return LineError(file, line, "malformed \\uXXXX escape");
        }
        unsigned code = 0;
        for (int k = 1; k <= 4; ++k) {
          const char c = raw[i + k];
          code <<= 4;
          if (c >= '0' && c <= '9')
            code |= c - '0';
          else if (c >= 'a' && c <= 'f')
            code |= c - 'a' + 10;
          else if (c >= 'A' && c <= 'F')
            code |= c - 'A' + 10;
          else
            return LineError(file, line, "malformed \\uXXXX escape");
        }
        i += 4;
        // UTF-8 encode (the BMP is enough for configuration text).
        if (code < 0x80) {
          out.push_back(static_cast<char>(code));
        } else if (code < 0x800) {
          out.push_back(static_cast<char>(0xC0 | (code >> 6)));
          out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        } else {
          out.push_back(static_cast<char>(0xE0 | (code >> 12)));
          out.push_back(static_cast<char>(0x80 | ((code >> 6) & 0x3F)));
          out.push_back(static_cast<char>(0x80 | (code & 0x3F)));
        }
        break;
      }
      default:
        out.push_back(raw[i]);
        break;
    }
  }
  return out;
}

}  // namespace

absl::StatusOr<std::vector<Property>> ParseProperties(absl::string_view text,
                                                      const std::string& file) {
  std::vector<Property> properties;
  absl::flat_hash_map<std::string, int> first_line;
  for (const LogicalLine& logical : LogicalLines(text)) {
    const std::string& s = logical.text;
    // The key ends at the first unescaped separator or blank.
    size_t key_end = 0;
    while (key_end < s.size()) {
      const char c = s[key_end];
      if (c == '\\') {
        key_end += 2;
        continue;
      }
      if (c == '=' || c == ':' || IsBlank(c)) break;
      ++key_end;
    }
    key_end = std::min(key_end, s.size());
    size_t value_start = key_end;
    while (value_start < s.size() && IsBlank(s[value_start])) ++value_start;
    bool separated = key_end < s.size();
    if (value_start < s.size() && (s[value_start] == '=' || s[value_start] == ':')) {
      ++value_start;
      while (value_start < s.size() && IsBlank(s[value_start])) ++value_start;
    }
    absl::StatusOr<std::string> key =
        Unescape(absl::string_view(s).substr(0, key_end), file, logical.line);
    if (!key.ok()) return key.status();
    if (!separated) {
      return LineError(file, logical.line,
                       absl::StrCat("key '", *key, "' has no value (expected key=value)"));
    }
    absl::StatusOr<std::string> value =
        Unescape(absl::string_view(s).substr(value_start), file, logical.line);
    if (!value.ok()) return value.status();
    auto [it, inserted] = first_line.emplace(*key, logical.line);
    if (!inserted) {
      return LineError(
          file, logical.line,
          absl::StrCat("duplicate key '", *key, "' (first set at line ", it->second, ")"));
    }
    properties.push_back({*std::move(key), *std::move(value), Origin::File(file, logical.line)});
  }
  return properties;
}

absl::StatusOr<std::vector<Property>> ReadPropertiesFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) {
      return absl::NotFoundError(absl::StrCat("config file ", path, ": no such file"));
    }
    return absl::InvalidArgumentError(
        absl::StrCat("config file ", path, ": cannot open: ", std::strerror(err)));
  }
  std::string text;
  char buffer[8192];
  while (true) {
    const ssize_t n = read(fd, buffer, sizeof(buffer));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      close(fd);
      return absl::InvalidArgumentError(
          absl::StrCat("config file ", path, ": cannot read: ", std::strerror(err)));
    }
    if (n == 0) break;
    text.append(buffer, static_cast<size_t>(n));
  }
  close(fd);
  return ParseProperties(text, path);
}

}  // namespace karst::config
