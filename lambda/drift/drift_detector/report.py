"""The JSON report of a window and the CloudWatch metrics made from it.

Report schema (``schema_version`` 1; every statistic is ``null`` when it cannot be computed,
e.g. in an empty window)::

    {
      "schema_version": 1,
      "endpoint": "...", "variant": "...",
      "window": {"start": "2024-06-07T12:00:00Z", "end": "2024-06-07T13:00:00Z"} | null,
      "baseline": {"source": "...", "records": 4000},
      "empty": false,
      "files": 3, "lines": 1000,
      "records": 998,                    # rows used for the statistics
      "bad_records": 4,                  # lines or rows that could not be used
      "bad_record_reasons": {"malformed_line": 2, "wrong_feature_count": 2},
      "features": {"<name>": {"psi": 0.01, "ks": 0.02, "ks_pvalue": 0.9,
                              "ks_error_bound": 0.0, "missing_share": 0.0,
                              "count": 998, "missing": 0}},
      "prediction": {"class_share": {"0": 0.6, "1": 0.4}, "baseline_class_share": {...},
                     "psi": 0.003, "records": 998, "unreadable": 0},
      "quality": {"task": "classification", "labeled_records": 500, "accuracy": 0.86,
                  "precision": 0.8, "recall": 0.7, "f1": 0.75, "average": "binary",
                  "positive_class": "1", "label_sources": [...], "bad_label_lines": 0},
      "settings": {"psi_bins": "baseline deciles ...", "psi_floor": 0.0001, ...}
    }

Regression: ``prediction`` has ``psi``, ``ks``, ``ks_pvalue`` of the predicted values and
``quality`` has ``rmse`` and ``mae``. ``quality`` is present only when labels were given.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import numpy as np

from .baseline import FeatureGrid
from .common import format_time
from .partial import Partial
from .stats import (
    PSI_FLOOR,
    category_psi,
    classification_metrics,
    ks_from_cell_counts,
    ks_pvalue,
    psi,
    regression_metrics,
)

SCHEMA_VERSION = 1
_SPEC_PATH = os.path.join(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "metrics_spec.json"
)


def load_metrics_spec(path: str = _SPEC_PATH) -> dict[str, Any]:
    """The metric namespace, dimension and metric names (``lambda/drift/metrics_spec.json``)."""
    with open(path, encoding="utf-8") as handle:
        spec: dict[str, Any] = json.load(handle)
    return spec


METRICS_SPEC = load_metrics_spec()


def build_report(
    partial: Partial,
    *,
    endpoint: str | None = None,
    variant: str | None = None,
    window: tuple[datetime, datetime] | None = None,
) -> dict[str, Any]:
    """The report of one variant's window from its (merged) partial result."""
    profile = partial.profile
    features: dict[str, Any] = {}
    for index, name in enumerate(profile.feature_names):
        grid = profile.grids[index]
        features[name] = _numeric_summary(
            grid,
            partial.cells[index],
            missing=int(partial.missing[index]),
            records=partial.records,
        )
    bad = dict(sorted(partial.bad.items()))
    report: dict[str, Any] = {
        "schema_version": SCHEMA_VERSION,
        "endpoint": endpoint,
        "variant": variant,
        "window": {"start": format_time(window[0]), "end": format_time(window[1])}
        if window
        else None,
        "baseline": {"source": profile.source, "records": profile.baseline_records},
        "empty": partial.records == 0,
        "files": partial.files,
        "lines": partial.lines,
        "records": partial.records,
        "bad_records": int(sum(bad.values())),
        "bad_record_reasons": bad,
        "features": features,
        "prediction": _prediction(partial),
    }
    if partial.labels_used:
        report["quality"] = _quality(partial)
    report["settings"] = {
        "psi_bins": "baseline deciles (10th..90th percentiles, right-closed, open outer bins)",
        "psi_floor": PSI_FLOOR,
        "ks_pvalue": "asymptotic Kolmogorov distribution, Stephens' correction",
        "task": profile.task,
        "baseline_fingerprint": profile.fingerprint,
    }
    return _clean(report)


def _numeric_summary(
    grid: FeatureGrid, cells: np.ndarray, *, missing: int, records: int
) -> dict[str, Any]:
    count = int(cells.sum())
    ks = ks_from_cell_counts(grid.baseline_cells, cells)
    base_count = int(grid.baseline_cells.sum())
    return {
        "psi": psi(grid.psi_bins(grid.baseline_cells), grid.psi_bins(cells)),
        "ks": ks[0] if ks else None,
        "ks_pvalue": ks_pvalue(ks[0], base_count, count) if ks else None,
        "ks_error_bound": ks[1] if ks else None,
        "missing_share": missing / records if records else None,
        "count": count,
        "missing": missing,
    }


def _prediction(partial: Partial) -> dict[str, Any]:
    profile = partial.profile
    if profile.task == "regression":
        grid = profile.prediction_grid
        summary: dict[str, Any] = {"records": int(partial.prediction_cells.sum())}
        if grid is not None:
            numeric = _numeric_summary(
                grid, partial.prediction_cells, missing=0, records=partial.records
            )
            summary.update({k: numeric[k] for k in ("psi", "ks", "ks_pvalue", "ks_error_bound")})
        else:
            summary.update({"psi": None, "ks": None, "ks_pvalue": None})
        summary["unreadable"] = partial.prediction_unreadable
        return summary
    counts = dict(sorted(partial.class_counts.items()))
    total = sum(counts.values())
    baseline = profile.prediction_counts
    base_total = sum(baseline.values())
    return {
        "class_share": {k: v / total for k, v in counts.items()} if total else {},
        "baseline_class_share": {k: v / base_total for k, v in baseline.items()}
        if base_total
        else {},
        "psi": category_psi(baseline, counts) if baseline else None,
        "records": total,
        "unreadable": partial.prediction_unreadable,
    }


def _quality(partial: Partial) -> dict[str, Any]:
    if partial.profile.task == "regression":
        quality: dict[str, Any] = {"task": "regression"}
        quality.update(regression_metrics(partial.error_count, partial.error_abs, partial.error_sq))
    else:
        quality = {"task": "classification"}
        quality.update(classification_metrics(partial.confusion))
    quality["label_sources"] = list(partial.label_sources)
    quality["bad_label_lines"] = partial.bad_label_lines
    return quality


def _clean(value: Any) -> Any:
    """Plain JSON values: numpy scalars to Python, non-finite floats to ``None``."""
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def report_json(report: dict[str, Any]) -> str:
    """The report as stable, indented JSON text."""
    return json.dumps(report, indent=2, sort_keys=True, allow_nan=False) + "\n"


# --------------------------------------------------------------------------- metrics

_SMALLEST = 1e-100  # CloudWatch rejects magnitudes below ~8.5e-109; smaller values are sent as 0


def metric_data(
    report: dict[str, Any],
    *,
    endpoint: str,
    variant: str,
    timestamp: datetime,
    spec: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """CloudWatch ``MetricDatum`` entries for every figure of a report (nulls are skipped)."""
    spec = spec or METRICS_SPEC
    names = spec["dimensions"]
    metrics = spec["metrics"]
    base = [
        {"Name": names["endpoint"], "Value": endpoint},
        {"Name": names["variant"], "Value": variant},
    ]
    data: list[dict[str, Any]] = []

    def put(key: str, value: object, extra: Sequence[dict[str, str]] = ()) -> None:
        if value is None or isinstance(value, bool):
            return
        number = float(value)  # type: ignore[arg-type]
        if not math.isfinite(number):
            return
        if abs(number) < _SMALLEST:
            number = 0.0
        metric = metrics[key]
        data.append(
            {
                "MetricName": metric["name"],
                "Dimensions": [*base, *extra],
                "Timestamp": timestamp,
                "Value": number,
                "Unit": metric["unit"],
            }
        )

    put("records", report["records"])
    put("bad_records", report["bad_records"])
    for feature, figures in report["features"].items():
        extra = [{"Name": names["feature"], "Value": feature}]
        put("feature_psi", figures["psi"], extra)
        put("feature_ks", figures["ks"], extra)
        put("feature_ks_pvalue", figures["ks_pvalue"], extra)
        put("feature_missing_share", figures["missing_share"], extra)
    prediction = report["prediction"]
    put("prediction_psi", prediction.get("psi"))
    for name, share in (prediction.get("class_share") or {}).items():
        put("prediction_class_share", share, [{"Name": names["prediction_class"], "Value": name}])
    quality = report.get("quality")
    if quality:
        put("labeled_records", quality.get("labeled_records"))
        for key in ("accuracy", "precision", "recall", "f1", "rmse", "mae"):
            put(key, quality.get(key))
    return data


def publish(
    cloudwatch: Any,
    data: Iterable[dict[str, Any]],
    *,
    namespace: str | None = None,
    spec: dict[str, Any] | None = None,
) -> int:
    """Send metric data in ``PutMetricData`` batches; returns the number of calls made.

    ``namespace`` defaults to the spec's (``MLOps/ModelQuality``).
    """
    spec = spec or METRICS_SPEC
    size = int(spec["max_datums_per_call"])
    items = list(data)
    calls = 0
    for start in range(0, len(items), size):
        cloudwatch.put_metric_data(
            Namespace=namespace or spec["namespace"], MetricData=items[start : start + size]
        )
        calls += 1
    return calls
