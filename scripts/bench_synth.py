"""Benchmark: wall time of synthesizing the reference app vs. a one-empty-stack app.

Each run is a fresh ``python`` process, as ``cdk synth`` starts one: the empty app measures
the jsii start-up floor. Prints the median of several runs, their ratio, and the
CloudFormation resources per stack of the reference app.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
EMPTY_APP = (
    "import os; os.environ.setdefault('JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION', '20')\n"
    "import aws_cdk as cdk\n"
    "app = cdk.App(); cdk.Stack(app, 'Empty'); app.synth()\n"
)


def _time(args: list[str], outdir: str) -> float:
    env = {
        **os.environ,
        "CDK_OUTDIR": outdir,
        "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
    }
    start = time.perf_counter()
    subprocess.run(args, cwd=ROOT, env=env, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        empty = [_time([sys.executable, "-c", EMPTY_APP], f"{tmp}/e{i}") for i in range(RUNS)]
        ref = [_time([sys.executable, "app.py"], f"{tmp}/r{i}") for i in range(RUNS)]
        e, r = statistics.median(empty), statistics.median(ref)
        print(f"runs per app:              {RUNS} (median wall time)")
        print(f"one-empty-stack app:       {e:6.2f} s   (jsii floor)")
        print(f"reference app (+cdk-nag):  {r:6.2f} s")
        print(f"ratio reference / empty:   {r / e:6.2f}   (target <= 1.5)")
        for template in sorted(Path(f"{tmp}/r0").glob("*.template.json")):
            resources = json.loads(template.read_text())["Resources"]
            size = template.stat().st_size
            counts = Counter(v["Type"] for v in resources.values())
            print(f"{template.name}: {len(resources)} resources, {size} bytes")
            for kind, n in sorted(counts.items()):
                print(f"    {n:3d} {kind}")


if __name__ == "__main__":
    main()
