#pragma once
// checker's one way for a function to say it failed (docs/architecture.md,
// "Errors"): it returns Result<T>, the value or an Error whose text names
// what failed and where ("open(/var/lib/checker): Permission denied",
// "settings.cfg:12: [web] url: ..."). Result<> is for a step with no value.
// Exceptions stay where a library throws by design and the caller cannot
// go on: LMDB (StateError) and decoding a message (ipc::FrameError).
//
//   Result<int> parsePort(std::string_view text);
//   Result<int> port = parsePort(text);
//   if (!port) return Error{"[peers] " + port.error()};
//   use(*port);
#include <cassert>
#include <optional>
#include <string>
#include <utility>

namespace checker {

struct Error {
  std::string message;
};

template <typename T = void>
class [[nodiscard]] Result {
 public:
  // (HELD, not value: GCC -Wshadow flags a parameter of function-pointer
  // type named as the member function value().)
  Result(T held) : value_(std::move(held)) {}  // NOLINT: implicit, so `return value;` reads plainly
  Result(Error error) : error_(std::move(error.message)) {}  // NOLINT

  bool ok() const { return value_.has_value(); }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return *value_;
  }
  const T& value() const& {
    assert(ok());
    return *value_;
  }
  T&& value() && {
    assert(ok());
    return std::move(*value_);
  }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  // What failed; empty when ok().
  const std::string& error() const { return error_; }

 private:
  std::optional<T> value_;
  std::string error_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : failed_(true), error_(std::move(error.message)) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const std::string& error() const { return error_; }

 private:
  bool failed_ = false;
  std::string error_;
};

}  // namespace checker
