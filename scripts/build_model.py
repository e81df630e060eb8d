"""Build the synthetic customer-churn model artifact and its sample request payloads.

Usage::

    python scripts/build_model.py [--output-dir DIR]

The script is deterministic: a fixed random seed generates the training data,
logistic regression is fitted by full-batch gradient descent on standardized
features, and the artifact is packed with fixed tar metadata and a zeroed gzip
timestamp, so re-running it reproduces ``model.tar.gz`` byte for byte (and so
the CDK asset hash of the artifact stays stable).

Outputs (``DIR`` defaults to ``model/`` at the repository root):

* ``DIR/model.tar.gz`` holding ``model.json`` and ``code/inference.py`` (copied
  from ``model/code/inference.py``), the layout the SageMaker scikit-learn
  serving container expects under ``/opt/ml/model``.
* ``DIR/payloads/`` with ``single.json``, ``batch.json``, ``records.json``,
  ``batch.csv`` and ``expected.json`` (the labels the model gives each payload).
* ``DIR/baseline.csv``: the training sample the drift detector compares live traffic
  with: a header of the feature names then ``label`` (the true class) and ``prediction``
  (the model's class), one row per training customer, values written as requests send
  them (whole months and calls, charges with cents).

Only the standard library and numpy are used.
"""

import argparse
import gzip
import io
import json
import sys
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_OUTPUT_DIR = REPO_ROOT / "model"
INFERENCE_SOURCE = REPO_ROOT / "model" / "code" / "inference.py"

MODEL_VERSION = 1
FEATURE_NAMES = ("tenure_months", "monthly_charges", "support_calls", "contract_months")
FEATURE_DESCRIPTIONS = {
    "tenure_months": "months the customer has been subscribed (1-72)",
    "monthly_charges": "current monthly bill in USD (18-120)",
    "support_calls": "support calls in the last 90 days (0-10)",
    "contract_months": "contract length in months (1 = month-to-month, 12 or 24)",
}
LABELS = (0, 1)
LABEL_NAMES = ("retained", "churned")
DECISION_THRESHOLD = 0.5

SEED = 20240607
TRAIN_ROWS = 4000
LEARNING_RATE = 0.5
ITERATIONS = 2000
L2_PENALTY = 1e-4
# Parameters are rounded before they are written so that last-bit differences in
# floating-point arithmetic between machines cannot change the artifact bytes.
PARAMETER_DECIMALS = 8

# Sample payloads only use rows the model scores far from the decision threshold,
# so their expected labels are not sensitive to tiny numeric differences.
PAYLOAD_MARGIN = 0.3
PAYLOAD_CANDIDATES = 400

# Fixed archive metadata: 2020-01-01T00:00:00Z (a zero mtime makes GNU tar warn).
ARCHIVE_MTIME = 1577836800
ARCHIVE_OWNER = "root"


@dataclass(frozen=True)
class TrainedModel:
    """Parameters of the fitted, standardized logistic-regression model."""

    means: np.ndarray
    stds: np.ndarray
    coefficients: np.ndarray
    intercept: float

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Return the churn probability for each row of ``features``."""
        logits = ((features - self.means) / self.stds) @ self.coefficients + self.intercept
        probabilities: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * logits))
        return probabilities


@dataclass(frozen=True)
class BuildResult:
    """What one build produced."""

    training_accuracy: float
    archive_path: Path
    payload_dir: Path
    expected_labels: dict[str, list[int]]
    baseline_path: Path


def generate_customers(rng: np.random.Generator, rows: int) -> np.ndarray:
    """Draw synthetic customers; columns follow ``FEATURE_NAMES``."""
    tenure = rng.integers(1, 73, size=rows).astype(np.float64)
    charges = np.round(np.clip(rng.normal(70.0, 25.0, size=rows), 18.0, 120.0), 2)
    calls = np.clip(rng.poisson(1.5, size=rows), 0, 10).astype(np.float64)
    contract = rng.choice(np.array([1.0, 12.0, 24.0]), size=rows, p=[0.5, 0.3, 0.2])
    return np.column_stack([tenure, charges, calls, contract])


def true_churn_logit(features: np.ndarray) -> np.ndarray:
    """Ground-truth log-odds of churn used to label the synthetic data."""
    tenure, charges, calls, contract = features.T
    logit: np.ndarray = (
        -0.6
        - 0.09 * (tenure - 36.0)
        + 0.0675 * (charges - 70.0)
        + 1.2 * (calls - 1.5)
        - 0.18 * (contract - 8.0)
    )
    return logit


def generate_dataset(rng: np.random.Generator, rows: int) -> tuple[np.ndarray, np.ndarray]:
    """Return features and 0/1 churn labels sampled from the ground-truth model."""
    features = generate_customers(rng, rows)
    churn_probability = 0.5 * (1.0 + np.tanh(0.5 * true_churn_logit(features)))
    labels = (rng.random(rows) < churn_probability).astype(np.float64)
    return features, labels


def fit_logistic_regression(features: np.ndarray, labels: np.ndarray) -> TrainedModel:
    """Fit logistic regression by full-batch gradient descent on standardized features."""
    means = features.mean(axis=0)
    stds = features.std(axis=0)
    standardized = (features - means) / stds
    rows = standardized.shape[0]
    coefficients = np.zeros(standardized.shape[1])
    intercept = 0.0
    for _ in range(ITERATIONS):
        logits = standardized @ coefficients + intercept
        residual = 0.5 * (1.0 + np.tanh(0.5 * logits)) - labels
        gradient = standardized.T @ residual / rows + L2_PENALTY * coefficients
        coefficients = coefficients - LEARNING_RATE * gradient
        intercept -= LEARNING_RATE * float(residual.mean())
    return TrainedModel(
        means=np.round(means, PARAMETER_DECIMALS),
        stds=np.round(stds, PARAMETER_DECIMALS),
        coefficients=np.round(coefficients, PARAMETER_DECIMALS),
        intercept=round(intercept, PARAMETER_DECIMALS),
    )


def model_document(model: TrainedModel, training_accuracy: float) -> dict[str, object]:
    """Return the ``model.json`` content that ``model_fn`` in inference.py loads."""
    return {
        "version": MODEL_VERSION,
        "model_type": "logistic_regression",
        "description": "Synthetic customer-churn classifier; label 1 means the customer churns.",
        "feature_names": list(FEATURE_NAMES),
        "feature_descriptions": [FEATURE_DESCRIPTIONS[name] for name in FEATURE_NAMES],
        "feature_means": [float(value) for value in model.means],
        "feature_stds": [float(value) for value in model.stds],
        "coefficients": [float(value) for value in model.coefficients],
        "intercept": float(model.intercept),
        "labels": list(LABELS),
        "label_names": list(LABEL_NAMES),
        "decision_threshold": DECISION_THRESHOLD,
        "training": {
            "seed": SEED,
            "rows": TRAIN_ROWS,
            "iterations": ITERATIONS,
            "learning_rate": LEARNING_RATE,
            "l2_penalty": L2_PENALTY,
            "accuracy": round(training_accuracy, 6),
        },
    }


def _tar_member(name: str, data: bytes | None) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.mtime = ARCHIVE_MTIME
    info.uid = 0
    info.gid = 0
    info.uname = ARCHIVE_OWNER
    info.gname = ARCHIVE_OWNER
    if data is None:
        info.type = tarfile.DIRTYPE
        info.mode = 0o755
    else:
        info.type = tarfile.REGTYPE
        info.mode = 0o644
        info.size = len(data)
    return info


def reproducible_tar_gz(files: dict[str, bytes]) -> bytes:
    """Pack ``files`` (archive path -> content) into deterministic ``.tar.gz`` bytes."""
    directories = {
        "/".join(parts[:depth])
        for parts in (name.split("/") for name in files)
        for depth in range(1, len(parts))
    }
    entries: dict[str, bytes | None] = {name: None for name in directories}
    entries.update(files)

    tar_buffer = io.BytesIO()
    with tarfile.open(fileobj=tar_buffer, mode="w", format=tarfile.USTAR_FORMAT) as archive:
        for name in sorted(entries):
            data = entries[name]
            info = _tar_member(name, data)
            archive.addfile(info, None if data is None else io.BytesIO(data))

    gz_buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=gz_buffer, compresslevel=9, mtime=0) as gz:
        gz.write(tar_buffer.getvalue())
    return gz_buffer.getvalue()


def select_payload_rows(model: TrainedModel, rng: np.random.Generator) -> list[list[float]]:
    """Pick confidently scored customers, alternating churn and retained."""
    candidates = generate_customers(rng, PAYLOAD_CANDIDATES)
    probabilities = model.predict_proba(candidates)
    churners = [
        row for row, p in zip(candidates, probabilities, strict=True) if p >= 0.5 + PAYLOAD_MARGIN
    ]
    stayers = [
        row for row, p in zip(candidates, probabilities, strict=True) if p <= 0.5 - PAYLOAD_MARGIN
    ]
    rows: list[list[float]] = []
    for churner, stayer in zip(churners, stayers, strict=False):
        rows.extend([[float(value) for value in churner], [float(value) for value in stayer]])
    return rows


def _payload_value(name: str, value: float) -> int | float:
    """Write counts and months as whole numbers and the monthly charge with its cents."""
    return round(value, 2) if name == "monthly_charges" else int(value)


def _record(row: list[float]) -> dict[str, int | float]:
    return {
        name: _payload_value(name, value) for name, value in zip(FEATURE_NAMES, row, strict=True)
    }


def _instance(row: list[float]) -> list[int | float]:
    return [_payload_value(name, value) for name, value in zip(FEATURE_NAMES, row, strict=True)]


def _inline(value: object) -> str:
    return json.dumps(value, separators=(", ", ": "))


def _json_lines(opening: str, items: list[str], closing: str) -> str:
    """Lay out a JSON array with one compact item per line."""
    return opening + "\n" + ",\n".join(items) + "\n" + closing + "\n"


def build_payloads(model: TrainedModel) -> tuple[dict[str, str], dict[str, list[int]]]:
    """Return payload file contents and the labels the model assigns to each file."""
    rows = select_payload_rows(model, np.random.default_rng(SEED + 1))
    needed = 1 + 5 + 3 + 5
    if len(rows) < needed:
        raise RuntimeError(f"only {len(rows)} confident payload rows found; need {needed}")
    groups = {
        "single.json": rows[0:1],
        "batch.json": rows[1:6],
        "records.json": rows[6:9],
        "batch.csv": rows[9:14],
    }
    contents = {
        name: _json_lines(
            '{\n  "instances": [',
            ["    " + _inline(_instance(row)) for row in groups[name]],
            "  ]\n}",
        )
        for name in ("single.json", "batch.json")
    }
    contents.update(
        {
            "records.json": _json_lines(
                "[", ["  " + _inline(_record(row)) for row in groups["records.json"]], "]"
            ),
            "batch.csv": "".join(
                ",".join(str(value) for value in _instance(row)) + "\n"
                for row in groups["batch.csv"]
            ),
        }
    )
    expected: dict[str, list[int]] = {}
    for name, group in groups.items():
        # Score the values exactly as written to the payload file.
        sent = np.array([[float(v) for v in _instance(row)] for row in group], dtype=np.float64)
        probabilities = model.predict_proba(sent)
        expected[name] = [int(p >= DECISION_THRESHOLD) for p in probabilities]
    contents["expected.json"] = _json_lines(
        "{", [f"  {_inline(name)}: {_inline(expected[name])}" for name in sorted(expected)], "}"
    )
    return contents, expected


def build(output_dir: Path) -> BuildResult:
    """Train the model and write the artifact and payloads under ``output_dir``."""
    features, labels = generate_dataset(np.random.default_rng(SEED), TRAIN_ROWS)
    model = fit_logistic_regression(features, labels)
    predicted = model.predict_proba(features) >= DECISION_THRESHOLD
    training_accuracy = float(np.mean(predicted == (labels == 1.0)))

    model_json = json.dumps(model_document(model, training_accuracy), indent=2, sort_keys=True)
    archive = reproducible_tar_gz(
        {
            "model.json": (model_json + "\n").encode("utf-8"),
            "code/inference.py": INFERENCE_SOURCE.read_bytes(),
        }
    )

    output_dir.mkdir(parents=True, exist_ok=True)
    archive_path = output_dir / "model.tar.gz"
    archive_path.write_bytes(archive)

    payload_dir = output_dir / "payloads"
    payload_dir.mkdir(parents=True, exist_ok=True)
    contents, expected = build_payloads(model)
    for name, text in contents.items():
        (payload_dir / name).write_bytes(text.encode("utf-8"))

    baseline_path = output_dir / "baseline.csv"
    baseline_path.write_bytes(baseline_csv(features, labels, predicted).encode("utf-8"))

    return BuildResult(
        training_accuracy=training_accuracy,
        archive_path=archive_path,
        payload_dir=payload_dir,
        expected_labels=expected,
        baseline_path=baseline_path,
    )


def baseline_csv(features: np.ndarray, labels: np.ndarray, predicted: np.ndarray) -> str:
    """The training sample as CSV: feature columns, then ``label`` and ``prediction``."""
    lines = [",".join([*FEATURE_NAMES, "label", "prediction"])]
    for row, label, prediction in zip(features.tolist(), labels, predicted, strict=True):
        values = [
            _payload_value(name, value) for name, value in zip(FEATURE_NAMES, row, strict=True)
        ]
        lines.append(",".join([*map(str, values), str(int(label)), str(int(prediction))]))
    return "\n".join(lines) + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point; returns the process exit code."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--output-dir",
        type=Path,
        default=DEFAULT_OUTPUT_DIR,
        help="directory to write model.tar.gz and payloads/ into (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    result = build(args.output_dir)
    print(f"training accuracy: {result.training_accuracy:.4f} ({TRAIN_ROWS} rows)")
    print(f"wrote {result.archive_path}")
    print(f"wrote {result.payload_dir}/ (expected labels: {result.expected_labels})")
    print(f"wrote {result.baseline_path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
