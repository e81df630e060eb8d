"""The SageMaker Processing job entry point (``job.py`` in ``lambda/drift``): shard, then merge.

Step 1, on each of N instances (capture input ``S3DataDistributionType=ShardedByS3Key``,
baseline and labels inputs fully replicated)::

    python3 job.py partial --baseline /opt/ml/processing/input/baseline/baseline.csv \\
        --capture /opt/ml/processing/input/capture \\
        [--labels /opt/ml/processing/input/labels] --out /opt/ml/processing/output/partials

reads the capture files SageMaker copied to this instance (their paths keep the
``<variant>/yyyy/mm/dd/hh/`` layout below the input's S3 prefix) and writes
``partial-<host>.json``: counts per variant on the baseline's grids.

Step 2, once (a one-instance job, or the Lambda handler's ``merge`` mode)::

    python3 job.py merge --baseline ... --partials /opt/ml/processing/input/partials \\
        --out /opt/ml/processing/output/reports --endpoint churn-prod \\
        --window-start 2024-06-07T00:00:00Z --window-end 2024-06-08T00:00:00Z \\
        [--report-prefix s3://bucket/datacapture] [--publish-metrics]

adds the partials (exactly: they are counts) and writes one report per variant, optionally
next to the capture data in S3 and to CloudWatch.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import sys
from collections.abc import Iterable, Sequence
from typing import Any

from .baseline import Profile
from .capture import list_local_capture
from .common import parse_time
from .partial import Partial

SHARD_FORMAT = "drift-shard/1"
UNKNOWN_VARIANT = "unknown"


def current_host() -> str:
    """This instance's name in a Processing job (``algo-1``...), else the hostname."""
    try:
        with open("/opt/ml/config/resourceconfig.json", encoding="utf-8") as handle:
            return str(json.load(handle)["current_host"])
    except (OSError, ValueError, KeyError):
        return socket.gethostname()


def shard_document(partials: dict[str, Partial], host: str) -> dict[str, Any]:
    """The JSON document of one shard: its partial result per variant."""
    return {
        "format": SHARD_FORMAT,
        "host": host,
        "partials": {variant: p.to_dict() for variant, p in sorted(partials.items())},
    }


def merge_documents(documents: Iterable[dict[str, Any]], profile: Profile) -> dict[str, Partial]:
    """Merge shard documents into one partial per variant."""
    grouped: dict[str, list[Partial]] = {}
    for document in documents:
        if document.get("format") != SHARD_FORMAT:
            raise ValueError(f"not a drift shard result (format {document.get('format')!r})")
        for variant, partial in document["partials"].items():
            grouped.setdefault(variant, []).append(Partial.from_dict(partial, profile))
    return {v: Partial.merge(items, profile) for v, items in sorted(grouped.items())}


def run_partial(args: argparse.Namespace) -> dict[str, Any]:
    """Step 1: count this shard's capture files."""
    from .runner import analyze, load_baseline, load_labels

    profile = load_baseline(args.baseline, args.task)
    labels = load_labels(args.labels) if args.labels else None
    groups = list_local_capture(args.capture)
    partials = {
        variant or args.variant: analyze(
            objects, profile, labels=labels, prediction_column=args.prediction_column
        )
        for variant, objects in groups.items()
    }
    host = current_host()
    document = shard_document(partials, host)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"partial-{host}.json")
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(document, handle)
    return {"partial": path, "variants": sorted(partials)}


def run_merge(args: argparse.Namespace) -> dict[str, Any]:
    """Step 2: merge the shards and write the reports (and metrics)."""
    from .report import build_report, metric_data, publish
    from .runner import load_baseline, report_key, save_report

    profile = load_baseline(args.baseline, args.task)
    documents = []
    for root, _dirs, files in os.walk(args.partials):
        for name in sorted(files):
            if name.endswith(".json"):
                with open(os.path.join(root, name), encoding="utf-8") as handle:
                    documents.append(json.load(handle))
    merged = merge_documents(documents, profile)
    window = None
    if args.window_start and args.window_end:
        window = (parse_time(args.window_start), parse_time(args.window_end))
    s3 = cloudwatch = None
    if args.report_prefix or args.publish_metrics:
        import boto3

        s3 = boto3.client("s3")
        cloudwatch = boto3.client("cloudwatch")
    written = []
    for variant, partial in merged.items():
        report = build_report(partial, endpoint=args.endpoint, variant=variant, window=window)
        path = os.path.join(args.out, f"{variant}.json")
        save_report(report, path)
        written.append(path)
        if args.report_prefix and window:
            bucket_prefix = args.report_prefix.rstrip("/")
            bucket, _, prefix = bucket_prefix[5:].partition("/")
            key = report_key(prefix, args.endpoint or "", variant, *window)
            save_report(report, f"s3://{bucket}/{key}", s3)
            written.append(f"s3://{bucket}/{key}")
        if args.publish_metrics and window and args.endpoint:
            data = metric_data(report, endpoint=args.endpoint, variant=variant, timestamp=window[1])
            publish(cloudwatch, data, namespace=args.metric_namespace)
    return {"reports": written}


def main(argv: Sequence[str] | None = None) -> int:
    """Command line of the Processing job."""
    parser = argparse.ArgumentParser(prog="job.py", description="Drift detector shard/merge steps")
    sub = parser.add_subparsers(dest="step", required=True)
    for name in ("partial", "merge"):
        step = sub.add_parser(name)
        step.add_argument("--baseline", required=True, help="baseline CSV (header of features)")
        step.add_argument("--out", required=True, help="output folder")
        step.add_argument(
            "--task", default="classification", choices=("classification", "regression")
        )
    partial = sub.choices["partial"]
    partial.add_argument("--capture", required=True, help="folder of capture .jsonl files")
    partial.add_argument("--labels", help="labels file or folder")
    partial.add_argument(
        "--variant",
        default=UNKNOWN_VARIANT,
        help="variant name for files outside <variant>/yyyy/mm/dd/hh/",
    )
    partial.add_argument("--prediction-column", type=int, default=-1)
    merge = sub.choices["merge"]
    merge.add_argument("--partials", required=True, help="folder of partial-*.json files")
    merge.add_argument("--endpoint")
    merge.add_argument("--window-start")
    merge.add_argument("--window-end")
    merge.add_argument("--report-prefix", help="s3://bucket/prefix of the capture data")
    merge.add_argument("--publish-metrics", action="store_true")
    merge.add_argument("--metric-namespace")
    args = parser.parse_args(argv)
    result = run_partial(args) if args.step == "partial" else run_merge(args)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
