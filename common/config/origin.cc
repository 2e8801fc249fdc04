#include "common/config/origin.h"

#include "absl/strings/str_cat.h"

namespace karst::config {

std::string Origin::ToString() const {
  switch (kind) {
    case Kind::kDefault:
      return "default";
    case Kind::kFile:
      return absl::StrCat(name, ":", line);
    case Kind::kEnvironment:
      return absl::StrCat("environment variable ", name);
    case Kind::kFlag:
      return absl::StrCat("flag ", name);
  }
  return "unknown origin";
}

}  // namespace karst::config
