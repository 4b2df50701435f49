"""`make bench`: every benchmark of SPEC §10, each printing its figures beside its baseline.

Runs them one after another (the machine has 2 cores; parallel runs would measure each
other), prints every table, and exits 1 when any target was missed.
Set BENCH_PAPERS to scale the search corpus (default 1,000,000) and BENCH_SKIP_POSTGRES=1
where no PostgreSQL is running.
"""

from __future__ import annotations

import os
import subprocess
import sys


def main() -> int:
    search = ["bench.search", "--papers", os.environ.get("BENCH_PAPERS", "1000000")]
    if os.environ.get("BENCH_SKIP_POSTGRES"):
        search.append("--skip-postgres")
    suites = [
        ["bench.ingest"],
        ["bench.digest"],
        ["bench.personal"],
        ["bench.briefing"],
        ["bench.slack_ack"],
        ["bench.posting"],
        ["bench.page"],
        search,
    ]
    failed = []
    for suite in suites:
        print(f"\n$ python -m {' '.join(suite)}", flush=True)
        if subprocess.run([sys.executable, "-m", *suite]).returncode != 0:
            failed.append(suite[0])
    print(f"\nbenchmarks missing a target: {', '.join(failed)}" if failed else "\nall benchmark targets met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
