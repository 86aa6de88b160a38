// The one exception type of the native code. Its kind maps onto the JS error class thrown by the binding
// (TypeError, RangeError or Error); at kernel time it becomes the recorded failure of the op's outputs.
#pragma once
#include <stdexcept>
#include <string>

namespace ds {

enum class ErrorKind { Generic, Type, Range };

struct Error : std::runtime_error {
  ErrorKind kind;
  explicit Error(const std::string& msg, ErrorKind k = ErrorKind::Generic) : std::runtime_error(msg), kind(k) {}
};

[[noreturn]] inline void fail(const std::string& msg) { throw Error(msg); }
[[noreturn]] inline void fail_type(const std::string& msg) { throw Error(msg, ErrorKind::Type); }
[[noreturn]] inline void fail_range(const std::string& msg) { throw Error(msg, ErrorKind::Range); }

}  // namespace ds

// Kernel-side invariant: JS validated the call already, so a failure here means a bug upstream; it must
// surface as a rejected read, never as an out-of-bounds access.
#define DS_CHECK(cond, msg)                                       \
  do {                                                            \
    if (!(cond)) ::ds::fail(std::string("internal check failed: ") + (msg)); \
  } while (0)
