#pragma once
// Where the CLI meets the library's validation. The library owns each rule and names the setting it
// refused (senti::InvalidSetting: "lr", "batch_size", "maxlen", ...); the CLI only says which flag
// that setting comes from, so no rule is checked twice.
#include <cstdint>
#include <limits>
#include <string>
#include <type_traits>

#include <CLI/CLI.hpp>

namespace senti::cli {

// "--lr" for "lr", "--batch" for "batch_size", ...; the setting itself when no flag sets it.
std::string flag_for_setting(const std::string& setting);

// For path flags: an empty value ("") is refused instead of silently meaning "not given".
CLI::Validator non_empty_path();

// The value of an integer flag: plain decimal digits (with "-" where lo < 0) within lo..hi.
// CLI11 alone reads "0x10" as 16 and "010" as 8 (strtoll base 0), wraps "-1" to 2^64-1 in an
// unsigned flag and takes "18446744073709551616" as 2^64-1 (strtoull saturates). This refuses
// those with "expected an integer in LO..HI, got '...'" and hands CLI11 the plain decimal digits.
CLI::Validator integer_in(int64_t lo, uint64_t hi);

// Every integer flag is added through this, so that each refuses garbage and out-of-range values
// the same way; the library's own rules (--epochs >= 1, ...) still come after it.
template <typename T>
CLI::Option* add_integer_option(CLI::App* cmd, const std::string& name, T& value,
                                const std::string& help) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>, "an integer flag");
  static_assert(sizeof(T) <= sizeof(int64_t), "at most 64 bits");
  return cmd->add_option(name, value, help)  // transform, not check: it rewrites "010" as "10"
      ->transform(integer_in(static_cast<int64_t>(std::numeric_limits<T>::min()),
                         static_cast<uint64_t>(std::numeric_limits<T>::max())));
}

// Throws std::logic_error naming any integer option of `app`'s subcommands that was added without
// add_integer_option (main() calls it, so a new flag cannot skip the checks unnoticed).
void require_integer_checks(CLI::App& app);

}  // namespace senti::cli
