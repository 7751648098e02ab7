#include "host/tensorboard/event_writer.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <cmath>
#include <cstdlib>
#include <filesystem>

#include "host/tensorboard/crc32c.h"
#include "host/tensorboard/tensorboard.pb.h"
#include "kernels/common/error.h"

namespace senti::tb {
namespace {

std::string event_file_name() {
  static std::atomic<int> counter{0};
  char host[256] = "localhost";
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "localhost");
  host[sizeof host - 1] = '\0';
  char name[400];
  std::snprintf(name, sizeof name, "events.out.tfevents.%010lld.%s.%d.%d",
                static_cast<long long>(std::time(nullptr)), host, static_cast<int>(::getpid()),
                counter++);
  return name;
}

void put_u32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

void put_u64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

// A float32 setting stored as double (0.1f = 0.10000000149011612) as the shortest decimal that
// reads back as the same float (0.1), so the HParams table shows what the user typed.
double as_typed(double x) {
  const auto f = static_cast<float>(x);
  if (!std::isfinite(x) || static_cast<double>(f) != x) return x;
  for (int digits = 1; digits <= 9; ++digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*g", digits, x);
    const double d = std::strtod(buf, nullptr);
    if (static_cast<float>(d) == f) return d;
  }
  return x;
}

google::protobuf::Value to_value(const nlohmann::json& j) {
  google::protobuf::Value v;
  if (j.is_boolean()) v.set_bool_value(j.get<bool>());
  else if (j.is_number_float()) v.set_number_value(as_typed(j.get<double>()));
  else if (j.is_number()) v.set_number_value(j.get<double>());
  else if (j.is_string()) v.set_string_value(j.get<std::string>());
  else v.set_string_value(j.dump());
  return v;
}

}  // namespace

double wall_time_now() {
  using namespace std::chrono;
  return duration<double>(system_clock::now().time_since_epoch()).count();
}

EventFileWriter::EventFileWriter(const std::string& dir, const std::string& flag)
    : flag_(flag), file_(nullptr, &std::fclose) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec || !std::filesystem::is_directory(dir))
    SENTI_FAIL(flag, ": cannot create the folder '", dir, "' (",
               ec ? ec.message() : "exists as a file", ")");
  path_ = (std::filesystem::path(dir) / event_file_name()).string();
  file_.reset(std::fopen(path_.c_str(), "wbx"));  // x: never overwrite another file
  if (!file_) SENTI_FAIL(flag, ": cannot create the event file '", path_, "'");
  Event first;
  first.set_wall_time(wall_time_now());
  first.set_file_version("brain.Event:2");
  write(first);
  flush();
}

EventFileWriter::~EventFileWriter() {
  if (file_) std::fflush(file_.get());
}

void EventFileWriter::write(const Event& event) {
  const std::string data = event.SerializeAsString();
  std::string record;
  record.reserve(data.size() + 16);
  put_u64(&record, data.size());
  put_u32(&record, masked_crc32c(record.data(), 8));
  record += data;
  put_u32(&record, masked_crc32c(data.data(), data.size()));
  if (std::fwrite(record.data(), 1, record.size(), file_.get()) != record.size())
    SENTI_FAIL(flag_, ": cannot write the event file '", path_, "' (disk full?)");
}

void EventFileWriter::flush() {
  if (std::fflush(file_.get()) != 0 || std::ferror(file_.get()))
    SENTI_FAIL(flag_, ": cannot write the event file '", path_, "' (disk full?)");
}

void EventFileWriter::add_scalars(int64_t step,
                                  const std::vector<std::pair<std::string, double>>& values) {
  Event e;
  e.set_wall_time(wall_time_now());
  e.set_step(step);
  Summary* s = e.mutable_summary();
  for (const auto& [tag, value] : values) {
    Summary::Value* v = s->add_value();
    v->set_tag(tag);
    v->set_simple_value(static_cast<float>(value));
  }
  write(e);
}

void EventFileWriter::add_text(int64_t step, const std::string& tag, const std::string& markdown) {
  Event e;
  e.set_wall_time(wall_time_now());
  e.set_step(step);
  Summary::Value* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("text");
  v->mutable_metadata()->set_data_class(DATA_CLASS_TENSOR);
  TensorProto* t = v->mutable_tensor();
  t->set_dtype(DT_STRING);
  t->mutable_tensor_shape();  // rank 0: one string
  t->add_string_val(markdown);
  write(e);
}

void EventFileWriter::add_image(int64_t step, const std::string& tag, const std::string& png,
                                int width, int height) {
  Event e;
  e.set_wall_time(wall_time_now());
  e.set_step(step);
  Summary::Value* v = e.mutable_summary()->add_value();
  v->set_tag(tag);
  Summary::Image* img = v->mutable_image();
  img->set_width(width);
  img->set_height(height);
  img->set_colorspace(3);
  img->set_encoded_image_string(png);
  write(e);
}

void EventFileWriter::add_hparams(const nlohmann::json& hparams, double start_time_secs) {
  HParamsPluginData data;
  data.set_version(0);  // the hparams plugin's PLUGIN_DATA_VERSION
  SessionStartInfo* info = data.mutable_session_start_info();
  info->set_start_time_secs(start_time_secs);
  for (const auto& [key, value] : hparams.items()) (*info->mutable_hparams())[key] = to_value(value);

  Event e;
  e.set_wall_time(wall_time_now());
  Summary::Value* v = e.mutable_summary()->add_value();
  v->set_tag("_hparams_/session_start_info");
  v->mutable_metadata()->mutable_plugin_data()->set_plugin_name("hparams");
  v->mutable_metadata()->mutable_plugin_data()->set_content(data.SerializeAsString());
  // The plugin ignores the tensor; TensorBoard's own writer stores an empty float vector.
  TensorProto* t = v->mutable_tensor();
  t->set_dtype(DT_FLOAT);
  t->mutable_tensor_shape()->add_dim()->set_size(0);
  write(e);
}

void EventFileWriter::add_session_start(int64_t step) {
  Event e;
  e.set_wall_time(wall_time_now());
  e.set_step(step);
  e.mutable_session_log()->set_status(SessionLog::START);
  write(e);
}

}  // namespace senti::tb
