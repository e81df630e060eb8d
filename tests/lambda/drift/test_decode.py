"""The capture decoder: encodings, bad lines, and the bulk decoder equal to the line decoder."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from drift_capture_lines import (
    FEATURES,
    base64_line,
    capture_line,
    churn_sample,
    csv_lines,
    json_line,
)
from drift_detector.decode import DecodeConfig, decode_chunk, decode_lines


def config(**kwargs) -> DecodeConfig:
    return DecodeConfig(feature_names=FEATURES, **kwargs)


def decoded(batch):
    """Comparable content of a batch: values (NaN as None), class names, ids, counters."""
    values = [[None if math.isnan(v) else v for v in row] for row in batch.values.tolist()]
    classes = [batch.classes[c] if c >= 0 else None for c in batch.class_codes.tolist()]
    predicted = [None if math.isnan(v) else v for v in batch.predicted.tolist()]
    records = sorted(
        zip(
            [json.dumps(v) for v in values],
            [str(c) for c in classes] if classes else [""] * len(values),
            [str(p) for p in predicted] if predicted else [""] * len(values),
            [str(i) for i in batch.ids] if batch.ids is not None else [""] * len(values),
            strict=True,
        )
    )
    return records, batch.lines, dict(batch.bad), batch.prediction_unreadable


def both(text: bytes, **kwargs):
    bulk = decode_chunk(text, config(**kwargs))
    lines = decode_lines(text, config(**kwargs))
    assert decoded(bulk) == decoded(lines)
    return bulk


def test_shipped_model_csv_traffic_takes_the_bulk_path():
    rows = churn_sample(np.random.default_rng(1), 50)
    text = ("\n".join(csv_lines(rows, np.linspace(0, 1, 50), inference_ids=True)) + "\n").encode()
    batch = both(text, want_ids=True)
    assert batch.records == 50 and batch.lines == 50 and not batch.bad
    np.testing.assert_array_equal(np.sort(batch.values, axis=0), np.sort(rows, axis=0))
    assert sorted(batch.classes) == ["0", "1"]
    assert ("inf-ev-3", "ev-3", 0, 1) in batch.ids


def test_three_encodings_give_the_same_records():
    rows = [[1, 32.25, 1, 24], [47, 61.0, 4, 1]]
    csv_text = "1,32.25,1,24\n47,61.0,4,1\n"
    out_text = "0.1,0\n0.9,1\n"
    lines = [
        capture_line(csv_text, out_text, event_id="csv"),
        json_line(rows, [0, 1]),
        base64_line(csv_text, out_text),
    ]
    batch = both("\n".join(lines).encode())
    assert batch.records == 6 and batch.lines == 3 and not batch.bad
    assert batch.values.tolist() == rows * 3 or sorted(batch.values.tolist()) == sorted(rows * 3)
    names = sorted(batch.classes[c] for c in batch.class_codes)
    assert names == ["0", "0", "0", "1", "1", "1"]


def test_json_payload_shapes():
    records = json.dumps([{"tenure_months": 20, "monthly_charges": 58.29, "support_calls": 2}])
    lines = [
        capture_line(
            json.dumps({"instances": [5, 30.58, 1, 24]}),
            json.dumps({"predictions": [{"label": 1}]}),
            input_type="application/json",
            input_encoding="JSON",
            output_type="application/json",
            output_encoding="JSON",
        ),
        # keyed by feature name, contract_months missing -> missing value, not a bad record
        capture_line(
            records,
            json.dumps([0]),
            input_type="application/json",
            input_encoding="JSON",
            output_type="application/json",
            output_encoding="JSON",
        ),
    ]
    batch = both("\n".join(lines).encode())
    assert batch.records == 2 and not batch.bad
    values = sorted(batch.values.tolist(), key=lambda r: r[0])
    assert values[0] == [5, 30.58, 1, 24]
    assert values[1][:3] == [20, 58.29, 2] and math.isnan(values[1][3])


def test_bad_lines_are_counted_never_raised():
    good = capture_line("1,2,3,4", "0.5,1\n")
    lines = [
        good,
        "{not json",
        '["a list"]',
        '{"captureData": {}}',
        capture_line("1,2,3", "0.5,1\n"),  # wrong feature count
        capture_line("1,2,3,4,5", "0.5,1\n"),  # wrong feature count
        capture_line("1,abc,3,", "0.5,1\n"),  # non-numbers: missing values, still a record
        capture_line("", "0.5,1\n"),  # empty payload
        capture_line("1,2,3,4", "0.5,1\n", input_encoding="GZIP"),
        capture_line("!!notbase64", "x", input_encoding="BASE64"),
        capture_line("MSwyLDMsNA==", "0.5,1\n", input_type="image/png", input_encoding="BASE64"),
        capture_line("1,2,3,4", None),  # no output: prediction unreadable
        capture_line("nan,inf,-inf,1e3", "0.5,1\n"),
        "",
        "   ",
        good[: len(good) // 2],  # truncated line
        "\xff\xfe garbage",
    ]
    batch = both("\n".join(lines).encode("utf-8", "surrogateescape"))
    assert batch.bad == {
        "malformed_line": 4,
        "missing_input": 1,
        "wrong_feature_count": 2,
        "empty_payload": 1,
        "unsupported_encoding": 1,
        "undecodable_payload": 1,
        "unsupported_content_type": 1,
    }
    assert batch.records == 4
    assert batch.lines == 15
    assert batch.prediction_unreadable == 1
    missing = np.isnan(batch.values).sum(axis=0).tolist()
    assert missing == [1, 2, 1, 1]


def test_multi_row_request_with_one_bad_row():
    line = capture_line("1,2,3,4\n5,6,7\n8,9,10,11\n", "0.1,0\n0.2,0\n0.9,1\n")
    batch = both(line.encode(), want_ids=True)
    assert batch.records == 2 and batch.bad == {"wrong_feature_count": 1}
    assert sorted(i[2] for i in batch.ids) == [0, 2]
    assert sorted(batch.classes[c] for c in batch.class_codes) == ["0", "1"]


def test_mismatched_prediction_count_is_unreadable_not_bad():
    batch = both(capture_line("1,2,3,4\n5,6,7,8", "0.1,0\n").encode())
    assert batch.records == 2 and batch.prediction_unreadable == 2 and not batch.bad


def test_crlf_trailing_spaces_and_escaped_newlines_agree():
    lines = [
        capture_line("1,2,3,4\n", "0.1,0"),
        capture_line("1,2,3,4", " 1 "),
        capture_line("-0.5,.5,5.,-.25", "0.1,churn"),
        capture_line("1,2,3,4", "0.1,1", input_type="text/csv; charset=utf-8"),
        capture_line("1,2,3,4", "0.1,1", input_type="TEXT/CSV"),
        capture_line("1,2,3,4", "0.1,1", event_id="é-unicode"),
        capture_line("12345678901234567,2,3,4", "0.1,1"),  # 17 digits: line decoder
    ]
    text = "\r\n".join(lines[:2]) + "\n" + "\n".join(lines[2:])
    batch = both(text.encode(), want_ids=True)
    assert batch.records == 7 and not batch.bad
    assert sorted(batch.classes) == ["0", "1", "churn"]


@pytest.mark.parametrize("seed", range(6))
def test_bulk_equals_line_decoder_on_mutated_lines(seed):
    """Random byte edits of real-shaped lines: both decoders must agree on every outcome."""
    rng = np.random.default_rng(seed)
    rows = churn_sample(rng, 200)
    lines = csv_lines(rows, rng.random(200), inference_ids=bool(seed % 2))
    alphabet = b'"\\,.:{}- 0123456789aeEn\x01\xc3'
    for index in rng.choice(len(lines), size=60, replace=False).tolist():
        raw = bytearray(lines[index].encode())
        for _ in range(int(rng.integers(1, 3))):
            position = int(rng.integers(0, len(raw)))
            action = int(rng.integers(0, 3))
            byte = alphabet[int(rng.integers(0, len(alphabet)))]
            if action == 0:
                raw[position] = byte
            elif action == 1:
                raw.insert(position, byte)
            else:
                del raw[position]
        lines[index] = raw.decode("utf-8", "surrogateescape")
    text = "\n".join(lines).encode("utf-8", "surrogateescape")
    both(text, want_ids=True)
    both(text, task="regression")


def test_regression_predictions_and_prediction_column():
    lines = [capture_line("1,2,3,4", "0.5176806528074944"), capture_line("1,2,3,4", "1e-3")]
    batch = both("\n".join(lines).encode(), task="regression")
    assert sorted(batch.predicted.tolist()) == [1e-3, 0.5176806528074944]
    first = both(capture_line("1,2,3,4", "1,0.25,x\n").encode(), prediction_column=0)
    assert first.classes == ["1"]
