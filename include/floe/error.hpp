// Errors the public API throws for misuse and bad descriptions. Wire input never throws.
#pragma once

#include <cstddef>
#include <stdexcept>
#include <string>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

class Error : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// An argument is out of range or malformed (W3C: TypeError / RangeError / SyntaxError).
class InvalidArgumentError : public Error {
  public:
    using Error::Error;
};

// The call is not allowed in the object's current state (W3C: InvalidStateError).
class InvalidStateError : public Error {
  public:
    using Error::Error;
};

// A description or a candidate that cannot be applied (W3C: InvalidAccessError / OperationError).
class OperationError : public Error {
  public:
    using Error::Error;
};

}  // namespace floe

#pragma GCC visibility pop
