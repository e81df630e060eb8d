"""Mergeable partial results: counts on the baseline's fixed grids.

A ``Partial`` holds only counts (and, for regression quality, error sums), so the partials
of disjoint shards of a window add up to the partial of the whole window: PSI, KS, shares
and classification quality computed from ``merge(partials)`` equal a single pass exactly.
Regression error sums are floats; merged they equal a single pass up to float rounding.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Iterable
from typing import Any

import numpy as np

from .baseline import Profile
from .common import class_name, to_float
from .decode import Batch
from .labels import Labels

PARTIAL_FORMAT = "drift-partial/1"


class Partial:
    """Counts of one shard (or a whole window) of one variant."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.fingerprint = profile.fingerprint
        self.lines = 0
        self.records = 0
        self.files = 0
        self.bad: Counter[str] = Counter()
        self.cells = [np.zeros(g.cell_count, dtype=np.int64) for g in profile.grids]
        self.missing = np.zeros(len(profile.grids), dtype=np.int64)
        self.class_counts: Counter[str] = Counter()
        grid = profile.prediction_grid
        self.prediction_cells = np.zeros(grid.cell_count if grid else 1, dtype=np.int64)
        self.prediction_unreadable = 0
        self.confusion: dict[str, Counter[str]] = {}
        self.labeled = 0
        self.error_count = 0
        self.error_abs = 0.0
        self.error_sq = 0.0
        self.labels_used = False
        self.label_sources: list[str] = []
        self.bad_label_lines = 0

    def use_labels(self, labels: Labels) -> None:
        """Record that records are matched with ``labels`` (the report then has ``quality``)."""
        self.labels_used = True
        self.label_sources = list(labels.sources)
        self.bad_label_lines = labels.bad_lines

    def add(self, batch: Batch, labels: Labels | None = None) -> None:
        """Count a decoded batch (and match its records with labels, if given)."""
        self.lines += batch.lines
        self.records += batch.records
        self.bad.update(batch.bad)
        self.prediction_unreadable += batch.prediction_unreadable
        for index, grid in enumerate(self.profile.grids):
            column = batch.values[:, index]
            finite = np.isfinite(column)
            if not finite.all():
                self.missing[index] += int(column.size - np.count_nonzero(finite))
                column = column[finite]
            if column.size:
                self.cells[index] += grid.count(column)
        if self.profile.task == "regression":
            predicted = batch.predicted
            if self.profile.prediction_grid is not None:
                known = predicted[np.isfinite(predicted)]
                self.prediction_cells += self.profile.prediction_grid.count(known)
        else:
            codes = batch.class_codes
            known = codes[codes >= 0]
            if known.size:
                counts = np.bincount(known, minlength=len(batch.classes))
                for code in np.flatnonzero(counts).tolist():
                    self.class_counts[batch.classes[code]] += int(counts[code])
        if labels is not None and batch.ids is not None:
            if not self.labels_used:
                self.use_labels(labels)
            self._match(batch, labels)

    def _match(self, batch: Batch, labels: Labels) -> None:
        regression = self.profile.task == "regression"
        for index, (inference_id, event_id, row, rows) in enumerate(batch.ids or ()):
            truth = labels.lookup(inference_id, event_id, row, rows)
            if truth is None:
                continue
            if regression:
                expected = to_float(truth)
                predicted = float(batch.predicted[index])
                if math.isnan(expected) or math.isnan(predicted):
                    continue
                error = predicted - expected
                self.error_count += 1
                self.error_abs += abs(error)
                self.error_sq += error * error
                self.labeled += 1
            else:
                code = int(batch.class_codes[index])
                name = class_name(truth)
                if code < 0 or name is None:
                    continue
                row_counts = self.confusion.setdefault(name, Counter())
                row_counts[batch.classes[code]] += 1
                self.labeled += 1

    @classmethod
    def merge(cls, partials: Iterable[Partial], profile: Profile | None = None) -> Partial:
        """Add partials of the same baseline; raises ``ValueError`` if their grids differ."""
        items = list(partials)
        if profile is None:
            if not items:
                raise ValueError("nothing to merge: no partial results and no profile")
            profile = items[0].profile
        total = cls(profile)
        for item in items:
            if item.fingerprint != total.fingerprint:
                raise ValueError(
                    f"partial result computed on another baseline (fingerprint "
                    f"{item.fingerprint}, expected {total.fingerprint})"
                )
            total.lines += item.lines
            total.records += item.records
            total.files += item.files
            total.bad.update(item.bad)
            for mine, theirs in zip(total.cells, item.cells):  # noqa: B905 (py3.9)
                mine += theirs
            total.missing += item.missing
            total.class_counts.update(item.class_counts)
            total.prediction_cells += item.prediction_cells
            total.prediction_unreadable += item.prediction_unreadable
            for truth, row in item.confusion.items():
                total.confusion.setdefault(truth, Counter()).update(row)
            total.labeled += item.labeled
            total.error_count += item.error_count
            total.error_abs += item.error_abs
            total.error_sq += item.error_sq
            if item.labels_used:
                # Every shard reads the same labels: their sources and bad lines are not added.
                total.labels_used = True
                total.label_sources = sorted(set(total.label_sources) | set(item.label_sources))
                total.bad_label_lines = max(total.bad_label_lines, item.bad_label_lines)
        return total

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (sparse cell counts)."""
        return {
            "format": PARTIAL_FORMAT,
            "fingerprint": self.fingerprint,
            "lines": self.lines,
            "records": self.records,
            "files": self.files,
            "bad": dict(sorted(self.bad.items())),
            "features": {
                name: {"missing": int(self.missing[i]), **_sparse(self.cells[i])}
                for i, name in enumerate(self.profile.feature_names)
            },
            "class_counts": dict(sorted(self.class_counts.items())),
            "prediction_cells": _sparse(self.prediction_cells),
            "prediction_unreadable": self.prediction_unreadable,
            "confusion": {t: dict(sorted(r.items())) for t, r in sorted(self.confusion.items())},
            "labeled": self.labeled,
            "errors": {"count": self.error_count, "abs": self.error_abs, "sq": self.error_sq},
            "labels": {
                "used": self.labels_used,
                "sources": self.label_sources,
                "bad_lines": self.bad_label_lines,
            },
        }

    @classmethod
    def from_dict(cls, document: dict[str, Any], profile: Profile) -> Partial:
        """Read ``to_dict`` output back; refuses another format or baseline."""
        if document.get("format") != PARTIAL_FORMAT:
            raise ValueError(f"not a drift partial result (format {document.get('format')!r})")
        partial = cls(profile)
        if document.get("fingerprint") != partial.fingerprint:
            raise ValueError(
                f"partial result computed on another baseline (fingerprint "
                f"{document.get('fingerprint')}, expected {partial.fingerprint})"
            )
        partial.lines = int(document["lines"])
        partial.records = int(document["records"])
        partial.files = int(document.get("files", 0))
        partial.bad = Counter({k: int(v) for k, v in document["bad"].items()})
        for i, name in enumerate(profile.feature_names):
            feature = document["features"][name]
            partial.missing[i] = int(feature["missing"])
            partial.cells[i] = _dense(feature, partial.cells[i].size)
        partial.class_counts = Counter({k: int(v) for k, v in document["class_counts"].items()})
        partial.prediction_cells = _dense(
            document["prediction_cells"], partial.prediction_cells.size
        )
        partial.prediction_unreadable = int(document["prediction_unreadable"])
        partial.confusion = {
            t: Counter({p: int(n) for p, n in row.items()})
            for t, row in document["confusion"].items()
        }
        partial.labeled = int(document["labeled"])
        partial.error_count = int(document["errors"]["count"])
        partial.error_abs = float(document["errors"]["abs"])
        partial.error_sq = float(document["errors"]["sq"])
        label_info = document.get("labels") or {}
        partial.labels_used = bool(label_info.get("used", False))
        partial.label_sources = [str(s) for s in label_info.get("sources", [])]
        partial.bad_label_lines = int(label_info.get("bad_lines", 0))
        return partial


def _sparse(counts: np.ndarray) -> dict[str, list[int]]:
    index = np.flatnonzero(counts)
    return {"cells": index.tolist(), "counts": counts[index].tolist()}


def _dense(sparse: dict[str, list[int]], size: int) -> np.ndarray:
    dense = np.zeros(size, dtype=np.int64)
    cells = np.asarray(sparse["cells"], dtype=np.int64)
    if cells.size and (cells.min() < 0 or cells.max() >= size):
        raise ValueError("partial result does not fit the baseline's grid")
    dense[cells] = np.asarray(sparse["counts"], dtype=np.int64)
    return dense
