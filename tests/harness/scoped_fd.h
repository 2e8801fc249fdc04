// ScopedFd owns a POSIX file descriptor and closes it on destruction. Used by the harness's
// socket and process helpers. Not thread-safe; move-only.
#ifndef KARST_TESTS_HARNESS_SCOPED_FD_H_
#define KARST_TESTS_HARNESS_SCOPED_FD_H_

#include <unistd.h>

#include <utility>

namespace karst::testing {

class ScopedFd {
 public:
  ScopedFd() = default;
  // Takes ownership of `fd` (-1 means empty).
  explicit ScopedFd(int fd) : fd_(fd) {}
  ScopedFd(ScopedFd&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}
  ScopedFd& operator=(ScopedFd&& other) noexcept {
    if (this != &other) Reset(std::exchange(other.fd_, -1));
    return *this;
  }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ~ScopedFd() { Reset(-1); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  // Closes the owned descriptor (if any) and takes ownership of `fd`.
  void Reset(int fd) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

}  // namespace karst::testing

#endif  // KARST_TESTS_HARNESS_SCOPED_FD_H_
