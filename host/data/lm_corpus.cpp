#include "host/data/lm_corpus.h"

#include "kernels/common/error.h"

namespace senti::data {

Corpus language_model_corpus(const Corpus& corpus) {
  Corpus lm;
  lm.vocab = corpus.vocab;
  lm.classes = {};
  lm.movie_ids = false;  // a validation split of text by review: there are no classes to balance
  lm.source = corpus.source;
  Split& out = lm.train;
  const size_t docs = corpus.train.size() + corpus.unlabeled.size();
  if (docs == 0) SENTI_FAIL("pretrain: the data has no training or unlabeled text to learn from");
  out.offsets.reserve(docs + 1);
  out.offsets.push_back(0);
  out.tokens.reserve(corpus.train.tokens.size() + corpus.unlabeled.tokens.size());
  out.labels.reserve(docs);
  out.review_ids.reserve(docs);
  out.ratings.reserve(docs);
  for (const Split* s : {&corpus.train, &corpus.unlabeled})
    for (size_t r = 0; r < s->size(); ++r) {
      for (uint64_t i = s->offsets[r]; i < s->offsets[r + 1]; ++i) out.tokens.push_back(s->tokens[i]);
      out.offsets.push_back(out.tokens.size());
      out.labels.push_back(0);
      out.review_ids.push_back(static_cast<int32_t>(out.labels.size() - 1));
      out.ratings.push_back(0);
    }
  return lm;
}

}  // namespace senti::data
