"""Serving handlers for the synthetic customer-churn logistic-regression model.

This module is loaded by the SageMaker scikit-learn serving container
(``sagemaker-scikit-learn:1.2-1-cpu-py3``) when the model is created with::

    SAGEMAKER_PROGRAM=inference.py
    SAGEMAKER_SUBMIT_DIRECTORY=/opt/ml/model/code

The container calls ``model_fn`` once per worker, then ``input_fn``,
``predict_fn`` and ``output_fn`` for every request.

Constraints: the container runs Python 3.9, so this file uses only the standard
library and numpy, and avoids Python 3.10+ syntax (``X | Y`` unions, ``match``).

Requests
    ``application/json``
        Either ``{"instances": [[f1, f2, f3, f4], ...]}`` or a list of objects
        keyed by feature name, e.g. ``[{"tenure_months": 3, ...}, ...]``.
        Rows inside ``"instances"`` may also be objects keyed by feature name.
    ``text/csv``
        One row per line, four numbers per row in feature order, no header.

Responses
    ``application/json`` (default)
        ``{"predictions": [{"probability": p, "label": 0 or 1}, ...]}``
    ``text/csv``
        One ``probability,label`` line per input row, no header.

Malformed requests raise ``ValueError`` with a message naming the problem.
"""

import csv
import io
import json
import math
import os
from typing import Any, Union

import numpy as np

MODEL_FILENAME = "model.json"
SUPPORTED_MODEL_VERSION = 1
FEATURE_NAMES = ("tenure_months", "monthly_charges", "support_calls", "contract_months")
DECISION_THRESHOLD = 0.5

JSON_CONTENT_TYPE = "application/json"
CSV_CONTENT_TYPE = "text/csv"
SUPPORTED_CONTENT_TYPES = (JSON_CONTENT_TYPE, CSV_CONTENT_TYPE)

# The container runs Python 3.9, where ``str | bytes`` is not valid at runtime.
RequestBody = Union[str, bytes, bytearray]  # noqa: UP007


class ChurnModel:
    """Standardized logistic-regression model loaded from ``model.json``."""

    def __init__(
        self,
        feature_names: list[str],
        means: np.ndarray,
        stds: np.ndarray,
        coefficients: np.ndarray,
        intercept: float,
        labels: list[int],
    ) -> None:
        self.feature_names = feature_names
        self.means = means
        self.stds = stds
        self.coefficients = coefficients
        self.intercept = intercept
        self.labels = labels

    def predict_proba(self, features: np.ndarray) -> np.ndarray:
        """Return the probability of the positive class (churn) for each row."""
        standardized = (features - self.means) / self.stds
        logits = standardized @ self.coefficients + self.intercept
        # 0.5 * (1 + tanh(z / 2)) equals the logistic function and never overflows.
        probabilities: np.ndarray = 0.5 * (1.0 + np.tanh(0.5 * logits))
        return probabilities


def _float_list(document: dict[str, Any], key: str, length: int) -> np.ndarray:
    values = document.get(key)
    if not isinstance(values, list) or len(values) != length:
        raise ValueError(f"{MODEL_FILENAME}: '{key}' must be a list of {length} numbers")
    for value in values:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{MODEL_FILENAME}: '{key}' must contain only numbers")
        if not math.isfinite(value):
            raise ValueError(f"{MODEL_FILENAME}: '{key}' must contain only finite numbers")
    return np.asarray(values, dtype=np.float64)


def model_fn(model_dir: str) -> ChurnModel:
    """Load the model parameters from ``<model_dir>/model.json``."""
    path = os.path.join(model_dir, MODEL_FILENAME)
    try:
        with open(path, encoding="utf-8") as handle:
            document = json.load(handle)
    except FileNotFoundError as error:
        raise ValueError(f"model file not found: {path}") from error
    except json.JSONDecodeError as error:
        raise ValueError(f"model file is not valid JSON: {path}: {error}") from error

    if not isinstance(document, dict):
        raise ValueError(f"{MODEL_FILENAME}: top level must be a JSON object")
    version = document.get("version")
    if version != SUPPORTED_MODEL_VERSION:
        raise ValueError(
            f"{MODEL_FILENAME}: unsupported version {version!r}; expected {SUPPORTED_MODEL_VERSION}"
        )
    feature_names = document.get("feature_names")
    if feature_names != list(FEATURE_NAMES):
        raise ValueError(
            f"{MODEL_FILENAME}: feature_names {feature_names!r} do not match "
            f"the features this handler serves {list(FEATURE_NAMES)!r}"
        )
    labels = document.get("labels")
    if labels != [0, 1]:
        raise ValueError(f"{MODEL_FILENAME}: labels must be [0, 1], got {labels!r}")

    count = len(FEATURE_NAMES)
    means = _float_list(document, "feature_means", count)
    stds = _float_list(document, "feature_stds", count)
    if np.any(stds <= 0.0):
        raise ValueError(f"{MODEL_FILENAME}: 'feature_stds' must all be positive")
    coefficients = _float_list(document, "coefficients", count)
    intercept = document.get("intercept")
    if isinstance(intercept, bool) or not isinstance(intercept, (int, float)):
        raise ValueError(f"{MODEL_FILENAME}: 'intercept' must be a number")
    if not math.isfinite(intercept):
        raise ValueError(f"{MODEL_FILENAME}: 'intercept' must be a finite number")

    return ChurnModel(
        feature_names=list(FEATURE_NAMES),
        means=means,
        stds=stds,
        coefficients=coefficients,
        intercept=float(intercept),
        labels=[0, 1],
    )


def _media_type(content_type: str) -> str:
    """Strip parameters such as ``; charset=utf-8`` and normalize case."""
    return content_type.split(";", 1)[0].strip().lower()


def _decode_body(request_body: RequestBody) -> str:
    if isinstance(request_body, (bytes, bytearray)):
        try:
            return bytes(request_body).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"request body is not valid UTF-8: {error}") from error
    if isinstance(request_body, str):
        return request_body
    raise ValueError(f"request body must be str or bytes, got {type(request_body).__name__}")


def _to_number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{where}: expected a number, got {type(value).__name__} {value!r}")
    try:
        number = float(value)
    except OverflowError:
        raise ValueError(f"{where}: value is too large to be a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{where}: value must be a finite number, got {value!r}")
    return number


def _json_row(row: object, index: int) -> list[float]:
    where = f"row {index}"
    if isinstance(row, dict):
        missing = [name for name in FEATURE_NAMES if name not in row]
        unknown = sorted(str(key) for key in row if key not in FEATURE_NAMES)
        if missing or unknown:
            problems = []
            if missing:
                problems.append("missing feature(s) " + ", ".join(missing))
            if unknown:
                problems.append("unknown feature(s) " + ", ".join(unknown))
            raise ValueError(
                f"{where}: {'; '.join(problems)}; expected exactly {', '.join(FEATURE_NAMES)}"
            )
        return [_to_number(row[name], f"{where}, feature '{name}'") for name in FEATURE_NAMES]
    if isinstance(row, list):
        if len(row) != len(FEATURE_NAMES):
            raise ValueError(
                f"{where}: has {len(row)} value(s); expected {len(FEATURE_NAMES)} "
                f"({', '.join(FEATURE_NAMES)})"
            )
        return [
            _to_number(row[index], f"{where}, feature '{name}'")
            for index, name in enumerate(FEATURE_NAMES)
        ]
    raise ValueError(
        f"{where}: expected a list of {len(FEATURE_NAMES)} numbers or an object keyed by "
        f"feature name, got {type(row).__name__}"
    )


def _parse_json(text: str) -> list[list[float]]:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"request body is not valid JSON: {error}") from error

    if isinstance(document, dict):
        if "instances" not in document:
            keys = ", ".join(sorted(str(key) for key in document)) or "none"
            raise ValueError(
                "JSON object must have an 'instances' key holding a list of rows "
                f"(keys found: {keys}); alternatively send a list of objects keyed by "
                "feature name"
            )
        rows = document["instances"]
        if not isinstance(rows, list):
            raise ValueError(f"'instances' must be a list of rows, got {type(rows).__name__}")
    elif isinstance(document, list):
        rows = document
    else:
        raise ValueError(
            "JSON body must be an object with 'instances' or a list of objects keyed by "
            f"feature name, got {type(document).__name__}"
        )
    return [_json_row(row, index) for index, row in enumerate(rows)]


def _parse_csv(text: str) -> list[list[float]]:
    parsed: list[list[float]] = []
    for line_number, fields in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not fields or all(not field.strip() for field in fields):
            continue
        where = f"CSV line {line_number}"
        if len(fields) != len(FEATURE_NAMES):
            raise ValueError(
                f"{where}: has {len(fields)} value(s); expected {len(FEATURE_NAMES)} "
                f"({', '.join(FEATURE_NAMES)})"
            )
        row = []
        for index, name in enumerate(FEATURE_NAMES):
            field = fields[index]
            try:
                number = float(field.strip())
            except ValueError:
                raise ValueError(
                    f"{where}, feature '{name}': expected a number, got {field!r} "
                    "(CSV requests must not include a header row)"
                ) from None
            row.append(_to_number(number, f"{where}, feature '{name}'"))
        parsed.append(row)
    return parsed


def input_fn(request_body: RequestBody, request_content_type: str) -> np.ndarray:
    """Deserialize a request into a float64 array of shape ``(rows, 4)``."""
    media_type = _media_type(request_content_type or "")
    if media_type not in SUPPORTED_CONTENT_TYPES:
        raise ValueError(
            f"unsupported content type {request_content_type!r}; "
            f"supported: {', '.join(SUPPORTED_CONTENT_TYPES)}"
        )
    text = _decode_body(request_body)
    rows = _parse_json(text) if media_type == JSON_CONTENT_TYPE else _parse_csv(text)
    if not rows:
        raise ValueError("request contains no rows to score")
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), len(FEATURE_NAMES))


def predict_fn(input_data: np.ndarray, model: ChurnModel) -> np.ndarray:
    """Return the churn probability for each input row, shape ``(rows,)``."""
    features = np.asarray(input_data, dtype=np.float64)
    if features.ndim != 2 or features.shape[1] != len(FEATURE_NAMES):
        raise ValueError(
            f"input must have shape (rows, {len(FEATURE_NAMES)}), got {features.shape}"
        )
    return model.predict_proba(features)


def _choose_accept(accept: str) -> str:
    """Pick the first supported media type from an ``Accept`` header value."""
    if not accept:
        return JSON_CONTENT_TYPE
    for candidate in accept.split(","):
        media_type = _media_type(candidate)
        if media_type in SUPPORTED_CONTENT_TYPES:
            return media_type
        if media_type in ("*/*", "application/*"):
            return JSON_CONTENT_TYPE
        if media_type == "text/*":
            return CSV_CONTENT_TYPE
    raise ValueError(
        f"unsupported accept type {accept!r}; supported: {', '.join(SUPPORTED_CONTENT_TYPES)}"
    )


def output_fn(prediction: np.ndarray, accept: str) -> tuple[str, str]:
    """Serialize probabilities and labels; return ``(body, content_type)``.

    The serving container turns the returned tuple into a response whose
    ``Content-Type`` is the second element.
    """
    media_type = _choose_accept(accept)
    predictions = [
        {"probability": probability, "label": int(probability >= DECISION_THRESHOLD)}
        for probability in (float(value) for value in np.asarray(prediction).ravel())
    ]
    if media_type == CSV_CONTENT_TYPE:
        body = "".join(f"{item['probability']!r},{item['label']}\n" for item in predictions)
        return body, CSV_CONTENT_TYPE
    return json.dumps({"predictions": predictions}), JSON_CONTENT_TYPE
