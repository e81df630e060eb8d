"""Local command: ``python -m drift_detector --baseline B --capture DIR [--labels L] --out R``.

``make drift-report BASELINE=<csv> CAPTURE=<folder of .jsonl> [LABELS=<file>] OUT=<report.json>``
runs it. Every ``.jsonl`` file under the folder (recursively) is one window; ``--variant``
keeps only the files of one variant (from their ``<variant>/yyyy/mm/dd/hh/`` folders) and
``--start``/``--end`` only the hours of a window.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .capture import list_local_capture
from .common import parse_time
from .report import build_report
from .runner import analyze, load_baseline, load_labels, save_report


def main(argv: Sequence[str] | None = None) -> int:
    """Write a drift report of local capture files; returns the exit code."""
    parser = argparse.ArgumentParser(prog="python -m drift_detector", description=__doc__)
    parser.add_argument("--baseline", required=True, help="baseline CSV with a header row")
    parser.add_argument("--capture", required=True, help="folder of capture .jsonl files")
    parser.add_argument("--labels", help="labels file or folder (optional)")
    parser.add_argument("--out", required=True, help="report JSON path to write")
    parser.add_argument(
        "--task", default="classification", choices=("classification", "regression")
    )
    parser.add_argument("--endpoint", help="endpoint name to put in the report")
    parser.add_argument("--variant", help="only this variant's files")
    parser.add_argument("--start", help="window start (ISO 8601, rounded down to the hour)")
    parser.add_argument("--end", help="window end (ISO 8601, rounded up to the hour)")
    parser.add_argument(
        "--prediction-column",
        type=int,
        default=-1,
        help="CSV output column holding the prediction (default: last)",
    )
    args = parser.parse_args(argv)
    start = parse_time(args.start) if args.start else None
    end = parse_time(args.end) if args.end else None
    if bool(start) != bool(end):
        parser.error("--start and --end go together")
    try:
        profile = load_baseline(args.baseline, args.task)
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    groups = list_local_capture(args.capture, start, end)
    if args.variant:
        groups = {k: v for k, v in groups.items() if k == args.variant}
    objects = [item for items in groups.values() for item in items]
    variants = sorted(k for k in groups if k)
    variant = args.variant or (variants[0] if len(variants) == 1 and None not in groups else None)
    labels = load_labels(args.labels) if args.labels else None
    partial = analyze(objects, profile, labels=labels, prediction_column=args.prediction_column)
    report = build_report(
        partial,
        endpoint=args.endpoint,
        variant=variant,
        window=(start, end) if start and end else None,
    )
    save_report(report, args.out)
    drifted = sorted(name for name, f in report["features"].items() if (f["psi"] or 0.0) >= 0.25)
    print(
        f"{report['records']} records, {report['bad_records']} bad, "
        f"{len(objects)} files; PSI >= 0.25: {', '.join(drifted) or 'none'}; wrote {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
