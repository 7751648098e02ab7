#pragma once
// Where the CLI meets the library's validation. The library owns each rule and names the setting it
// refused (senti::InvalidSetting: "lr", "batch_size", "maxlen", ...); the CLI only says which flag
// that setting comes from, so no rule is checked twice.
#include <string>

#include <CLI/CLI.hpp>

namespace senti::cli {

// "--lr" for "lr", "--batch" for "batch_size", ...; the setting itself when no flag sets it.
std::string flag_for_setting(const std::string& setting);

// For path flags: an empty value ("") is refused instead of silently meaning "not given".
CLI::Validator non_empty_path();

// For integer flags stored unsigned (--seed): "-1" is refused instead of wrapping to 2^64-1.
CLI::Validator non_negative_integer();

}  // namespace senti::cli
