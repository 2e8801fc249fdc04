// RETURN_IF_ERROR and ASSIGN_OR_RETURN, which Debian's Abseil 20220623 does not ship, and
// Annotate() for adding context to a status at a module boundary.
#ifndef KARST_COMMON_STATUS_MACROS_H_
#define KARST_COMMON_STATUS_MACROS_H_

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace karst {
namespace status_internal {

inline const absl::Status& AsStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& AsStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

}  // namespace status_internal

// Returns `status` with "context: " put before its message; the code is kept. OK stays OK.
absl::Status Annotate(const absl::Status& status, absl::string_view context);

}  // namespace karst

#define KARST_STATUS_CONCAT_INNER(a, b) a##b
#define KARST_STATUS_CONCAT(a, b) KARST_STATUS_CONCAT_INNER(a, b)

// Evaluates `expr` (an absl::Status or absl::StatusOr<T>) once; returns its status if not OK.
#define RETURN_IF_ERROR(expr)                                           \
  do {                                                                  \
    if (auto&& karst_status_value = (expr);                             \
        !::karst::status_internal::AsStatus(karst_status_value).ok()) { \
      return ::karst::status_internal::AsStatus(karst_status_value);    \
    }                                                                   \
  } while (false)

// `ASSIGN_OR_RETURN(auto x, Foo());` evaluates Foo() once; on error returns its status,
// otherwise moves the value into the declaration or lvalue on the left.
#define ASSIGN_OR_RETURN(lhs, expr) \
  KARST_ASSIGN_OR_RETURN_IMPL(KARST_STATUS_CONCAT(karst_status_or_, __LINE__), lhs, expr)

#define KARST_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                \
  if (!statusor.ok()) {                                  \
    return std::move(statusor).status();                 \
  }                                                      \
  lhs = std::move(statusor).value()

#endif  // KARST_COMMON_STATUS_MACROS_H_
