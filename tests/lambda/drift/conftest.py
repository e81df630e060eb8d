"""Make ``lambda/drift`` importable (``drift_detector``) and share capture-building helpers."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

DRIFT_DIR = Path(__file__).resolve().parents[3] / "lambda" / "drift"
for folder in (DRIFT_DIR, Path(__file__).resolve().parent):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

BASELINE_CSV = Path(__file__).resolve().parents[3] / "model" / "baseline.csv"


@pytest.fixture(scope="session")
def baseline_text() -> str:
    return BASELINE_CSV.read_text()


@pytest.fixture(scope="session")
def profile(baseline_text):
    from drift_detector.baseline import load_profile

    return load_profile(baseline_text, source=str(BASELINE_CSV))
