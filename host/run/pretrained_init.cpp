#include "host/run/pretrained_init.h"

#include <algorithm>
#include <initializer_list>

#include "kernels/common/error.h"

namespace senti {

void check_pretrained(const Checkpoint& pretrained, const std::string& path, const std::string& flag) {
  if (!pretrained.model.language_model())
    SENTI_FAIL(flag, " '", path, "' is a classifier (", head_name(pretrained.model.head),
               " head), not a language model: give a checkpoint written by `senti pretrain`");
}

void init_from_pretrained(Checkpoint* ckpt, const Checkpoint& pretrained, const std::string& path,
                          float lr_scale) {
  check_pretrained(pretrained, path, "--init");
  const ModelConfig& want = ckpt->model;
  const ModelConfig& have = pretrained.model;
  auto differ = [&](const char* what, long long here, long long there, const char* fix) {
    SENTI_FAIL("--init '", path, "': the pretrained model has ", what, " ", there, " but this run has ",
               here, "; ", fix);
  };
  if (ckpt->vocab.hash() != pretrained.vocab.hash() || want.vocab_size != have.vocab_size)
    SENTI_FAIL("--init '", path, "': this run's vocabulary (", ckpt->vocab.source, ", ",
               ckpt->vocab.num_words, " ids) is not the pretrained one (", pretrained.vocab.source, ", ",
               pretrained.vocab.num_words, " ids); the classifier must read the ids the model learned");
  if (ckpt->tokenizer != pretrained.tokenizer)
    SENTI_FAIL("--init '", path, "': the pretrained model was trained with --tokenizer ",
               text::tokenizer_name(pretrained.tokenizer), ", this run has ",
               text::tokenizer_name(ckpt->tokenizer));
  if (want.embed_dim != have.embed_dim)
    differ("--embed", want.embed_dim, have.embed_dim, "pass --embed to match it");
  if (want.hidden != have.hidden) differ("--hidden", want.hidden, have.hidden, "pass --hidden to match it");
  if (want.bidirectional != have.bidirectional)
    SENTI_FAIL("--init '", path, "': the pretrained model is ",
               have.bidirectional ? "bidirectional" : "unidirectional", " but this run is ",
               want.bidirectional ? "bidirectional" : "unidirectional", "; pass ",
               have.bidirectional ? "--bidirectional" : "--no-bidirectional");
  const ParamLayout to(want), from(have);
  std::initializer_list<ParamId> copied = {ParamId::Embedding, ParamId::Kernel, ParamId::RecurrentKernel,
                                           ParamId::Bias};
  std::vector<ParamId> ids(copied);
  if (want.bidirectional) ids.insert(ids.end(), {ParamId::KernelBack, ParamId::RecurrentKernelBack, ParamId::BiasBack});
  for (ParamId id : ids) {
    const TensorInfo& a = to[id];
    const TensorInfo& b = from[id];
    SENTI_CHECK(a.shape == b.shape, "--init: tensor ", a.name, " shapes differ after the checks");
    std::copy_n(pretrained.state.params.begin() + static_cast<std::ptrdiff_t>(b.offset), b.size,
                ckpt->state.params.begin() + static_cast<std::ptrdiff_t>(a.offset));
    ckpt->optimizer.lr_scale[static_cast<int>(id)] = lr_scale;
  }
}

}  // namespace senti
