"""The detector end to end against moto: S3 capture, baseline, labels -> report + metrics."""

from __future__ import annotations

import importlib.util
import json
from datetime import UTC, datetime, timedelta

import boto3
import numpy as np
import pytest
from drift_capture_lines import BASELINE_CSV, DRIFT_DIR, capture_line, churn_sample, csv_lines
from moto import mock_aws

BUCKET = "capture-bucket"
PREFIX = "datacapture"
ENDPOINT = "churn-prod"
NAMESPACE = "MLOps/ModelQuality"


@pytest.fixture
def aws(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    with mock_aws():
        s3 = boto3.client("s3")
        s3.create_bucket(
            Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
        )
        s3.put_object(Bucket=BUCKET, Key="baseline/baseline.csv", Body=BASELINE_CSV.read_bytes())
        yield s3, boto3.client("cloudwatch")


def put_hour(s3, variant: str, hour: datetime, name: str, lines: list[str]) -> None:
    key = f"{PREFIX}/{ENDPOINT}/{variant}/{hour:%Y/%m/%d/%H}/{name}.jsonl"
    s3.put_object(Bucket=BUCKET, Key=key, Body=("\n".join(lines) + "\n").encode())


def window_lines(seed: int, rows: int, *, drift: bool, prefix: str) -> list[str]:
    rng = np.random.default_rng(seed)
    sample = churn_sample(rng, rows, drift=drift)
    # The shipped model predicts churn for short tenure and high charges.
    probability = 1.0 / (1.0 + np.exp(0.09 * (sample[:, 0] - 36) - 0.0675 * (sample[:, 1] - 70)))
    return csv_lines(sample, probability, prefix=prefix, inference_ids=True)


HOUR = datetime(2024, 6, 7, 10, tzinfo=UTC)


def seed_capture(s3):
    calm = window_lines(1, 600, drift=False, prefix="calm")
    put_hour(
        s3, "AllTraffic", HOUR, "a", [*calm[:300], "{malformed", capture_line("1,2,3", "0.1,0\n")]
    )
    put_hour(s3, "AllTraffic", HOUR + timedelta(hours=1), "b", calm[300:])
    # HOUR + 2 is an empty hour (no objects); HOUR + 3 is drifted.
    put_hour(
        s3,
        "AllTraffic",
        HOUR + timedelta(hours=3),
        "c",
        window_lines(2, 500, drift=True, prefix="hot"),
    )
    s3.put_object(
        Bucket=BUCKET, Key=f"{PREFIX}/{ENDPOINT}/AllTraffic/2024/06/07/10/ignored.txt", Body=b"x"
    )
    # Labels: the true class of every other calm record, keyed by inference id.
    truth = [
        json.dumps({"inferenceId": f"inf-calm-{i}", "label": (i // 2) % 2})
        for i in range(0, 600, 2)
    ]
    truth.append("not json")
    s3.put_object(
        Bucket=BUCKET, Key="labels/2024/06/07/10/labels.jsonl", Body="\n".join(truth).encode()
    )


def run(s3, cloudwatch, **event):
    from drift_detector.aws_lambda import run as run_event

    base = {
        "endpoint_name": ENDPOINT,
        "capture_bucket": BUCKET,
        "capture_prefix": PREFIX,
        "baseline": f"s3://{BUCKET}/baseline/baseline.csv",
    }
    return run_event({**base, **event}, s3=s3, cloudwatch=cloudwatch)


def read_report(s3, uri: str) -> dict:
    bucket, key = uri[5:].split("/", 1)
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def metric_value(cloudwatch, name: str, dimensions: dict[str, str], at: datetime) -> float:
    result = cloudwatch.get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m",
                "MetricStat": {
                    "Metric": {
                        "Namespace": NAMESPACE,
                        "MetricName": name,
                        "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
                    },
                    "Period": 60,
                    "Stat": "Average",
                },
            }
        ],
        StartTime=at - timedelta(minutes=5),
        EndTime=at + timedelta(minutes=5),
    )
    values = result["MetricDataResults"][0]["Values"]
    assert len(values) == 1, (name, dimensions, values)
    return values[0]


def test_undrifted_window_with_bad_lines_and_labels(aws):
    s3, cloudwatch = aws
    seed_capture(s3)
    result = run(
        s3,
        cloudwatch,
        window={"start": "2024-06-07T10:00:00Z", "end": "2024-06-07T13:00:00Z"},
        variants=["AllTraffic"],
        labels=f"s3://{BUCKET}/labels/",
    )
    [entry] = result["reports"]
    key = f"{PREFIX}/{ENDPOINT}/AllTraffic/drift-reports/20240607T1000Z-20240607T1300Z.json"
    assert entry["report"] == f"s3://{BUCKET}/{key}"
    report = read_report(s3, entry["report"])
    assert report["records"] == 600 and report["files"] == 2
    assert report["bad_records"] == 2
    assert report["bad_record_reasons"] == {"malformed_line": 1, "wrong_feature_count": 1}
    for name, figures in report["features"].items():
        assert figures["psi"] < 0.1, name
        assert figures["ks_pvalue"] > 0.001, name
        assert figures["missing_share"] == 0.0
    assert report["prediction"]["psi"] < 0.1
    quality = report["quality"]
    assert quality["labeled_records"] == 300 and quality["bad_label_lines"] == 1
    assert 0.0 <= quality["accuracy"] <= 1.0

    # Metrics: names and dimensions as metrics_spec.json says, values as the report says.
    metrics = cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]
    names = {m["MetricName"] for m in metrics}
    assert names == {
        "Records",
        "BadRecords",
        "FeaturePSI",
        "FeatureKS",
        "FeatureKSPValue",
        "FeatureMissingShare",
        "PredictionPSI",
        "PredictionClassShare",
        "LabeledRecords",
        "Accuracy",
        "Precision",
        "Recall",
        "F1",
    }
    feature_dims = {
        tuple(sorted(d["Name"] for d in m["Dimensions"]))
        for m in metrics
        if m["MetricName"] == "FeaturePSI"
    }
    assert feature_dims == {("EndpointName", "Feature", "VariantName")}
    at = datetime(2024, 6, 7, 13, tzinfo=UTC)
    variant = {"EndpointName": ENDPOINT, "VariantName": "AllTraffic"}
    assert metric_value(cloudwatch, "Records", variant, at) == 600
    assert metric_value(cloudwatch, "BadRecords", variant, at) == 2
    tenure = {**variant, "Feature": "tenure_months"}
    assert metric_value(cloudwatch, "FeaturePSI", tenure, at) == pytest.approx(
        report["features"]["tenure_months"]["psi"]
    )
    assert metric_value(cloudwatch, "Accuracy", variant, at) == pytest.approx(quality["accuracy"])
    share = metric_value(
        cloudwatch, "PredictionClassShare", {**variant, "PredictionClass": "1"}, at
    )
    assert share == pytest.approx(report["prediction"]["class_share"]["1"])


def test_drifted_window_and_last_hours_from_the_schedule_time(aws):
    s3, cloudwatch = aws
    seed_capture(s3)
    # An EventBridge schedule at 14:05 with window_hours=2 reads 12:00-14:00: the empty
    # hour and the drifted one. Variants are discovered.
    result = run(s3, cloudwatch, time="2024-06-07T14:05:00Z", window_hours=2)
    assert result["window"] == {"start": "2024-06-07T12:00:00Z", "end": "2024-06-07T14:00:00Z"}
    report = read_report(s3, result["reports"][0]["report"])
    assert report["records"] == 500 and report["bad_records"] == 0
    assert report["features"]["tenure_months"]["psi"] > 0.25
    assert report["features"]["monthly_charges"]["psi"] > 0.25
    assert report["features"]["tenure_months"]["ks_pvalue"] < 1e-6
    assert report["features"]["support_calls"]["psi"] < 0.1
    assert report["prediction"]["class_share"]["1"] > 0.9
    assert "quality" not in report


def test_empty_window_still_reports_and_counts(aws):
    s3, cloudwatch = aws
    seed_capture(s3)
    result = run(
        s3,
        cloudwatch,
        window={"start": "2024-06-07T12:00:00Z", "end": "2024-06-07T12:30:00Z"},
        variants="AllTraffic",
    )
    report = read_report(s3, result["reports"][0]["report"])
    assert report["empty"] and report["records"] == 0
    at = datetime(2024, 6, 7, 13, tzinfo=UTC)
    assert (
        metric_value(
            cloudwatch, "Records", {"EndpointName": ENDPOINT, "VariantName": "AllTraffic"}, at
        )
        == 0
    )
    names = {m["MetricName"] for m in cloudwatch.list_metrics(Namespace=NAMESPACE)["Metrics"]}
    assert names == {"Records", "BadRecords"}


def test_capture_data_is_never_changed(aws):
    s3, cloudwatch = aws
    seed_capture(s3)
    before = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    run(s3, cloudwatch, window={"start": "2024-06-07T10:00:00Z", "end": "2024-06-07T14:00:00Z"})
    after = {o["Key"]: o["ETag"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]}
    added = set(after) - set(before)
    assert all("/drift-reports/" in key for key in added) and added
    assert {k: after[k] for k in before} == before


def test_manifest_then_sharded_job_then_merge(aws, tmp_path):
    """The Processing path: manifest of the window, shards counted apart, merged in Lambda."""
    from drift_detector.processing import main as job_main

    s3, cloudwatch = aws
    seed_capture(s3)
    window = {"start": "2024-06-07T10:00:00Z", "end": "2024-06-07T14:00:00Z"}
    manifest = run(
        s3,
        cloudwatch,
        mode="manifest",
        window=window,
        manifest_uri=f"s3://{BUCKET}/manifests/run.json",
    )
    document = json.loads(s3.get_object(Bucket=BUCKET, Key="manifests/run.json")["Body"].read())
    assert document[0] == {"prefix": f"s3://{BUCKET}/{PREFIX}/{ENDPOINT}/"}
    assert manifest["objects"] == 3 and len(document) == 4

    # ShardedByS3Key: each instance gets some of the objects under their relative paths.
    baseline = tmp_path / "baseline.csv"
    baseline.write_bytes(BASELINE_CSV.read_bytes())
    for shard, keys in enumerate([document[1:2], document[2:]]):
        folder = tmp_path / f"shard{shard}"
        for relative in keys:
            path = folder / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            body = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}/{ENDPOINT}/{relative}")["Body"]
            path.write_bytes(body.read())
        out = tmp_path / "partials" / f"s{shard}"
        assert (
            job_main(
                [
                    "partial",
                    "--baseline",
                    str(baseline),
                    "--capture",
                    str(folder),
                    "--out",
                    str(out),
                ]
            )
            == 0
        )
        partial_file = next(out.glob("partial-*.json"))
        s3.put_object(Bucket=BUCKET, Key=f"partials/s{shard}.json", Body=partial_file.read_bytes())

    merged = run(
        s3,
        cloudwatch,
        mode="merge",
        window=window,
        partials_uri=f"s3://{BUCKET}/partials/",
        report_prefix="merged",
    )
    one_pass = run(s3, cloudwatch, window=window, variants=["AllTraffic"], report_prefix="single")
    merged_report = read_report(s3, merged["reports"][0]["report"])
    single_report = read_report(s3, one_pass["reports"][0]["report"])
    merged_report.pop("files"), single_report.pop("files")
    assert merged_report == single_report

    # The job's own merge step writes the same report locally.
    assert (
        job_main(
            [
                "merge",
                "--baseline",
                str(baseline),
                "--partials",
                str(tmp_path / "partials"),
                "--out",
                str(tmp_path / "reports"),
                "--endpoint",
                ENDPOINT,
                "--window-start",
                window["start"],
                "--window-end",
                window["end"],
            ]
        )
        == 0
    )
    local = json.loads((tmp_path / "reports" / "AllTraffic.json").read_text())
    local.pop("files")
    assert local.pop("baseline")["records"] == single_report.pop("baseline")["records"]
    assert local == single_report


def test_metrics_are_batched_within_put_metric_data_limits():
    from drift_detector.report import publish

    class Recorder:
        def __init__(self):
            self.calls = []

        def put_metric_data(self, **kwargs):
            self.calls.append(kwargs)

    recorder = Recorder()
    data = [{"MetricName": "Records", "Value": float(i)} for i in range(2500)]
    assert publish(recorder, data) == 3
    assert [len(c["MetricData"]) for c in recorder.calls] == [1000, 1000, 500]
    assert {c["Namespace"] for c in recorder.calls} == {NAMESPACE}


def test_lambda_and_job_entry_points_import(monkeypatch):
    for name in ("handler", "job"):
        spec = importlib.util.spec_from_file_location(
            f"drift_entry_{name}", DRIFT_DIR / f"{name}.py"
        )
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    assert callable(module.main)
    from drift_detector.aws_lambda import resolve_window

    with pytest.raises(ValueError, match="DRIFT_ENDPOINT_NAME"):
        from drift_detector.aws_lambda import run as run_event

        monkeypatch.delenv("DRIFT_ENDPOINT_NAME", raising=False)
        run_event({}, s3=None, cloudwatch=None)
    start, end = resolve_window({"window_hours": 3}, now=datetime(2024, 1, 1, 5, 59, tzinfo=UTC))
    assert (start.hour, end.hour) == (2, 5)


def test_local_command_writes_the_report(tmp_path, capsys):
    from drift_detector.__main__ import main

    folder = tmp_path / "capture" / "ep" / "AllTraffic" / "2024" / "06" / "07" / "10"
    folder.mkdir(parents=True)
    (folder / "a.jsonl").write_text(
        "\n".join([*window_lines(3, 200, drift=False, prefix="x"), "oops"])
    )
    labels = tmp_path / "labels.csv"
    labels.write_text("inference_id,label\n" + "\n".join(f"inf-x-{i},{i % 2}" for i in range(50)))
    out = tmp_path / "out" / "report.json"
    code = main(
        [
            "--baseline",
            str(BASELINE_CSV),
            "--capture",
            str(tmp_path / "capture"),
            "--labels",
            str(labels),
            "--out",
            str(out),
        ]
    )
    assert code == 0
    report = json.loads(out.read_text())
    assert (
        report["records"] == 200
        and report["bad_records"] == 1
        and report["variant"] == "AllTraffic"
    )
    assert report["quality"]["labeled_records"] == 50
    assert set(report["features"]) == {
        "tenure_months",
        "monthly_charges",
        "support_calls",
        "contract_months",
    }
    assert "200 records, 1 bad" in capsys.readouterr().out
