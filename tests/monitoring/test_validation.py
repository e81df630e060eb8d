"""Props SageMaker or CloudFormation would refuse stop ``cdk synth`` with one clear line.

Each message names the construct path, the value received and a fix. Nothing here is
synthesized: constructing is enough to validate.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from constructs_lib.core import InvalidPropsError
from constructs_lib.monitoring import ModelMonitor, MonitorSchedule, S3Location
from constructs_lib.serving import (
    DataCapture,
    Endpoint,
    ProductionVariant,
    ServerlessConfig,
)

from .builders import (
    Setup,
    assert_names,
    data_quality,
    explainability,
    model_bias,
    model_quality,
    new_stack,
    setup,
)

BUILDERS: dict[str, Callable[..., ModelMonitor]] = {
    "DataQuality": data_quality,
    "ModelQuality": model_quality,
    "ModelBias": model_bias,
    "Explainability": explainability,
}


@pytest.fixture
def s() -> Setup:
    return setup(new_stack())


def refused(build: Callable[..., Any], *args: Any, **kwargs: Any) -> InvalidPropsError:
    with pytest.raises(InvalidPropsError) as caught:
        build(*args, **kwargs)
    return caught.value


@pytest.mark.parametrize(
    "schedule",
    [
        MonitorSchedule.from_expression("rate(1 hour)"),
        MonitorSchedule.from_expression("cron(30 * ? * * *)"),  # not at the top of the hour
        MonitorSchedule.from_expression("cron(0 * * * ? *)"),
        MonitorSchedule.from_expression("cron(0 12 ? * MON *)"),  # no weekly schedules
        MonitorSchedule.from_expression("NOW"),
        MonitorSchedule.daily(hour=24),
        MonitorSchedule.every_hours(0),
        MonitorSchedule.every_hours(25),
        MonitorSchedule.every_hours(6, starting_hour=-1),
    ],
    ids=lambda x: x.expression,
)
def test_a_schedule_sagemaker_refuses(s: Setup, schedule: MonitorSchedule) -> None:
    error = refused(data_quality, s, schedule=schedule)
    assert_names(error, "Monitoring/DataQuality", schedule.expression)
    assert error.prop == "schedule"
    assert "cron(0 * ? * * *)" in error.fix


@pytest.mark.parametrize(
    "schedule",
    [
        MonitorSchedule.hourly(),
        MonitorSchedule.daily(),
        MonitorSchedule.daily(hour=23),
        MonitorSchedule.every_hours(2),
        MonitorSchedule.every_hours(24, starting_hour=5),
        MonitorSchedule.from_expression("cron(0 17/12 ? * * *)"),
    ],
    ids=lambda x: x.expression,
)
def test_the_documented_schedules_are_accepted(s: Setup, schedule: MonitorSchedule) -> None:
    assert data_quality(s, schedule=schedule).schedule == schedule


@pytest.mark.parametrize(
    ("kind", "prop"),
    [
        ("DataQuality", "baseline_constraints"),
        ("DataQuality", "baseline_statistics"),
        ("ModelQuality", "baseline_constraints"),
    ],
)
def test_a_missing_baseline(s: Setup, kind: str, prop: str) -> None:
    error = refused(BUILDERS[kind], s, **{prop: None})
    assert_names(error, f"Monitoring/{kind}", None)
    assert error.prop == prop and "missing" in error.problem
    assert "baselining job" in error.fix


@pytest.mark.parametrize(
    ("build", "path"), [(model_quality, "ModelQuality"), (model_bias, "ModelBias")]
)
def test_missing_ground_truth(s: Setup, build: Callable[..., ModelMonitor], path: str) -> None:
    error = refused(build, s, ground_truth=None)
    assert_names(error, f"Monitoring/{path}", None)
    assert error.prop == "ground_truth"
    assert "yyyy/mm/dd/hh" in error.fix or "prefix" in error.fix


def test_ground_truth_cannot_be_a_local_file(s: Setup, tmp_path: Any) -> None:
    labels = tmp_path / "labels.jsonl"
    labels.write_text("{}\n")
    error = refused(model_quality, s, ground_truth=S3Location.from_asset(str(labels)))
    assert_names(error, "Monitoring/ModelQuality", str(labels))


@pytest.mark.parametrize(
    ("build", "path"), [(model_bias, "ModelBias"), (explainability, "Explainability")]
)
def test_missing_analysis_config(s: Setup, build: Callable[..., ModelMonitor], path: str) -> None:
    error = refused(build, s, analysis_config=None)
    assert_names(error, f"Monitoring/{path}", None)
    assert error.prop == "analysis_config"


def test_model_quality_needs_a_problem_type(s: Setup) -> None:
    error = refused(model_quality, s, problem_type="BinaryClassification")
    assert_names(error, "Monitoring/ModelQuality", "BinaryClassification")
    assert "ProblemType.BINARY_CLASSIFICATION" in error.fix


@pytest.mark.parametrize("kind", sorted(BUILDERS))
def test_a_serverless_endpoint_has_no_model_monitor(s: Setup, kind: str) -> None:
    serverless = Endpoint(
        s.stack,
        "Serverless",
        variants=[ProductionVariant(name="main", model=s.model, serverless=ServerlessConfig())],
    )
    error = refused(BUILDERS[kind], s, endpoint=serverless)
    assert error.prop == "endpoint"
    assert_names(error, f"Monitoring/{kind}", "Monitoring/Serverless (serverless variant main)")
    assert "drift detector" in error.fix


@pytest.mark.parametrize(
    ("build", "capture", "missing"),
    [
        (data_quality, {"capture_input": False}, "input"),
        (model_quality, {"capture_output": False}, "output"),
        (model_bias, {"capture_input": False}, "input"),
        (model_bias, {"capture_output": False}, "output"),
        (explainability, {"capture_input": False}, "input"),
    ],
)
def test_capture_must_hold_what_the_kind_analyses(
    build: Callable[..., ModelMonitor], capture: dict[str, bool], missing: str
) -> None:
    error = refused(build, setup(new_stack(), **capture))
    assert error.prop == "data_capture"
    assert f"capture_{missing}=False" in str(error)
    assert f"capture_{missing}=True" in error.fix


@pytest.mark.parametrize(
    ("build", "schedule", "runtime", "limit"),
    [
        (model_quality, MonitorSchedule.hourly(), cdk.Duration.seconds(1801), 1800),
        (model_bias, MonitorSchedule.hourly(), cdk.Duration.hours(1), 1800),
        (data_quality, MonitorSchedule.hourly(), cdk.Duration.seconds(3601), 3600),
        (explainability, MonitorSchedule.every_hours(2), cdk.Duration.hours(3), 7200),
        (model_quality, MonitorSchedule.every_hours(6), cdk.Duration.hours(4), 10800),
    ],
)
def test_max_runtime_cannot_exceed_the_schedule(
    s: Setup,
    build: Callable[..., ModelMonitor],
    schedule: MonitorSchedule,
    runtime: cdk.Duration,
    limit: int,
) -> None:
    error = refused(build, s, schedule=schedule, max_runtime=runtime)
    assert error.prop == "max_runtime"
    assert runtime.to_human_string() in str(error)
    assert f"at most {limit} s" in error.fix


@pytest.mark.parametrize(
    "runtime", [cdk.Duration.hours(25), cdk.Duration.seconds(0), cdk.Duration.millis(1500)]
)
def test_max_runtime_range(s: Setup, runtime: cdk.Duration) -> None:
    error = refused(data_quality, s, schedule=MonitorSchedule.daily(), max_runtime=runtime)
    assert_names(error, "Monitoring/DataQuality", runtime.to_human_string())
    assert error.prop == "max_runtime"


def test_the_output_must_be_encrypted_with_a_key_of_yours(s: Setup) -> None:
    plain = s3.Bucket.from_bucket_name(s.stack, "Plain", "plain-bucket")
    error = refused(data_quality, s, output_bucket=plain)
    assert_names(error, "Monitoring/DataQuality", None)
    assert error.prop == "output_encryption_key"
    # With the key given, the same bucket is fine.
    key = kms.Key(s.stack, "ReportKey", enable_key_rotation=True)
    monitor = data_quality(s, "Given", output_bucket=plain, output_encryption_key=key)
    assert monitor.output_encryption_key is key


@pytest.mark.parametrize(
    ("prop", "value"),
    [
        ("instance_type", "m5.xlarge"),
        ("instance_count", 0),
        ("instance_count", 101),
        ("volume_size_gb", 0),
        ("volume_size_gb", 16385),
        ("schedule_name", "churn_data_quality"),
        ("output_prefix", "/"),
    ],
)
def test_job_settings(s: Setup, prop: str, value: Any) -> None:
    error = refused(data_quality, s, **{prop: value})
    assert_names(error, "Monitoring/DataQuality", value)
    assert error.prop == prop


def test_no_volume_key_for_local_nvme_storage(s: Setup) -> None:
    error = refused(data_quality, s, instance_type="ml.r5d.xlarge", volume_encryption_key=s.key)
    assert_names(error, "Monitoring/DataQuality", "ml.r5d.xlarge")
    assert "drop volume_encryption_key" in error.fix


def test_a_shadow_endpoint_needs_the_network(s: Setup) -> None:
    error = refused(explainability, s, shadow_model=s.model)
    assert_names(error, "Monitoring/Explainability", True)
    assert error.prop == "network_isolation"
    assert "network_isolation=False" in error.fix
    long = refused(
        explainability,
        s,
        "Long",
        shadow_model=s.model,
        network_isolation=False,
        shadow_endpoint_prefix="a-very-long-shadow-prefix",
    )
    assert_names(long, "Monitoring/Long", "a-very-long-shadow-prefix")


@pytest.mark.parametrize(
    ("start", "end", "prop"),
    [
        (cdk.Duration.hours(1), cdk.Duration.hours(2), "start_time_offset"),
        (cdk.Duration.days(1), cdk.Duration.days(1), "start_time_offset"),
        (cdk.Duration.minutes(90), None, "start_time_offset"),
        (None, cdk.Duration.minutes(30), "end_time_offset"),
    ],
)
def test_time_offsets(
    s: Setup, start: cdk.Duration | None, end: cdk.Duration | None, prop: str
) -> None:
    error = refused(model_quality, s, start_time_offset=start, end_time_offset=end)
    assert error.prop == prop
    shown = start if prop == "start_time_offset" else end
    assert shown is not None
    assert_names(error, "Monitoring/ModelQuality", shown.to_human_string())


def test_an_image_not_published_in_the_region() -> None:
    # Clarify's table has no il-central-1 (Model Monitor's does).
    s = setup(new_stack(region="il-central-1"))
    data_quality(s)
    error = refused(model_bias, s)
    assert_names(error, "Monitoring/ModelBias", "sagemaker-clarify-processing:1.0 in il-central-1")


def test_the_shared_base_is_not_a_monitor(s: Setup) -> None:
    with pytest.raises(TypeError, match="DataQualityMonitor"):
        ModelMonitor(s.stack, "Base", **s.common())


def test_capture_on_the_bucket_root_reads_the_endpoint_folder() -> None:
    s = setup(new_stack())
    root = DataCapture(bucket=s.bucket, prefix="")
    monitor = data_quality(s, data_capture=root)
    assert monitor._capture_prefix == s.endpoint.endpoint_name
