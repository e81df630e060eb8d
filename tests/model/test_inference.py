"""Tests for the sample model artifact, its serving handlers and its build script."""

import importlib.util
import json
import sys
import tarfile
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
MODEL_DIR = REPO_ROOT / "model"
ARCHIVE = MODEL_DIR / "model.tar.gz"
PAYLOAD_DIR = MODEL_DIR / "payloads"
INFERENCE_SOURCE = MODEL_DIR / "code" / "inference.py"
BUILD_SCRIPT = REPO_ROOT / "scripts" / "build_model.py"

PAYLOAD_CONTENT_TYPES = {
    "single.json": "application/json",
    "batch.json": "application/json",
    "records.json": "application/json",
    "batch.csv": "text/csv",
}


def _load_module(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def inference() -> ModuleType:
    return _load_module("sample_model_inference", INFERENCE_SOURCE)


@pytest.fixture(scope="module")
def build_script() -> ModuleType:
    return _load_module("sample_model_build", BUILD_SCRIPT)


@pytest.fixture(scope="module")
def extracted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("model")
    with tarfile.open(ARCHIVE, "r:gz") as archive:
        assert sorted(archive.getnames()) == ["code", "code/inference.py", "model.json"]
        if hasattr(tarfile, "data_filter"):
            archive.extractall(target, filter="data")
        else:  # Python 3.11 before 3.11.4
            archive.extractall(target)
    return target


@pytest.fixture(scope="module")
def model(inference: ModuleType, extracted: Path) -> Any:
    return inference.model_fn(str(extracted))


@pytest.fixture(scope="module")
def expected() -> dict[str, list[int]]:
    data: dict[str, list[int]] = json.loads((PAYLOAD_DIR / "expected.json").read_text())
    return data


def _score(
    inference: ModuleType, model: Any, body: str | bytes, content_type: str, accept: str
) -> tuple[str, str]:
    features = inference.input_fn(body, content_type)
    probabilities = inference.predict_fn(features, model)
    result: tuple[str, str] = inference.output_fn(probabilities, accept)
    return result


def test_archive_code_matches_source(extracted: Path) -> None:
    assert (extracted / "code" / "inference.py").read_bytes() == INFERENCE_SOURCE.read_bytes()


def test_expected_covers_every_payload(expected: dict[str, list[int]]) -> None:
    assert sorted(expected) == sorted(PAYLOAD_CONTENT_TYPES)
    assert all(expected.values())
    labels = {label for labels in expected.values() for label in labels}
    assert labels == {0, 1}


@pytest.mark.parametrize("payload", sorted(PAYLOAD_CONTENT_TYPES))
@pytest.mark.parametrize("accept", ["application/json", "*/*", ""])
def test_payload_json_response(
    inference: ModuleType,
    model: Any,
    expected: dict[str, list[int]],
    payload: str,
    accept: str,
) -> None:
    body = (PAYLOAD_DIR / payload).read_bytes()
    response, content_type = _score(inference, model, body, PAYLOAD_CONTENT_TYPES[payload], accept)
    assert content_type == "application/json"
    predictions = json.loads(response)["predictions"]
    assert [prediction["label"] for prediction in predictions] == expected[payload]
    for prediction in predictions:
        assert set(prediction) == {"probability", "label"}
        assert 0.0 <= prediction["probability"] <= 1.0
        assert prediction["label"] == int(prediction["probability"] >= 0.5)


@pytest.mark.parametrize("payload", sorted(PAYLOAD_CONTENT_TYPES))
def test_payload_csv_response(
    inference: ModuleType, model: Any, expected: dict[str, list[int]], payload: str
) -> None:
    body = (PAYLOAD_DIR / payload).read_text()
    response, content_type = _score(
        inference, model, body, PAYLOAD_CONTENT_TYPES[payload], "text/csv"
    )
    assert content_type == "text/csv"
    lines = response.splitlines()
    assert [int(line.split(",")[1]) for line in lines] == expected[payload]
    assert all(0.0 <= float(line.split(",")[0]) <= 1.0 for line in lines)


def test_all_payload_formats_agree(inference: ModuleType, model: Any) -> None:
    row = [12, 99.5, 4, 1]
    record = dict(zip(inference.FEATURE_NAMES, row, strict=True))
    bodies = [
        (json.dumps({"instances": [row]}), "application/json"),
        (json.dumps({"instances": [record]}), "application/json"),
        (json.dumps([record]), "application/json; charset=utf-8"),
        ("12,99.5,4,1\n", "text/csv"),
        (b"12, 99.5, 4, 1\r\n\r\n", "Text/CSV"),
    ]
    results = [
        inference.predict_fn(inference.input_fn(body, content_type), model)
        for body, content_type in bodies
    ]
    for result in results:
        np.testing.assert_array_equal(result, results[0])
    assert results[0].shape == (1,)


def test_extreme_values_stay_in_range(inference: ModuleType, model: Any) -> None:
    features = inference.input_fn(
        json.dumps({"instances": [[0, 1e9, 0, 1], [1e9, 0, 0, 24]]}), "application/json"
    )
    probabilities = inference.predict_fn(features, model)
    assert np.all((probabilities >= 0.0) & (probabilities <= 1.0))
    assert probabilities.tolist() == [1.0, 0.0]


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        ('{"instances": [[1, 2, 3]]}', "application/json", "row 0: has 3 value(s); expected 4"),
        ('{"instances": [[1, 2, 3, 4, 5]]}', "application/json", "has 5 value(s); expected 4"),
        ("1,2,3\n", "text/csv", "CSV line 1: has 3 value(s); expected 4"),
        ("1,2,3,4\n5,6,7,8,9\n", "text/csv", "CSV line 2: has 5 value(s)"),
        (
            '{"instances": [[1, "abc", 3, 4]]}',
            "application/json",
            "row 0, feature 'monthly_charges': expected a number, got str 'abc'",
        ),
        (
            '{"instances": [[1, 2, true, 4]]}',
            "application/json",
            "feature 'support_calls': expected a number, got bool",
        ),
        (
            '{"instances": [[1, 2, 3, NaN]]}',
            "application/json",
            "feature 'contract_months': value must be a finite number",
        ),
        (
            "tenure_months,monthly_charges,support_calls,contract_months\n1,2,3,4\n",
            "text/csv",
            "must not include a header row",
        ),
        ('{"instances": [[1, 2, 3, 1' + "0" * 400 + "]]}", "application/json", "too large"),
        ("1,x,3,4\n", "text/csv", "CSV line 1, feature 'monthly_charges': expected a number"),
        ("1,2,3,inf\n", "text/csv", "value must be a finite number"),
        (
            '[{"tenure_months": 1, "monthly_charges": 2, "support_calls": 3}]',
            "application/json",
            "missing feature(s) contract_months",
        ),
        (
            '[{"tenure_months": 1, "monthly_charges": 2, "support_calls": 3, '
            '"contract_months": 4, "age": 40}]',
            "application/json",
            "unknown feature(s) age",
        ),
        ('{"rows": [[1, 2, 3, 4]]}', "application/json", "must have an 'instances' key"),
        ('{"instances": 5}', "application/json", "'instances' must be a list"),
        ('"hello"', "application/json", "JSON body must be an object"),
        ("[1, 2, 3, 4]", "application/json", "row 0: expected a list of 4 numbers"),
        ("{not json", "application/json", "request body is not valid JSON"),
        ('{"instances": []}', "application/json", "request contains no rows"),
        ("\n\n", "text/csv", "request contains no rows"),
        (b"\xff\xfe", "text/csv", "not valid UTF-8"),
        ("1,2,3,4", "application/xml", "unsupported content type 'application/xml'"),
        ("1,2,3,4", "", "unsupported content type ''"),
    ],
)
def test_malformed_requests_raise_value_error(
    inference: ModuleType, body: str | bytes, content_type: str, message: str
) -> None:
    with pytest.raises(ValueError) as error:
        inference.input_fn(body, content_type)
    assert message in str(error.value)


def test_unsupported_content_type_lists_supported(inference: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"supported: application/json, text/csv"):
        inference.input_fn("1,2,3,4", "application/x-npy")


def test_unsupported_accept_raises(inference: ModuleType) -> None:
    with pytest.raises(ValueError, match=r"unsupported accept type 'application/xml'"):
        inference.output_fn(np.array([0.2]), "application/xml")


def test_accept_list_picks_first_supported(inference: ModuleType) -> None:
    body, content_type = inference.output_fn(np.array([0.75]), "application/xml, text/csv;q=0.9")
    assert content_type == "text/csv"
    assert body == "0.75,1\n"


def test_predict_fn_rejects_wrong_shape(inference: ModuleType, model: Any) -> None:
    with pytest.raises(ValueError, match=r"input must have shape \(rows, 4\)"):
        inference.predict_fn(np.zeros((2, 3)), model)


def test_model_fn_rejects_bad_model_json(
    inference: ModuleType, extracted: Path, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="model file not found"):
        inference.model_fn(str(tmp_path))
    document = json.loads((extracted / "model.json").read_text())
    document["feature_stds"][0] = 0.0
    (tmp_path / "model.json").write_text(json.dumps(document))
    with pytest.raises(ValueError, match="'feature_stds' must all be positive"):
        inference.model_fn(str(tmp_path))


def test_rebuild_is_byte_identical(build_script: ModuleType, tmp_path: Path) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    assert build_script.main(["--output-dir", str(first)]) == 0
    assert build_script.main(["--output-dir", str(second)]) == 0

    rebuilt = (first / "model.tar.gz").read_bytes()
    assert rebuilt == (second / "model.tar.gz").read_bytes()
    # The committed artifact and payloads must be what the build produces today.
    assert rebuilt == ARCHIVE.read_bytes(), (
        "model/model.tar.gz is stale: run scripts/build_model.py"
    )
    for name in [*PAYLOAD_CONTENT_TYPES, "expected.json"]:
        assert (first / "payloads" / name).read_bytes() == (PAYLOAD_DIR / name).read_bytes()
    baseline = (first / "baseline.csv").read_bytes()
    assert baseline == (second / "baseline.csv").read_bytes()
    assert baseline == (REPO_ROOT / "model" / "baseline.csv").read_bytes(), (
        "model/baseline.csv is stale: run scripts/build_model.py"
    )
    # gzip header: no embedded file name, modification time zero.
    assert rebuilt[3] == 0 and rebuilt[4:8] == b"\x00\x00\x00\x00"


def test_baseline_is_the_training_sample_as_requests_send_it() -> None:
    lines = (REPO_ROOT / "model" / "baseline.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header == [
        "tenure_months",
        "monthly_charges",
        "support_calls",
        "contract_months",
        "label",
        "prediction",
    ]
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == 4000
    assert all(len(r) == len(header) for r in rows)
    assert {r[4] for r in rows} == {"0", "1"} and {r[5] for r in rows} <= {"0", "1"}
    assert {r[3] for r in rows} <= {"1", "12", "24"}  # contract months as requests send them
    # The model's predictions agree with the labels at its training accuracy.
    agree = sum(r[4] == r[5] for r in rows) / len(rows)
    assert 0.8 < agree < 0.95
