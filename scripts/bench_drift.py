"""Speed benchmark of the drift detector (lambda/drift): `make bench-drift`.

One window of 1,000,000 records (4 features, single-row CSV requests and `probability,label`
responses, in SageMaker's capture layout, 20 files in hour folders) is written to a temporary
folder. A fresh single-threaded process then runs the detector end to end -- read, decode,
statistics, report JSON -- and prints records/s (target >= 250,000/s) and its peak memory
(target < 1 GB). When `evidently` is importable, another fresh process times Evidently's
DataDriftPreset on the same feature values already in a pandas DataFrame (the reference is
the same baseline); otherwise it prints why the comparison was skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "model" / "baseline.csv"
DRIFT_DIR = ROOT / "lambda" / "drift"
RECORDS = 1_000_000
FILES = 20
TARGET_RATE = 250_000
TARGET_MEMORY_MB = 1024
SINGLE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "NUMEXPR_NUM_THREADS": "1",
    "DO_NOT_TRACK": "1",
    "EVIDENTLY_DISABLE_TELEMETRY": "1",
}


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def generate(folder: Path, records: int) -> None:
    """Write the capture files; the values follow the training distribution."""
    import numpy as np

    rng = np.random.default_rng(20240607)
    tenure = rng.integers(1, 73, size=records)
    charges = np.round(np.clip(rng.normal(70.0, 25.0, size=records), 18.0, 120.0), 2)
    calls = np.clip(rng.poisson(1.5, size=records), 0, 10)
    contract = rng.choice(np.array([1, 12, 24]), size=records, p=[0.5, 0.3, 0.2])
    probability = rng.random(records)
    per_file = -(-records // FILES)
    template = (
        '{{"captureData":{{"endpointInput":{{"observedContentType":"text/csv","mode":"INPUT",'
        '"data":"{0},{1:.2f},{2},{3}","encoding":"CSV"}},"endpointOutput":{{'
        '"observedContentType":"text/csv; charset=utf-8","mode":"OUTPUT",'
        '"data":"{4!r},{5}\\n","encoding":"CSV"}}}},"eventMetadata":{{'
        '"eventId":"{6:08x}-5f2c-4b7e-9a1d-{7:012x}","inferenceTime":"2024-06-07T{8:02d}:{9:02d}:{10:02d}Z"'
        '}},"eventVersion":"0"}}\n'
    )
    columns = zip(
        tenure.tolist(),
        charges.tolist(),
        calls.tolist(),
        contract.tolist(),
        probability.tolist(),
        strict=True,
    )
    handle = None
    for index, (t, c, s, k, p) in enumerate(columns):
        if index % per_file == 0:
            if handle:
                handle.close()
            number = index // per_file
            hour = (
                folder
                / "churn-prod"
                / "AllTraffic"
                / "2024"
                / "06"
                / "07"
                / f"{10 + number // 10:02d}"
            )
            hour.mkdir(parents=True, exist_ok=True)
            handle = open(hour / f"capture-{number:03d}.jsonl", "w", encoding="ascii")  # noqa: SIM115
        second = index % 3600
        handle.write(
            template.format(
                t, c, s, k, p, int(p >= 0.5), index, index * 7919, 10, second // 60, second % 60
            )
        )
    if handle:
        handle.close()


def measure_detector(folder: Path) -> dict[str, float]:
    """Run in a fresh process: the detector end to end over the folder."""
    sys.path.insert(0, str(DRIFT_DIR))
    from drift_detector.capture import list_local_capture
    from drift_detector.report import build_report, report_json
    from drift_detector.runner import analyze, load_baseline

    start = time.perf_counter()
    profile = load_baseline(str(BASELINE))
    objects = [o for items in list_local_capture(str(folder)).values() for o in items]
    partial = analyze(objects, profile)
    report = build_report(partial, endpoint="churn-prod", variant="AllTraffic")
    text = report_json(report)
    seconds = time.perf_counter() - start
    return {
        "records": partial.records,
        "bad_records": report["bad_records"],
        "bytes": sum(o.size for o in objects),
        "seconds": seconds,
        "peak_mb": peak_memory_mb(),
        "report_bytes": len(text),
        "max_psi": max(f["psi"] for f in report["features"].values()),
    }


def measure_evidently(folder: Path) -> dict[str, float]:
    """Run in a fresh process: Evidently's DataDriftPreset on the same values in a DataFrame."""
    import numpy as np
    import pandas as pd
    from evidently import DataDefinition, Dataset, Report
    from evidently.presets import DataDriftPreset

    sys.path.insert(0, str(DRIFT_DIR))
    from drift_detector.capture import list_local_capture, read_object
    from drift_detector.decode import DecodeConfig

    names = ["tenure_months", "monthly_charges", "support_calls", "contract_months"]
    config = DecodeConfig(feature_names=names)
    parts = [
        b.values
        for items in list_local_capture(str(folder)).values()
        for o in items
        for b in read_object(o, config)
    ]
    current = pd.DataFrame(np.concatenate(parts), columns=names)
    reference = pd.read_csv(BASELINE)[names].astype(float)
    definition = DataDefinition(numerical_columns=names)
    before = peak_memory_mb()
    start = time.perf_counter()
    snapshot = Report([DataDriftPreset()]).run(
        Dataset.from_pandas(current, data_definition=definition),
        Dataset.from_pandas(reference, data_definition=definition),
    )
    snapshot.dict()
    seconds = time.perf_counter() - start
    return {
        "records": len(current),
        "seconds": seconds,
        "peak_mb": peak_memory_mb(),
        "peak_before_mb": before,
    }


def child(kind: str, folder: Path) -> dict[str, float]:
    env = {**os.environ, **SINGLE_THREAD}
    command = [sys.executable, __file__, "--measure", kind, str(folder)]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(done.stderr.strip().splitlines()[-1] if done.stderr else "failed")
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=RECORDS)
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "FOLDER"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        kind, folder = args.measure
        measure = measure_detector if kind == "detector" else measure_evidently
        print(json.dumps(measure(Path(folder))))
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-drift-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        generate(folder, args.records)
        print(
            f"generated {args.records:,} capture records in {time.perf_counter() - started:.1f} s"
        )
        ours = child("detector", folder)
        rate = ours["records"] / ours["seconds"]
        print(
            f"drift detector: {ours['records']:,} records ({ours['bytes'] / 1e6:.0f} MB of capture "
            f"files) read, decoded, counted and reported in {ours['seconds']:.2f} s on one core: "
            f"{rate:,.0f} records/s (target >= {TARGET_RATE:,}); peak memory "
            f"{ours['peak_mb']:.0f} MB (target < {TARGET_MEMORY_MB}); bad records "
            f"{ours['bad_records']}"
        )
        failed = rate < TARGET_RATE or ours["peak_mb"] >= TARGET_MEMORY_MB
        try:
            import evidently  # noqa: F401
        except ImportError:
            print(
                "evidently: comparison skipped: the package is not installed in this environment "
                "(it is not a project dependency; install it by hand: pip install evidently)"
            )
        else:
            try:
                theirs = child("evidently", folder)
            except RuntimeError as error:
                print(f"evidently: comparison skipped: it failed to run: {error}")
            else:
                their_rate = theirs["records"] / theirs["seconds"]
                print(
                    f"evidently DataDriftPreset: {theirs['records']:,} records already in a "
                    f"DataFrame in {theirs['seconds']:.2f} s: {their_rate:,.0f} records/s; "
                    f"peak memory {theirs['peak_mb']:.0f} MB"
                )
                print(
                    f"drift detector end to end vs Evidently on loaded data: "
                    f"{theirs['seconds'] / ours['seconds']:.1f}x faster"
                )
    if failed:
        print("benchmark targets NOT met", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
