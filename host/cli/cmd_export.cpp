// `senti export`: a checkpoint as a model other tools run. --format onnx writes the inference
// graph (host/onnx/onnx_export.h) and, beside it, the vocabulary and preprocessing as JSON.
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>

#include "engine/atomic_file.h"
#include "engine/safetensors.h"
#include "host/cli/checkpoint_flag.h"
#include "host/cli/commands.h"
#include "host/onnx/onnx_export.h"
#include "host/run/checkpoint.h"
#include "host/run/predictor.h"
#include "kernels/common/error.h"

namespace senti::cli {
namespace {

struct ExportFlags {
  std::string checkpoint;
  std::string format = "onnx";
  std::string out;
  bool force = false;
};

void run_export(const ExportFlags& f) {
  if (f.format != "onnx") SENTI_FAIL("--format: expected onnx, got '", f.format, "'");
  if (f.out.empty()) SENTI_FAIL("--out: give the file to write, e.g. model.onnx");
  if (std::filesystem::path(f.out).extension() != ".onnx")
    SENTI_FAIL("--out '", f.out, "': expected a file name ending in .onnx (the vocabulary goes "
               "beside it as <name>.vocab.json)");
  const std::string vocab_path = onnx::vocabulary_path_for(f.out);
  std::error_code ec;
  for (const std::string& p : {f.out, vocab_path})
    if (std::filesystem::exists(p, ec) && !f.force)
      SENTI_FAIL("--out: '", p, "' exists; pass --force to replace it (nothing was written)");

  const Checkpoint ckpt = load_checkpoint(f.checkpoint);
  check_inference_ready(ckpt, f.checkpoint);  // the vocabulary the JSON needs, the tokenizer
  // The model options as the file records them (load_checkpoint keeps only what senti runs).
  const auto meta = safetensors::read_file(checkpoint_file(f.checkpoint)).metadata;
  nlohmann::json model_meta;
  try {
    model_meta = nlohmann::json::parse(meta.at("model"));
  } catch (const std::exception& e) {
    SENTI_FAIL("'", f.checkpoint, "': model metadata unreadable (", e.what(), ")");
  }
  const onnx::ModelOptions opts = onnx::check_exportable(model_meta, ckpt.train_config, f.checkpoint);

  write_file_atomically(f.out, onnx::onnx_model_bytes(ckpt, opts));
  write_file_atomically(vocab_path, onnx::vocabulary_json(ckpt).dump(1) + "\n");
  std::printf("senti export: wrote %s (ONNX opset %d; inputs token_ids int64 [batch, time], "
              "lengths int64 [batch]; output %s)\n",
              f.out.c_str(), onnx::kOpset, onnx::output_description(ckpt.model).c_str());
  std::string classes;  // label order: the columns of probs (or classes[1] = prob_positive's class)
  for (const std::string& c : ckpt.classes) classes += (classes.empty() ? "" : ", ") + c;
  std::printf("senti export: wrote %s (vocabulary and preprocessing: maxlen %d, padding %s, "
              "truncating %s; classes %s)\n",
              vocab_path.c_str(), ckpt.sequence.maxlen,
              ckpt.sequence.padding == data::Side::Pre ? "pre" : "post",
              ckpt.sequence.truncating == data::Side::Pre ? "pre" : "post", classes.c_str());
}

}  // namespace

void register_export(CLI::App& app) {
  auto f = std::make_shared<ExportFlags>();
  auto* cmd = app.add_subcommand(
      "export", "Write a checkpoint as an ONNX model (token ids and lengths in, probability or, K "
                "classes, [batch, K] probabilities out) and its vocabulary and class names as JSON beside it");
  add_checkpoint_flag(cmd, &f->checkpoint);
  cmd->add_option("--format", f->format, "Output format: onnx")->default_val("onnx");
  cmd->add_option("--out", f->out, "The model file to write (NAME.onnx; NAME.vocab.json beside it)")
      ->required();
  cmd->add_flag("--force", f->force, "Replace --out and its .vocab.json if they exist");
  cmd->callback([f] { run_export(*f); });
}

}  // namespace senti::cli
