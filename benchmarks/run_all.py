"""Run every benchmark in one go and write their figures, with the machine they ran on, to docs/performance.md.

Each script in ``BENCHMARKS`` runs in its own process, in order, its output
streamed to the terminal as it comes. A script that is not in benchmarks/
yet is noted as missing; one that fails is noted with its exit status and
its output. Each benchmark's summary line is read back to say whether its
target was met, so a missed target stands out at the top of the file, next
to the lines of that benchmark's output that say where the cost went.

Run: make bench   (or: .venv/bin/python benchmarks/run_all.py [--out PATH] [NAME ...])
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Optional

ROOT = Path(__file__).resolve().parent.parent
HERE = ROOT / "benchmarks"
OUT = ROOT / "docs" / "performance.md"
MISS_WORDS = re.compile(r"\b(SLOW|MISSED|MISSES|FAIL|FAILED)\b")
NOISE = "Kernel is running over TCP without encryption"  # ipykernel's warning at every kernel start, on stderr


def number(pattern: str, text: str) -> Optional[float]:
    """The first number captured by ``pattern`` in ``text``, or None."""
    found = re.search(pattern, text)
    return float(found.group(1)) if found else None


def change_cost_met(out: str) -> Optional[bool]:
    ratio = number(r"ratio large/teaching: ([\d.]+)", out)
    return None if ratio is None else ratio <= 3


def widgets_met(out: str) -> Optional[bool]:
    found = re.search(r"widgets: (\d+)/(\d+) within .*in-place vs redraw ([\d.]+)x", out)
    return None if not found else found.group(1) == found.group(2) and float(found.group(3)) <= 0.5


def notebooks_met(out: str) -> Optional[bool]:
    found = re.search(r"notebooks: (\d+)/(\d+) within", out)
    return None if not found else found.group(1) == found.group(2)


def grader_met(out: str) -> Optional[bool]:
    seconds = number(r"grader: \d+ notebooks in ([\d.]+) s", out)
    return None if seconds is None else seconds <= 300


def course_met(out: str) -> Optional[bool]:
    found = re.search(r"course: time ([\d.]+)x .*after \S+ ([\d.]+)x, after \d+ widget updates ([\d.]+)x", out)
    if not found:
        return None
    time_ratio, notebook, updates = map(float, found.groups())
    return time_ratio <= 2 and notebook <= 1.5 and updates <= 1.5


def browser_met(out: str) -> Optional[bool]:
    found = re.search(r"browser: (\d+)/(\d+) widgets within", out)
    return None if not found else found.group(1) == found.group(2)


def scale_met(out: str) -> Optional[bool]:
    found = re.search(r"scale: build 150k pods in (>?)([\d.]+) s, change ([\d.na]+)x, send ([\d.na]+)x, peak ([\d.na]+) MiB",
                      out)
    if not found:
        return None
    unfinished, build, change, send, peak = found.groups()
    if unfinished:
        return False
    return float(build) <= 300 and float(change) <= 3 and float(send) <= 3 and float(peak) <= 8192


def by_words(out: str) -> Optional[bool]:
    """For scripts whose summary format this runner does not know: missed if a line says so."""
    return not MISS_WORDS.search(out)


@dataclass
class Benchmark:
    script: str
    title: str
    measures: str
    target: str
    met: Optional[Callable[[str], Optional[bool]]] = by_words  # None: a figure to report, no pass or fail


BENCHMARKS = [
    Benchmark("bench_change_cost.py", "Change cost",
              "One change (scale a Deployment by one replica, settle, re-sync one node's kube-proxy rules) on the "
              "3-node teaching cluster and on a 100-node cluster of 1,000 Services and 10,000 pods.",
              "large / teaching <= 3x (issue 2).", change_cost_met),
    Benchmark("bench_widgets.py", "Widgets",
              "Each of the seven panels from a value change until its picture's bytes are ready to send, at teaching "
              "size and at 10x; and updating the picture in place against redrawing it and saving a PNG.",
              "7/7 within 100 ms at teaching size; in place <= 0.5x redraw (issue 11).", widgets_met),
    Benchmark("bench_notebooks.py", "Notebooks",
              "Each course notebook top to bottom in a fresh kernel, kernel start included.",
              "each under 15 s (issue 12).", notebooks_met),
    Benchmark("bench_grader.py", "Grader",
              "`python -m k8sedu grade` on a folder of 50 submitted exercise notebooks.",
              "under 300 s on a 2-core machine (issue 13).", grader_met),
    Benchmark("bench_course.py", "Whole course: time and kernel memory",
              "The ten course notebooks in fresh kernels against ten kernels that only import the libraries; the "
              "kernel's RSS after the largest notebook and after 60 widget updates against a kernel that imported "
              "matplotlib.pyplot, ipywidgets and networkx.",
              "time <= 2x; memory <= 1.5x for both (issue 14).", course_met),
    Benchmark("bench_browser.py", "Browser latency",
              "Click-to-updated-figure latency of each panel in JupyterLab in Chromium, timed in the page by the "
              "browser test (tests/browser/, run by `make test`), median of five actions; this script reads the "
              "test's last figures (benchmarks/results/browser_latency.json, dated in the output), it runs no browser.",
              "every panel's median within 300 ms (issue 14).", browser_met),
    Benchmark("bench_scale.py", "Scale to Kubernetes' limits",
              "Teaching, medium (500 nodes, 5,000 Services, 50,250 pods) and large (5,000 nodes, 10,000 Services, "
              "150,000 pods) clusters, and for information one Service of 5,000 pods on 50 nodes, each built in its own "
              "process and stopped at 330 s: build time, peak memory, one change and send(1000) relative to the "
              "teaching cluster; import time.",
              "the large tier builds in under 300 s and 8 GiB; change and send <= 3x (issue 15).", scale_met),
    Benchmark("bench_binder_size.py", "Binder environment size",
              "The installed size of the Binder environment (binder/requirements.txt and postBuild) against the six "
              "card packages alone (jupyterlab, ipywidgets, matplotlib, networkx, nbval, pytest).",
              "none to pass or fail: reported against the card packages, to keep it lean (issue 14).", None),
]


@dataclass
class Result:
    bench: Benchmark
    status: str  # "ok", "missing", or "exit N"
    output: str = ""
    seconds: float = 0.0
    load: str = ""
    cpu: float = 0.0  # CPU seconds of the script and the processes it waited for (kernels, workers)

    @property
    def met(self) -> Optional[bool]:
        return self.bench.met(self.output) if self.status == "ok" and self.bench.met else None


def run(bench: Benchmark) -> Result:
    """Run one script, echoing its output line by line as it comes; missing scripts are not an error."""
    path = HERE / bench.script
    print(f"\n=== {bench.script}", flush=True)
    if not path.exists():
        print("missing: not in benchmarks/ yet", flush=True)
        return Result(bench, "missing")
    start, started_load, cpu_before = time.perf_counter(), load(), children_cpu()
    lines = []
    with subprocess.Popen([sys.executable, "-u", str(path)], cwd=ROOT, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True) as process:
        for line in process.stdout:
            if NOISE not in line:
                print(line, end="", flush=True)
                lines.append(line)
    seconds = time.perf_counter() - start
    status = "ok" if process.returncode == 0 else f"exit {process.returncode}"
    print(f"--- {bench.script}: {status} in {seconds:.0f} s", flush=True)
    return Result(bench, status, "".join(lines), seconds, started_load, children_cpu() - cpu_before)


def children_cpu() -> float:
    """User + system CPU seconds of this process's finished children so far."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def machine(started_load: str) -> list[str]:
    """CPU model and count, memory, Python, OS and the load at the start, as Markdown list items."""
    cpuinfo = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").exists() else ""
    models = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    meminfo = Path("/proc/meminfo").read_text() if Path("/proc/meminfo").exists() else ""
    mem_kb = number(r"MemTotal:\s+(\d+)", meminfo)
    os_name = platform.platform()
    release = Path("/etc/os-release")
    if release.exists():
        pretty = re.search(r'^PRETTY_NAME="?([^"\n]+)', release.read_text(), re.M)
        os_name = f"{pretty.group(1)} ({os_name})" if pretty else os_name
    return [f"- CPU: {models[0] if models else platform.processor() or 'unknown'} x {len(models) or '?'}",
            f"- memory: {mem_kb / 1024 ** 2:.1f} GiB" if mem_kb else "- memory: unknown",
            f"- Python: {platform.python_version()} ({platform.python_implementation()})",
            f"- OS: {os_name}",
            f"- load average (1, 5, 15 min) when the run started: {started_load} (other work on the machine slows "
            "figures; ratios compare runs made under the same load)"]


def load() -> str:
    """The load averages from /proc/loadavg, or "unknown"."""
    path = Path("/proc/loadavg")
    return ", ".join(path.read_text().split()[:3]) if path.exists() else "unknown"


def verdict(result: Result) -> str:
    if result.status == "missing":
        return "not run: the script is missing"
    if result.status != "ok":
        return f"FAILED ({result.status})"
    if result.bench.met is None:
        return "reported"
    return {True: "target met", False: "TARGET MISSED", None: "no summary line found"}[result.met]


def section(result: Result) -> list[str]:
    """One benchmark's section: what it measures, its target, the verdict and its output."""
    bench = result.bench
    lines = [f"## {bench.title} (`benchmarks/{bench.script}`)", "",
             f"{bench.measures} Target: {bench.target}", ""]
    if result.status == "missing":
        return lines + [f"**Missing**: `benchmarks/{bench.script}` does not exist yet, so this figure was not "
                        "measured.", ""]
    lines += [f"**{verdict(result)}** (ran {result.seconds:.0f} s, {result.cpu:.0f} s of CPU; "
              f"load average {result.load} when it started).", ""]
    if result.met is False:
        lines += [missed(result), ""]
    return lines + ["```", result.output.rstrip(), "```", ""]


def missed(result: Result) -> str:
    """What was missed (lines that say so, and the summary line), and whether a busy machine may be the cause."""
    output = [line.strip() for line in result.output.splitlines() if line.strip()]
    quoted = [line for line in output if MISS_WORDS.search(line)] + output[-1:]
    text = "Missed, from the output below: " + "; ".join(f"`{q}`" for q in dict.fromkeys(quoted)) + "."
    cpus = os.cpu_count() or 1
    if result.load and float(result.load.split(",")[0]) > cpus:
        text += (f" The machine was busy when it started (load average {result.load.split(',')[0]} on {cpus} CPUs; "
                 f"the benchmark got {result.cpu:.0f} s of CPU in {result.seconds:.0f} s), which slows wall-clock "
                 "figures: run `make bench` on an idle machine to tell the two apart.")
    return text


def write(results: list[Result], out: Path, started: datetime, started_load: str) -> None:
    """docs/performance.md: when, where, a summary table, then each benchmark's section."""
    lines = ["# Performance", "",
             "Written by `make bench` (`benchmarks/run_all.py`); every figure below comes from one run of each "
             "benchmark on this machine. Do not edit by hand: run `make bench` again.", "",
             f"- date: {started:%Y-%m-%d %H:%M} UTC", *machine(started_load), "",
             "| benchmark | target | verdict |", "| --- | --- | --- |"]
    lines += [f"| {r.bench.title} | {r.bench.target} | {verdict(r)} |" for r in results]
    lines.append("")
    for result in results:
        lines += section(result)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("names", nargs="*", help="only these scripts (e.g. bench_course.py)")
    args = parser.parse_args()
    started, started_load = datetime.now(timezone.utc), load()
    unknown = set(args.names) - {b.script for b in BENCHMARKS}
    if unknown:
        parser.error(f"no such benchmark: {', '.join(sorted(unknown))}")
    chosen = [b for b in BENCHMARKS if not args.names or b.script in args.names]
    results = [run(bench) for bench in chosen]
    write(results, args.out, started, started_load)
    print(f"\nwrote {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")
    for result in results:
        print(f"  {result.bench.script:24} {verdict(result)}")


if __name__ == "__main__":
    main()
