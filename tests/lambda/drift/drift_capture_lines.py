"""Build SageMaker data-capture lines the way the service writes them."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[3]
DRIFT_DIR = ROOT / "lambda" / "drift"
BASELINE_CSV = ROOT / "model" / "baseline.csv"
FEATURES = ["tenure_months", "monthly_charges", "support_calls", "contract_months"]


def capture_line(
    input_data: str,
    output_data: str | None,
    *,
    event_id: str = "ev-1",
    inference_id: str | None = None,
    time: str = "2024-06-07T12:00:00Z",
    input_type: str = "text/csv",
    input_encoding: str = "CSV",
    output_type: str = "text/csv; charset=utf-8",
    output_encoding: str = "CSV",
) -> str:
    capture = {
        "endpointInput": {
            "observedContentType": input_type,
            "mode": "INPUT",
            "data": input_data,
            "encoding": input_encoding,
        }
    }
    if output_data is not None:
        capture["endpointOutput"] = {
            "observedContentType": output_type,
            "mode": "OUTPUT",
            "data": output_data,
            "encoding": output_encoding,
        }
    metadata = {"eventId": event_id}
    if inference_id is not None:
        metadata["inferenceId"] = inference_id
    metadata["inferenceTime"] = time
    return json.dumps(
        {"captureData": capture, "eventMetadata": metadata, "eventVersion": "0"},
        separators=(",", ":"),
    )


def csv_value(name: str, value: float) -> str:
    return f"{value:.2f}" if name == "monthly_charges" else str(int(value))


def csv_row(row) -> str:
    return ",".join(csv_value(n, v) for n, v in zip(FEATURES, row, strict=True))


def csv_lines(rows, probabilities, *, prefix: str = "ev", inference_ids: bool = False) -> list[str]:
    """One single-row CSV request per row; the response is ``probability,label\\n``."""
    lines = []
    for i, (row, p) in enumerate(zip(rows, probabilities, strict=True)):
        lines.append(
            capture_line(
                csv_row(row),
                f"{float(p)!r},{int(p >= 0.5)}\n",
                event_id=f"{prefix}-{i}",
                inference_id=f"inf-{prefix}-{i}" if inference_ids else None,
            )
        )
    return lines


def json_line(rows, labels, *, event_id: str = "ev-json") -> str:
    body = json.dumps({"instances": [list(r) for r in rows]})
    out = json.dumps({"predictions": [{"probability": 0.5, "label": int(x)} for x in labels]})
    return capture_line(
        body,
        out,
        event_id=event_id,
        input_type="application/json",
        input_encoding="JSON",
        output_type="application/json",
        output_encoding="JSON",
    )


def base64_line(csv_text: str, output_text: str, *, event_id: str = "ev-b64") -> str:
    return capture_line(
        base64.b64encode(csv_text.encode()).decode(),
        base64.b64encode(output_text.encode()).decode(),
        event_id=event_id,
        input_encoding="BASE64",
        output_encoding="BASE64",
    )


def churn_sample(rng: np.random.Generator, rows: int, *, drift: bool = False) -> np.ndarray:
    """Customers like the training data (scripts/build_model.py), or drifted ones."""
    tenure = rng.integers(1, 73, size=rows).astype(float)
    charges = np.round(np.clip(rng.normal(70.0, 25.0, size=rows), 18.0, 120.0), 2)
    calls = np.clip(rng.poisson(1.5, size=rows), 0, 10).astype(float)
    contract = rng.choice(np.array([1.0, 12.0, 24.0]), size=rows, p=[0.5, 0.3, 0.2])
    if drift:
        tenure = rng.integers(1, 13, size=rows).astype(float)
        charges = np.round(np.clip(rng.normal(100.0, 10.0, size=rows), 18.0, 120.0), 2)
    return np.column_stack([tenure, charges, calls, contract])
