// CSV and TSV with a header row, parsed by libcsv (Debian's libcsv3) in strict mode: RFC 4180
// quoting, LF, CRLF or lone-CR line ends. Pieces from LabeledInput never cross a line end, so
// libcsv ends at most one row per piece, at its end, and each row's line is known.
#include <csv.h>

#include <exception>
#include <string>
#include <vector>

#include "host/data/labeled_input.h"
#include "kernels/common/error.h"

namespace senti::data::labeled {
namespace {

// A header wider than this is not a table of texts; it also bounds what a header row of empty
// names ("",,,,...) could make us store.
constexpr size_t kMaxColumns = size_t{1} << 16;
// libcsv grows its field buffer by this much at a time (its default, 128 bytes, would mean a
// realloc every 128 bytes of a long review).
constexpr size_t kFieldBlock = size_t{1} << 16;

// libcsv trims spaces and tabs around unquoted fields unless told what a space is; pandas,
// Python's csv module and GLUE keep them (and in a TSV the tab is the delimiter, never padding).
int no_space(unsigned char) { return 0; }

// What libcsv's callbacks collect for the row in progress. They run inside libcsv's C code, so
// they never throw: an exception is kept and rethrown once csv_parse has returned.
struct RowState {
  std::vector<std::string> fields;  // fields[0..n) are the row's (later entries are stale)
  size_t n = 0;
  size_t max_fields = kMaxColumns;  // fields past this are counted, not kept
  bool row_done = false;
  std::exception_ptr error;
};

void on_field(void* data, size_t len, void* user) {
  auto* st = static_cast<RowState*>(user);
  try {
    if (st->n < st->max_fields) {
      if (st->n == st->fields.size()) st->fields.emplace_back();
      st->fields[st->n].assign(static_cast<const char*>(data), len);
    }
    ++st->n;
  } catch (...) {
    st->error = std::current_exception();
  }
}

void on_row(int, void* user) { static_cast<RowState*>(user)->row_done = true; }

class CsvParser {
 public:
  explicit CsvParser(char delim) {
    // CSV is RFC 4180, strictly: a stray quote is an error. TSV (GLUE, IANA) has no quoting rule of
    // its own and its sentences hold bare quotes (`"the film" is ...` in the middle of a field):
    // a quote inside an unquoted field is a character there, as pandas' read_csv(sep="\t") reads it;
    // a field that starts with a quote is still a quoted field.
    const unsigned char strict = delim == '\t' ? 0 : CSV_STRICT;
    SENTI_CHECK(csv_init(&p_, strict | CSV_STRICT_FINI) == 0, "csv_init failed");
    csv_set_delim(&p_, static_cast<unsigned char>(delim));
    csv_set_space_func(&p_, no_space);
    csv_set_blk_size(&p_, kFieldBlock);
  }
  ~CsvParser() { csv_free(&p_); }
  CsvParser(const CsvParser&) = delete;
  CsvParser& operator=(const CsvParser&) = delete;
  csv_parser* get() { return &p_; }

 private:
  csv_parser p_{};
};

std::string shown_byte(unsigned char c) {
  if (c >= 0x20 && c < 0x7f) return std::string("'") + static_cast<char>(c) + "'";
  if (c == '\t') return "a tab";
  return "a byte " + std::to_string(c);
}

// Which header columns hold the text and the label.
struct Columns {
  std::vector<size_t> text;
  size_t label = SIZE_MAX;  // SIZE_MAX: no label column (only when labels are not required)
};

Columns resolve(const LabeledInput& in, int64_t line, const std::vector<std::string>& header,
                const ColumnOptions& cols) {
  auto find = [&](const std::string& name) {
    size_t at = SIZE_MAX;
    for (size_t k = 0; k < header.size(); ++k) {
      if (header[k] != name) continue;
      if (at != SIZE_MAX)
        SENTI_FAIL(in.where(line), "column \"", name, "\" appears twice in the header (columns ",
                   at + 1, " and ", k + 1, "); expected each column named once");
      at = k;
    }
    return at;
  };
  Columns c;
  std::vector<std::string> text_names = cols.text_columns;
  if (text_names.empty()) {
    const size_t t = find("text");
    const size_t s = t == SIZE_MAX ? find("sentence") : SIZE_MAX;
    if (t == SIZE_MAX && s == SIZE_MAX)
      SENTI_FAIL(in.where(line), "the header has no \"text\" or \"sentence\" column (its columns: ",
                 quoted_list(header), "); expected one of them, or --text-column naming the text column(s)");
    c.text.push_back(t != SIZE_MAX ? t : s);
  } else {
    for (const std::string& name : text_names) {
      const size_t k = find(name);
      if (k == SIZE_MAX)
        SENTI_FAIL(in.where(line), "the header has no text column \"", name, "\" (its columns: ",
                   quoted_list(header), "); expected --text-column to name columns of the header");
      c.text.push_back(k);
    }
  }
  const std::string label = cols.label_column.empty() ? "label" : cols.label_column;
  c.label = find(label);
  if (c.label == SIZE_MAX && cols.labels_required)
    SENTI_FAIL(in.where(line), "the header has no label column \"", label, "\" (its columns: ",
               quoted_list(header), "); expected --label-column to name the column of the labels");
  return c;
}

}  // namespace

void read_delimited(LabeledInput& in, char delim, const ColumnOptions& cols,
                    const std::function<void(const LabeledRecord&)>& on_record) {
  const char* delim_name = delim == '\t' ? "tab" : "comma";
  CsvParser parser(delim);
  csv_parser* p = parser.get();
  RowState st;
  std::vector<std::string> header;
  int64_t header_line = 0;
  Columns columns;
  int64_t row_line = 0;  // where the row in progress started; 0: between rows
  uint64_t row_bytes = 0;
  int64_t records = 0;
  std::string text;
  std::vector<std::string> labels;

  auto finish_row = [&] {
    st.row_done = false;
    const size_t n = st.n;
    const int64_t line = row_line;
    st.n = 0;
    row_line = 0;
    if (header_line == 0) {
      if (n > kMaxColumns)
        SENTI_FAIL(in.where(line), "a header of ", n, " columns, more than the ", kMaxColumns,
                   " a table of texts may have; expected a header row naming the columns");
      header.assign(st.fields.begin(), st.fields.begin() + static_cast<std::ptrdiff_t>(n));
      header_line = line;
      columns = resolve(in, line, header, cols);
      st.max_fields = header.size();
      return;
    }
    if (n != header.size())
      SENTI_FAIL(in.where(line), n, n == 1 ? " field" : " fields", ", but the header (line ",
                 header_line, ") has ", header.size(), " columns; expected one field per column ",
                 "(a field that holds a ", delim_name, ", a quote or a line end is quoted as a whole)");
    text.clear();
    for (size_t k = 0; k < columns.text.size(); ++k) {
      if (k > 0) text += '\n';
      text += st.fields[columns.text[k]];
    }
    labels.clear();
    if (columns.label != SIZE_MAX && !st.fields[columns.label].empty())
      labels.push_back(st.fields[columns.label]);
    if (labels.empty() && cols.labels_required)
      SENTI_FAIL(in.where(line), "an empty label (column \"", header[columns.label],
                 "\"); expected every row to have a label");
    ++records;
    on_record(LabeledRecord{text, &labels, line, in.fraction()});
  };

  while (true) {
    const std::string_view piece = in.next_piece();
    if (piece.empty()) break;
    const size_t end = line_end_size(piece);
    if (row_line == 0) {
      if (piece.size() == end) continue;  // a blank line between rows: libcsv skips it too
      row_line = in.line();
      row_bytes = 0;
    }
    // The line ends inside the row count (a quoted field of nothing but line ends must not grow
    // without bound); the one that may end it does not.
    if (row_bytes + piece.size() - end > in.record_cap())
      SENTI_FAIL(in.where(row_line), "the row starting here has more than ", in.record_cap(),
                 " bytes, the most one record may have; expected one text per row (a quote ",
                 "that is never closed makes the rest of the file one field)");
    row_bytes += piece.size();
    const size_t done = csv_parse(p, piece.data(), piece.size(), on_field, on_row, &st);
    if (st.error) std::rethrow_exception(st.error);
    if (done < piece.size()) {
      const int err = csv_error(p);
      if (err != CSV_EPARSE) SENTI_FAIL(in.where(in.line()), "cannot parse: ", csv_strerror(err));
      // libcsv stops at the offending byte: a quote inside a field that did not start with one,
      // or something other than a delimiter or line end after a closing quote.
      const auto c = static_cast<unsigned char>(piece[done]);
      SENTI_FAIL(in.where(in.line(), in.column() + static_cast<int64_t>(done)),
                 c == '"' ? std::string("a '\"' inside a field that does not start with one")
                          : shown_byte(c) + " after the closing '\"' of a quoted field",
                 "; expected RFC 4180 quoting: a field that holds a quote, a ", delim_name,
                 " or a line end is quoted as a whole, with its quotes doubled (\"say \"\"hi\"\"\")");
    }
    if (st.row_done) finish_row();
  }
  // The last row may lack a line end; a quote still open here never closed.
  if (csv_fini(p, on_field, on_row, &st) != 0)
    SENTI_FAIL(in.where(row_line), "a quoted field of the row starting here has no closing '\"' ",
               "by the end of the file; expected every field that opens with '\"' to close with ",
               "one (a '\"' inside it is written twice: \"\")");
  if (st.error) std::rethrow_exception(st.error);
  if (st.row_done) finish_row();
  if (header_line == 0)
    SENTI_FAIL(in.where(1), "an empty file; expected a header row naming the columns (e.g. ",
               delim == '\t' ? "sentence<TAB>label" : "text,label", ") and one row per record");
  if (records == 0)
    SENTI_FAIL(in.where(header_line), "a header and no rows; expected one row per record after ",
               "the header");
}

}  // namespace senti::data::labeled
