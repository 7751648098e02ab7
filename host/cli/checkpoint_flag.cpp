#include "host/cli/checkpoint_flag.h"

#include "host/cli/flag_names.h"

namespace senti::cli {

CLI::Option* add_checkpoint_flag(CLI::App* cmd, std::string* path, const char* name) {
  return cmd
      ->add_option(name, *path,
                   "Checkpoint file (.safetensors), or a training --out folder (its latest.safetensors)")
      ->required()
      ->check(non_empty_path());
}

}  // namespace senti::cli
