// Format names, the line formats (JSON Lines, fastText) and the entry point; CSV/TSV are in
// labeled_csv.cpp, the byte layer every format reads through in labeled_input.cpp.
#include "host/data/labeled_files.h"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cctype>

#include "host/data/labeled_input.h"
#include "kernels/common/error.h"

namespace senti::data {
namespace labeled {
namespace {

constexpr std::string_view kLabelPrefix = "__label__";
// Deeper JSON than a text or a label array needs is refused before parsing: each level costs
// nlohmann a node, so a line of 16 MiB of '[' would cost gigabytes.
constexpr int kMaxJsonDepth = 32;

// The 1-based column of the bracket that nests past kMaxJsonDepth; 0 when none does.
size_t too_deep(const std::string& line) {
  int depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (in_string) {
      if (c == '\\') ++i;
      else if (c == '"') in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return i + 1;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return 0;
}

// A JSON value for a message: its text, cut short (a label or text may be a whole review).
std::string shown(const nlohmann::json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string keys_of(const nlohmann::json& obj) {
  std::vector<std::string> keys;
  for (auto it = obj.begin(); it != obj.end(); ++it) keys.push_back(it.key());
  return keys.empty() ? "none" : quoted_list(keys);
}

// nlohmann's message without its "[json.exception.parse_error.101] parse error at line 1,
// column 9: " head: the line and column are ours.
std::string json_reason(const nlohmann::json::parse_error& e) {
  const std::string w = e.what();
  const size_t col = w.find("column ");
  const size_t k = col == std::string::npos ? col : w.find(": ", col);
  return k == std::string::npos ? w : w.substr(k + 2);
}

// One label value into *labels: a string (an empty one is no label), an integer as its decimal
// text; an array of those is several labels (multi-label).
void add_labels(const LabeledInput& in, int64_t line, const std::string& key, const nlohmann::json& v,
                bool in_array, std::vector<std::string>* labels) {
  if (v.is_string()) {
    if (!v.get_ref<const std::string&>().empty()) labels->push_back(v.get<std::string>());
  } else if (v.is_number_integer()) {  // signed or unsigned, never a fraction
    labels->push_back(v.dump());
  } else if (v.is_array() && !in_array) {
    for (const nlohmann::json& e : v) add_labels(in, line, key, e, true, labels);
  } else {
    const std::string found =
        v.is_null()           ? std::string("null")
        : v.is_number_float() ? "the number " + shown(v) + " (not an integer)"
                              : std::string("the JSON ") + v.type_name() + " " + shown(v);
    SENTI_FAIL(in.where(line), in_array ? "an element of the label array (key \"" : "the label (key \"",
               key, "\") is ", found, "; expected a string", in_array ? " or an integer" : ", an integer "
               "or an array of those");
  }
}

bool is_fasttext_space(char c) { return c == ' ' || c == '\t' || c == '\v' || c == '\f'; }

}  // namespace

void read_json_lines(LabeledInput& in, const ColumnOptions& cols,
                     const std::function<void(const LabeledRecord&)>& on_record) {
  std::vector<std::string> text_keys = cols.text_columns;
  const std::string label_key = cols.label_column.empty() ? "label" : cols.label_column;
  std::string line, text;
  std::vector<std::string> labels;
  int64_t line_no = 0, records = 0;
  while (in.next_line(&line, &line_no)) {
    if (line.find_first_not_of(" \t") == std::string::npos) continue;  // blank lines are no records
    if (const size_t col = too_deep(line))
      SENTI_FAIL(in.where(line_no, static_cast<int64_t>(col)), "JSON nested more than ", kMaxJsonDepth,
                 " levels deep; expected one object of text and label values a line");
    nlohmann::json obj;
    try {
      obj = nlohmann::json::parse(line);
    } catch (const nlohmann::json::parse_error& e) {
      SENTI_FAIL(in.where(line_no, static_cast<int64_t>(std::max<size_t>(e.byte, 1))),
                 "invalid JSON (each line must be one JSON object): ", json_reason(e));
    }
    if (!obj.is_object())
      SENTI_FAIL(in.where(line_no), "a JSON ", obj.type_name(), ", not an object; expected one "
                 "JSON object a line, e.g. {\"text\": \"a fine film\", \"label\": \"pos\"}");
    // The default text key is chosen on the first record and then holds for every line.
    if (text_keys.empty()) {
      if (!obj.contains("text") && !obj.contains("sentence"))
        SENTI_FAIL(in.where(line_no), "no key \"text\" or \"sentence\" (the object's keys: ",
                   keys_of(obj), "); expected one of them, or --text-column naming the text key(s)");
      text_keys.push_back(obj.contains("text") ? "text" : "sentence");
    }
    text.clear();
    for (size_t k = 0; k < text_keys.size(); ++k) {
      const auto it = obj.find(text_keys[k]);
      if (it == obj.end())
        SENTI_FAIL(in.where(line_no), "no text key \"", text_keys[k], "\" (the object's keys: ",
                   keys_of(obj), "); expected every line to have it");
      if (!it->is_string())
        SENTI_FAIL(in.where(line_no), "the text (key \"", text_keys[k], "\") is the JSON ",
                   it->type_name(), " ", shown(*it), "; expected a string");
      const std::string& value = it->get_ref<const std::string&>();
      // The bytes were checked for NULs; an escaped one (\u0000) is no more text than they are.
      if (value.find('\0') != std::string::npos)
        SENTI_FAIL(in.where(line_no), "the text (key \"", text_keys[k], "\") holds a NUL character "
                   "(\\u0000); expected text");
      if (k > 0) text += '\n';
      text += value;
    }
    labels.clear();
    const auto lit = obj.find(label_key);
    if (lit != obj.end()) add_labels(in, line_no, label_key, *lit, false, &labels);
    if (labels.empty() && cols.labels_required)
      SENTI_FAIL(in.where(line_no), lit == obj.end() ? "no label key \"" : "an empty label (key \"",
                 label_key, lit == obj.end() ? "\" (the object's keys: " + keys_of(obj) + ")" : "\")",
                 "; expected every line to have a label (--label-column names its key)");
    ++records;
    on_record(LabeledRecord{text, &labels, line_no, in.fraction()});
  }
  if (records == 0)
    SENTI_FAIL(in.where(1), "no records (an empty file); expected one JSON object a line");
}

void read_fasttext(LabeledInput& in, const ColumnOptions& cols,
                   const std::function<void(const LabeledRecord&)>& on_record) {
  struct Span {
    size_t begin, end;
  };
  std::string line, text;
  std::vector<std::string> labels;
  std::vector<Span> words;
  int64_t line_no = 0, records = 0;
  while (in.next_line(&line, &line_no)) {
    labels.clear();
    words.clear();
    bool label_inside = false;  // a label token between two text tokens
    size_t pending_label = 0;   // label tokens since the last text token
    for (size_t i = 0; i < line.size();) {
      if (is_fasttext_space(line[i])) {
        ++i;
        continue;
      }
      size_t j = i;
      while (j < line.size() && !is_fasttext_space(line[j])) ++j;
      const std::string_view tok(line.data() + i, j - i);
      if (tok.substr(0, kLabelPrefix.size()) == kLabelPrefix) {
        if (tok.size() == kLabelPrefix.size())
          SENTI_FAIL(in.where(line_no, static_cast<int64_t>(i) + 1), "a \"__label__\" token without a "
                     "name; expected __label__<name>, e.g. __label__positive");
        labels.emplace_back(tok.substr(kLabelPrefix.size()));
        ++pending_label;
      } else {
        if (pending_label > 0 && !words.empty()) label_inside = true;
        pending_label = 0;
        words.push_back({i, j});
      }
      i = j;
    }
    if (labels.empty() && words.empty()) continue;  // an empty line is no record
    if (labels.empty() && cols.labels_required)
      SENTI_FAIL(in.where(line_no), "no __label__ token; expected fastText lines: one or more "
                 "__label__<name> tokens and the text, e.g. \"__label__positive a fine film\"");
    // The text as written between its first and last word; only where labels stand between
    // words are the words joined by single spaces.
    text.clear();
    if (!words.empty() && !label_inside) {
      text.assign(line, words.front().begin, words.back().end - words.front().begin);
    } else {
      for (const Span& w : words) {
        if (!text.empty()) text += ' ';
        text.append(line, w.begin, w.end - w.begin);
      }
    }
    ++records;
    on_record(LabeledRecord{text, &labels, line_no, in.fraction()});
  }
  if (records == 0)
    SENTI_FAIL(in.where(1), "no records (an empty file); expected fastText lines: "
               "__label__<name> followed by the text");
}

}  // namespace labeled

const char* format_name(FileFormat f) {
  switch (f) {
    case FileFormat::Csv: return "csv";
    case FileFormat::Tsv: return "tsv";
    case FileFormat::JsonLines: return "jsonl";
    case FileFormat::FastText: return "fasttext";
  }
  return "?";
}

bool parse_format_name(std::string_view name, FileFormat* out) {
  for (FileFormat f : {FileFormat::Csv, FileFormat::Tsv, FileFormat::JsonLines, FileFormat::FastText}) {
    if (name == format_name(f)) {
      *out = f;
      return true;
    }
  }
  return false;
}

bool format_from_file_name(const std::string& path, FileFormat* out) {
  std::string name = path.substr(path.find_last_of('/') + 1);  // npos + 1 == 0: no folder
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  auto ends_with = [&](std::string_view suffix) {
    return name.size() > suffix.size() &&
           name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0;
  };
  if (ends_with(".gz")) name.resize(name.size() - 3);
  static const struct {
    const char* ext;
    FileFormat format;
  } kExtensions[] = {{".csv", FileFormat::Csv},        {".tsv", FileFormat::Tsv},
                     {".jsonl", FileFormat::JsonLines}, {".ndjson", FileFormat::JsonLines},
                     {".json", FileFormat::JsonLines},  {".txt", FileFormat::FastText},
                     {".ft", FileFormat::FastText},     {".fasttext", FileFormat::FastText}};
  for (const auto& e : kExtensions) {
    if (ends_with(e.ext)) {
      *out = e.format;
      return true;
    }
  }
  return false;
}

void read_labeled_file(const std::string& path, FileFormat format, const ColumnOptions& cols,
                       const std::string& flag,
                       const std::function<void(const LabeledRecord&)>& on_record,
                       const ReadLimits& limits) {
  labeled::LabeledInput in(path, flag, limits);
  switch (format) {
    case FileFormat::Csv: return labeled::read_delimited(in, ',', cols, on_record);
    case FileFormat::Tsv: return labeled::read_delimited(in, '\t', cols, on_record);
    case FileFormat::JsonLines: return labeled::read_json_lines(in, cols, on_record);
    case FileFormat::FastText: return labeled::read_fasttext(in, cols, on_record);
  }
  SENTI_FAIL(flag, " ", path, ": unknown file format");
}

}  // namespace senti::data
