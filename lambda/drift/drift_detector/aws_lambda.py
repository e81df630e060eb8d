"""The Lambda entry point (``handler.handler`` in ``lambda/drift``).

Event (every key optional when the environment variable in brackets is set)::

    {
      "mode": "analyze" | "manifest" | "merge",        # default "analyze"
      "endpoint_name": "churn-prod",                   # [DRIFT_ENDPOINT_NAME]
      "variants": ["AllTraffic"],                      # [DRIFT_VARIANTS, comma-separated];
                                                       #   default: every variant found
      "capture_bucket": "...",                         # [DRIFT_CAPTURE_BUCKET]
      "capture_prefix": "datacapture",                 # [DRIFT_CAPTURE_PREFIX] (may be "")
      "baseline": "s3://bucket/baseline.csv",          # [DRIFT_BASELINE_URI]
      "labels": "s3://bucket/labels/",                 # [DRIFT_LABELS_URI] optional
      "task": "classification" | "regression",         # [DRIFT_TASK]
      "window": {"start": "...", "end": "..."},        # ISO 8601, rounded out to whole hours
      "window_hours": 1,                               # [DRIFT_WINDOW_HOURS] when no "window":
                                                       #   the N whole hours before "time"
      "time": "2024-06-07T13:05:00Z",                  # EventBridge schedules set it; else now
      "publish_metrics": true,                         # [DRIFT_PUBLISH_METRICS]
      "metric_namespace": "MLOps/ModelQuality",        # [DRIFT_METRIC_NAMESPACE]
      "report_prefix": "datacapture",                  # default: the capture prefix
      "manifest_uri": "s3://bucket/manifests/x.json",  # mode "manifest": where to write it
      "partials_uri": "s3://bucket/partials/"          # mode "merge": the shards' results
    }

``analyze`` reads the window and writes one report per variant to
``<report_prefix>/<endpoint>/<variant>/drift-reports/<start>-<end>.json`` and its metrics to
CloudWatch. ``manifest`` writes a SageMaker S3 manifest of the window's capture objects (the
input of a ``ShardedByS3Key`` Processing job running ``job.py partial``). ``merge`` reads the
shards' partial results and does what ``analyze`` does after counting.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta
from typing import Any

from .capture import list_s3_capture, list_s3_variants
from .common import UTC, floor_hour, format_time, parse_time
from .partial import Partial
from .processing import merge_documents
from .report import build_report, metric_data, publish
from .runner import analyze, load_baseline, load_labels, parse_s3_uri, report_key, save_report

_FALSE = {"0", "false", "no", "off", ""}


def handler(event: dict[str, Any] | None, context: object = None) -> dict[str, Any]:
    """AWS Lambda entry point."""
    import boto3  # available in every Lambda Python runtime

    return run(event or {}, s3=boto3.client("s3"), cloudwatch=boto3.client("cloudwatch"))


def _setting(event: dict[str, Any], key: str, env: str, default: Any = None) -> Any:
    if key in event and event[key] is not None:
        return event[key]
    return os.environ.get(env, default)


def _required(event: dict[str, Any], key: str, env: str) -> str:
    value = _setting(event, key, env)
    if value is None or value == "":
        raise ValueError(f"drift detector: set '{key}' in the event or {env} in the environment")
    return str(value)


def resolve_window(event: dict[str, Any], now: datetime | None = None) -> tuple[datetime, datetime]:
    """The window ``[start, end)`` in whole UTC hours."""
    window = event.get("window")
    if isinstance(window, dict) and window.get("start") and window.get("end"):
        start = floor_hour(parse_time(str(window["start"])))
        end = parse_time(str(window["end"]))
        end_hour = floor_hour(end)
        end = end_hour if end_hour == end else end_hour + timedelta(hours=1)
    else:
        hours = int(_setting(event, "window_hours", "DRIFT_WINDOW_HOURS", 1))
        if hours < 1:
            raise ValueError(f"drift detector: window_hours must be >= 1, got {hours}")
        if now is None:
            now = parse_time(event["time"]) if event.get("time") else datetime.now(UTC)
        end = floor_hour(now)
        start = end - timedelta(hours=hours)
    if end <= start:
        raise ValueError(
            f"drift detector: window end {format_time(end)} is not after start {format_time(start)}"
        )
    return start, end


def run(event: dict[str, Any], *, s3: Any, cloudwatch: Any) -> dict[str, Any]:
    """Handle an event with the given clients (tests pass moto-backed ones)."""
    mode = event.get("mode", "analyze")
    endpoint = _required(event, "endpoint_name", "DRIFT_ENDPOINT_NAME")
    bucket = _required(event, "capture_bucket", "DRIFT_CAPTURE_BUCKET")
    prefix = str(_setting(event, "capture_prefix", "DRIFT_CAPTURE_PREFIX", ""))
    start, end = resolve_window(event)
    variants_setting = _setting(event, "variants", "DRIFT_VARIANTS")
    if isinstance(variants_setting, str):
        variants = [v.strip() for v in variants_setting.split(",") if v.strip()]
    else:
        variants = list(variants_setting or [])
    if not variants:
        variants = list_s3_variants(s3, bucket, prefix, endpoint)

    if mode == "manifest":
        return _manifest(event, s3, bucket, prefix, endpoint, variants, start, end)

    task = str(_setting(event, "task", "DRIFT_TASK", "classification"))
    profile = load_baseline(_required(event, "baseline", "DRIFT_BASELINE_URI"), task, s3)
    labels_uri = _setting(event, "labels", "DRIFT_LABELS_URI")
    labels = load_labels(str(labels_uri), s3) if labels_uri else None
    report_prefix = str(event.get("report_prefix", prefix))
    publish_metrics = str(_setting(event, "publish_metrics", "DRIFT_PUBLISH_METRICS", "true"))
    namespace = _setting(event, "metric_namespace", "DRIFT_METRIC_NAMESPACE")

    if mode == "merge":
        partials = _read_partials(s3, _required(event, "partials_uri", "DRIFT_PARTIALS_URI"))
        merged = merge_documents(partials, profile)
        by_variant = {v: merged.get(v, Partial(profile)) for v in (variants or sorted(merged))}
    elif mode == "analyze":
        by_variant = {}
        for variant in variants:
            objects = list_s3_capture(s3, bucket, prefix, endpoint, variant, start, end)
            by_variant[variant] = analyze(objects, profile, labels=labels, s3=s3)
    else:
        raise ValueError(f"drift detector: unknown mode {mode!r} (analyze, manifest or merge)")

    results = []
    for variant, partial in by_variant.items():
        if labels is not None and not partial.labels_used:
            partial.use_labels(labels)
        report = build_report(partial, endpoint=endpoint, variant=variant, window=(start, end))
        key = report_key(report_prefix, endpoint, variant, start, end)
        save_report(report, f"s3://{bucket}/{key}", s3)
        calls = 0
        if publish_metrics.strip().lower() not in _FALSE:
            data = metric_data(report, endpoint=endpoint, variant=variant, timestamp=end)
            calls = publish(cloudwatch, data, namespace=namespace)
        results.append(
            {
                "variant": variant,
                "report": f"s3://{bucket}/{key}",
                "records": report["records"],
                "bad_records": report["bad_records"],
                "metric_calls": calls,
            }
        )
    return {
        "endpoint": endpoint,
        "window": {"start": format_time(start), "end": format_time(end)},
        "reports": results,
    }


def _manifest(
    event: dict[str, Any],
    s3: Any,
    bucket: str,
    prefix: str,
    endpoint: str,
    variants: list[str],
    start: datetime,
    end: datetime,
) -> dict[str, Any]:
    """Write a SageMaker S3 manifest of the window's capture objects (all variants)."""
    root = "/".join(p for p in (prefix.strip("/"), endpoint) if p) + "/"
    objects = []
    for variant in variants:
        objects.extend(list_s3_capture(s3, bucket, prefix, endpoint, variant, start, end))
    keys = [o.location for o in objects]
    manifest = [{"prefix": f"s3://{bucket}/{root}"}, *[k[len(root) :] for k in sorted(keys)]]
    target = _required(event, "manifest_uri", "DRIFT_MANIFEST_URI")
    target_bucket, target_key = parse_s3_uri(target)
    s3.put_object(
        Bucket=target_bucket,
        Key=target_key,
        Body=json.dumps(manifest).encode("utf-8"),
        ContentType="application/json",
    )
    return {
        "endpoint": endpoint,
        "window": {"start": format_time(start), "end": format_time(end)},
        "manifest": target,
        "objects": len(keys),
        "bytes": sum(o.size for o in objects),
    }


def _read_partials(s3: Any, uri: str) -> list[dict[str, Any]]:
    bucket, key = parse_s3_uri(uri)
    documents = []
    paginator = s3.get_paginator("list_objects_v2")
    for page in paginator.paginate(Bucket=bucket, Prefix=key):
        for item in page.get("Contents", []):
            if item["Key"].endswith(".json"):
                body = s3.get_object(Bucket=bucket, Key=item["Key"])["Body"]
                documents.append(json.loads(body.read()))
    return documents
