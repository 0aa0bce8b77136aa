// Text that came from a user, made safe to store and to show.
//
// Names, labels and arch strings end up in file names, SQLite rows, JSON and one-line error
// messages. JSON and the report need valid UTF-8; an error message must stay one line even when
// the input held a newline. These helpers are the one place that decides both.
#pragma once

#include <string>
#include <string_view>

namespace nas {

/// True if `text` is well-formed UTF-8 (no overlong forms, surrogates or code points > U+10FFFF).
bool is_valid_utf8(std::string_view text);

/// `text` in single quotes with control characters, backslashes, quotes and invalid UTF-8 escaped
/// ('a\nb', 'x\xff'), so a message that quotes user input is always one printable line.
std::string quoted(std::string_view text);

/// `text` with every control character (newline, carriage return, tab, ...) escaped as \n, \r,
/// \t or \xNN, so it prints as one line; valid UTF-8 is kept, invalid bytes are escaped.
std::string one_line(std::string_view text);

/// The characters a name may use where it becomes part of a file name (searcher names, experiment
/// labels): letters, digits, '.', '_', '-' and '+', 1 to kMaxNameLength of them, not starting
/// with '.' or '-' (so never "..", a hidden file or an option).
inline constexpr std::size_t kMaxNameLength = 64;
bool is_safe_name(std::string_view name);
/// What is_safe_name accepts, in words (for error messages).
std::string_view safe_name_rule();

}  // namespace nas
