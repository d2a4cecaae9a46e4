"""The command line of the benchmarks that take a few whole numbers in order (`[N] [BATCH] ...`) or nothing:
`--help` prints the module's summary line and the numbers with their defaults instead of running the benchmark."""

from __future__ import annotations

import argparse


def whole_numbers(doc: str | None, argv: list[str] | None = None, **defaults: int) -> argparse.Namespace:
    """Parse optional positional whole numbers named by `defaults` (in that order; each defaults to its value)."""
    parser = argparse.ArgumentParser(description=(doc or "").split("\n\n")[0])
    for name, default in defaults.items():
        parser.add_argument(name, nargs="?", type=int, default=default, help=f"default {default:,}")
    return parser.parse_args(argv)
