"""Run the benchmarks and record their figures in ``docs/benchmarks.md``.

``python -m benchmarks`` (or ``make bench``) runs every module of this folder
that defines ``run(args) -> str``; ``--only NAME`` picks some. Each module's
Markdown goes into its own section of ``docs/benchmarks.md``, between marker
comments, with the machine and the date: figures without the machine they were
measured on mean nothing, and sections of other benchmarks are left as they
were.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import platform
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPORT = HERE.parent / "docs" / "benchmarks.md"
HEADER = (
    "# Benchmarks\n\n"
    "Written by `python -m benchmarks` (`make bench`); each section is replaced when its\n"
    "benchmark runs again. Compare figures only within one section: one machine, one run.\n"
)


def main(argv: list[str] | None = None) -> int:
    names = [m.name for m in pkgutil.iter_modules([str(HERE)]) if not m.name.startswith("_")]
    parser = argparse.ArgumentParser(prog="python -m benchmarks",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--only", action="append", choices=names, help="run only this benchmark")
    parser.add_argument("--no-write", action="store_true", help=f"print only, leave {REPORT.name}")
    modules = [importlib.import_module(f"{__package__ or 'benchmarks'}.{name}") for name in names]
    for module in modules:
        getattr(module, "add_arguments", lambda _parser: None)(parser)
    args = parser.parse_args(argv)
    for name, module in zip(names, modules, strict=True):
        if args.only and name not in args.only:
            continue
        print(f"== {name} ...", file=sys.stderr, flush=True)
        body = module.run(args)
        section = f"## {getattr(module, 'TITLE', name)}\n\n{_machine()}\n\n{body}\n"
        print(section)
        if not args.no_write:
            _write_section(name, section)
            print(f"(written to {REPORT})", file=sys.stderr)
    return 0


def _machine() -> str:
    cpu = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        cpu = platform.processor() or cpu
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Measured {now} on {cpu}, {cores} cores, {platform.system()} {platform.machine()}, "
        f"Python {platform.python_version()}."
    )


def _write_section(name: str, section: str) -> None:
    begin, end = f"<!-- benchmark:{name}:begin -->", f"<!-- benchmark:{name}:end -->"
    block = f"{begin}\n{section}{end}"
    text = REPORT.read_text(encoding="utf-8") if REPORT.exists() else HEADER
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _match: block, text)
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(text, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
