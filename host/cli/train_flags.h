#pragma once
// `senti train`'s flags and presets (host/cli/cmd_train.cpp registers and runs them).
#include <string>

#include <CLI/CLI.hpp>

#include "engine/model_config.h"
#include "host/cli/data_flags.h"
#include "host/run/trainer.h"

namespace senti::cli {

struct TrainFlags {
  std::string preset = "seed";
  std::string device = "auto";
  std::string lstm = "auto";
  std::string cuda_graph = "on";
  DataFlags data;
  ModelConfig model;
  OptimizerConfig optimizer;
  TrainOptions train;
  std::string profile_steps;
  std::string pool = "last";
  std::string embedding_clip_norm;  // "" = the preset's (seed: sparse)
  bool resume = false;
  std::string tensorboard;        // "" = <out>/tb
  bool no_tensorboard = false;
  int64_t tensorboard_every = 10;
  // The head and its classes (docs/data.md, "Classes"): --classes a,b,c orders the labels,
  // --class-weight balanced|name=w,...
  std::string classes;
  std::string class_weight;
  // `senti pretrain` (host/cli/cmd_pretrain.cpp): the same run as `train`, with the language-model
  // head on the training text and the unlabeled text, no test split.
  bool pretrain = false;
  // `senti train --init PRETRAINED`: the embedding and LSTM start from a pretrained language model
  // (host/run/pretrained_init.h), with their learning rate times init_lr_scale.
  std::string init;
  float init_lr_scale = 1.f;
};

// Registers the flags train and pretrain share (f->pretrain set first: pretrain leaves out the
// classifier's own flags and adds its own).
void add_train_flags(CLI::App* cmd, TrainFlags* f);

// Runs `senti train` (or, with f.pretrain, `senti pretrain`) after the flags were parsed.
void run_train(CLI::App* cmd, TrainFlags f);

// `senti pretrain`'s presets (lm, lm-smoke): fills every flag the user did not give.
void apply_pretrain_preset(CLI::App* cmd, TrainFlags* f);

// Fills every flag the user did not give from f->preset (seed, smoke, best or text).
void apply_preset(CLI::App* cmd, TrainFlags* f);

// The preset a run without --preset gets: seed for aclImdb, text for any other data.
std::string default_preset(const TrainFlags& f);

}  // namespace senti::cli
