// `senti train`: the seed recipe (or any variation of it) on cpu or cuda, with checkpoints,
// metrics, resume and a final test evaluation.
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <tuple>

#include "engine/atomic_file.h"
#include "engine/collective/collective.h"
#include "host/run/checkpoint.h"
#include "host/run/pretrained_init.h"
#include "host/data/lm_corpus.h"
#include "host/run/run_lock.h"
#include "host/run/class_weights.h"
#include "host/data/class_order.h"
#include "kernels/common/error.h"
#include "engine/init.h"
#include "engine/optimizer.h"
#include "host/run/trainer.h"
#include "host/cli/commands.h"
#include "host/cli/train_flags.h"
#include "host/cli/data_flags.h"
#include "host/data/corpus_source.h"
#include "host/cli/device_flags.h"
#include "host/cli/flag_names.h"
#include "host/tensorboard/training_log.h"
#include "host/text/tokenizers.h"

namespace senti::cli {
namespace {

namespace fs = std::filesystem;


std::pair<int64_t, int64_t> parse_profile_steps(const std::string& s) {
  if (s.empty()) return {-1, -1};
  const auto colon = s.find(':');
  try {
    if (colon != std::string::npos) {
      size_t used_a = 0, used_b = 0;
      const long long a = std::stoll(s.substr(0, colon), &used_a);
      const long long b = std::stoll(s.substr(colon + 1), &used_b);
      if (used_a == colon && used_b == s.size() - colon - 1 && a >= 0 && b >= a) return {a, b};
    }
  } catch (const std::exception&) {
  }
  SENTI_FAIL("--profile-steps: expected A:B with 0 <= A <= B (global step numbers), got '", s, "'");
}

std::string default_out_dir() {
  char stamp[32];
  const std::time_t now = std::time(nullptr);
  std::strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", std::localtime(&now));
  return std::string("runs/train-") + stamp;
}

// The flags a resumed run must share with the run that wrote the checkpoint.
nlohmann::json resume_key(const TrainFlags& f) {
  return {{"batch", f.train.batch_size},   {"validation_split", f.train.validation_split},
          {"limit", f.train.limit},        {"seed", f.train.seed},
          {"embed", f.model.embed_dim},    {"hidden", f.model.hidden},
          {"num_words", f.data.num_words}, {"maxlen", f.data.maxlen},
          {"padding", f.data.padding},     {"truncating", f.data.truncating},
          {"lr", f.optimizer.adam.lr},     {"clipnorm", f.optimizer.clipnorm},
          {"global_clipnorm", f.optimizer.global_clipnorm},
          {"embedding_clip_norm", embedding_clip_norm_name(f.optimizer.embedding_clip_norm)},
          {"mask", f.model.mask},          {"bidirectional", f.model.bidirectional},
          {"pool", pool_name(f.model.pool)}, {"dropout", f.model.dropout},
          {"spatial_dropout", f.model.spatial_dropout}, {"dense_dropout", f.model.dense_dropout},
          {"ngrams", f.model.ngrams},      {"ngram_buckets", f.model.ngram_buckets},
          {"bucket", f.train.bucket},      {"monitor", f.train.monitor},
          {"validation_split_by", f.train.validation_split_by},
          {"tokenizer", f.data.tokenizer},
          {"classes", f.classes},          {"class_weight", f.class_weight},
          {"multi_label", f.data.multi_label}};
}

// What a checkpoint written before these keys existed implies for them (the seed model, the dense
// embedding clip rule of that senti).
const nlohmann::json& legacy_resume_values() {
  static const nlohmann::json v = {{"embedding_clip_norm", "dense"}, {"mask", false},
                                   {"bidirectional", false},         {"pool", "last"},
                                   {"dropout", 0.0},                 {"spatial_dropout", false},
                                   {"dense_dropout", 0.0},           {"bucket", false},
                                   {"ngrams", 0},                    {"ngram_buckets", ModelConfig{}.ngram_buckets},
                                   {"monitor", "val_acc"},           {"validation_split_by", "review"},
                                   {"tokenizer", "v1"},
                                   {"classes", ""},                  {"class_weight", ""},
                                   {"multi_label", false}};
  return v;
}

void check_resumable(const Checkpoint& c, const TrainFlags& f, const data::Corpus& corpus,
                     const std::string& path) {
  const nlohmann::json want = resume_key(f);
  const nlohmann::json& have = c.train_config;
  for (const auto& [key, value] : want.items()) {
    const nlohmann::json& legacy = legacy_resume_values();
    const bool known = have.contains(key) || legacy.contains(key);
    const nlohmann::json had = have.contains(key) ? have[key] : legacy.value(key, nlohmann::json());
    if (!known || had != value)
      SENTI_FAIL("--resume: the checkpoint '", path, "' was trained with ", key, "=",
                 known ? had.dump() : std::string("(missing)"),
                 " but this run has ", key, "=", value.dump(),
                 "; pass the same settings or choose a new --out");
  }
  // The optimizer's settings are in its metadata, not train_config: compared there, so every
  // checkpoint (older ones too) is checked.
  const auto& want_adam = f.optimizer.adam;
  const auto& have_adam = c.optimizer.adam;
  const std::tuple<const char*, double, double> adam[] = {
      {"--beta1", want_adam.beta1, have_adam.beta1},
      {"--beta2", want_adam.beta2, have_adam.beta2},
      {"--epsilon", want_adam.epsilon, have_adam.epsilon}};
  for (const auto& [flag, want, have] : adam)
    if (want != have)
      SENTI_FAIL("--resume: the checkpoint '", path, "' was trained with ", flag, " ", have,
                 " but this run has ", flag, " ", want, "; pass the same settings or choose a new --out");
  if (c.classes != corpus.classes)  // after order_classes: the same names in the same order
    SENTI_FAIL("--resume: the checkpoint '", path, "' was trained on other classes than --data has");
  if (c.vocab.hash() != corpus.vocab.hash())
    SENTI_FAIL("--resume: the checkpoint '", path,
               "' was trained with another vocabulary than the one built from --data/--word-index");
  if (c.epoch >= f.train.epochs)
    SENTI_FAIL("--resume: the checkpoint '", path, "' already has ", c.epoch,
               " epochs; pass --epochs larger than that to continue");
}

// The TensorBoard log's settings: the flags a resumed run must share (the resume key and the Adam
// constants) as HParams, the others (epochs, device) in the text summary, and a line on the model
// and the backend.
tb::TrainingLogOptions tensorboard_options(const TrainFlags& f, const Checkpoint& ckpt,
                                           const std::string& backend) {
  tb::TrainingLogOptions o;
  o.dir = f.tensorboard;
  o.step_every = f.tensorboard_every;
  o.hparams = ckpt.train_config;
  o.hparams["beta_1"] = ckpt.optimizer.adam.beta1;
  o.hparams["beta_2"] = ckpt.optimizer.adam.beta2;
  o.hparams["epsilon"] = ckpt.optimizer.adam.epsilon;
  o.run_settings = {{"epochs", f.train.epochs}, {"device", f.device}};
  o.description = describe_model(ckpt.model) + "; backend: " + backend;
  o.resumed_at_step = f.resume ? ckpt.state.step : 0;
  return o;
}

// A run that continues a pretrained model reads the ids it learned: its vocabulary (as given, not
// rebuilt from --data) and its tokenizer. A --num-words or --tokenizer that says otherwise is refused.
void use_vocabulary_of(const Checkpoint& c, CLI::App* cmd, DataFlags* data) {
  if (cmd->count("--num-words") && data->num_words != c.vocab.num_words)
    SENTI_FAIL("--num-words ", data->num_words, ": the pretrained model (--init) has ", c.vocab.num_words,
               " word ids; leave --num-words out");
  const std::string tokenizer = text::tokenizer_name(c.tokenizer);
  if (cmd->count("--tokenizer") && data->tokenizer != tokenizer)
    SENTI_FAIL("--tokenizer ", data->tokenizer, ": the pretrained model (--init) was trained with --tokenizer ",
               tokenizer, "; leave --tokenizer out");
  data->num_words = c.vocab.num_words;
  data->tokenizer = tokenizer;
  data->fixed_vocab = std::make_shared<const data::Vocabulary>(c.vocab);
}

// Data-parallel: rank 0 speaks for the job; the others' standard output goes to /dev/null (their
// errors still reach stderr, named by rank: host/cli/main.cpp).
void quiet_unless_rank0(const Collective& world) {
  if (world.rank() == 0) return;
  std::fflush(stdout);
  const int null_fd = ::open("/dev/null", O_WRONLY | O_CLOEXEC);
  SENTI_CHECK(null_fd >= 0 && ::dup2(null_fd, STDOUT_FILENO) >= 0, "cannot redirect rank ",
              world.rank(), "'s standard output to /dev/null: ", std::strerror(errno));
  ::close(null_fd);
}

}  // namespace

void run_train(CLI::App* cmd, TrainFlags f) {
  // Which process of the job this is (one, without a launcher): docs/distributed.md.
  const std::shared_ptr<Collective> world = world_collective();
  const bool writer = world->rank() == 0;
  quiet_unless_rank0(*world);
  if (f.pretrain) {
    apply_pretrain_preset(cmd, &f);  // and the language-model head
  } else {
    if (cmd->count("--preset") == 0) {
      f.preset = default_preset(f);
      if (writer && f.preset != "seed")
        std::fprintf(stderr, "senti: --preset %s (the default for data other than aclImdb; --preset seed "
                     "gives the seed recipe)\n", f.preset.c_str());
    }
    apply_preset(cmd, &f);
  }
  if (world->distributed())
    std::printf("Data-parallel: %s; global batch %d split across them\n",
                world->describe().c_str(), f.train.batch_size);
  // Each rule has one owner in the library (main names the flag of a refused setting); all are
  // checked here, before any slow work.
  if (!parse_pool(f.pool, &f.model.pool))
    SENTI_FAIL("--pool: expected last, max, mean or concat, got '", f.pool, "'");
  if (!parse_embedding_clip_norm(f.embedding_clip_norm, &f.optimizer.embedding_clip_norm))
    SENTI_FAIL("--embedding-clip-norm: expected sparse or dense, got '", f.embedding_clip_norm, "'");
  const auto seq = sequence_options(f.data);
  data::check_num_words(f.data.num_words);
  if (!f.data.validation_data.empty() && cmd->count("--validation-split"))
    SENTI_FAIL("--validation-split: not with --validation-data, which is the validation split");
  validate_train_options(f.train, f.model);
  validate_optimizer_config(f.optimizer);
  (void)parse_cuda_graph(f.cuda_graph);
  {
    ModelConfig m = f.model;
    m.vocab_size = f.data.num_words;  // the corpus sets the real V later; check the flag's now
    validate_model_config(m);
  }
  std::tie(f.train.profile_first, f.train.profile_last) = parse_profile_steps(f.profile_steps);
  if (f.train.out_dir.empty()) f.train.out_dir = default_out_dir();
  if (f.tensorboard_every < 0)
    SENTI_FAIL("--tensorboard-every must be >= 0 (0 = epoch figures only), got ", f.tensorboard_every);
  if (f.no_tensorboard && cmd->count("--tensorboard"))
    SENTI_FAIL("--tensorboard and --no-tensorboard contradict each other; pass one");
  if (f.tensorboard.empty()) f.tensorboard = (fs::path(f.train.out_dir) / "tb").string();
  const std::string latest = (fs::path(f.train.out_dir) / "latest.safetensors").string();
  // One writer per run folder, held until this run ends: taken before looking at what the folder
  // holds, so that two runs started at once cannot both find it empty (or both resume it). A
  // second run is refused here, at once, naming the holder's PID. Data-parallel: rank 0 is the
  // job's one writer; the others wait until it holds the folder.
  std::optional<RunFolderLock> lock;
  if (writer) {
    check_can_create_files(f.train.out_dir, "--out");  // not after the first epoch
    lock.emplace(f.train.out_dir, "--out");
  }
  world->barrier();
  std::error_code ec;
  if (f.resume && !fs::exists(latest, ec))
    SENTI_FAIL("--resume: no checkpoint '", latest, "' to resume from (check --out)");
  if (!f.resume && fs::exists(latest, ec))
    SENTI_FAIL("--out '", f.train.out_dir,
               "' already holds a checkpoint (latest.safetensors); pass --resume to continue it or "
               "choose another --out (nothing was overwritten)");
  require_device(f.device);  // before any slow work: --device cuda without a GPU fails now
  if (parse_device(f.device) == Device::Cuda) {  // ... and so do options it cannot run yet
    BackendOptions probe;
    probe.model = f.model;
    probe.optimizer = f.optimizer;
    probe.lstm = parse_lstm_kind(f.lstm);
    if (const std::string why = cuda_unsupported(probe); !why.empty()) SENTI_FAIL(why);
  }

  // --init: the classifier reads the pretrained model's ids (its vocabulary and tokenizer).
  Checkpoint pretrained;
  if (!f.init.empty()) {
    const std::string init_path = checkpoint_file(f.init);
    try {
      pretrained = load_checkpoint(init_path);
    } catch (const UsageError& e) {  // name the flag: the message alone says "checkpoint"
      SENTI_FAIL("--init: ", e.what());
    }
    check_pretrained(pretrained, init_path, "--init");
    use_vocabulary_of(pretrained, cmd, &f.data);
  } else if (f.resume && !f.pretrain) {  // a fine-tuned run goes on with the ids it was trained on
    const Checkpoint had = load_checkpoint(latest);
    if (had.train_config.contains("init")) use_vocabulary_of(had, cmd, &f.data);
  }

  // The token cache is built once, by rank 0, while the others wait; they then read it.
  data::Corpus corpus;
  if (writer) corpus = load_corpus(f.data, /*verbose=*/true);
  world->barrier();
  if (!writer) corpus = load_corpus(f.data, /*verbose=*/false);
  f.model.vocab_size = corpus.vocab.num_words;
  if (f.pretrain) {
    corpus = data::language_model_corpus(corpus);  // the training text and the unlabeled text
    std::printf("Pretraining text: %zu documents (the training split and %s unlabeled), %zu tokens\n",
                corpus.train.size(), f.data.unlabeled_data.empty() ? "--data's own" : "--unlabeled-data's",
                corpus.train.tokens.size());
  }
  if (!f.classes.empty()) data::order_classes(&corpus, data::parse_class_list(f.classes, "--classes"), "--classes");
  if (!f.pretrain) choose_head(corpus.classes.size(), corpus.multi_label, &f.model);
  // Each hashed n-gram slot is a row of K weights: keep the slots' weights near 16 M (64 MiB, x4
  // with Adam and the gradient) when many classes would multiply the preset's 2^20 slots.
  constexpr int64_t kNgramWeightBudget = int64_t{1} << 24;
  if (f.model.ngrams >= 2 && cmd->count("--ngram-buckets") == 0 &&
      static_cast<int64_t>(f.model.ngram_buckets) * f.model.outputs() > kNgramWeightBudget) {
    int buckets = f.model.ngram_buckets;
    while (buckets > 1024 && static_cast<int64_t>(buckets) * f.model.outputs() > kNgramWeightBudget) buckets /= 2;
    std::printf("%d classes: --ngram-buckets %d instead of %d (each slot holds a weight per class; "
                "pass --ngram-buckets to choose)\n", f.model.classes, buckets, f.model.ngram_buckets);
    f.model.ngram_buckets = buckets;
  }
  if (corpus.multi_label && !f.class_weight.empty())
    SENTI_FAIL("--class-weight: not with --multi-label (Keras class_weight weighs one class a "
               "sample; each label of a multi-label document is its own binary problem)");
  const std::vector<float> class_weights = f.pretrain ? std::vector<float>{} : class_weights_from_flag(
      f.class_weight, corpus.classes, data::class_counts(corpus.train, corpus.classes.size()));

  Checkpoint ckpt;
  if (f.resume) {
    ckpt = load_checkpoint(latest);
    check_resumable(ckpt, f, corpus, latest);
    std::printf("Resuming '%s' after epoch %lld (step %lld)\n", latest.c_str(),
                static_cast<long long>(ckpt.epoch), static_cast<long long>(ckpt.state.step));
    const int had_ranks = ckpt.train_config.value("world_size", 1);
    if (had_ranks != world->size())
      std::printf("The checkpoint was written by a job of %d process%s, this one has %d: the global "
                  "batch (%d) is the same, so training goes on as it would have (up to the order "
                  "of floating-point sums)\n", had_ranks, had_ranks == 1 ? "" : "es",
                  world->size(), f.train.batch_size);
  } else {
    ckpt.model = f.model;
    ckpt.optimizer = f.optimizer;
    ckpt.state = init_train_state(f.model, f.train.seed);
    ckpt.vocab = corpus.vocab;
    ckpt.classes = corpus.classes;
    ckpt.sequence = seq;
    ckpt.tokenizer = corpus_request(f.data).vocab.tokenizer;
    ckpt.tokenizer_version = static_cast<int>(text::tokenizer_version(ckpt.tokenizer));
    ckpt.tokenizer_icu = text::tokenizer_data_version(ckpt.tokenizer);
    ckpt.seed = f.train.seed;
    ckpt.train_config = resume_key(f);
    ckpt.train_config["preset"] = f.preset;
    if (!f.init.empty()) {
      init_from_pretrained(&ckpt, pretrained, f.init, f.init_lr_scale);
      ckpt.train_config["init"] = {{"checkpoint", f.init}, {"weights_xxh64", weights_hash_hex(pretrained)},
                                   {"lr_scale", f.init_lr_scale}};
      std::printf("Embedding and LSTM from the language model '%s' (epoch %lld, weights %s), learning "
                  "at %g x --lr\n", f.init.c_str(), static_cast<long long>(pretrained.epoch),
                  weights_hash_hex(pretrained).c_str(), f.init_lr_scale);
    }
  }
  // Recorded for --resume's message only (not part of the resume key: any world size continues).
  if (world->distributed())
    ckpt.train_config["world_size"] = world->size();
  else
    ckpt.train_config.erase("world_size");

  BackendOptions bo;
  bo.model = ckpt.model;
  bo.optimizer = ckpt.optimizer;
  bo.max_batch = f.train.batch_size;
  bo.maxlen = seq.maxlen;
  bo.lstm = parse_lstm_kind(f.lstm);
  bo.cuda_graph = parse_cuda_graph(f.cuda_graph);
  bo.seed = ckpt.seed;  // the dropout masks (a resumed run draws the same ones)
  bo.class_weights = class_weights;
  bo.collective = world;
  if (!class_weights.empty()) {
    std::printf("Class weights:");
    for (size_t k = 0; k < class_weights.size(); ++k)
      std::printf("%s %s %.4g", k ? "," : "", corpus.classes[k].c_str(), class_weights[k]);
    std::printf("\n");
  }
  auto backend = open_backend(f.device, bo, stdout);
  if (std::fflush(stdout) != 0 || std::ferror(stdout))  // e.g. >/dev/full: say so before training
    throw Error(detail::concat("cannot write standard output (", std::strerror(errno),
                               "); nothing was trained"));
  // Only now that everything was checked does the run leave a trace on disk (the folder the lock
  // created is removed again when the run fails before this point).
  if (lock) lock->keep();
  if (f.train.metrics_path.empty())
    f.train.metrics_path = (fs::path(f.train.out_dir) / "metrics.jsonl").string();
  std::printf("Model: %s; %zu parameters\n", describe_model(ckpt.model).c_str(),
              ParamLayout(ckpt.model).total());
  std::printf("Checkpoints and metrics: %s\n", f.train.out_dir.c_str());

  std::unique_ptr<tb::TrainingLog> tb_log;
  if (!f.no_tensorboard && writer) {
    tb_log = std::make_unique<tb::TrainingLog>(
        tensorboard_options(f, ckpt, backend->describe()), ParamLayout(ckpt.model));
    std::printf("TensorBoard logs: %s  (tensorboard --logdir %s)\n", f.tensorboard.c_str(),
                f.tensorboard.c_str());
  }

  ProgressLine progress(stdout, ProgressLine::is_terminal(stdout), f.train.log_every);
  Trainer trainer(*backend, corpus, f.train, &progress, tb_log.get());
  const TrainResult r = trainer.fit(std::move(ckpt));
  if (tb_log && tb_log->gradients_missing())
    std::printf("TensorBoard: the %s backend does not report gradient norms yet; grad_norm/* and "
                "clip_scale/* were not logged\n", backend->describe().c_str());
  std::printf("Done in %.1fs\n", r.seconds);
}

void register_train(CLI::App& app) {
  auto flags = std::make_shared<TrainFlags>();
  CLI::App* cmd = app.add_subcommand("train", "Train the classifier (the seed recipe by default on aclImdb, --preset text on other data)");
  TrainFlags& f = *flags;
  cmd->add_option("--preset", f.preset,
                  "seed: Embedding(10000,128) -> LSTM(64) -> Dense(1), batch 32, 20 epochs, maxlen 500 "
                  "post/post, Adam 1e-3, clipnorm 0.1 (embedding norm: sparse, as TensorFlow), no mask, "
                  "validation split 0.2; smoke: the same on 4000 reviews, maxlen 200 with pre padding, "
                  "2 epochs, 5000 test reviews; best: the recipe chosen on validation accuracy over "
                  "held-out movies (--mask --bucket --bidirectional --pool concat --dropout 0.5 "
                  "--spatial-dropout --dense-dropout 0.5 --ngrams 2 --num-words 10000 --maxlen 1000 --truncating "
                  "pre --batch 64 --lr 0.002 --clipnorm 1 --epochs 3 --early-stopping 1 "
                  "--embedding-clip-norm dense --validation-split-by movie; docs/benchmarks.md); text: "
                  "best with --epochs 10 --early-stopping 2 --batch 32, chosen on the validation data "
                  "of five sentence sets (docs/data.md). "
                  "Explicit flags override the preset. Default: seed for aclImdb, text for other data.")
      ->default_val("seed");
  add_train_flags(cmd, &f);
  cmd->callback([cmd, flags] { run_train(cmd, *flags); });
}

}  // namespace senti::cli
