#!/usr/bin/env python3
"""scripts/gpu_check.sh's control flow without a GPU (ctest label gpu-check).

Stand-ins on PATH and in a fake carry (tests/gpu_check/fakes/: nvidia-smi, compute-sanitizer, a
gtest-like senti_cuda_tests, a senti that trains and benches instantly) let the real script run
every stage's logic here: budgets and stage timeouts are honoured, a hanging suite or stage is cut
and reported while the rest still runs, the output folder never holds more than 8 files (it is
polled all along), the summary is complete after a cut at any moment, and a rerun in a warm build
folder works. run_all.py and the parsers are the real ones.

    python3 tests/gpu_check/gpu_check_test.py [-k NAME]
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
SCRIPT = os.path.join(ROOT, "scripts", "gpu_check.sh")
FAKES = os.path.join(HERE, "fakes")
OUR_FILES = {"summary.md", "results.env", "logs.tar.gz"}
MAX_FILES = 8  # what the device tool brings back


def read(path):
    with open(path, errors="replace") as f:
        return f.read()


def parse_results(path):
    d = {}
    for line in read(path).splitlines():
        k, _, v = line.partition("=")
        d[k] = v  # later lines win
    return d


class Run:
    def __init__(self, rc, wall, out, max_files, names):
        self.rc, self.wall, self.out, self.max_files, self.names = rc, wall, out, max_files, names
        s = os.path.join(out, "summary.md")
        self.summary = read(s) if os.path.exists(s) else None
        r = os.path.join(out, "results.env")
        self.results = parse_results(r) if os.path.exists(r) else {}

    def status(self, stage):
        return self.results.get(f"stage_{stage}_status", "not reached")

    def stage_rows(self):
        """stage -> status column of the summary's Stages table."""
        rows = {}
        for m in re.finditer(r"^\| \d+ \| (\w+) \| ([^|]*) \|", self.summary or "", re.M):
            rows[m.group(1)] = m.group(2).strip()
        return rows

    def failures(self):
        return [v for k, v in self.results.items() if k.startswith("failure.")]

    def notes(self):
        return [v for k, v in self.results.items() if k.startswith("note.")]


class GpuCheckTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.mkdtemp(prefix="gpu-check-test-")
        cls.bin = os.path.join(cls.tmp, "bin")
        os.makedirs(cls.bin)
        for tool in ("nvidia-smi", "compute-sanitizer"):
            shutil.copy(os.path.join(FAKES, tool), cls.bin)
        cls.carry = cls.make_carry("carry")

    @classmethod
    def tearDownClass(cls):
        if os.environ.get("GPU_CHECK_TEST_KEEP") != "1":  # =1: keep the folders to look at
            shutil.rmtree(cls.tmp, ignore_errors=True)

    @classmethod
    def make_carry(cls, name, source_hash=None):
        """A carry as prepare_gpu_carry.sh lays it out: one small .deb, stand-in prebuilt binaries
        with a BUILD_INFO that matches this tree, placeholder data."""
        carry = os.path.join(cls.tmp, name)
        os.makedirs(os.path.join(carry, "debs"))
        os.makedirs(os.path.join(carry, "prebuilt"))
        pkg = os.path.join(cls.tmp, name + "-pkg")
        os.makedirs(os.path.join(pkg, "DEBIAN"))
        os.makedirs(os.path.join(pkg, "usr", "share", "standin"))
        with open(os.path.join(pkg, "DEBIAN", "control"), "w") as f:
            f.write("Package: standin\nVersion: 1\nArchitecture: all\nMaintainer: t <t@t>\nDescription: t\n")
        with open(os.path.join(pkg, "usr", "share", "standin", "file"), "w") as f:
            f.write("x\n")
        subprocess.run(["dpkg-deb", "-b", pkg, os.path.join(carry, "debs", "standin_1_all.deb")],
                       check=True, capture_output=True)
        for b in ("senti", "senti_cuda_tests"):
            shutil.copy(os.path.join(FAKES, b), os.path.join(carry, "prebuilt", b))
        if source_hash is None:
            source_hash = subprocess.run([os.path.join(ROOT, "scripts", "gpu_check", "source_hash.sh"), ROOT],
                                         check=True, capture_output=True, text=True).stdout.strip()
        with open(os.path.join(carry, "prebuilt", "BUILD_INFO"), "w") as f:
            f.write(f"source_hash={source_hash}\ncuda_arch=90\ncudnn=9.0.0\n")
        open(os.path.join(carry, "aclImdb_v1_labeled.tar.gz"), "w").close()
        return carry

    def check(self, name, opts, stages=(), env=None, cut_after=None, cut_when=None, sig=signal.SIGKILL,
              carry=None, build="build"):
        """Runs the check (in its own session) with the stand-ins; polls the output folder's file count
        the whole time; optionally sends `sig` after `cut_after` seconds, or once the output folder's
        results.env holds the line `cut_when`, as the device tool's limit would. Leaves no process
        behind."""
        out = os.path.join(self.tmp, name, "out")
        work = os.path.join(self.tmp, name, "work")
        os.makedirs(out)
        e = dict(os.environ, PATH=self.bin + os.pathsep + os.environ["PATH"], SENTI_CARRY=carry or self.carry,
                 SENTI_DEPS_PREFIX=os.path.join(self.tmp, "prefix"),
                 SENTI_GPU_BUILD_DIR=os.path.join(self.tmp, build), SENTI_GPU_CHECK_WORK=work)
        e.setdefault("SENTI_PYTHON", sys.executable)  # the check's python: ours (ctest: the project's)
        e.update(env or {})
        log = open(os.path.join(self.tmp, name, "stdout"), "w")
        t0 = time.monotonic()
        p = subprocess.Popen(["bash", SCRIPT, *opts, out, *stages], env=e, stdout=log,
                             stderr=subprocess.STDOUT, start_new_session=True)
        seen = {"max": 0, "names": set()}
        done = threading.Event()

        reached = threading.Event()

        def poll():
            while not done.is_set():
                try:
                    names = os.listdir(out)
                except OSError:
                    names = []
                seen["max"] = max(seen["max"], len(names))
                seen["names"].update(names)
                if cut_when and "results.env" in names and not reached.is_set():
                    try:
                        if any(l.startswith(cut_when) for l in read(os.path.join(out, "results.env")).splitlines()):
                            reached.set()
                    except OSError:
                        pass
                time.sleep(0.01)

        poller = threading.Thread(target=poll)
        poller.start()
        try:
            if cut_when is not None:
                self.assertTrue(reached.wait(timeout=60), f"never saw {cut_when}")
                p.send_signal(sig)
            elif cut_after is not None:
                try:
                    p.wait(timeout=cut_after)
                except subprocess.TimeoutExpired:
                    p.send_signal(sig)
            rc = p.wait(timeout=120)
        finally:
            done.set()
            poller.join()
            self.kill_session(p.pid)
            log.close()
        return Run(rc, time.monotonic() - t0, out, seen["max"], seen["names"])

    @staticmethod
    def kill_session(sid):
        """Ends what the check left running after a SIGKILL (stage processes live in their own
        process groups under `timeout`, but in the check's session)."""
        for pid in os.listdir("/proc"):
            if not pid.isdigit():
                continue
            try:
                stat = read(f"/proc/{pid}/stat")
                session = int(stat.rsplit(")", 1)[1].split()[3])
            except (OSError, IndexError, ValueError):
                continue
            if session == sid:
                try:
                    os.kill(int(pid), signal.SIGKILL)
                except OSError:
                    pass

    def assert_complete(self, r, planned):
        """summary.md and results.env exist, the summary lists every planned stage once, at most one
        is running, everything after a running stage is not reached, and the folder stayed small."""
        self.assertLessEqual(r.max_files, MAX_FILES, r.names)
        self.assertTrue(r.names <= OUR_FILES | {"." + n + ".tmp" for n in OUR_FILES}, r.names)
        self.assertIsNotNone(r.summary, "no summary.md")
        self.assertIn("## Stages", r.summary)
        self.assertTrue(r.summary.rstrip().endswith("also in results.env."), "summary cut short")
        rows = r.stage_rows()
        self.assertEqual(list(rows), planned)
        running = [s for s, st in rows.items() if st.startswith("running")]
        self.assertLessEqual(len(running), 1, rows)
        if running:
            after = planned[planned.index(running[0]) + 1:]
            self.assertTrue(all(rows[s] == "not reached" for s in after), rows)
        self.assertTrue(set(os.listdir(r.out)) <= OUR_FILES | {"." + n + ".tmp" for n in OUR_FILES})


class FullRun(GpuCheckTest):
    def test_every_stage_runs_in_order_and_a_warm_rerun_passes(self):
        plan = ["probe", "deps", "binaries", "configure", "build", "cuda_tests", "train", "bench",
                "memcheck", "racecheck", "bench_b256", "train_epoch", "train_best", "pretrain", "cpu_suite"]
        mins = {"SENTI_GPU_CHECK_MINS": "racecheck=1 bench_b256=1 train_epoch=1 train_best=1 pretrain=1"}
        r = self.check("full", ["--budget", "100"], env=mins)
        self.assertEqual(r.rc, 0, r.summary)
        self.assert_complete(r, plan)
        self.assertEqual(set(os.listdir(r.out)), OUR_FILES)
        for s in ("probe", "deps", "binaries", "cuda_tests", "train", "bench", "memcheck", "racecheck",
                  "bench_b256", "train_epoch", "train_best", "pretrain"):
            self.assertEqual(r.status(s), "ok", s)
        self.assertEqual(r.status("configure"), "skipped")  # the prebuilt binaries load
        self.assertEqual(r.status("build"), "skipped")
        self.assertEqual(r.status("cpu_suite"), "skipped")  # needs 150 s, fewer are left
        self.assertTrue(any("needs at least 150 s" in n for n in r.notes()), r.notes())
        self.assertEqual(r.results["verdict"], "PASSED")
        self.assertEqual(r.results["python"].split()[0], os.environ.get("SENTI_PYTHON", sys.executable))
        self.assertEqual(r.results["cuda_tests_total"], "8")
        self.assertEqual(r.results["cuda_tests_passed"], "8")
        self.assertEqual(r.results["train_cuda_val_acc"], "0.8100")
        self.assertEqual(r.results["train_cpu_val_acc"], "0.8100")
        self.assertEqual(r.results["train_learned"], "yes")
        self.assertEqual(r.results["bench_seed_senti_ms"], "5.000")
        self.assertIn("memcheck: kernels 0 errors", r.summary)
        self.assertIn("source: CUDNN_RNN_ALGO_STANDARD", r.results["senti_rnn_algo"])
        with tarfile.open(os.path.join(r.out, "logs.tar.gz")) as t:
            names = t.getnames()
        self.assertIn("logs/cuda_tests/senti_cuda_tests.CudnnLstm.json", names)
        self.assertIn("logs/train_cuda.metrics.jsonl", names)
        self.assertIn("logs/run_all_seed/benchmarks.json", names)
        # Stage limits: each one's limit is within its cap and the budget.
        for s in ("probe", "cuda_tests", "memcheck"):
            self.assertLessEqual(int(r.results[f"stage_{s}_limit"]), 150)

        # Rerun in the same (warm) build folder and prefix: fresh training folders, deps reused.
        r2 = self.check("rerun", ["--budget", "60"], ["probe", "deps", "binaries", "train"])
        self.assertEqual(r2.rc, 0, r2.summary)
        self.assert_complete(r2, ["probe", "deps", "binaries", "train"])
        self.assertTrue(any("reused" in n for n in r2.notes()), r2.notes())
        self.assertEqual(r2.status("train"), "ok")

    def test_pretrain_reports_speed_and_perplexity(self):
        plan = ["probe", "binaries", "pretrain"]
        mins = {"SENTI_GPU_CHECK_MINS": "pretrain=1"}
        r = self.check("pretrain", ["--budget", "60"], plan, env=mins)
        self.assertEqual(r.rc, 0, r.summary)
        self.assert_complete(r, plan)
        self.assertEqual(r.status("pretrain"), "ok")
        res = r.results
        self.assertEqual(res["pretrain_exit"], "0")
        self.assertEqual(res["pretrain_ms_per_step"], "400.000")  # B64 at 160 samples/s
        self.assertEqual(res["pretrain_tokens_per_s"], "40000")
        self.assertEqual(res["pretrain_val_perplexity"], "512.3")
        self.assertEqual(res["pretrain_train_s"], "2.5")
        self.assertRegex(r.summary, r"\| exit 0 \| 400\.000 \| 40000 \| 512\.3 \| 2\.5 \| [\d.]+ \|")
        self.assertEqual(r.failures(), [])
        with tarfile.open(os.path.join(r.out, "logs.tar.gz")) as t:
            self.assertIn("logs/pretrain.metrics.jsonl", t.getnames())
            log = t.extractfile("logs/pretrain.log").read().decode()
        self.assertIn("stand-in senti pretrain --device cuda", log)
        # An error after the epoch: the stage fails, the figures it saw are still reported.
        r = self.check("pretrain-error", ["--budget", "60"], plan, env=dict(mins, FAKE_PRETRAIN_EXIT="3"))
        self.assertEqual(r.rc, 1)
        self.assertTrue(r.status("pretrain").startswith("FAILED"), r.status("pretrain"))
        self.assertEqual(r.results["pretrain_val_perplexity"], "512.3")
        self.assertTrue(any("senti pretrain --device cuda: exit 3" in f for f in r.failures()), r.failures())

    def test_train_best_reports_test_accuracy_epochs_and_the_target(self):
        plan = ["probe", "binaries", "train_best"]
        mins = {"SENTI_GPU_CHECK_MINS": "train_best=1"}
        r = self.check("best", ["--budget", "60"], plan, env=mins)
        self.assertEqual(r.rc, 0, r.summary)
        self.assert_complete(r, plan)
        self.assertEqual(r.status("train_best"), "ok")
        res = r.results
        self.assertEqual(res["train_best_exit"], "0")
        self.assertEqual(res["train_best_test_acc"], "0.9078")
        self.assertEqual(res["train_best_test_samples"], "25000")
        self.assertEqual(res["train_best_epochs"], "2")
        self.assertEqual(res["train_best_val_accs"], "0.9044,0.8994")
        self.assertEqual(res["train_best_restored_epoch"], "1")
        self.assertEqual(res["train_best_ms_per_step"], "5.000")  # B64 at 12800 samples/s
        self.assertEqual(res["train_best_target_met"], "yes")
        self.assertRegex(res["train_best_wall_s"], r"^\d+\.\d$")
        self.assertRegex(r.summary, r"## `--preset best` on the GPU")
        self.assertRegex(r.summary, r"\| exit 0 \| 2 \| 0\.9044 / 0\.8994 \| 1 \| 0\.9078 \| 25000 \| yes \| [\d.]+ \| 5\.000 \|")
        self.assertRegex(r.summary, r"- --preset best on the GPU: test_acc 0\.9078 \(25000 reviews; >= 0\.90: yes\), "
                                    r"val_acc 0\.9044 / 0\.8994, epoch 1 restored, [\d.]+ s wall, 5\.000 ms/step")
        self.assertEqual(r.failures(), [])
        with tarfile.open(os.path.join(r.out, "logs.tar.gz")) as t:
            log = t.extractfile("logs/train_best.log").read().decode()
            self.assertIn("logs/train_best.metrics.jsonl", t.getnames())
        self.assertIn("stand-in senti train --device cuda --preset best", log)

        # Below the target, the best epoch in the middle: reported and noted, not a failure.
        r = self.check("best-low", ["--budget", "60"], plan,
                       env=dict(mins, FAKE_BEST_VAL_ACCS="0.8800 0.8950 0.8900", FAKE_BEST_TEST_ACC="0.8850"))
        self.assertEqual(r.rc, 0, r.summary)
        self.assertEqual(r.status("train_best"), "ok")
        self.assertEqual(r.results["verdict"], "PASSED")
        self.assertEqual(r.results["train_best_val_accs"], "0.8800,0.8950,0.8900")
        self.assertEqual(r.results["train_best_restored_epoch"], "2")
        self.assertEqual(r.results["train_best_epochs"], "3")
        self.assertEqual(r.results["train_best_target_met"], "NO")
        self.assertTrue(any("0.8850 < 0.90" in n for n in r.notes()), r.notes())
        self.assertEqual(r.failures(), [])

        # No test figure, or an error: the stage fails (what it saw is still reported).
        r = self.check("best-notest", ["--budget", "60"], plan, env=dict(mins, FAKE_BEST_TEST_ACC="none"))
        self.assertEqual(r.rc, 1)
        self.assertTrue(r.status("train_best").startswith("FAILED"), r.status("train_best"))
        self.assertEqual(r.results["train_best_test_acc"], "-")
        self.assertEqual(r.results["train_best_target_met"], "NO")
        self.assertTrue(any("no test accuracy" in f for f in r.failures()), r.failures())
        r = self.check("best-error", ["--budget", "60"], plan, env=dict(mins, FAKE_BEST_EXIT="3"))
        self.assertEqual(r.rc, 1)
        self.assertTrue(r.status("train_best").startswith("FAILED"), r.status("train_best"))
        self.assertEqual(r.results["train_best_epochs"], "2")
        self.assertTrue(any("--preset best: exit 3" in f for f in r.failures()), r.failures())

        # An extra stage: skipped when its minimum (60 s) does not fit, and the check still passes.
        r = self.check("best-nofit", ["--budget", "40"], plan)
        self.assertEqual(r.rc, 0, r.summary)
        self.assertEqual(r.status("train_best"), "skipped")
        self.assertTrue(any("needs at least 60 s" in n for n in r.notes()), r.notes())
        self.assertEqual(r.results["verdict"], "PASSED")

    def test_lstm_flag_gives_a_row_per_senti_path(self):
        r = self.check("lstm", ["--budget", "60"], ["probe", "binaries", "bench"], env={"FAKE_LSTM": "1"})
        self.assertEqual(r.rc, 0, r.summary)
        self.assertEqual(r.results["bench_seed_senti_cudnn_ms"], "5.000")
        self.assertEqual(r.results["bench_seed_senti_fused_ms"], "2.500")
        self.assertEqual(r.results["bench_graph_on_ms"], "5.000")  # the --cuda-graph pair
        self.assertEqual(r.results["bench_graph_off_ms"], "5.250")

    def test_planted_failures_are_reported(self):
        plan = ["probe", "binaries", "cuda_tests", "train", "memcheck"]
        r = self.check("failures", ["--budget", "60"], plan,
                       env={"FAKE_FAIL_SUITE": "CudaBackend", "FAKE_SKIP_SUITE": "CudaFactory",
                            "FAKE_VAL_ACC": "0.52", "FAKE_SANITIZER_ERRORS": "2"})
        self.assertEqual(r.rc, 1)
        self.assert_complete(r, plan)
        self.assertTrue(r.results["verdict"].startswith("FAILED"))
        self.assertEqual(r.results["cuda_tests_failed"], "1")
        self.assertEqual(r.results["cuda_tests_skipped"], "1")  # skipped on a GPU machine fails too
        self.assertIn("CudaBackend.OneStepLossAndEveryGradientMatchCpu: stand-in failure", r.summary)
        self.assertTrue(r.status("cuda_tests").startswith("FAILED"))
        self.assertTrue(r.status("train").startswith("FAILED"))
        self.assertEqual(r.results["train_learned"], "NO")
        self.assertTrue(r.status("memcheck").startswith("FAILED"))
        self.assertTrue(any("did not learn" in f for f in r.failures()), r.failures())

    def test_no_gpu_and_stale_binaries(self):
        r = self.check("nogpu", ["--budget", "30"], ["probe", "binaries", "cuda_tests"], env={"FAKE_NO_GPU": "1"})
        self.assertEqual(r.rc, 1)
        self.assertTrue(r.status("probe").startswith("FAILED"))
        self.assertEqual(r.status("cuda_tests"), "skipped")
        self.assertTrue(any("no GPU" in n for n in r.notes()), r.notes())
        r = self.check("dry", ["--dry-run", "--budget", "30"], env={"FAKE_NO_GPU": "1"})
        self.assertEqual(r.rc, 0, r.summary)
        self.assert_complete(r, ["probe", "deps", "binaries", "configure", "build"])
        stale = self.make_carry("stale-carry", source_hash="0000000000000000")
        r = self.check("stale", ["--budget", "30"], ["probe", "binaries"], carry=stale)
        self.assertEqual(r.results["need_build"], "1")
        self.assertTrue(any("other sources" in n for n in r.notes()), r.notes())


class Hangs(GpuCheckTest):
    def test_a_hanging_suite_a_hanging_command_and_a_hanging_stage_are_cut(self):
        plan = ["probe", "binaries", "cuda_tests", "train", "bench"]
        r = self.check("hang", ["--budget", "60"], plan,
                       env={"FAKE_SANITIZER_HANG_VERSION": "1", "FAKE_HANG_SUITE": "CudnnLstm",
                            "SENTI_CUDA_SUITE_CAP": "2", "FAKE_HANG_TRAIN": "cuda", "SENTI_TRAIN_GPU_CAP": "2",
                            "SENTI_GPU_CHECK_CAPS": "probe=4"})
        self.assertEqual(r.rc, 1)
        self.assert_complete(r, plan)
        # The probe hung in an unbounded command: cut at the stage's own cap, reported, and what it
        # had recorded before (the GPU) is kept.
        self.assertEqual(r.status("probe"), "CUT at its 4 s limit")
        self.assertLessEqual(int(r.results["stage_probe_seconds"]), 4 + 3 + 2)
        self.assertIn("## probe: cut at its 4 s limit", r.summary)
        self.assertEqual(r.results["gpu_present"], "1")
        # The hanging suite was cut at its 2 s; the other suites' results are kept.
        self.assertTrue(r.status("cuda_tests").startswith("FAILED"))
        self.assertEqual(r.results["cuda_tests_passed"], "6")
        self.assertEqual(r.results["cuda_tests_lost"], "2")
        self.assertRegex(r.summary, r"\| senti_cuda_tests \| CudnnLstm \| 2 \|.*CUT after")
        # The hanging GPU training was cut at its 2 s, the CPU run and bench still ran.
        self.assertTrue(r.status("train").startswith("FAILED"))
        self.assertRegex(r.summary, r"\| cuda \| CUT at its limit \|")
        self.assertRegex(r.summary, r"\| cpu \| exit 0 \| 2 \| 0.8100 \|")
        self.assertEqual(r.status("bench"), "ok")

    def test_the_budget_cuts_the_stage_that_overruns_and_skips_the_rest(self):
        plan = ["probe", "binaries", "cuda_tests", "train", "bench", "memcheck"]
        budget = 12
        r = self.check("budget", ["--budget", str(budget)], plan,
                       env={"FAKE_HANG_TRAIN": "cuda", "SENTI_TRAIN_GPU_CAP": "100",
                            "SENTI_GPU_CHECK_MINS": "cuda_tests=1 train=1"})
        self.assertEqual(r.rc, 1)
        self.assert_complete(r, plan)
        self.assertEqual(r.status("cuda_tests"), "ok")
        self.assertTrue(r.status("train").startswith(("FAILED", "CUT")), r.status("train"))
        self.assertRegex(r.summary, r"\| cuda \| CUT at its limit \|")
        self.assertLess(int(r.results["stage_train_limit"]), 90)  # the budget's rest, not the cap
        for s in ("bench", "memcheck"):
            self.assertEqual(r.status(s), "skipped")
        self.assertTrue(any("of the budget left" in n for n in r.notes()), r.notes())
        self.assertIn("core stages did not fit the budget", r.results["verdict"])
        # The whole check ends within its budget (+ the kill grace of the last stage).
        self.assertLessEqual(int(r.results["total_seconds"]), budget + 3)
        self.assertLess(r.wall, budget + 8)


class Cuts(GpuCheckTest):
    PLAN = ["probe", "deps", "binaries", "cuda_tests", "train", "bench", "memcheck"]
    SLOW = {"FAKE_SLEEP": "0.4"}  # every stand-in call takes a while, so cuts land inside stages

    def test_the_summary_is_complete_after_a_kill_at_any_moment(self):
        statuses = set()
        for i, after in enumerate((0.3, 1.5, 3.0, 5.0)):
            r = self.check(f"kill{i}", ["--budget", "60"], self.PLAN, env=self.SLOW, cut_after=after)
            self.assertLessEqual(r.max_files, MAX_FILES, r.names)
            if r.summary is None and after < 1:
                continue  # killed before the first write: nothing finished, nothing to return
            self.assert_complete(r, self.PLAN)
            statuses.add(tuple(r.stage_rows().values()))
        self.assertGreaterEqual(len(statuses), 2, "the cuts should land at different stages")

    def test_a_terminated_check_marks_its_stage_cut(self):
        r = self.check("term", ["--budget", "60"], self.PLAN, env={"FAKE_HANG_SUITE": "CudaBackend"},
                       cut_when="stage_cuda_tests_status=running", sig=signal.SIGTERM)
        self.assertEqual(r.rc, 143)
        self.assert_complete(r, self.PLAN)
        self.assertTrue(r.results["verdict"].startswith("CUT by SIGTERM"), r.results.get("verdict"))
        self.assertTrue(r.status("cuda_tests").startswith("CUT (SIGTERM"), r.stage_rows())
        self.assertEqual(r.status("train"), "not reached")

    def test_a_kill_inside_a_hanging_stage_leaves_it_marked_running(self):
        r = self.check("killrun", ["--budget", "60"], self.PLAN, env={"FAKE_HANG_TRAIN": "cuda"},
                       cut_when="stage_train_status=running")
        self.assert_complete(r, self.PLAN)
        self.assertTrue(r.status("train").startswith("running"), r.stage_rows())
        self.assertEqual(r.status("cuda_tests"), "ok")
        self.assertIn("CUDA tests: 8 in 4 suites: 8 passed", r.summary)


if __name__ == "__main__":
    unittest.main(verbosity=2)
