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
};

// Fills every flag the user did not give from f->preset (seed, smoke, best or text).
void apply_preset(CLI::App* cmd, TrainFlags* f);

// The preset a run without --preset gets: seed for aclImdb, text for any other data.
std::string default_preset(const TrainFlags& f);

}  // namespace senti::cli
