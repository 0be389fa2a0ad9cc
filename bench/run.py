"""labguide's benchmarks: `python bench/run.py [--quick]`.

Prints one `name: value` line per figure, each measured in this run beside
the peer it is compared with (see bench/README.md for what each one means,
the targets and the latest figures). `--quick` takes fewer samples, a faster
time scale and a smaller class, and leaves out the class of two hundred.

Everything runs on loopback: the sandbox (time scale 0 unless said), the
guide in a pseudo-terminal, the AWS CLI against the sandbox's endpoint.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from critical_path import one_at_a_time, shortest
from sandbox_process import start_sandbox, stop_sandbox
from terminal import Terminal

from labguide.catalog import load_catalog

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
PYTHON = sys.executable
EMAIL = "learner@example.com"
GUIDE_READY = "Sessions to resume"
"""Words of the guide's start screen, shown once it is up."""
BARE_READY = "Bare Textual app ready"
LAB_SCREEN = "Create the VPC and subnets"
"""Words of the lab screen (step 1's title)."""


class Bench:
    """One run of the benchmarks, in a scratch folder.

    Args:
        quick: fewer samples, a faster time scale, a smaller class.
        folder: the scratch folder.
    """

    def __init__(self, quick: bool, folder: Path) -> None:
        self.quick = quick
        self.folder = folder
        self.servers: list[subprocess.Popen[bytes]] = []
        base = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("AWS_", "LABGUIDE_", "PYTHONDONTWRITEBYTECODE"))
        }
        # As an installed package would be: compiled once, then loaded from
        # bytecode (kept here, out of the source tree).
        base["PYTHONPYCACHEPREFIX"] = str(folder / "pycache")
        base["AWS_CONFIG_FILE"] = str(folder / "no-aws-config")
        base["AWS_SHARED_CREDENTIALS_FILE"] = str(folder / "no-aws-credentials")
        base["AWS_EC2_METADATA_DISABLED"] = "true"
        # The AWS CLI of this interpreter's environment (the test extras
        # install it), even when that environment is not activated.
        scripts = str(Path(PYTHON).parent)
        base["PATH"] = os.pathsep.join([scripts, base.get("PATH", "")])
        self.env = base

    def say(self, name: str, value: object) -> None:
        """Prints one figure."""
        if isinstance(value, float):
            value = f"{value:.3f}" if value < 100 else f"{value:.1f}"
        print(f"{name}: {value}", flush=True)

    def home(self, name: str) -> dict[str, str]:
        """The environment of a labguide with its own LABGUIDE_HOME."""
        path = self.folder / name
        path.mkdir(exist_ok=True)
        return {**self.env, "LABGUIDE_HOME": str(path)}

    def samples(self, full: int, quick: int) -> int:
        return quick if self.quick else full

    # -- the figures ---------------------------------------------------------

    def warm_up(self) -> None:
        """Compiles labguide and its dependencies once, as an install does."""
        subprocess.run(
            [PYTHON, "-m", "compileall", "-q", str(ROOT / "labguide")],
            env=self.env,
            check=True,
        )
        subprocess.run(
            [
                PYTHON,
                "-c",
                "import labguide.tui, labguide.engine.session, "
                "labguide.sandbox.server, labguide.commands.workshop, moto.server",
            ],
            env=self.env,
            check=True,
        )
        self.say("cpus", os.cpu_count() or 0)
        self.say("load_average_1m", os.getloadavg()[0])

    def help(self) -> None:
        """`labguide --help` against the interpreter doing nothing."""
        runs = self.samples(10, 5)
        help_times = []
        bare_times = []
        for _ in range(runs):
            bare_times.append(timed([PYTHON, "-c", "pass"], self.env))
            help_times.append(timed([PYTHON, "-m", "labguide", "--help"], self.env))
        self.say("help_seconds", statistics.median(help_times))
        self.say("python_startup_seconds", statistics.median(bare_times))

    def startup(self) -> float:
        """The guide's first screen against a bare Textual app's, in a pty;
        returns the bare app's peak memory."""
        runs = self.samples(7, 3)
        guide, uncached, bare, memory = [], [], [], []
        env = self.home("startup")
        cache = Path(env["LABGUIDE_HOME"]) / "cache"
        for _ in range(runs):
            seconds, peak = first_screen(
                [PYTHON, BENCH / "bare_textual.py"], env, BARE_READY
            )
            bare.append(seconds)
            memory.append(peak)
            # The first start after an install or an edit of the catalog
            # validates it; every later one takes it from the cache.
            shutil.rmtree(cache, ignore_errors=True)
            seconds, _ = first_screen([PYTHON, "-m", "labguide"], env, GUIDE_READY)
            uncached.append(seconds)
            seconds, _ = first_screen([PYTHON, "-m", "labguide"], env, GUIDE_READY)
            guide.append(seconds)
        self.say("startup_seconds", statistics.median(guide))
        self.say("startup_uncached_catalog_seconds", statistics.median(uncached))
        validate, cached = self.catalog_load(runs, env)
        self.say("catalog_validate_seconds", validate)
        self.say("catalog_cached_load_seconds", cached)
        self.say("bare_textual_startup_seconds", statistics.median(bare))
        self.say(
            "startup_vs_bare_textual_ratio",
            statistics.median(guide) / statistics.median(bare),
        )
        return max(memory)

    def catalog_load(self, runs: int, env: dict[str, str]) -> tuple[float, float]:
        """What the guide does before its first screen that a bare Textual
        app does not, measured inside a fresh interpreter (median seconds):
        importing pydantic and PyYAML and validating the catalog, as the first
        start does; and taking the validated catalog from its cache, as every
        later start does."""
        timer = "import time; began = time.perf_counter(); {}; " + (
            "print(time.perf_counter() - began)"
        )
        validate = timer.format(
            "from labguide.catalog.loader import load_catalog; load_catalog()"
        )
        cached = timer.format(
            "from labguide.catalog import load_catalog; load_catalog()"
        )
        run([PYTHON, "-c", cached], env)  # fills the cache
        return (
            statistics.median(
                float(run([PYTHON, "-c", validate], env).stdout) for _ in range(runs)
            ),
            statistics.median(
                float(run([PYTHON, "-c", cached], env).stdout) for _ in range(runs)
            ),
        )

    def serve(self, env: dict[str, str], scale: float = 0.0) -> dict[str, str]:
        """Starts `labguide sandbox serve` for this home; returns the AWS
        variables that reach it."""
        process, exports = start_sandbox(env, scale)
        self.servers.append(process)
        return exports

    def full_lab(self) -> None:
        """The whole lab performed and verified in the sandbox (scale 0):
        labguide's three commands against the AWS CLI script."""
        env = self.home("lab")
        exports = self.serve(env)
        # Every service answers once before the clock starts (moto builds
        # its backends on first use).
        run([PYTHON, "-m", "labguide", "status"], env)
        runs = self.samples(3, 1)
        times, calls = [], 0
        for index in range(runs):
            who = ["--participant", f"bench{index}"]
            began = time.perf_counter()
            done = run(
                [
                    PYTHON,
                    "-m",
                    "labguide",
                    "run",
                    "--all",
                    *who,
                    "--email",
                    EMAIL,
                    "--json",
                ],
                env,
            )
            run([PYTHON, "-m", "labguide", "sandbox", "confirm-email"], env)
            run([PYTHON, "-m", "labguide", "verify", *who, "--json"], env)
            times.append(time.perf_counter() - began)
            calls = json.loads(done.stdout)["calls"]
        labguide = statistics.median(times)
        self.say("sandbox_full_lab_seconds", labguide)
        self.say("sandbox_full_lab_calls", calls)

        values = subprocess.run(
            [PYTHON, BENCH / "lab_env.py", "--participant", "cli"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        script_env = {**env, **exports, **parse_assignments(values)}
        script_env["AWS_REGION"] = exports["AWS_DEFAULT_REGION"]
        began = time.perf_counter()
        run(["bash", BENCH / "awscli_lab.sh"], script_env)
        awscli = time.perf_counter() - began
        self.say("awscli_full_lab_seconds", awscli)
        self.say("sandbox_full_lab_vs_awscli_ratio", labguide / awscli)

    def critical_path(self) -> None:
        """With the timing model on: labguide against the critical path and
        against a strictly one-step-at-a-time run."""
        scale = 0.03 if self.quick else 0.1
        catalog = load_catalog()
        path, _ = shortest(catalog)
        measured = {}
        for mode in ("labguide", "sequential"):
            out = run(
                [PYTHON, BENCH / "lab_timing.py", mode, str(scale)], self.env, cwd=BENCH
            )
            result = json.loads(out.stdout.splitlines()[-1])
            if result["failed"] or set(result["goals"].values()) != {"passed"}:
                raise RuntimeError(f"{mode} run did not finish: {result}")
            measured[mode] = result["seconds"]
        self.say("time_scale", scale)
        self.say("critical_path_seconds", path * scale)
        self.say("labguide_timed_lab_seconds", measured["labguide"])
        self.say("critical_path_ratio", measured["labguide"] / (path * scale))
        self.say("sequential_model_seconds", one_at_a_time(catalog) * scale)
        self.say("sequential_lab_seconds", measured["sequential"])
        self.say(
            "sequential_vs_labguide_ratio",
            measured["sequential"] / measured["labguide"],
        )

    def class_view(self) -> None:
        """Class view refreshes as the class grows."""
        sizes = ["3", "30"] if self.quick else ["3", "30", "200"]
        out = run([PYTHON, BENCH / "class_view.py", *sizes], self.env, cwd=BENCH)
        for line in out.stdout.splitlines():
            found = json.loads(line)
            n = found["participants"]
            self.say(f"class_view_calls_n{n}", found["warm_calls"])
            self.say(f"class_view_seconds_n{n}", found["warm_seconds"])
            self.say(f"class_view_first_refresh_calls_n{n}", found["cold_calls"])
            # Read one after another, the calls would add their latency up.
            latency = found["latency"]
            self.say(f"class_view_seconds_n{n}_latency", found["latency_seconds"])
            self.say(
                f"class_view_latency_vs_one_by_one_ratio_n{n}",
                found["latency_seconds"]
                / (found["warm_seconds"] + found["latency_calls"] * latency),
            )
            if "naive" in found:
                naive = found["naive"]
                self.say(f"verify_each_calls_n{naive['labs']}", naive["calls"])
                self.say(f"verify_each_seconds_n{naive['labs']}", naive["seconds"])
        if self.quick:
            self.say("class_view_seconds_n200", "not measured (--quick)")

    def guide_memory(self, bare_peak: float) -> None:
        """The guide's peak memory while it performs the whole lab."""
        env = self.home("guide")
        self.serve(env)
        terminal = Terminal([PYTHON, "-m", "labguide", "--email", EMAIL], env)
        state = Path(env["LABGUIDE_HOME"]) / "sessions" / "sandbox-us-east-1-_solo.json"
        try:
            terminal.wait_for(GUIDE_READY)
            terminal.press("ctrl+s")
            terminal.wait_for(LAB_SCREEN)
            terminal.press("a")
            wait_for(lambda: all_done(state), 180)
            terminal.press("e", "r")
            time.sleep(3)
            peak = terminal.peak_rss_mb()
        finally:
            terminal.close()
        self.say("tui_peak_rss_mb", peak)
        self.say("bare_textual_peak_rss_mb", bare_peak)

    def close(self) -> None:
        for server in self.servers:
            stop_sandbox(server, timeout=20)


def timed(command: list[str], env: dict[str, str]) -> float:
    began = time.perf_counter()
    subprocess.run(command, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - began


def run(
    command: list[object], env: dict[str, str], cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(part) for part in command],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(
            f"{command[:4]} exited {done.returncode}: {done.stderr[-800:]}"
        )
    return done


def first_screen(
    command: list[object], env: dict[str, str], words: str
) -> tuple[float, float]:
    """Seconds from start to `words` on screen, and peak memory by then."""
    terminal = Terminal([str(part) for part in command], env)
    try:
        seconds = terminal.wait_for(words)
        return seconds, terminal.peak_rss_mb()
    finally:
        terminal.close()


def wait_for(condition: Callable[[], bool], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("gave up waiting")
        time.sleep(0.1)


def all_done(state: Path) -> bool:
    """Whether the session file shows every article step done."""
    try:
        steps = json.loads(state.read_text())["steps"]
    except (OSError, ValueError, KeyError):
        return False
    article = [s for s in steps.values()][:-1]
    return bool(article) and all(s["status"] == "done" for s in article)


def parse_assignments(text: str) -> dict[str, str]:
    """`NAME='value'` lines (as lab_env.py prints them) as a mapping."""
    import shlex

    found = {}
    for line in text.splitlines():
        name, _, value = line.partition("=")
        found[name] = shlex.split(value)[0] if value else ""
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="a smaller, faster run")
    parser.add_argument(
        "--only",
        nargs="*",
        choices=("help", "startup", "lab", "critical", "class", "memory"),
        help="only these groups of figures",
    )
    args = parser.parse_args()
    wanted = set(args.only or ("help", "startup", "lab", "critical", "class", "memory"))
    folder = Path(tempfile.mkdtemp(prefix="labguide-bench-"))
    bench = Bench(args.quick, folder)
    try:
        bench.warm_up()
        if "help" in wanted:
            bench.help()
        bare_peak = bench.startup() if wanted & {"startup", "memory"} else 0.0
        steps: list[tuple[str, Callable[[], None]]] = [
            ("lab", bench.full_lab),
            ("critical", bench.critical_path),
            ("memory", lambda: bench.guide_memory(bare_peak)),
            ("class", bench.class_view),
        ]
        for name, step in steps:
            if name in wanted:
                try:
                    step()
                except (RuntimeError, TimeoutError) as problem:
                    bench.say(f"{name}_error", str(problem).replace("\n", " ")[:300])
    finally:
        bench.close()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
