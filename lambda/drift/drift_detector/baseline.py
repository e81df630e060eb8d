"""The baseline (the training sample) and the fixed grids every window is counted on.

A baseline is a CSV file with a header row: the feature columns in request order, and
optionally a ``label`` column (the true value) and a ``prediction`` column (the model's
output on that row). ``scripts/build_model.py`` writes ``model/baseline.csv`` in this shape.
A file without a header (first row all numbers) is read as features only, named ``f1..fN``.
Cells that are not finite numbers are ignored (they count as missing in the baseline).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from .common import class_name, to_float
from .stats import MAX_GRID_EDGES, decile_edges

LABEL_COLUMN = "label"
PREDICTION_COLUMN = "prediction"
TASKS = ("classification", "regression")


@dataclass
class Baseline:
    """A parsed baseline sample."""

    feature_names: list[str]
    features: np.ndarray
    labels: list[str | None] | np.ndarray | None = None
    predictions: list[str | None] | np.ndarray | None = None
    source: str = ""

    @property
    def records(self) -> int:
        """Rows in the sample."""
        return int(self.features.shape[0])


def parse_baseline_csv(
    text: str | bytes,
    *,
    task: str = "classification",
    label_column: str = LABEL_COLUMN,
    prediction_column: str = PREDICTION_COLUMN,
    source: str = "",
) -> Baseline:
    """Parse baseline CSV text; raises ``ValueError`` naming the problem if it is unusable."""
    if task not in TASKS:
        raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
    if isinstance(text, bytes):
        text = text.decode("utf-8-sig")
    rows = [row for row in csv.reader(io.StringIO(text)) if any(cell.strip() for cell in row)]
    where = f"baseline {source}".strip()
    if not rows:
        raise ValueError(f"{where} is empty: expected a header of feature names and data rows")
    header = [cell.strip() for cell in rows[0]]
    has_header = any(cell and to_float(cell) != to_float(cell) for cell in header)
    if has_header:
        body = rows[1:]
    else:
        header = [f"f{index + 1}" for index in range(len(rows[0]))]
        body = rows
    if len(set(header)) != len(header):
        raise ValueError(f"{where}: duplicate column names in the header {header}")
    label_index = header.index(label_column) if label_column in header else None
    prediction_index = header.index(prediction_column) if prediction_column in header else None
    feature_indexes = [i for i in range(len(header)) if i not in (label_index, prediction_index)]
    if not feature_indexes:
        raise ValueError(f"{where}: no feature columns in the header {header}")
    if not body:
        raise ValueError(f"{where}: has a header but no data rows")
    width = len(header)
    features = np.full((len(body), len(feature_indexes)), np.nan)
    labels: list[object] = []
    predictions: list[object] = []
    for row_number, row in enumerate(body):
        if len(row) != width:
            raise ValueError(
                f"{where}: row {row_number + 2} has {len(row)} columns; the header has {width}"
            )
        features[row_number] = [to_float(row[i]) for i in feature_indexes]
        if label_index is not None:
            labels.append(row[label_index])
        if prediction_index is not None:
            predictions.append(row[prediction_index])
    return Baseline(
        feature_names=[header[i] for i in feature_indexes],
        features=features,
        labels=_targets(labels, task) if label_index is not None else None,
        predictions=_targets(predictions, task) if prediction_index is not None else None,
        source=source,
    )


def _targets(values: list[object], task: str) -> list[str | None] | np.ndarray:
    if task == "regression":
        return np.array([to_float(v) for v in values], dtype=np.float64)
    return [class_name(v) for v in values]


@dataclass
class FeatureGrid:
    """The fixed cells a feature's values are counted in, and the baseline's counts.

    ``edges`` are every distinct baseline value (or ``MAX_GRID_EDGES`` baseline quantiles when
    there are more) together with the PSI decile edges. Cell ``2i`` is the open interval below
    ``edges[i]`` (above ``edges[i-1]``), cell ``2i+1`` is the value ``edges[i]`` itself, and the
    last cell ``2K`` is everything above the last edge.
    """

    edges: np.ndarray
    psi_edges: np.ndarray
    cell_to_bin: np.ndarray
    baseline_cells: np.ndarray
    baseline_missing: int

    @classmethod
    def from_sample(cls, values: np.ndarray) -> FeatureGrid:
        """Build the grid of one baseline column."""
        column = np.asarray(values, dtype=np.float64)
        finite = column[np.isfinite(column)]
        psi_edges = decile_edges(finite)
        distinct = np.unique(finite)
        if distinct.size > MAX_GRID_EDGES:
            distinct = np.unique(np.quantile(finite, np.linspace(0.0, 1.0, MAX_GRID_EDGES)))
        edges = np.union1d(distinct, psi_edges)
        upper = np.append(edges, np.inf)
        bins = np.searchsorted(psi_edges, upper, side="left")
        cell_to_bin = np.repeat(bins, 2)[: 2 * edges.size + 1]
        grid = cls(
            edges=edges,
            psi_edges=psi_edges,
            cell_to_bin=cell_to_bin,
            baseline_cells=np.zeros(2 * edges.size + 1, dtype=np.int64),
            baseline_missing=int(column.size - finite.size),
        )
        grid.baseline_cells = grid.count(finite)
        return grid

    @property
    def cell_count(self) -> int:
        """Number of cells (``2 * len(edges) + 1``)."""
        return int(self.edges.size * 2 + 1)

    def cells(self, finite_values: np.ndarray) -> np.ndarray:
        """The cell index of each (finite) value."""
        k = self.edges.size
        if k == 0:
            return np.zeros(finite_values.shape, dtype=np.int64)
        index = np.searchsorted(self.edges, finite_values, side="left")
        at_edge = self.edges[np.minimum(index, k - 1)] == finite_values
        return 2 * index + at_edge

    def count(self, finite_values: np.ndarray) -> np.ndarray:
        """Counts of (finite) values per cell."""
        return np.bincount(self.cells(finite_values), minlength=self.cell_count).astype(np.int64)

    def psi_bins(self, cell_counts: np.ndarray) -> np.ndarray:
        """Counts per PSI bin from counts per cell."""
        return np.bincount(
            self.cell_to_bin, weights=cell_counts, minlength=self.psi_edges.size + 1
        ).astype(np.int64)


@dataclass
class Profile:
    """Everything a run needs from the baseline: names, grids, prediction mix, fingerprint."""

    feature_names: list[str]
    grids: list[FeatureGrid]
    task: str
    baseline_records: int
    prediction_counts: dict[str, int] = field(default_factory=dict)
    prediction_grid: FeatureGrid | None = None
    source: str = ""

    @classmethod
    def from_baseline(cls, baseline: Baseline, task: str = "classification") -> Profile:
        """Build the grids of every feature and the baseline's prediction mix."""
        if task not in TASKS:
            raise ValueError(f"task must be one of {', '.join(TASKS)}, got {task!r}")
        grids = [
            FeatureGrid.from_sample(baseline.features[:, i])
            for i in range(len(baseline.feature_names))
        ]
        counts: dict[str, int] = {}
        prediction_grid = None
        if baseline.predictions is not None:
            if task == "classification":
                for value in baseline.predictions:
                    if value is not None:
                        counts[str(value)] = counts.get(str(value), 0) + 1
            else:
                prediction_grid = FeatureGrid.from_sample(np.asarray(baseline.predictions))
        return cls(
            feature_names=list(baseline.feature_names),
            grids=grids,
            task=task,
            baseline_records=baseline.records,
            prediction_counts=dict(sorted(counts.items())),
            prediction_grid=prediction_grid,
            source=baseline.source,
        )

    @property
    def fingerprint(self) -> str:
        """A digest of the grids and names: partial results merge only under the same one."""
        digest = hashlib.sha256()
        digest.update(json.dumps([self.feature_names, self.task]).encode())
        for grid in [*self.grids, self.prediction_grid]:
            if grid is not None:
                digest.update(grid.edges.tobytes())
                digest.update(grid.psi_edges.tobytes())
                digest.update(grid.baseline_cells.tobytes())
        digest.update(json.dumps(self.prediction_counts, sort_keys=True).encode())
        return digest.hexdigest()[:16]


def load_profile(
    text: str | bytes,
    *,
    task: str = "classification",
    source: str = "",
    feature_names: Sequence[str] | None = None,
) -> Profile:
    """Parse a baseline CSV and build its profile.

    ``feature_names``, when given, must equal the baseline's feature columns (a guard against
    pointing the detector at the wrong baseline).
    """
    baseline = parse_baseline_csv(text, task=task, source=source)
    if feature_names is not None and list(feature_names) != baseline.feature_names:
        raise ValueError(
            f"baseline {source} has features {baseline.feature_names}, expected "
            f"{list(feature_names)}"
        )
    return Profile.from_baseline(baseline, task=task)
