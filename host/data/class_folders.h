#pragma once
// One folder per class, the layout of Keras's text_dataset_from_directory and scikit-learn's
// load_files, in a folder or a .tar.gz / .tar (streamed through libarchive, never extracted):
//   DIR/<class>/*.txt                                   one split (a test split is held out)
//   DIR/train/<class>/*.txt + DIR/test/<class>/*.txt    train and test
// Every .txt file is one document of the class its folder names; other files (README, *.vocab)
// and hidden files are ignored, and so is a class folder named "unsup" (aclImdb's unlabeled
// reviews are not a class). Documents come class by class, classes and files sorted by name (a
// folder) or in archive order (an archive). Texts must be UTF-8 (a BOM is dropped).
#include <cstdint>
#include <functional>
#include <string>

#include "host/data/aclimdb_reader.h"
#include "host/data/corpus_source.h"

namespace senti::data {

// True when `path` (a folder or an archive) holds the aclImdb layout: {train,test}/{pos,neg}
// folders of <id>_<rating>.txt reviews. For an archive only its first entries are looked at
// (up to the first review file), so this is cheap.
bool looks_like_aclimdb(const std::string& path);

// Reads the class folders of `path` (`flag` names it in messages). *has_test_part is set to
// whether the data has train/ and test/ folders. Throws UsageError naming the folder or entry on
// malformed input: no class folders, a class folder without documents, a test class that training
// never saw, text that is not UTF-8, a document over the limits.
void read_class_folders(const std::string& path, const std::string& flag,
                        const std::function<void(const Document&)>& on_document, bool* has_test_part,
                        const ReadLimits& limits = {});

// Cheap identity of a file or folder tree: absolute path, and every file's relative name, size and
// modification time (a folder) or the file's own (a file). Changes when a file is added, removed
// or rewritten.
uint64_t tree_fingerprint(const std::string& path, const std::string& flag);

}  // namespace senti::data
