"""Instructions per request, counted by valgrind (callgrind): exact, whatever the machine's load.

    python bench/instructions.py [--requests 100] me list board ...

For each endpoint (names as in bench/cpu_cost.py), runs this script again under
`valgrind --tool=callgrind`, collecting only inside `functools.reduce`, which drives the measured
requests (after warm-up requests that fill every cache), and prints instructions per request,
the bare-Flask floor's included. Slow (a minute or two an endpoint): the start-up runs under
valgrind too. Needs valgrind (Debian's package) and a CPython with symbols (pyenv's has them).
"""

from __future__ import annotations

import argparse
import functools
import re
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))


def measured(name: str, requests: int) -> None:
    """Inside valgrind: build, warm up, then run `requests` requests inside functools.reduce."""
    from cpu_cost import build, call, environ

    with tempfile.TemporaryDirectory() as folder:
        floor_app, api, endpoints = build(Path(folder) / "instructions.db")
        app, make_environ = (floor_app, environ("GET", "/")) if name == "floor" else (api, endpoints[name])
        for _ in range(20):
            call(app, make_environ)
        functools.reduce(lambda _, __: call(app, make_environ), range(requests), None)


def count(name: str, requests: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        command = [
            "valgrind", "--tool=callgrind", "--collect-atstart=no", "--toggle-collect=functools_reduce",
            f"--callgrind-out-file={folder}/callgrind.out", sys.executable, __file__,
            "--inside", name, "--requests", str(requests),
        ]  # fmt: skip
        result = subprocess.run(command, capture_output=True, text=True, check=True)
    collected = re.search(r"Collected\s*:\s*(\d+)", result.stderr)
    if not collected:
        raise RuntimeError(result.stderr[-2000:])
    return int(collected.group(1)) / requests


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("endpoints", nargs="*", default=["floor", "me", "list", "board", "create"])
    parser.add_argument("--requests", type=int, default=100)
    parser.add_argument("--inside", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.inside:
        measured(args.inside, args.requests)
        return
    for name in args.endpoints:
        print(f"{name:10} {count(name, args.requests) / 1000:8.1f} k instructions per request", flush=True)


if __name__ == "__main__":
    main()
