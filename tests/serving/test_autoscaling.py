"""VariantAutoScaling: scalable targets, target tracking, step and scheduled scaling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling

from constructs_lib.serving import Endpoint, VariantAutoScaling

from .builders import (
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
