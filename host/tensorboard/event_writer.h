#pragma once
// Writes one TensorBoard event file: TFRecord framing (length, masked CRC-32C of the length, the
// serialized tb::Event, masked CRC-32C of it), the first record the "brain.Event:2" file version,
// then scalars, text and hparams summaries as TensorBoard's own writers lay them out. The schema is
// host/tensorboard/tensorboard.proto (TensorBoard's field numbers).
//
// A run directory may hold several event files (a resumed run adds one); TensorBoard reads them
// all in name order. Names follow TensorFlow's: events.out.tfevents.<unix seconds>.<host>.<pid>.<n>.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace senti::tb {

class Event;

class EventFileWriter {
 public:
  // Creates `dir` (and its parents) and a new event file in it; UsageError naming `flag` and the
  // path when it cannot.
  EventFileWriter(const std::string& dir, const std::string& flag);
  ~EventFileWriter();  // flushes and closes
  EventFileWriter(const EventFileWriter&) = delete;
  EventFileWriter& operator=(const EventFileWriter&) = delete;

  const std::string& path() const { return path_; }

  // Scalars at `step`, all in one event (TensorBoard's scalar dashboard, simple_value form).
  void add_scalars(int64_t step, const std::vector<std::pair<std::string, double>>& values);
  void add_scalar(int64_t step, const std::string& tag, double value) {
    add_scalars(step, {{tag, value}});
  }
  // A Markdown text summary (TensorBoard's text dashboard: plugin "text", a DT_STRING scalar).
  void add_text(int64_t step, const std::string& tag, const std::string& markdown);
  // An RGB PNG image (TensorBoard's image dashboard).
  void add_image(int64_t step, const std::string& tag, const std::string& png, int width, int height);
  // The HParams plugin's session_start_info: this run's hyper-parameters. `hparams` is a flat
  // JSON object of numbers, strings and booleans (others are written as their JSON text); a
  // float32 value held in a double is written as its shortest decimal (0.1f as 0.1).
  void add_hparams(const nlohmann::json& hparams, double start_time_secs);
  // SessionLog START at `step`: TensorBoard drops this run's earlier events at steps >= step, so a
  // run resumed from a checkpoint does not show the steps it replays twice.
  void add_session_start(int64_t step);

  // Writes buffered records to the OS; senti::Error naming the file if writing failed.
  void flush();

 private:
  void write(const Event& event);
  std::string path_;
  std::string flag_;
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> file_;
};

// Seconds since the Unix epoch, as TensorBoard's wall_time.
double wall_time_now();

}  // namespace senti::tb
