"""Tests for EndpointAlarms: what each alarm watches, how it decides, and what it refuses."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from constructs_lib.compliance import unacknowledged_findings
from constructs_lib.core import InvalidPropsError
from constructs_lib.observability import (
    AlarmActions,
    AlarmKind,
    BacklogAgeAlarm,
    EndpointAlarms,
    ErrorMixAlarm,
    ErrorRateAlarm,
    InvocationsAlarm,
    LatencyAlarm,
    MonitoredVariant,
    ServerlessAlarm,
    UtilizationAlarm,
)
from constructs_lib.serving import (
    MAX_ROLLBACK_ALARMS,
    AsyncInference,
    DeploymentPolicy,
    Endpoint,
    ProductionVariant,
    ServerlessConfig,
)

TMD = cloudwatch.TreatMissingData
INSTANCE_KINDS = [
    "model-latency",
    "5xx-rate",
    "4xx-rate",
    "error-mix",
    "invocations",
    "cpu-utilization",
    "memory-utilization",
    "disk-utilization",
]
GPU_KINDS = ["gpu-utilization", "gpu-memory-utilization"]


def _metrics_by_id(props: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {m["Id"]: m for m in props["Metrics"]}


def _expression(props: dict[str, Any]) -> dict[str, Any]:
    (expr,) = [m for m in props["Metrics"] if "Expression" in m]
    return expr


def _dimensions(stat_metric: dict[str, Any]) -> dict[str, Any]:
    return {d["Name"]: d["Value"] for d in stat_metric["MetricStat"]["Metric"]["Dimensions"]}


# -- the reference stack: Endpoint object, two instance variants -------------------------------


@pytest.fixture(scope="module")
def alarms(monitored: Any, cfn: Any) -> dict[str, dict[str, Any]]:
    return dict(cfn.alarms_by_name(monitored.template))


@pytest.fixture(scope="module")
def prefix(monitored: Any) -> str:
    return str(monitored.alarms.alarm_name_prefix)


def test_one_alarm_per_kind_and_variant_with_stable_readable_names(
    monitored: Any, alarms: dict[str, Any], prefix: str
) -> None:
    expected = {f"{prefix}-blue-{k}" for k in INSTANCE_KINDS}
    expected |= {f"{prefix}-green-{k}" for k in INSTANCE_KINDS + GPU_KINDS}
    assert set(alarms) == expected
    # No fixed endpoint name: the prefix is derived from the endpoint's construct path.
    assert prefix.startswith("Monitored-Endpoint-")
    assert [str(a) for a in monitored.alarms.alarms][:2] == ["blue/model-latency", "blue/5xx-rate"]


def test_construct_ids_derive_from_variant_names_and_kinds_only(monitored: Any) -> None:
    paths = {a.alarm.node.path for a in monitored.alarms.alarms}
    assert "Monitored/Alarms/Variants/blue/ModelLatency" in paths
    assert "Monitored/Alarms/Variants/green/GpuMemoryUtilization" in paths
    assert monitored.alarms.composite.node.path == "Monitored/Alarms/Critical"


def test_latency_alarm_uses_an_extended_statistic_in_microseconds(
    alarms: dict[str, Any], prefix: str, monitored: Any
) -> None:
    props = alarms[f"{prefix}-blue-model-latency"]
    assert props["ExtendedStatistic"] == "p99"
    assert "Statistic" not in props
    assert props["Threshold"] == 500_000  # 500 ms in SageMaker's microseconds
    assert props["EvaluateLowSampleCountPercentile"] == "evaluate"
    assert props["TreatMissingData"] == "notBreaching"
    assert props["ComparisonOperator"] == "GreaterThanThreshold"
    assert (props["Period"], props["EvaluationPeriods"], props["DatapointsToAlarm"]) == (60, 5, 3)
    assert (props["Namespace"], props["MetricName"]) == ("AWS/SageMaker", "ModelLatency")
    endpoint_id = monitored.stack.get_logical_id(monitored.endpoint.node.default_child)
    assert props["Dimensions"] == [
        {"Name": "EndpointName", "Value": {"Fn::GetAtt": [endpoint_id, "EndpointName"]}},
        {"Name": "VariantName", "Value": "blue"},
    ]


@pytest.mark.parametrize(("code", "threshold"), [("5XX", 1), ("4XX", 5)])
def test_error_rates_are_metric_math_percentages(
    alarms: dict[str, Any], prefix: str, code: str, threshold: float
) -> None:
    props = alarms[f"{prefix}-blue-{code.lower()}-rate"]
    errors = f"e{code[0]}"
    expr = _expression(props)
    assert expr["Expression"] == f"IF(inv >= 1, 100 * FILL({errors}, 0) / inv, 0)"
    assert expr["ReturnData"] is True
    by_id = _metrics_by_id(props)
    assert set(by_id) == {expr["Id"], "inv", errors}
    assert by_id["inv"]["MetricStat"]["Metric"]["MetricName"] == "Invocations"
    assert by_id[errors]["MetricStat"]["Metric"]["MetricName"] == f"Invocation{code}Errors"
    for metric_id in ("inv", errors):
        assert by_id[metric_id]["ReturnData"] is False
        assert by_id[metric_id]["MetricStat"]["Stat"] == "Sum"
        assert by_id[metric_id]["MetricStat"]["Period"] == 60
    assert props["Threshold"] == threshold
    assert "MetricName" not in props and "Statistic" not in props


def test_error_mix_is_the_5xx_share_of_all_errors_guarded_against_zero(
    alarms: dict[str, Any], prefix: str
) -> None:
    props = alarms[f"{prefix}-green-error-mix"]
    expr = _expression(props)["Expression"]
    both = "(FILL(e4, 0) + FILL(e5, 0))"
    assert expr == f"IF({both} >= 10, 100 * FILL(e5, 0) / {both}, 0)"
    assert set(_metrics_by_id(props)) >= {"e4", "e5"}
    assert props["Threshold"] == 50


def test_invocations_alarm_breaches_when_traffic_vanishes(
    alarms: dict[str, Any], prefix: str
) -> None:
    props = alarms[f"{prefix}-blue-invocations"]
    assert props["Statistic"] == "Sum"
    assert props["ComparisonOperator"] == "LessThanThreshold"
    assert props["Threshold"] == 1
    assert props["TreatMissingData"] == "breaching"
    assert (props["Period"], props["EvaluationPeriods"]) == (300, 3)


@pytest.mark.parametrize(("variant", "vcpus"), [("blue", 2), ("green", 4)])
def test_cpu_is_normalized_by_the_instance_types_vcpus(
    alarms: dict[str, Any], prefix: str, variant: str, vcpus: int
) -> None:
    props = alarms[f"{prefix}-{variant}-cpu-utilization"]
    assert _expression(props)["Expression"] == f"cpu / {vcpus}"
    cpu = _metrics_by_id(props)["cpu"]
    assert cpu["MetricStat"]["Metric"]["Namespace"] == "/aws/sagemaker/Endpoints"
    assert cpu["MetricStat"]["Metric"]["MetricName"] == "CPUUtilization"
    assert props["Threshold"] == 90


def test_memory_disk_and_gpu_alarms(alarms: dict[str, Any], prefix: str) -> None:
    memory = alarms[f"{prefix}-blue-memory-utilization"]
    assert (memory["Namespace"], memory["MetricName"]) == (
        "/aws/sagemaker/Endpoints",
        "MemoryUtilization",
    )
    assert alarms[f"{prefix}-blue-disk-utilization"]["Threshold"] == 75
    gpu = alarms[f"{prefix}-green-gpu-utilization"]
    assert _expression(gpu)["Expression"] == "gpu / 1"
    assert _expression(alarms[f"{prefix}-green-gpu-memory-utilization"])["Expression"] == (
        "gpumem / 1"
    )
    assert f"{prefix}-blue-gpu-utilization" not in alarms  # ml.m5 has no GPU


def test_composite_joins_the_critical_alarms(monitored: Any, prefix: str, cfn: Any) -> None:
    (props,) = cfn.resources(monitored.template, "AWS::CloudWatch::CompositeAlarm").values()
    assert props["AlarmName"] == f"{prefix}-critical"
    rule = props["AlarmRule"]["Fn::Join"][1]
    referenced = [p["Fn::GetAtt"][0] for p in rule if isinstance(p, dict)]
    critical = monitored.alarms.critical_alarms
    expected = [monitored.stack.get_logical_id(a.node.default_child) for a in critical]
    assert referenced == expected
    assert [str(a) for a in monitored.alarms.alarms if a.critical] == [
        "blue/model-latency",
        "blue/5xx-rate",
        "blue/invocations",
        "green/model-latency",
        "green/5xx-rate",
        "green/invocations",
    ]
    text = "".join(p if isinstance(p, str) else "<arn>" for p in rule)
    assert text == "(" + " OR ".join(['ALARM("<arn>")'] * 6) + ")"


def test_default_rollback_set_is_metric_alarms_that_stay_quiet_without_traffic(
    monitored: Any,
) -> None:
    # SageMaker documents rollback alarms as metric alarms and terminates a deployment when
    # the old fleet trips one: the invocations alarm (missing data breaching) stays out.
    rollback = monitored.alarms.rollback_alarms
    assert [str(a) for a in monitored.alarms.alarms if a.rollback] == [
        "blue/model-latency",
        "blue/5xx-rate",
        "green/model-latency",
        "green/5xx-rate",
    ]
    assert all(isinstance(a, cloudwatch.Alarm) for a in rollback)
    assert len(rollback) <= MAX_ROLLBACK_ALARMS
    for alarm in rollback:
        assert alarm.node.default_child.treat_missing_data != "breaching"


def test_every_alarm_and_the_composite_has_actions(monitored: Any, cfn: Any) -> None:
    topic_id = monitored.stack.get_logical_id(monitored.topic.topic.node.default_child)
    for cfn_type in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"):
        for props in cfn.resources(monitored.template, cfn_type).values():
            assert props["AlarmActions"] == [{"Ref": topic_id}], props["AlarmName"]
            assert props["OKActions"] == [{"Ref": topic_id}], props["AlarmName"]
            assert props.get("ActionsEnabled", True) is True


def test_find_and_all_alarms(monitored: Any) -> None:
    a = monitored.alarms
    assert a.find(AlarmKind.MODEL_LATENCY, "green") is a.alarms[len(INSTANCE_KINDS)].alarm
    assert len(a.all_alarms) == len(a.alarms) + 1
    with pytest.raises(InvalidPropsError, match="was not created"):
        a.find(AlarmKind.GPU_UTILIZATION, "blue")


# -- by name, as a rollback alarm created before its endpoint -----------------------------------


@pytest.fixture(scope="module")
def by_name(cfn: Any) -> dict[str, Any]:
    app, stack = cfn.new_stack("ByName")
    m = cfn.model(stack)
    variants = [ProductionVariant(name="blue", model=m, instance_type="ml.c5.xlarge")]
    alarms = EndpointAlarms(
        stack,
        "Alarms",
        endpoint_name="churn",
        variants=[MonitoredVariant.from_production_variant(v) for v in variants],
        actions=AlarmActions.none(reason="Rollback alarm only; the pipeline reports failures."),
        settings={
            AlarmKind.MODEL_LATENCY: LatencyAlarm(
                percentile=99.9,
                threshold=Duration.seconds(2),
                evaluate_low_sample_count_percentile=False,
                treat_missing_data=TMD.MISSING,
            ),
            AlarmKind.SERVER_ERROR_RATE: ErrorRateAlarm(
                threshold=2.5, treat_missing_data=TMD.IGNORE
            ),
            AlarmKind.CLIENT_ERROR_RATE: ErrorRateAlarm(
                threshold=10, min_invocations=20, treat_missing_data=TMD.BREACHING
            ),
            AlarmKind.INVOCATIONS: InvocationsAlarm(
                threshold=5,
                treat_missing_data=TMD.NOT_BREACHING,
                comparison_operator=cloudwatch.ComparisonOperator.LESS_THAN_OR_EQUAL_TO_THRESHOLD,
            ),
            AlarmKind.ERROR_MIX: ErrorMixAlarm(enabled=False),
            AlarmKind.DISK_UTILIZATION: UtilizationAlarm(threshold=60, period=Duration.minutes(10)),
        },
        critical=[AlarmKind.MODEL_LATENCY, AlarmKind.CLIENT_ERROR_RATE],
    )
    assert alarms.composite is not None
    endpoint = Endpoint(
        stack,
        "Endpoint",
        endpoint_name="churn",
        variants=variants,
        deployment_policy=DeploymentPolicy.all_at_once(rollback_alarms=alarms.rollback_alarms),
    )
    template = Template.from_stack(stack)  # no circular dependency between alarms and endpoint
    return {"app": app, "stack": stack, "alarms": alarms, "endpoint": endpoint, "t": template}


def test_by_name_metrics_match_the_endpoint_objects_metrics(
    by_name: dict[str, Any], monitored: Any, cfn: Any, prefix: str
) -> None:
    named = cfn.alarms_by_name(by_name["t"])
    latency = named["churn-blue-model-latency"]
    assert latency["Dimensions"] == [
        {"Name": "EndpointName", "Value": "churn"},
        {"Name": "VariantName", "Value": "blue"},
    ]
    reference = cfn.alarms_by_name(monitored.template)[f"{prefix}-blue-model-latency"]
    assert (latency["Namespace"], latency["MetricName"]) == (
        reference["Namespace"],
        reference["MetricName"],
    )
    cpu = _metrics_by_id(named["churn-blue-cpu-utilization"])["cpu"]
    ref_cpu = _metrics_by_id(
        cfn.alarms_by_name(monitored.template)[f"{prefix}-blue-cpu-utilization"]
    )
    assert (
        cpu["MetricStat"]["Metric"]["Namespace"]
        == ref_cpu["cpu"]["MetricStat"]["Metric"]["Namespace"]
    )
    assert _dimensions(cpu) == {"EndpointName": "churn", "VariantName": "blue"}
    assert _expression(named["churn-blue-cpu-utilization"])["Expression"] == "cpu / 4"


def test_tuned_settings_reach_the_template(by_name: dict[str, Any], cfn: Any) -> None:
    named = cfn.alarms_by_name(by_name["t"])
    latency = named["churn-blue-model-latency"]
    assert latency["ExtendedStatistic"] == "p99.9"
    assert latency["Threshold"] == 2_000_000
    assert latency["EvaluateLowSampleCountPercentile"] == "ignore"
    assert named["churn-blue-5xx-rate"]["Threshold"] == 2.5
    assert _expression(named["churn-blue-4xx-rate"])["Expression"].startswith("IF(inv >= 20,")
    invocations = named["churn-blue-invocations"]
    assert invocations["Threshold"] == 5
    assert invocations["ComparisonOperator"] == "LessThanOrEqualToThreshold"
    disk = named["churn-blue-disk-utilization"]
    assert (disk["Threshold"], disk["Period"]) == (60, 600)
    assert "churn-blue-error-mix" not in named  # disabled


def test_descriptions_say_what_trips_the_alarm(by_name: dict[str, Any], cfn: Any) -> None:
    named = cfn.alarms_by_name(by_name["t"])
    assert named["churn-blue-model-latency"]["AlarmDescription"] == (
        "Model latency on variant blue of SageMaker endpoint churn: above 2 seconds in 3 of 5 "
        "periods of 1 minute."
    )
    assert named["churn-blue-invocations"]["AlarmDescription"] == (
        "Invocation count on variant blue of SageMaker endpoint churn: at or below 5 in 3 of 3 "
        "periods of 5 minutes."
    )
    assert named["churn-blue-5xx-rate"]["AlarmDescription"].endswith(
        "above 2.5 % in 3 of 5 periods of 1 minute."
    )


def test_all_four_missing_data_modes(by_name: dict[str, Any], cfn: Any) -> None:
    named = cfn.alarms_by_name(by_name["t"])
    modes = {
        named[f"churn-blue-{kind}"]["TreatMissingData"]
        for kind in ("model-latency", "5xx-rate", "4xx-rate", "invocations")
    }
    assert modes == {"missing", "ignore", "breaching", "notBreaching"}


def test_custom_critical_kinds_and_rollback_wiring(by_name: dict[str, Any], cfn: Any) -> None:
    alarms = by_name["alarms"]
    assert [str(a) for a in alarms.alarms if a.critical] == [
        "blue/model-latency",
        "blue/4xx-rate",
    ]
    (composite,) = cfn.resources(by_name["t"], "AWS::CloudWatch::CompositeAlarm").values()
    assert composite["AlarmName"] == "churn-critical"
    # The 4XX alarm is critical but breaches on missing data: it pages, it never rolls back.
    assert [str(a) for a in alarms.alarms if a.rollback] == ["blue/model-latency"]
    (endpoint,) = cfn.resources(by_name["t"], "AWS::SageMaker::Endpoint").values()
    rollback = endpoint["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    latency = alarms.find(AlarmKind.MODEL_LATENCY, "blue")
    latency_id = by_name["stack"].get_logical_id(latency.node.default_child)
    assert rollback == [{"AlarmName": {"Ref": latency_id}}]


def test_none_leaves_every_alarm_without_actions_and_passes_compliance(
    by_name: dict[str, Any], cfn: Any
) -> None:
    for cfn_type in ("AWS::CloudWatch::Alarm", "AWS::CloudWatch::CompositeAlarm"):
        for props in cfn.resources(by_name["t"], cfn_type).values():
            assert "AlarmActions" not in props
            assert "OKActions" not in props
    assert unacknowledged_findings(by_name["app"]) == []


# -- serverless, async and shadow endpoints ----------------------------------------------------


@pytest.fixture(scope="module")
def special(cfn: Any) -> dict[str, Any]:
    app, stack = cfn.new_stack("Special")
    m = cfn.model(stack)
    serverless = Endpoint(
        stack,
        "Serverless",
        variants=[ProductionVariant(name="main", model=m, serverless=ServerlessConfig())],
    )
    bucket = s3.Bucket(stack, "Output", enforce_ssl=True)
    asynchronous = Endpoint(
        stack,
        "Async",
        variants=[ProductionVariant(name="main", model=m, instance_type="ml.m5.xlarge")],
        async_inference=AsyncInference(output_bucket=bucket),
    )
    shadowed = Endpoint(
        stack,
        "Shadowed",
        variants=[ProductionVariant(name="prod", model=m, instance_type="ml.c5.large")],
        shadow_variant=ProductionVariant(name="shadow", model=m, instance_type="ml.c5.large"),
    )
    built = {
        "serverless": EndpointAlarms(
            stack,
            "ServerlessAlarms",
            endpoint=serverless,
            actions=cfn.no_actions,
            alarm_name_prefix="sls",
            settings={AlarmKind.MODEL_SETUP_TIME: ServerlessAlarm(threshold=Duration.seconds(4))},
        ),
        "async": EndpointAlarms(
            stack,
            "AsyncAlarms",
            endpoint=asynchronous,
            actions=cfn.no_actions,
            alarm_name_prefix="async",
            settings={AlarmKind.BACKLOG_AGE: BacklogAgeAlarm(threshold=Duration.minutes(20))},
        ),
        "shadow_skipped": EndpointAlarms(
            stack,
            "ShadowSkipped",
            endpoint=shadowed,
            actions=cfn.no_actions,
            alarm_name_prefix="s1",
        ),
        "shadow_included": EndpointAlarms(
            stack,
            "ShadowIncluded",
            endpoint=shadowed,
            actions=cfn.no_actions,
            alarm_name_prefix="s2",
            include_shadow=True,
        ),
        "async_by_name": EndpointAlarms(
            stack,
            "AsyncByName",
            endpoint_name="queue",
            variants=[MonitoredVariant("main", instance_type="ml.m5.xlarge")],
            is_async=True,
            actions=cfn.no_actions,
        ),
    }
    return {"app": app, "t": Template.from_stack(stack), **built}


def test_serverless_variant_alarms_on_cold_starts_and_concurrency(
    special: dict[str, Any], cfn: Any
) -> None:
    assert [a.kind.value for a in special["serverless"].alarms] == [
        "model-latency",
        "5xx-rate",
        "4xx-rate",
        "error-mix",
        "invocations",
        "model-setup-time",
        "serverless-concurrency",
    ]
    named = cfn.alarms_by_name(special["t"])
    setup = named["sls-main-model-setup-time"]
    assert (setup["MetricName"], setup["Statistic"]) == ("ModelSetupTime", "Average")
    assert setup["Threshold"] == 4_000_000  # microseconds
    concurrency = named["sls-main-serverless-concurrency"]
    assert _expression(concurrency)["Expression"] == "100 * conc"
    metric = _metrics_by_id(concurrency)["conc"]["MetricStat"]["Metric"]
    assert metric["MetricName"] == "ServerlessConcurrentExecutionsUtilization"


def test_async_endpoint_alarms_on_the_backlog_not_on_invocations(
    special: dict[str, Any], cfn: Any
) -> None:
    kinds = [str(a) for a in special["async"].alarms]
    assert "main/invocations" not in kinds
    assert "main/5xx-rate" not in kinds and "main/4xx-rate" not in kinds
    assert kinds[-3:] == [
        "<endpoint>/backlog-size",
        "<endpoint>/backlog-age",
        "<endpoint>/backlog-without-capacity",
    ]
    named = cfn.alarms_by_name(special["t"])
    age = named["async-backlog-age"]
    assert (age["MetricName"], age["Statistic"], age["Threshold"]) == (
        "ApproximateAgeOfOldestRequest",
        "Maximum",
        1200,
    )
    assert [d["Name"] for d in age["Dimensions"]] == ["EndpointName"]
    without = named["async-backlog-without-capacity"]
    assert (without["MetricName"], without["Threshold"]) == ("HasBacklogWithoutCapacity", 0)
    assert [str(a) for a in special["async"].alarms if a.critical] == [
        "main/model-latency",
        "<endpoint>/backlog-age",
    ]
    by_name = named["queue-backlog-size"]
    assert by_name["Dimensions"] == [{"Name": "EndpointName", "Value": "queue"}]


def test_shadow_variant_is_skipped_unless_included_and_never_critical(
    special: dict[str, Any],
) -> None:
    skipped = {a.variant_name for a in special["shadow_skipped"].alarms}
    assert skipped == {"prod"}
    included = special["shadow_included"].alarms
    assert {a.variant_name for a in included} == {"prod", "shadow"}
    assert not any(a.critical for a in included if a.variant_name == "shadow")


# -- validation --------------------------------------------------------------------------------


def _build(cfn: Any, **kwargs: Any) -> EndpointAlarms:
    _, stack = cfn.new_stack()
    props: dict[str, Any] = {
        "endpoint_name": "churn",
        "variants": [MonitoredVariant("blue", instance_type="ml.m5.large")],
        "actions": cfn.no_actions,
    }
    props.update(kwargs)
    return EndpointAlarms(stack, "Alarms", **props)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        # Each settings prop is checked under its own name (all checks: test_alarm_settings).
        (
            {"settings": {AlarmKind.MODEL_LATENCY: LatencyAlarm(period=Duration.seconds(30))}},
            r"settings\[model-latency\].period=.*30 seconds.* is not a whole number of"
            r" minutes.*Duration.minutes",
        ),
        (
            {"settings": {AlarmKind.CPU_UTILIZATION: UtilizationAlarm(evaluation_periods=0)}},
            r"settings\[cpu-utilization\].evaluation_periods=0",
        ),
        (
            {"settings": {AlarmKind.MODEL_LATENCY: UtilizationAlarm()}},
            r"settings\[model-latency\]='UtilizationAlarm' is not a LatencyAlarm. Fix: pass"
            r" LatencyAlarm",
        ),
        ({"critical": ["model-latency"]}, r"critical\[0\]='model-latency' is not an AlarmKind"),
        ({"alarm_name_prefix": ""}, r"alarm_name_prefix='' is empty"),
        ({"alarm_name_prefix": "x" * 250}, r"alarm name longer than 255"),
        ({"actions": None}, r"actions=None is not AlarmActions"),
    ],
)
def test_props_validation(cfn: Any, kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(InvalidPropsError, match=match) as raised:
        _build(cfn, **kwargs)
    assert raised.value.path == "Test/Alarms"
    assert "Fix:" in str(raised.value)


def test_a_fixed_endpoint_name_is_the_default_prefix(cfn: Any) -> None:
    _, stack = cfn.new_stack()
    endpoint = cfn.two_variant_endpoint(stack, endpoint_name="fraud")
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint, actions=cfn.no_actions)
    assert alarms.alarm_name_prefix == "fraud"
    assert alarms.composite is not None


def test_alarm_names_must_not_collide(cfn: Any) -> None:
    variants = [
        MonitoredVariant("blue", instance_type="ml.g5.xlarge"),
        MonitoredVariant("blue-gpu", instance_type="ml.m5.large"),
    ]
    with pytest.raises(
        InvalidPropsError, match=r"variants='churn-blue-gpu-memory-utilization' is the alarm name"
    ):
        _build(cfn, variants=variants)


def test_actions_are_required() -> None:
    with pytest.raises(TypeError, match="actions"):
        EndpointAlarms(None, "A", endpoint_name="x", variants=[])  # type: ignore[call-arg,arg-type]


def test_unknown_types_work_with_explicit_counts_or_without_cpu_alarms(cfn: Any) -> None:
    with_counts = _build(
        cfn,
        variants=[MonitoredVariant("a", instance_type="ml.x9z.2xlarge")],
        vcpus={"ml.x9z.2xlarge": 8},
    )
    template = Template.from_stack(Stack.of(with_counts))
    cpu = cfn.alarms_by_name(template)["churn-a-cpu-utilization"]
    assert _expression(cpu)["Expression"] == "cpu / 8"
    no_cpu = _build(
        cfn,
        variants=[MonitoredVariant("a", instance_type="ml.x9z.2xlarge")],
        settings={AlarmKind.CPU_UTILIZATION: UtilizationAlarm(enabled=False)},
    )
    kinds = {a.kind for a in no_cpu.alarms}
    assert AlarmKind.CPU_UTILIZATION not in kinds
    assert AlarmKind.MEMORY_UTILIZATION in kinds


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        (
            {"rollback": [AlarmKind.INVOCATIONS]},
            r"rollback\[0\]='invocations' alarms on low or vanished traffic: SageMaker "
            r"terminates a deployment.*Fix: leave invocations out of rollback",
        ),
        (
            {
                "rollback": [AlarmKind.MODEL_LATENCY, AlarmKind.SERVER_ERROR_RATE],
                "settings": {
                    AlarmKind.SERVER_ERROR_RATE: ErrorRateAlarm(
                        treat_missing_data=cloudwatch.TreatMissingData.BREACHING
                    )
                },
            },
            r"rollback\[1\]='5xx-rate' treats missing data as breaching.*"
            r"settings\[5xx-rate\].treat_missing_data to NOT_BREACHING",
        ),
        (
            {
                "rollback": [AlarmKind.ERROR_MIX],
                "settings": {AlarmKind.ERROR_MIX: ErrorMixAlarm(enabled=False)},
            },
            r"rollback\[0\]='error-mix' is a disabled alarm kind",
        ),
        ({"rollback": ["5xx-rate"]}, r"rollback\[0\]='5xx-rate' is not an AlarmKind"),
    ],
)
def test_rollback_kinds_that_would_block_quiet_endpoints_are_refused(
    cfn: Any, kwargs: dict[str, Any], match: str
) -> None:
    with pytest.raises(InvalidPropsError, match=match) as raised:
        _build(cfn, **kwargs)
    assert raised.value.path == "Test/Alarms"


def test_explicit_rollback_kinds_and_the_limit_of_ten(cfn: Any) -> None:
    chosen = _build(cfn, rollback=[AlarmKind.SERVER_ERROR_RATE, AlarmKind.CPU_UTILIZATION])
    assert [str(a) for a in chosen.alarms if a.rollback] == [
        "blue/5xx-rate",
        "blue/cpu-utilization",
    ]
    eleven = [MonitoredVariant(f"v{i}", instance_type="ml.m5.large") for i in range(6)]
    many = _build(cfn, variants=eleven)  # 6 variants x (latency, 5XX) = 12 alarms
    with pytest.raises(InvalidPropsError, match=r"rollback='12 alarms .* exceeds the 10"):
        _ = many.rollback_alarms


def test_no_critical_kinds_means_no_composite(cfn: Any) -> None:
    alarms = _build(cfn, critical=[])
    assert alarms.composite is None
    assert alarms.critical_alarms == ()
