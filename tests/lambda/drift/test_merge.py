"""Sharded runs: merged partial results equal one pass exactly; chunking changes nothing."""

from __future__ import annotations

import io
import json

import numpy as np
import pytest
from drift_capture_lines import capture_line, churn_sample, csv_lines
from drift_detector.capture import iter_line_chunks
from drift_detector.decode import DecodeConfig, decode_buffer
from drift_detector.labels import Labels
from drift_detector.partial import Partial
from drift_detector.report import build_report


def lines_text(seed: int, rows: int, drift: bool = False) -> bytes:
    rng = np.random.default_rng(seed)
    sample = churn_sample(rng, rows, drift=drift)
    lines = csv_lines(sample, rng.random(rows), prefix=f"s{seed}")
    lines.insert(3, "{broken")
    lines.insert(7, capture_line("1,2,3", "0.1,0\n"))
    lines.insert(9, capture_line("1,x,3,4", "0.1,0\n"))
    return ("\n".join(lines) + "\n").encode()


def count(profile, texts, labels=None, chunk_bytes=1 << 20):
    config = DecodeConfig(feature_names=profile.feature_names, want_ids=labels is not None)
    partial = Partial(profile)
    if labels is not None:
        partial.use_labels(labels)
    for text in texts:
        for buffer, size in iter_line_chunks(io.BytesIO(text).read, chunk_bytes):
            partial.add(decode_buffer(buffer, size, config), labels)
        partial.files += 1
    return partial


def test_merged_shards_equal_one_pass(profile):
    texts = [lines_text(seed, 300, drift=seed == 2) for seed in range(4)]
    labels = Labels()
    labels.add(
        "\n".join(
            json.dumps({"eventId": f"s{s}-{i}", "label": i % 2})
            for s in range(4)
            for i in range(0, 300, 3)
        ),
        "labels.jsonl",
    )
    whole = build_report(count(profile, texts, labels))
    shards = [
        count(profile, texts[:1], labels),
        count(profile, texts[1:3], labels),
        count(profile, texts[3:], labels),
    ]
    # Through JSON, as the Processing job's shards hand them over.
    revived = [Partial.from_dict(json.loads(json.dumps(p.to_dict())), profile) for p in shards]
    merged = build_report(Partial.merge(revived))
    assert merged == whole
    assert whole["records"] == 4 * 301 and whole["bad_records"] == 8
    assert whole["quality"]["labeled_records"] == 400


@pytest.mark.parametrize("chunk_bytes", [1, 300, 4096])
def test_chunk_size_changes_nothing(profile, chunk_bytes):
    text = lines_text(9, 120)
    assert build_report(count(profile, [text], chunk_bytes=chunk_bytes)) == build_report(
        count(profile, [text])
    )


def test_line_chunks_are_whole_lines():
    text = b"a\nbb\n\nccc\ndddd"
    pieces = [
        buffer[:size].tobytes() for buffer, size in iter_line_chunks(io.BytesIO(text).read, 3)
    ]
    assert b"".join(pieces) == text
    assert all(p.endswith(b"\n") for p in pieces[:-1])


def test_merge_refuses_another_baseline(profile, baseline_text):
    from drift_detector.baseline import load_profile

    lines = baseline_text.splitlines()
    other = load_profile("\n".join(lines[:500]))
    with pytest.raises(ValueError, match="another baseline"):
        Partial.merge([Partial(profile), Partial(other)])
    with pytest.raises(ValueError, match="another baseline"):
        Partial.from_dict(Partial(other).to_dict(), profile)


def test_empty_window_report(profile):
    report = build_report(Partial(profile), endpoint="e", variant="v")
    assert report["empty"] and report["records"] == 0 and report["bad_records"] == 0
    for figures in report["features"].values():
        assert figures["psi"] is None and figures["ks"] is None and figures["missing_share"] is None
    assert report["prediction"]["psi"] is None and report["prediction"]["class_share"] == {}
    assert "quality" not in report
