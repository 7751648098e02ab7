// The flags `senti train` and `senti pretrain` share (host/cli/train_flags.h).
#include "host/cli/device_flags.h"
#include "host/cli/flag_names.h"
#include "host/cli/train_flags.h"

namespace senti::cli {

void add_train_flags(CLI::App* cmd, TrainFlags* flags) {
  TrainFlags& f = *flags;
  const bool pretrain = f.pretrain;
  if (pretrain)
    add_integer_option(cmd, "--lm-samples", f.model.lm_samples,
                       "Sampled-softmax candidates per step: the language model's loss is the "
                       "target against these (log-uniform over the frequency-ranked ids, shared by "
                       "the batch; the full softmax over the vocabulary is used for validation)")
        ->capture_default_str();
  add_device_flag(cmd, &f.device);
  add_lstm_flag(cmd, &f.lstm);
  add_cuda_graph_flag(cmd, &f.cuda_graph);
  add_data_flags(cmd, &f.data);
  add_integer_option(cmd, "--embed", f.model.embed_dim, "Embedding size E")->default_val(128);
  add_integer_option(cmd, "--hidden", f.model.hidden, "LSTM units H")->default_val(64);
  add_integer_option(cmd, "--batch", f.train.batch_size, "Batch size")->default_val(32);
  add_integer_option(cmd, "--epochs", f.train.epochs,
                     "Epochs (total, also when resuming)")->default_val(20);
  cmd->add_option("--lr", f.optimizer.adam.lr, "Adam learning rate")->default_val(1e-3);
  cmd->add_option("--beta1", f.optimizer.adam.beta1, "Adam beta_1")->default_val(0.9);
  cmd->add_option("--beta2", f.optimizer.adam.beta2, "Adam beta_2")->default_val(0.999);
  cmd->add_option("--epsilon", f.optimizer.adam.epsilon, "Adam epsilon (Keras form)")->default_val(1e-7);
  cmd->add_option("--clipnorm", f.optimizer.clipnorm,
                  "Clip each variable's gradient to this norm (Keras clipnorm); 0 = off")
      ->default_val(0.1);
  cmd->add_option("--global-clipnorm", f.optimizer.global_clipnorm,
                  "Clip all gradients together to this norm (Keras global_clipnorm); 0 = off. "
                  "Use with --clipnorm 0")
      ->default_val(0.0);
  cmd->add_option("--embedding-clip-norm", f.embedding_clip_norm,
                  "How clipnorm measures the embedding gradient: sparse = over the per-position rows "
                  "(TensorFlow's IndexedSlices; the seed and smoke presets), dense = the (V, E) "
                  "gradient (PyTorch, JAX). See docs/model.md");
  cmd->add_flag("--mask,!--no-mask", f.model.mask,
                "Mask the padding (Keras Embedding(mask_zero=True)): padded steps carry the LSTM state, "
                "the classifier reads the state after the last real token, padding gets no gradient, "
                "and the CPU does work proportional to the real tokens only");
  cmd->add_flag("--bucket,!--no-bucket", f.train.bucket,
                "Length-bucketed batches (needs --mask): windows of 50 batches sorted by length, each "
                "batch padded to its longest review, batch order shuffled every epoch");
  cmd->add_flag("--bidirectional,!--no-bidirectional", f.model.bidirectional,
                "Bidirectional LSTM (Keras Bidirectional(LSTM(H)), merge concat; with --mask the "
                "backward direction reads only the real tokens, in reverse)");
  if (!pretrain) {  // the classifier's own flags
  cmd->add_option("--pool", f.pool,
                  "Classifier input: last (final state), max or mean over the (real) time steps, or "
                  "concat = [last, max, mean]")
      ->capture_default_str();
  }
  cmd->add_option("--dropout", f.model.dropout,
                  "Dropout rate on the embedding output, training only (Keras Dropout). No recurrent "
                  "dropout is offered: it would rule out cuDNN's and the fused LSTM kernels")
      ->default_val(0.0);
  cmd->add_flag("--spatial-dropout,!--no-spatial-dropout", f.model.spatial_dropout,
                "Make --dropout spatial: one mask per review and feature (Keras SpatialDropout1D)");
  if (!pretrain) {  // the classifier's own flags
  cmd->add_option("--dense-dropout", f.model.dense_dropout,
                  "Dropout rate on the classifier input, training only")
      ->default_val(0.0);
  add_integer_option(cmd, "--ngrams", f.model.ngrams,
                     "N-gram features beside the LSTM: a multi-hot vector of each review's "
                     "1..N-grams (Keras TextVectorization(ngrams=N, output_mode='multi_hot')), "
                     "concatenated to the LSTM features before the Dense layer; word pairs and "
                     "triples are hashed into --ngram-buckets slots. 0 = off, 1 = words, 2 = + "
                     "pairs, 3 = + triples")
      ->default_val(0);
  add_integer_option(cmd, "--ngram-buckets", f.model.ngram_buckets,
                     "Hash slots for the word pairs and triples of --ngrams 2 or 3 (each slot is "
                     "one weight of the Dense kernel)")
      ->capture_default_str();  // ModelConfig's default
  }
  add_integer_option(cmd, "--early-stopping", f.train.early_stopping,
                     "Stop when --monitor has not improved for N epochs and evaluate the test "
                     "split with the best epoch's weights (Keras "
                     "EarlyStopping(restore_best_weights=True)); 0 = off")
      ->default_val(0);
  cmd->add_option("--monitor", f.train.monitor,
                  "The validation figure that picks best.safetensors and drives --early-stopping: "
                  "val_acc, val_loss or val_macro_f1 (per-class F1 averaged: for unbalanced classes)")
      ->capture_default_str();
  cmd->add_option("--validation-split", f.train.validation_split,
                  "Fraction of the (shuffled) training reviews held out for validation")
      ->default_val(0.2);
  cmd->add_option("--validation-split-by", f.train.validation_split_by,
                  "How validation reviews are held out: review (Keras: a random fraction, whose "
                  "movies also have reviews in training) or movie (whole movies, as the test split "
                  "holds: aclImdb's urls files name each review's movie when --data or "
                  "--unlabeled-data has them; otherwise blocks of 250 consecutive review ids per "
                  "class stand in for movies, an approximation; the run says which)")
      ->capture_default_str();
  add_integer_option(cmd, "--seed", f.train.seed,
                     "Seed for the split, the shuffles and the initial weights")
      ->default_val(1337);
  add_integer_option(cmd, "--limit", f.train.limit,
                     "Use only the first N training reviews after the shuffle (0 = all 25,000)")
      ->default_val(0);
  if (!pretrain) {  // the classifier's own flags
  cmd->add_option("--init", f.init,
                  "Start the embedding and LSTM from a pretrained language model (a checkpoint of "
                  "`senti pretrain`, or its run folder): its vocabulary and tokenizer are used, and "
                  "--embed, --hidden and --bidirectional must match it (the error names what differs). "
                  "The Dense layer starts fresh")
      ->check(non_empty_path());
  cmd->add_option("--init-lr-scale", f.init_lr_scale,
                  "With --init: the pretrained tensors' learning rate is --lr times this (0 = frozen, "
                  "1 = the same rate as the new Dense layer)")
      ->capture_default_str();
  add_integer_option(cmd, "--test-limit", f.train.test_limit,
                     "Evaluate on N test reviews (a seeded sample); -1 = all 25,000, 0 = skip")
      ->default_val(-1);
  cmd->add_option("--classes", f.classes,
                  "The order of the classes, a,b,c (exactly the training labels; default: sorted, "
                  "as Keras orders class folders). Label k is the k-th name; with two classes the "
                  "model's one output is the probability of the second");
  cmd->add_option("--class-weight", f.class_weight,
                  "Weight each class's training loss (Keras class_weight): balanced = n / (K n_k), "
                  "or name=w pairs, e.g. neg=1,pos=3 (unnamed classes 1). Validation and test "
                  "figures stay unweighted");
  }
  cmd->add_option("--out", f.train.out_dir,
                  "Directory for checkpoints (latest.safetensors, best.safetensors) and metrics.jsonl "
                  "(default runs/train-<date>-<time>). One run writes a folder at a time: a run "
                  "holds its lock (.senti-lock) until it ends and a second one is refused at once")
      ->check(non_empty_path());
  cmd->add_option("--metrics", f.train.metrics_path,
                  "JSON-lines metrics file (default <out>/metrics.jsonl); appended to, and made to "
                  "agree with the checkpoint's history on --resume")
      ->check(non_empty_path());
  cmd->add_flag("--resume", f.resume,
                "Continue from <out>/latest.safetensors (refused while another run holds <out>)");
  add_integer_option(cmd, "--log-every", f.train.log_every,
                     "When output is not a terminal, also print a progress line every N steps")
      ->default_val(0);
  cmd->add_option("--max-loss", f.train.max_loss,
                  "Divergence guard: stop (exit 1, keeping the last good checkpoint) when the "
                  "training loss exceeds this; 0 = off. NaN or infinite losses always stop")
      ->default_val(100);
  cmd->add_option("--tensorboard", f.tensorboard,
                  "Folder for TensorBoard event files (default <out>/tb; `tensorboard --logdir` it): "
                  "per-step loss, per-epoch loss/accuracy/validation, learning rate, gradient norms, "
                  "samples/s, hyper-parameters");
  cmd->add_flag("--no-tensorboard", f.no_tensorboard, "Write no TensorBoard event files");
  add_integer_option(cmd, "--tensorboard-every", f.tensorboard_every,
                     "Per-step TensorBoard scalars every N steps (mean loss over them; on a GPU "
                     "each logged step synchronises); 0 = epoch figures only")
      ->default_val(10);
  cmd->add_option("--profile-steps", f.profile_steps,
                  "A:B brackets global steps A..B with cudaProfilerStart/Stop (for nsys/ncu "
                  "--capture-range=cudaProfilerApi)");
}

}  // namespace senti::cli
