"""Baseline, labels and capture listing."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pytest
from drift_detector.baseline import parse_baseline_csv
from drift_detector.capture import hour_prefixes, list_local_capture, window_hours
from drift_detector.labels import Labels


def test_shipped_baseline_has_feature_names_label_and_prediction(profile):
    assert profile.feature_names == [
        "tenure_months",
        "monthly_charges",
        "support_calls",
        "contract_months",
    ]
    assert profile.baseline_records == 4000
    assert set(profile.prediction_counts) == {"0", "1"}
    contract = profile.grids[3]
    assert contract.edges.tolist() == [1.0, 12.0, 24.0]


def test_baseline_without_header_and_bad_cells():
    baseline = parse_baseline_csv("1,2\n3,x\n5,6\n")
    assert baseline.feature_names == ["f1", "f2"]
    assert np.isnan(baseline.features[1, 1])
    with pytest.raises(ValueError, match="no data rows"):
        parse_baseline_csv("a,b\n")
    with pytest.raises(ValueError, match="columns"):
        parse_baseline_csv("a,b\n1,2,3\n")
    with pytest.raises(ValueError, match="empty"):
        parse_baseline_csv("")


def test_labels_formats():
    labels = Labels()
    labels.add(
        '{"groundTruthData": {"data": "1", "encoding": "CSV"}, "eventMetadata": {"eventId": "a"},'
        ' "eventVersion": "0"}\n{"inferenceId": "b", "label": 0}\nnot json\n',
        "gt.jsonl",
    )
    labels.add("inference_id,label\nc,1\nd,0,extra\n", "labels.csv")
    labels.add('{"e": 1, "f": [0, 1]}', "labels.json")
    assert labels.lookup("a", None, 0, 1) == "1"
    assert labels.lookup("b", "zzz", 0, 1) == 0
    assert labels.lookup(None, "c", 0, 1) == "1"
    assert labels.lookup("nope", "e", 0, 1) == 1
    assert labels.lookup("f", None, 1, 2) == 1
    assert labels.lookup("f", None, 0, 1) is None  # two values for a one-row line
    assert labels.bad_lines == 2


def test_window_hours_round_out():
    start = datetime(2024, 6, 7, 22, 30, tzinfo=UTC)
    end = datetime(2024, 6, 8, 0, 15, tzinfo=UTC)
    hours = window_hours(start, end)
    assert [h.hour for h in hours] == [22, 23, 0]
    assert (
        hour_prefixes("dc/", "ep", "AllTraffic", start, end)[-1]
        == "dc/ep/AllTraffic/2024/06/08/00/"
    )
    assert hour_prefixes("", "ep", "v", start, start)[0] == "ep/v/2024/06/07/22/"


def test_local_listing_groups_variants_and_filters_hours(tmp_path):
    for variant, hour in [("A", "10"), ("A", "11"), ("B", "10")]:
        folder = tmp_path / "ep" / variant / "2024" / "06" / "07" / hour
        folder.mkdir(parents=True)
        (folder / "x.jsonl").write_text("")
    (tmp_path / "ep" / "A" / "2024" / "06" / "07" / "12").mkdir()  # an empty hour
    (tmp_path / "loose.jsonl").write_text("")
    (tmp_path / "notes.txt").write_text("")
    groups = list_local_capture(str(tmp_path))
    assert {k: len(v) for k, v in groups.items()} == {"A": 2, "B": 1, None: 1}
    start = datetime(2024, 6, 7, 11, tzinfo=UTC)
    end = datetime(2024, 6, 7, 13, tzinfo=UTC)
    assert {k: len(v) for k, v in list_local_capture(str(tmp_path), start, end).items()} == {"A": 1}
