// Karst's version, reported by `karstd --version` and the karst_build_info metric.
#ifndef KARST_COMMON_VERSION_H_
#define KARST_COMMON_VERSION_H_

namespace karst {

inline constexpr char kVersion[] = "0.1.0";

}  // namespace karst

#endif  // KARST_COMMON_VERSION_H_
