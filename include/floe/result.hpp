// Result<T, E>: a value or an error, for code that must not throw (wire parsers).
// A small stand-in for C++23's std::expected, which this toolchain's C++20 mode lacks.
#pragma once

#include <cassert>
#include <type_traits>
#include <utility>
#include <variant>

// Public API: exported from libfloe.so, which hides everything else (cmake/install.cmake).
#pragma GCC visibility push(default)

namespace floe {

template <class E>
struct Failure {
    E error;
};

// `return fail(Reason::bad_length);` reads better than spelling the Result type again.
template <class E>
Failure<std::decay_t<E>> fail(E&& error) {
    return {std::forward<E>(error)};
}

template <class T, class E>
class [[nodiscard]] Result {
  public:
    Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}
    // Builds the value in place (no move of a large T, e.g. a decoded message).
    template <class... Args>
    explicit Result(std::in_place_t, Args&&... args)
        : state_(std::in_place_index<0>, std::forward<Args>(args)...) {}
    template <class F>
    Result(Failure<F> failure) : state_(std::in_place_index<1>, E(std::move(failure.error))) {}

    bool ok() const { return state_.index() == 0; }
    explicit operator bool() const { return ok(); }

    T& value() & {
        assert(ok());
        return *std::get_if<0>(&state_);
    }
    const T& value() const& {
        assert(ok());
        return *std::get_if<0>(&state_);
    }
    T&& value() && {
        assert(ok());
        return std::move(*std::get_if<0>(&state_));
    }
    const E& error() const {
        assert(!ok());
        return *std::get_if<1>(&state_);
    }

    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }

  private:
    std::variant<T, E> state_;
};

// For operations that yield nothing but may fail.
struct Ok {};

}  // namespace floe

#pragma GCC visibility pop
