"""VariantAutoScaling: scalable targets, target tracking, step and scheduled scaling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling

from constructs_lib.core import InvalidPropsError
from constructs_lib.serving import AsyncInference, Endpoint, VariantAutoScaling

from .builders import (
    artifact_bucket,
    assert_names,
    flat,
    get_att,
    logical_id,
    new_app,
    new_model,
    new_stack,
    props,
    resources,
    template,
    variant,
)

SERVICE_LINKED_ROLE = (
    "arn:<AWS::Partition>:iam::<AWS::AccountId>:role/aws-service-role/"
    "sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)


@dataclass
class Built:
    tpl: dict[str, Any]
    endpoint: Endpoint
    champion: VariantAutoScaling
    challenger: VariantAutoScaling
    detached_tpl: dict[str, Any]
    detached: VariantAutoScaling


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    stack = new_stack(app, "Scaling")
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[
            variant("champion", new_model(stack, "Champion"), initial_instance_count=2),
            variant("challenger", new_model(stack, "Challenger"), instance_type="ml.c5.xlarge"),
        ],
    )
    champion = endpoint.find_variant("champion").auto_scale_instance_count(
        min_capacity=2, max_capacity=8
    )
    champion.scale_on_invocations(
        invocations_per_instance=120,
        scale_in_cooldown=Duration.minutes(10),
        scale_out_cooldown=Duration.seconds(30),
    )
    champion.scale_on_metric(
        "CpuSteps",
        metric=endpoint.find_variant("champion").metric_cpu_utilization(),
        scaling_steps=[
            appscaling.ScalingInterval(upper=20, change=-1),
            appscaling.ScalingInterval(lower=70, change=+2),
        ],
        evaluation_periods=3,
    )
    challenger = endpoint.find_variant("challenger").auto_scale_instance_count(
        min_capacity=1, max_capacity=4
    )
    challenger.scale_on_invocations(max_requests_per_second=7.5, safety_factor=0.4)
    challenger.scale_on_schedule(
        "BusinessHours",
        schedule=appscaling.Schedule.cron(hour="8", minute="0", week_day="MON-FRI"),
        min_capacity=2,
        max_capacity=6,
        time_zone="Europe/Paris",
    )

    detached_stack = new_stack(app, "Detached")
    detached_endpoint = Endpoint(
        detached_stack,
        "Endpoint",
        variants=[variant("main", new_model(detached_stack, "Model"), initial_instance_count=2)],
        autoscaling_detached=True,
    )
    detached = detached_endpoint.find_variant("main").auto_scale_instance_count(
        min_capacity=2, max_capacity=4
    )
    detached.scale_on_invocations(invocations_per_instance=100)
    detached.scale_on_metric(
        "CpuSteps",
        metric=detached_endpoint.find_variant("main").metric_cpu_utilization(),
        scaling_steps=[
            appscaling.ScalingInterval(upper=20, change=-1),
            appscaling.ScalingInterval(lower=70, change=+1),
        ],
    )
    detached.scale_on_schedule(
        "Nightly", schedule=appscaling.Schedule.cron(hour="22", minute="0"), max_capacity=2
    )
    return Built(
        template(stack), endpoint, champion, challenger, template(detached_stack), detached
    )


def target_props(built: Built, scaling: VariantAutoScaling) -> dict[str, Any]:
    assert scaling.scalable_target is not None
    return props(built.tpl, logical_id(scaling.scalable_target))


def tracking_policy(built: Built, scaling: VariantAutoScaling) -> dict[str, Any]:
    target_ref = {"Ref": logical_id(scaling.scalable_target)}  # type: ignore[arg-type]
    (policy,) = [
        p["Properties"]
        for p in resources(built.tpl, "AWS::ApplicationAutoScaling::ScalingPolicy").values()
        if p["Properties"]["ScalingTargetId"] == target_ref
        and p["Properties"]["PolicyType"] == "TargetTrackingScaling"
    ]
    return policy["TargetTrackingScalingPolicyConfiguration"]


def test_scalable_target_per_variant(built: Built) -> None:
    targets = resources(built.tpl, "AWS::ApplicationAutoScaling::ScalableTarget")
    assert len(targets) == 2
    champion = target_props(built, built.champion)
    assert flat(champion["ResourceId"]) == (
        f"endpoint/<{logical_id(built.endpoint)}.EndpointName>/variant/champion"
    )
    assert champion["ResourceId"]["Fn::Join"][1][1] == get_att(built.endpoint, "EndpointName")
    assert champion["ScalableDimension"] == "sagemaker:variant:DesiredInstanceCount"
    assert champion["ServiceNamespace"] == "sagemaker"
    assert (champion["MinCapacity"], champion["MaxCapacity"]) == (2, 8)
    challenger = target_props(built, built.challenger)
    assert flat(challenger["ResourceId"]).endswith("/variant/challenger")
    assert (challenger["MinCapacity"], challenger["MaxCapacity"]) == (1, 4)


def test_scaling_acts_through_the_sagemaker_service_linked_role(built: Built) -> None:
    for scaling in (built.champion, built.challenger):
        assert flat(target_props(built, scaling)["RoleARN"]) == SERVICE_LINKED_ROLE
    # The only roles in the stack are the two model execution roles.
    roles = resources(built.tpl, "AWS::IAM::Role")
    assert len(roles) == 2
    for role in roles.values():
        (trust,) = role["Properties"]["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "sagemaker.amazonaws.com"}


def test_target_tracking_with_a_direct_target_and_cooldowns(built: Built) -> None:
    assert tracking_policy(built, built.champion) == {
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
        },
        "TargetValue": 120,
        "ScaleInCooldown": 600,
        "ScaleOutCooldown": 30,
    }
    assert built.champion.invocations_target == 120


def test_target_tracking_derived_from_a_load_test(built: Built) -> None:
    config = tracking_policy(built, built.challenger)
    # 7.5 requests/s * 0.4 safety factor * 60 s = 180 requests/minute/instance.
    assert config["TargetValue"] == 180
    assert built.challenger.invocations_target == 180
    assert (config["ScaleInCooldown"], config["ScaleOutCooldown"]) == (300, 60)
    assert "DisableScaleIn" not in config


def test_step_scaling_creates_its_alarms(built: Built) -> None:
    target_ref = {"Ref": logical_id(built.champion.scalable_target)}  # type: ignore[arg-type]
    steps = {
        k: p["Properties"]
        for k, p in resources(built.tpl, "AWS::ApplicationAutoScaling::ScalingPolicy").items()
        if p["Properties"]["ScalingTargetId"] == target_ref
        and p["Properties"]["PolicyType"] == "StepScaling"
    }
    assert len(steps) == 2  # one scale-in, one scale-out policy
    for policy in steps.values():
        config = policy["StepScalingPolicyConfiguration"]
        assert config["AdjustmentType"] == "ChangeInCapacity"
        assert config["Cooldown"] == 300
    alarms = resources(built.tpl, "AWS::CloudWatch::Alarm")
    assert len(alarms) == 2
    for alarm in alarms.values():
        alarm_props = alarm["Properties"]
        assert alarm_props["MetricName"] == "CPUUtilization"
        assert alarm_props["Namespace"] == "/aws/sagemaker/Endpoints"
        assert alarm_props["EvaluationPeriods"] == 3
        assert {d["Name"] for d in alarm_props["Dimensions"]} == {"EndpointName", "VariantName"}
        (action,) = alarm_props["AlarmActions"]
        assert action["Ref"] in steps
    assert sorted(a["Properties"]["Threshold"] for a in alarms.values()) == [20, 70]


def test_scheduled_action(built: Built) -> None:
    (action,) = target_props(built, built.challenger)["ScheduledActions"]
    assert action["Schedule"] == "cron(0 8 ? * MON-FRI *)"
    assert action["ScalableTargetAction"] == {"MinCapacity": 2, "MaxCapacity": 6}
    assert action["Timezone"] == "Europe/Paris"
    assert "ScheduledActions" not in target_props(built, built.champion)


def test_variant_exposes_its_autoscaling(built: Built) -> None:
    assert built.endpoint.find_variant("champion").autoscaling is built.champion
    assert (built.champion.min_capacity, built.champion.max_capacity) == (2, 8)


def test_detached_autoscaling_creates_no_scaling_resources(built: Built) -> None:
    types = {r["Type"] for r in built.detached_tpl["Resources"].values()}
    assert not any(t.startswith("AWS::ApplicationAutoScaling::") for t in types)
    assert "AWS::CloudWatch::Alarm" not in types
    assert built.detached.scalable_target is None
    assert built.detached.detached
    # The settings were still validated and recorded.
    assert built.detached.invocations_target == 100
    assert "AWS::SageMaker::Endpoint" in types


# -- async endpoints: no invocation metrics, scale on the backlog ----------------------------


@dataclass
class AsyncBuilt:
    tpl: dict[str, Any]
    endpoint: Endpoint
    scaling: VariantAutoScaling


def async_endpoint(stack: cdk.Stack, **kwargs: Any) -> Endpoint:
    return Endpoint(
        stack,
        "Endpoint",
        variants=[variant("main", new_model(stack), initial_instance_count=1)],
        async_inference=AsyncInference(output_bucket=artifact_bucket(stack)),
        **kwargs,
    )


@pytest.fixture(scope="module")
def async_built() -> AsyncBuilt:
    """The documented path: step scaling on the backlog, and out from zero on the flag."""
    stack = new_stack(new_app(), "AsyncScaling")
    endpoint = async_endpoint(stack)
    scaling = endpoint.find_variant("main").auto_scale_instance_count(
        min_capacity=0, max_capacity=4
    )
    scaling.scale_on_metric(
        "BacklogSteps",
        metric=endpoint.metric("ApproximateBacklogSizePerInstance"),
        scaling_steps=[
            appscaling.ScalingInterval(upper=2, change=-1),
            appscaling.ScalingInterval(lower=5, change=+1),
        ],
    )
    scaling.scale_on_metric(
        "ScaleOutFromZero",
        metric=endpoint.metric_has_backlog_without_capacity(),
        scaling_steps=[
            appscaling.ScalingInterval(upper=1, change=0),
            appscaling.ScalingInterval(lower=1, change=+1),
        ],
    )
    return AsyncBuilt(template(stack), endpoint, scaling)


def alarms_on(tpl: dict[str, Any], metric_name: str) -> list[dict[str, Any]]:
    return [
        a["Properties"]
        for a in resources(tpl, "AWS::CloudWatch::Alarm").values()
        if a["Properties"]["MetricName"] == metric_name
    ]


def test_async_endpoint_step_scales_on_backlog_per_instance(async_built: AsyncBuilt) -> None:
    tpl, endpoint = async_built.tpl, async_built.endpoint
    target_id = logical_id(async_built.scaling.scalable_target)  # type: ignore[arg-type]
    target = props(tpl, target_id)
    assert (target["MinCapacity"], target["MaxCapacity"]) == (0, 4)
    policies = resources(tpl, "AWS::ApplicationAutoScaling::ScalingPolicy")
    assert {p["Properties"]["PolicyType"] for p in policies.values()} == {"StepScaling"}
    backlog = alarms_on(tpl, "ApproximateBacklogSizePerInstance")
    assert len(backlog) == 2  # one scale-in, one scale-out alarm
    for alarm in backlog:
        assert alarm["Namespace"] == "AWS/SageMaker"
        # Endpoint-level metric: EndpointName only, no VariantName.
        assert alarm["Dimensions"] == [
            {"Name": "EndpointName", "Value": get_att(endpoint, "EndpointName")}
        ]
        (action,) = alarm["AlarmActions"]
        policy = policies[action["Ref"]]["Properties"]
        assert policy["ScalingTargetId"] == {"Ref": target_id}
        assert policy["PolicyType"] == "StepScaling"
    assert sorted(a["Threshold"] for a in backlog) == [2, 5]


def test_async_endpoint_scales_out_from_zero_on_has_backlog_without_capacity(
    async_built: AsyncBuilt,
) -> None:
    tpl = async_built.tpl
    (alarm,) = alarms_on(tpl, "HasBacklogWithoutCapacity")
    assert alarm["Namespace"] == "AWS/SageMaker"
    assert [d["Name"] for d in alarm["Dimensions"]] == ["EndpointName"]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "GreaterThanOrEqualToThreshold",
        1,
    )
    (action,) = alarm["AlarmActions"]
    config = props(tpl, action["Ref"])["StepScalingPolicyConfiguration"]
    assert config["StepAdjustments"] == [{"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}]


@pytest.mark.parametrize("detached", [False, True], ids=["attached", "detached"])
@pytest.mark.parametrize(
    "target",
    [{"invocations_per_instance": 100}, {"max_requests_per_second": 5}],
    ids=["direct-target", "load-test-target"],
)
def test_scale_on_invocations_is_refused_on_an_async_endpoint(
    stack: cdk.Stack, target: dict[str, float], detached: bool
) -> None:
    endpoint = async_endpoint(stack, autoscaling_detached=detached)
    scaling = endpoint.find_variant("main").auto_scale_instance_count(
        min_capacity=0, max_capacity=2
    )
    with pytest.raises(InvalidPropsError, match="async") as info:
        scaling.scale_on_invocations(**target)
    assert_names(info.value, "Stack/Endpoint", "SageMakerVariantInvocationsPerInstance")
    message = str(info.value)
    assert "variants[main].autoscaling.scale_on_invocations=" in message
    assert "ApproximateBacklogSizePerInstance" in message
    assert "HasBacklogWithoutCapacity" in message
    assert "scale_on_metric" in message
    assert not hasattr(scaling, "invocations_target")
    if scaling.scalable_target is not None:
        assert scaling.scalable_target.node.try_find_child("InvocationsTracking") is None


def test_is_async_flag_refuses_invocations_on_a_directly_built_autoscaling(
    stack: cdk.Stack,
) -> None:
    common: dict[str, Any] = {
        "endpoint_name": "churn",
        "variant_name": "main",
        "instance_type": "ml.m5.large",
        "min_capacity": 1,
        "max_capacity": 2,
    }
    with pytest.raises(InvalidPropsError, match="ApproximateBacklogSizePerInstance") as info:
        VariantAutoScaling(stack, "Async", is_async=True, **common).scale_on_invocations(
            invocations_per_instance=100
        )
    assert_names(info.value, "Stack", "SageMakerVariantInvocationsPerInstance")
    real_time = VariantAutoScaling(stack, "RealTime", **common)
    assert not real_time.is_async
    real_time.scale_on_invocations(invocations_per_instance=100)
    assert real_time.invocations_target == 100


def test_endpoint_tells_its_autoscaling_whether_it_is_async(
    built: Built, async_built: AsyncBuilt
) -> None:
    assert async_built.endpoint.is_async and async_built.scaling.is_async
    assert not built.endpoint.is_async
    assert not built.champion.is_async and not built.challenger.is_async


def test_real_time_endpoint_still_target_tracks_invocations(built: Built) -> None:
    for scaling in (built.champion, built.challenger):
        assert tracking_policy(built, scaling)["PredefinedMetricSpecification"] == {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
        }
