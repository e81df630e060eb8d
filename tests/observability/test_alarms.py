"""Tests for EndpointAlarms: what each alarm watches, how it decides, and what it refuses."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import Duration, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Capture, Match, Template

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
ALARM = "AWS::CloudWatch::Alarm"
COMPOSITE = "AWS::CloudWatch::CompositeAlarm"
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


# -- the reference stack: Endpoint object, two instance variants -------------------------------


@pytest.fixture(scope="module")
def prefix(monitored: Any) -> str:
    return str(monitored.alarms.alarm_name_prefix)


def test_one_alarm_per_kind_and_variant_with_stable_readable_names(
    monitored: Any, prefix: str
) -> None:
    expected = {f"{prefix}-blue-{k}" for k in INSTANCE_KINDS}
    expected |= {f"{prefix}-green-{k}" for k in INSTANCE_KINDS + GPU_KINDS}
    template = monitored.template
    template.resource_count_is(ALARM, len(expected))
    names = {a["Properties"]["AlarmName"] for a in template.find_resources(ALARM).values()}
    assert names == expected
    # No fixed endpoint name: the prefix is derived from the endpoint's construct path.
    assert prefix.startswith("Monitored-Endpoint-")
    assert [str(a) for a in monitored.alarms.alarms][:2] == ["blue/model-latency", "blue/5xx-rate"]


def test_construct_ids_derive_from_variant_names_and_kinds_only(monitored: Any) -> None:
    paths = {a.alarm.node.path for a in monitored.alarms.alarms}
    assert "Monitored/Alarms/Variants/blue/ModelLatency" in paths
    assert "Monitored/Alarms/Variants/green/GpuMemoryUtilization" in paths
    assert monitored.alarms.composite.node.path == "Monitored/Alarms/Critical"


def test_latency_alarm_uses_an_extended_statistic_in_microseconds(
    prefix: str, monitored: Any, cfn: Any
) -> None:
    endpoint_id = cfn.logical_id(monitored.endpoint)
    monitored.template.has_resource_properties(
        ALARM,
        {
            "AlarmName": f"{prefix}-blue-model-latency",
            "ExtendedStatistic": "p99",
            "Statistic": Match.absent(),
            "Threshold": 500_000,  # 500 ms in SageMaker's microseconds
            "EvaluateLowSampleCountPercentile": "evaluate",
            "TreatMissingData": "notBreaching",
            "ComparisonOperator": "GreaterThanThreshold",
            "Period": 60,
            "EvaluationPeriods": 5,
            "DatapointsToAlarm": 3,
            "Namespace": "AWS/SageMaker",
            "MetricName": "ModelLatency",
            "Dimensions": Match.array_equals(
                [
                    {
                        "Name": "EndpointName",
                        "Value": {"Fn::GetAtt": [endpoint_id, "EndpointName"]},
                    },
                    {"Name": "VariantName", "Value": "blue"},
                ]
            ),
        },
    )


@pytest.mark.parametrize(("code", "threshold"), [("5XX", 1), ("4XX", 5)])
def test_error_rates_are_metric_math_percentages(
    monitored: Any, prefix: str, code: str, threshold: float
) -> None:
    errors = f"e{code[0]}"

    def summed(metric_id: str, metric_name: str) -> dict[str, Any]:
        return {
            "Id": metric_id,
            "MetricStat": {"Metric": {"MetricName": metric_name}, "Stat": "Sum", "Period": 60},
            "ReturnData": False,
        }

    monitored.template.has_resource_properties(
        ALARM,
        {
            "AlarmName": f"{prefix}-blue-{code.lower()}-rate",
            "Metrics": [
                {
                    "Expression": f"IF(inv >= 1, 100 * FILL({errors}, 0) / inv, 0)",
                    "ReturnData": True,
                },
                summed("inv", "Invocations"),
                summed(errors, f"Invocation{code}Errors"),
            ],
            "Threshold": threshold,
            "MetricName": Match.absent(),
            "Statistic": Match.absent(),
        },
    )


def test_error_mix_is_the_5xx_share_of_all_errors_guarded_against_zero(
    monitored: Any, prefix: str
) -> None:
    both = "(FILL(e4, 0) + FILL(e5, 0))"
    monitored.template.has_resource_properties(
        ALARM,
        {
            "AlarmName": f"{prefix}-green-error-mix",
            "Metrics": [
                {"Expression": f"IF({both} >= 10, 100 * FILL(e5, 0) / {both}, 0)"},
                {"Id": "e4", "MetricStat": Match.any_value()},
                {"Id": "e5", "MetricStat": Match.any_value()},
            ],
            "Threshold": 50,
        },
    )


def test_invocations_alarm_breaches_when_traffic_vanishes(monitored: Any, prefix: str) -> None:
    monitored.template.has_resource_properties(
        ALARM,
        {
            "AlarmName": f"{prefix}-blue-invocations",
            "Statistic": "Sum",
            "ComparisonOperator": "LessThanThreshold",
            "Threshold": 1,
            "TreatMissingData": "breaching",
            "Period": 300,
            "EvaluationPeriods": 3,
        },
    )


@pytest.mark.parametrize(("variant", "vcpus"), [("blue", 2), ("green", 4)])
def test_cpu_is_normalized_by_the_instance_types_vcpus(
    monitored: Any, prefix: str, variant: str, vcpus: int
) -> None:
    monitored.template.has_resource_properties(
        ALARM,
        {
            "AlarmName": f"{prefix}-{variant}-cpu-utilization",
            "Metrics": [
                {"Expression": f"cpu / {vcpus}"},
                {
                    "Id": "cpu",
                    "MetricStat": {
                        "Metric": {
                            "Namespace": "/aws/sagemaker/Endpoints",
                            "MetricName": "CPUUtilization",
                        }
                    },
                },
            ],
            "Threshold": 90,
        },
    )


def test_memory_disk_and_gpu_alarms(monitored: Any, prefix: str) -> None:
    template = monitored.template
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": f"{prefix}-blue-memory-utilization",
            "Namespace": "/aws/sagemaker/Endpoints",
            "MetricName": "MemoryUtilization",
        },
    )
    template.has_resource_properties(
        ALARM, {"AlarmName": f"{prefix}-blue-disk-utilization", "Threshold": 75}
    )
    for kind, metric_id, metric_name in (
        ("gpu-utilization", "gpu", "GPUUtilization"),
        ("gpu-memory-utilization", "gpumem", "GPUMemoryUtilization"),
    ):
        template.has_resource_properties(
            ALARM,
            {
                "AlarmName": f"{prefix}-green-{kind}",
                "Metrics": [
                    {"Expression": f"{metric_id} / 1"},
                    {"Id": metric_id, "MetricStat": {"Metric": {"MetricName": metric_name}}},
                ],
            },
        )
    # ml.m5 has no GPU.
    template.resource_properties_count_is(ALARM, {"AlarmName": f"{prefix}-blue-gpu-utilization"}, 0)


def test_composite_joins_the_critical_alarms(monitored: Any, prefix: str, cfn: Any) -> None:
    assert [str(a) for a in monitored.alarms.alarms if a.critical] == [
        "blue/model-latency",
        "blue/5xx-rate",
        "blue/invocations",
        "green/model-latency",
        "green/5xx-rate",
        "green/invocations",
    ]
    # (ALARM("<arn>") OR ALARM("<arn>") OR ...), one ARN per critical alarm, in order.
    arns = [{"Fn::GetAtt": [cfn.logical_id(a), "Arn"]} for a in monitored.alarms.critical_alarms]
    assert len(arns) == 6
    rule: list[Any] = ['(ALARM("', arns[0]]
    for arn in arns[1:]:
        rule += ['") OR ALARM("', arn]
    rule.append('"))')
    monitored.template.resource_count_is(COMPOSITE, 1)
    monitored.template.has_resource_properties(
        COMPOSITE,
        {
            "AlarmName": f"{prefix}-critical",
            "AlarmRule": Match.object_equals({"Fn::Join": ["", rule]}),
        },
    )


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
    topic = {"Ref": cfn.logical_id(monitored.topic.topic)}
    for cfn_type in (ALARM, COMPOSITE):
        monitored.template.all_resources_properties(
            cfn_type,
            {
                "AlarmActions": Match.array_equals([topic]),
                "OKActions": Match.array_equals([topic]),
            },
        )
        # ActionsEnabled is left out (true) or true: never false.
        monitored.template.resource_properties_count_is(cfn_type, {"ActionsEnabled": False}, 0)


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
    by_name: dict[str, Any], monitored: Any, prefix: str
) -> None:
    # What the alarms on the Endpoint object watch ...
    namespace, metric_name, cpu_namespace = Capture(), Capture(), Capture()
    monitored.template.has_resource_properties(
        ALARM,
        {
            "AlarmName": f"{prefix}-blue-model-latency",
            "Namespace": namespace,
            "MetricName": metric_name,
        },
    )
    monitored.template.has_resource_properties(
        ALARM,
        {
            "AlarmName": f"{prefix}-blue-cpu-utilization",
            "Metrics": Match.array_with(
                [
                    Match.object_like(
                        {"Id": "cpu", "MetricStat": {"Metric": {"Namespace": cpu_namespace}}}
                    )
                ]
            ),
        },
    )
    # ... the alarms by endpoint name watch too, with the name as a plain dimension.
    dimensions = Match.array_equals(
        [{"Name": "EndpointName", "Value": "churn"}, {"Name": "VariantName", "Value": "blue"}]
    )
    template = by_name["t"]
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": "churn-blue-model-latency",
            "Namespace": namespace.as_string(),
            "MetricName": metric_name.as_string(),
            "Dimensions": dimensions,
        },
    )
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": "churn-blue-cpu-utilization",
            "Metrics": [
                {"Expression": "cpu / 4"},
                {
                    "Id": "cpu",
                    "MetricStat": {
                        "Metric": {"Namespace": cpu_namespace.as_string(), "Dimensions": dimensions}
                    },
                },
            ],
        },
    )


def test_tuned_settings_reach_the_template(by_name: dict[str, Any]) -> None:
    template = by_name["t"]
    for expected in (
        {
            "AlarmName": "churn-blue-model-latency",
            "ExtendedStatistic": "p99.9",
            "Threshold": 2_000_000,
            "EvaluateLowSampleCountPercentile": "ignore",
        },
        {"AlarmName": "churn-blue-5xx-rate", "Threshold": 2.5},
        {
            "AlarmName": "churn-blue-4xx-rate",
            "Metrics": [
                {"Expression": Match.string_like_regexp(r"^IF\(inv >= 20,")},
                {"Id": "inv", "MetricStat": Match.any_value()},
                {"Id": "e4", "MetricStat": Match.any_value()},
            ],
        },
        {
            "AlarmName": "churn-blue-invocations",
            "Threshold": 5,
            "ComparisonOperator": "LessThanOrEqualToThreshold",
        },
        {"AlarmName": "churn-blue-disk-utilization", "Threshold": 60, "Period": 600},
    ):
        template.has_resource_properties(ALARM, expected)
    # Disabled.
    template.resource_properties_count_is(ALARM, {"AlarmName": "churn-blue-error-mix"}, 0)


def test_descriptions_say_what_trips_the_alarm(by_name: dict[str, Any]) -> None:
    template = by_name["t"]
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": "churn-blue-model-latency",
            "AlarmDescription": "Model latency on variant blue of SageMaker endpoint churn: "
            "above 2 seconds in 3 of 5 periods of 1 minute.",
        },
    )
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": "churn-blue-invocations",
            "AlarmDescription": "Invocation count on variant blue of SageMaker endpoint churn: "
            "at or below 5 in 3 of 3 periods of 5 minutes.",
        },
    )
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": "churn-blue-5xx-rate",
            "AlarmDescription": Match.string_like_regexp(
                re.escape("above 2.5 % in 3 of 5 periods of 1 minute.") + "$"
            ),
        },
    )


def test_all_four_missing_data_modes(by_name: dict[str, Any]) -> None:
    for kind, mode in (
        ("model-latency", "missing"),
        ("5xx-rate", "ignore"),
        ("4xx-rate", "breaching"),
        ("invocations", "notBreaching"),
    ):
        by_name["t"].has_resource_properties(
            ALARM, {"AlarmName": f"churn-blue-{kind}", "TreatMissingData": mode}
        )


def test_custom_critical_kinds_and_rollback_wiring(by_name: dict[str, Any], cfn: Any) -> None:
    alarms = by_name["alarms"]
    assert [str(a) for a in alarms.alarms if a.critical] == [
        "blue/model-latency",
        "blue/4xx-rate",
    ]
    template = by_name["t"]
    template.resource_count_is(COMPOSITE, 1)
    template.has_resource_properties(COMPOSITE, {"AlarmName": "churn-critical"})
    # The 4XX alarm is critical but breaches on missing data: it pages, it never rolls back.
    assert [str(a) for a in alarms.alarms if a.rollback] == ["blue/model-latency"]
    latency = alarms.find(AlarmKind.MODEL_LATENCY, "blue")
    template.resource_count_is("AWS::SageMaker::Endpoint", 1)
    template.has_resource_properties(
        "AWS::SageMaker::Endpoint",
        {
            "DeploymentConfig": {
                "AutoRollbackConfiguration": {
                    "Alarms": Match.array_equals([{"AlarmName": {"Ref": cfn.logical_id(latency)}}])
                }
            }
        },
    )


def test_none_leaves_every_alarm_without_actions_and_passes_compliance(
    by_name: dict[str, Any],
) -> None:
    for cfn_type in (ALARM, COMPOSITE):
        by_name["t"].all_resources_properties(
            cfn_type, {"AlarmActions": Match.absent(), "OKActions": Match.absent()}
        )
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


def test_serverless_variant_alarms_on_cold_starts_and_concurrency(special: dict[str, Any]) -> None:
    assert [a.kind.value for a in special["serverless"].alarms] == [
        "model-latency",
        "5xx-rate",
        "4xx-rate",
        "error-mix",
        "invocations",
        "model-setup-time",
        "serverless-concurrency",
    ]
    template = special["t"]
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": "sls-main-model-setup-time",
            "MetricName": "ModelSetupTime",
            "Statistic": "Average",
            "Threshold": 4_000_000,  # microseconds
        },
    )
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": "sls-main-serverless-concurrency",
            "Metrics": [
                {"Expression": "100 * conc"},
                {
                    "Id": "conc",
                    "MetricStat": {
                        "Metric": {"MetricName": "ServerlessConcurrentExecutionsUtilization"}
                    },
                },
            ],
        },
    )


def test_async_endpoint_alarms_on_the_backlog_not_on_invocations(special: dict[str, Any]) -> None:
    kinds = [str(a) for a in special["async"].alarms]
    assert "main/invocations" not in kinds
    assert "main/5xx-rate" not in kinds and "main/4xx-rate" not in kinds
    assert kinds[-3:] == [
        "<endpoint>/backlog-size",
        "<endpoint>/backlog-age",
        "<endpoint>/backlog-without-capacity",
    ]
    template = special["t"]
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": "async-backlog-age",
            "MetricName": "ApproximateAgeOfOldestRequest",
            "Statistic": "Maximum",
            "Threshold": 1200,
            "Dimensions": [{"Name": "EndpointName"}],
        },
    )
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": "async-backlog-without-capacity",
            "MetricName": "HasBacklogWithoutCapacity",
            "Threshold": 0,
        },
    )
    assert [str(a) for a in special["async"].alarms if a.critical] == [
        "main/model-latency",
        "<endpoint>/backlog-age",
    ]
    template.has_resource_properties(
        ALARM,
        {
            "AlarmName": "queue-backlog-size",
            "Dimensions": Match.array_equals([{"Name": "EndpointName", "Value": "queue"}]),
        },
    )


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
    Template.from_stack(Stack.of(with_counts)).has_resource_properties(
        ALARM,
        {
            "AlarmName": "churn-a-cpu-utilization",
            "Metrics": [{"Expression": "cpu / 8"}, {"Id": "cpu", "MetricStat": Match.any_value()}],
        },
    )
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
