#pragma once
// Helpers for the tests that run the built `senti serve` as a process: start it on a free port
// and wait for the URL it prints; find a headless browser for the demo-page tests.
#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <regex>
#include <string>
#include <thread>
#include <vector>

#include "test_env.h"

extern char** environ;

namespace senti::test {

struct ServeProcess {
  pid_t pid = 0;     // 0 when it could not be started
  int port = 0;      // 0 when it never printed its URL (exited, or not within 15 s)
  std::string log;   // its stdout and stderr so far
};

// `senti serve --device cpu --checkpoint CKPT --port 0 EXTRA...`, stdout and stderr into out_path;
// waits up to 15 s for "listening on http://127.0.0.1:<port>/", stopping early if it exits.
inline ServeProcess start_serve(const std::string& ckpt, const std::string& out_path,
                                const std::vector<std::string>& extra = {}) {
  const std::string bin = senti_bin();
  std::vector<std::string> args = {bin, "serve", "--device", "cpu", "--checkpoint", ckpt, "--port", "0"};
  args.insert(args.end(), extra.begin(), extra.end());
  std::vector<char*> argv;
  for (std::string& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  ServeProcess p;
  const int rc = posix_spawn(&p.pid, bin.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    p.pid = 0;
    p.log = "posix_spawn failed: " + std::to_string(rc);
    return p;
  }
  const std::regex listening("listening on http://127\\.0\\.0\\.1:(\\d+)/");
  for (int i = 0; i < 300 && p.port == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    std::ifstream in(out_path);
    p.log.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    std::smatch m;
    if (std::regex_search(p.log, m, listening)) p.port = std::stoi(m[1]);
    else if (waitpid(p.pid, nullptr, WNOHANG) == p.pid) break;  // exited (e.g. refused its flags)
  }
  return p;
}

// $SENTI_CHROMIUM, else the first of chromium / chromium-browser / google-chrome on PATH; "" if none.
inline std::string find_chromium() {
  if (const char* c = std::getenv("SENTI_CHROMIUM"); c && *c) return c;
  for (const char* name : {"chromium", "chromium-browser", "google-chrome"}) {
    std::string out;
    if (run_command(std::string("command -v ") + name, &out) == 0 && !out.empty())
      return out.substr(0, out.find('\n'));
  }
  return "";
}

}  // namespace senti::test
