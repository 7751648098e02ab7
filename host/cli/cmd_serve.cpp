// `senti serve`: the model behind a small HTTP API and a demo page (host/cli/serve_server.h).
// Loopback only unless --allow-remote; prints the URL once listening; SIGINT/SIGTERM stop it
// cleanly (the accept loop ends, requests in flight finish, the process exits 0).
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <string>
#include <thread>

#include "host/run/checkpoint.h"
#include "kernels/common/error.h"
#include "host/run/predictor.h"
#include "host/cli/checkpoint_flag.h"
#include "host/cli/commands.h"
#include "host/cli/device_flags.h"
#include "host/cli/flag_names.h"
#include "host/cli/serve_server.h"

namespace senti::cli {
namespace {

// Numbers are read as int64 and range-checked here, so that "-1" is refused instead of wrapping
// around to 2^64-1 in an unsigned limit.
struct ServeFlags {
  std::string checkpoint;
  std::string host = "127.0.0.1";
  int64_t port = 8080;
  bool allow_remote = false;
  std::string device = "auto";
  int64_t batch = 64;
  int64_t max_texts = ServeLimits{}.max_texts;
  int64_t max_body_bytes = ServeLimits{}.max_body_bytes;
  int64_t max_text_bytes = ServeLimits{}.max_text_bytes;
  int64_t threads = HttpOptions{}.threads;
  int64_t request_timeout = HttpOptions{}.request_timeout_s;
};

void check_range(const char* flag, int64_t value, int64_t lo, int64_t hi) {
  if (value < lo || value > hi)
    SENTI_FAIL(flag, " must be in ", lo, "..", hi, ", got ", value);
}

void check_flags(const ServeFlags& f) {
  check_range("--port", f.port, 0, 65535);
  check_range("--batch", f.batch, 1, 4096);
  check_range("--max-texts", f.max_texts, 1, 65536);
  check_range("--max-body-bytes", f.max_body_bytes, 64, int64_t{1} << 30);
  check_range("--max-text-bytes", f.max_text_bytes, 1, f.max_body_bytes);
  check_range("--threads", f.threads, 1, 1024);
  check_range("--request-timeout", f.request_timeout, 1, 3600);
}

// SIGINT/SIGTERM -> a byte on a self-pipe (write() is async-signal-safe, and the handler may run
// on any thread, OpenBLAS's included); a waiter thread reads it and stops the server outside any
// signal handler. The previous handlers come back on destruction.
int g_stop_pipe[2] = {-1, -1};
extern "C" void on_stop_signal(int sig) {
  const char c = static_cast<char>(sig);
  [[maybe_unused]] const ssize_t n = write(g_stop_pipe[1], &c, 1);
}

class StopSignals {
 public:
  StopSignals() {
    if (pipe(g_stop_pipe) != 0) SENTI_CHECK(false, "pipe() failed");
    struct sigaction sa {};
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, &old_int_);
    sigaction(SIGTERM, &sa, &old_term_);
  }
  ~StopSignals() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGTERM, &old_term_, nullptr);
    close(g_stop_pipe[0]);
    close(g_stop_pipe[1]);
    g_stop_pipe[0] = g_stop_pipe[1] = -1;
  }
  // Blocks until a signal (returns its number) or wake() (returns 0).
  int wait() {
    char c = 0;
    while (read(g_stop_pipe[0], &c, 1) < 0 && errno == EINTR) {
    }
    return static_cast<unsigned char>(c);
  }
  void wake() { on_stop_signal(0); }

 private:
  struct sigaction old_int_ {}, old_term_ {};
};

const char* side_name(data::Side s) { return s == data::Side::Pre ? "pre" : "post"; }

nlohmann::json model_info(const Checkpoint& c, const std::string& path, Backend& backend) {
  return {{"checkpoint", path},
          {"vocab_size", c.model.vocab_size},
          {"embed_dim", c.model.embed_dim},
          {"hidden", c.model.hidden},
          {"num_words", c.vocab.num_words},
          {"maxlen", c.sequence.maxlen},
          {"padding", side_name(c.sequence.padding)},
          {"truncating", side_name(c.sequence.truncating)},
          {"epochs_trained", c.epoch},
          {"head", head_name(c.model.head)},
          {"classes", c.classes},  // label order; two classes: prob_positive is classes[1]'s
          {"backend", backend.describe()}};
}

std::string url_for(const std::string& host, int port) {
  const bool v6 = host.find(':') != std::string::npos && host.front() != '[';
  return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port) + "/";
}

void run_serve(const ServeFlags& f) {
  if (!is_loopback_host(f.host) && !f.allow_remote)
    SENTI_FAIL("--host ", f.host, " is not a loopback address (127.x.y.z, ::1, ::ffff:127.x.y.z or "
               "localhost): other machines could reach the server. Add --allow-remote to bind it "
               "on purpose");
  // "127.1" binds and is printed as 127.0.0.1, "::ffff:127.0.0.1" as 127.0.0.1, "[::1]" as ::1.
  const std::string host = canonical_host(f.host);
  check_flags(f);
  ServeLimits limits;
  limits.max_texts = static_cast<size_t>(f.max_texts);
  limits.max_body_bytes = static_cast<size_t>(f.max_body_bytes);
  limits.max_text_bytes = static_cast<size_t>(f.max_text_bytes);
  HttpOptions http;
  http.threads = static_cast<int>(f.threads);
  http.request_timeout_s = static_cast<int>(f.request_timeout);
  const int batch = static_cast<int>(f.batch);

  const Checkpoint ckpt = load_checkpoint(f.checkpoint);
  check_inference_ready(ckpt, f.checkpoint);
  auto backend = open_backend(f.device, inference_backend_options(ckpt, batch), stderr);
  Predictor predictor(ckpt, std::move(backend), batch, f.checkpoint);
  PredictServer server(predictor, limits, model_info(ckpt, f.checkpoint, predictor.backend()), http);

  const int port = server.bind(host, static_cast<int>(f.port));
  StopSignals signals;
  std::thread waiter([&] {
    const int sig = signals.wait();
    if (sig > 0) std::fprintf(stderr, "senti serve: stopping (signal %d)\n", sig);
    server.stop();
  });

  if (!is_loopback_host(host))
    std::fprintf(stderr, "senti serve: WARNING: listening on %s, reachable from other machines "
                 "(--allow-remote)\n", host.c_str());
  std::printf("senti serve: listening on %s  (POST /v1/predict, GET /healthz; Ctrl-C stops)\n",
              url_for(host, port).c_str());
  std::fflush(stdout);
  server.run();
  signals.wake();  // run() also returns when the accept loop failed: let the waiter finish
  waiter.join();
  std::fprintf(stderr, "senti serve: stopped\n");
}

}  // namespace

void register_serve(CLI::App& app) {
  auto f = std::make_shared<ServeFlags>();
  auto* cmd = app.add_subcommand(
      "serve", "Serve the model over HTTP: POST /v1/predict {\"texts\": [...]}, GET /healthz, and a "
               "demo page at /");
  add_checkpoint_flag(cmd, &f->checkpoint);
  cmd->add_option("--host", f->host, "Address to listen on (loopback unless --allow-remote)")
      ->default_val("127.0.0.1");
  add_integer_option(cmd, "--port", f->port,
                     "Port to listen on; 0 picks a free one")->default_val(8080);
  cmd->add_flag("--allow-remote", f->allow_remote,
                "Allow a --host other machines can reach (e.g. 0.0.0.0)");
  add_device_flag(cmd, &f->device);
  add_integer_option(cmd, "--batch", f->batch, "Reviews per forward pass")->default_val(64);
  add_integer_option(cmd, "--max-texts", f->max_texts, "Most reviews in one request (1..65536)")
      ->default_val(f->max_texts);
  add_integer_option(cmd, "--max-body-bytes", f->max_body_bytes,
                     "Largest request body (64 B..1 GiB)")
      ->default_val(f->max_body_bytes);
  add_integer_option(cmd, "--max-text-bytes", f->max_text_bytes,
                     "Longest review in a request (at most --max-body-bytes)")
      ->default_val(f->max_text_bytes);
  add_integer_option(cmd, "--threads", f->threads,
                     "Connection worker threads: each open connection holds one (1..1024)")
      ->default_val(f->threads);
  add_integer_option(cmd, "--request-timeout", f->request_timeout,
                     "Seconds a client has to send a whole request, and to take its response "
                     "(1..3600)")
      ->default_val(f->request_timeout);
  cmd->callback([f] { run_serve(*f); });
}

}  // namespace senti::cli
