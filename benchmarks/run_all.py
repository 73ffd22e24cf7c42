"""Run every benchmark of tsgrad against its peers, one after the other, in one command.

Usage::

    python benchmarks/run_all.py [--quick] [--only metrics,losses,ode,training,clustering,startup]

Each script prints its own table of ratios (ours / peer, lower is better); this runner
prints them in order with the machine's description, so that one run gives every figure
quoted in docs/benchmarks.md.  Run it on a machine with nothing else running: the scripts
use every core for the numba kernels and one torch thread.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = {
    "metrics": ("bench_metrics.py", [], ["--repeats", "3"]),
    "losses": ("bench_losses.py", [], ["--reps", "5"]),
    "ode": ("bench_ode.py", [], ["--quick"]),
    "training": ("bench_training.py", [], ["--repeats", "3"]),
    "clustering": ("bench_clustering.py", [], ["--quick", "--repeats", "1"]),
    "startup": ("bench_startup.py", [], ["--repeats", "1"]),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument(
        "--only",
        default=",".join(SCRIPTS),
        help=f"comma-separated subset of {', '.join(SCRIPTS)} (default: all)",
    )
    args = parser.parse_args(argv)
    names = [n.strip() for n in args.only.split(",") if n.strip()]
    unknown = [n for n in names if n not in SCRIPTS]
    if unknown:
        parser.error(f"--only: unknown benchmark(s) {unknown}; expected some of {list(SCRIPTS)}")

    import numba
    import torch

    print(
        f"# tsgrad benchmarks: {platform.processor() or platform.machine()}, "
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}, torch {torch.__version__}, "
        f"numba {numba.__version__}"
    )
    # Compile (or load) every kernel into numba's cache first, in the foreground, so that
    # no benchmark competes with tsgrad's background compilation of a new installation.
    start = time.perf_counter()
    code = subprocess.call([sys.executable, "-m", "tsgrad._kernels"])
    print(
        f"\n(kernels compiled into numba's cache or loaded from it: "
        f"{time.perf_counter() - start:.0f} s, exit code {code})",
        flush=True,
    )
    failed = [] if code == 0 else ["warm-up"]
    for name in names:
        script, full, quick = SCRIPTS[name]
        cmd = [sys.executable, os.path.join(HERE, script), *(quick if args.quick else full)]
        shown = " ".join(["python", f"benchmarks/{script}", *cmd[2:]])
        print(f"\n## {name}: {shown}\n", flush=True)
        start = time.perf_counter()
        code = subprocess.call(cmd)
        print(f"\n({name}: {time.perf_counter() - start:.0f} s, exit code {code})", flush=True)
        if code:
            failed.append(name)
    if failed:
        print(f"\nfailed: {', '.join(failed)}", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
