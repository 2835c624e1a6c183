"""How long ``import plait`` takes in a fresh interpreter (target: under 150 ms).

    python benchmarks/import_time.py [--runs N]

Prints the median of N fresh processes, each timing ``import plait`` from inside, beside
the median of the same interpreter starting with no import at all.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

_PROBE = "import time; started = time.perf_counter(); {stmt}; print(time.perf_counter() - started)"


def _median(statement: str, runs: int) -> float:
    """Median seconds ``statement`` takes in ``runs`` fresh interpreters."""
    samples = []
    for _ in range(runs):
        completed = subprocess.run(
            [sys.executable, "-c", _PROBE.format(stmt=statement)],
            capture_output=True,
            text=True,
            check=True,
        )
        samples.append(float(completed.stdout))
    return statistics.median(samples)


def main() -> None:
    """Print the import time of plait and of nothing, in milliseconds."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    runs = parser.parse_args().runs
    plait = _median("import plait", runs)
    empty = _median("pass", runs)
    verdict = "PASS" if plait < 0.150 else "MISS"
    print(f"import plait: {plait * 1000:.1f} ms median of {runs} ({verdict}: target < 150 ms)")
    print(f"empty statement: {empty * 1000:.3f} ms")


if __name__ == "__main__":
    main()
