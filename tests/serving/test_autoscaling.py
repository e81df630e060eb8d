"""VariantAutoScaling: scalable targets, target tracking, step and scheduled scaling."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk.assertions import Match, Template

from constructs_lib.core import InvalidPropsError
from constructs_lib.serving import AsyncInference, Endpoint, VariantAutoScaling
from constructs_lib.serving.autoscaling import ScheduledScalingAction

from .builders import (
    artifact_bucket,
    assert_names,
    get_att,
    logical_id,
    new_app,
    new_model,
    new_stack,
    variant,
)

SCALING_POLICY = "AWS::ApplicationAutoScaling::ScalingPolicy"
SCALABLE_TARGET = "AWS::ApplicationAutoScaling::ScalableTarget"
#: Application Auto Scaling's SageMaker service-linked role in the deploying account.
SERVICE_LINKED_ROLE = {
    "Fn::Join": [
        "",
        [
            "arn:",
            {"Ref": "AWS::Partition"},
            ":iam::",
            {"Ref": "AWS::AccountId"},
            ":role/aws-service-role/sagemaker.application-autoscaling.amazonaws.com/"
            "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint",
        ],
    ]
}
#: The logical id earlier releases gave the champion's one invocations policy (the
#: reference app deploys it): the id "InvocationsTracking" must keep reproducing it.
CHAMPION_INVOCATIONS_POLICY = "EndpointAutoScalingChampionTargetInvocationsTrackingF4AE5CAA"
CPU_STEPS = [
    appscaling.ScalingInterval(upper=20, change=-1),
    appscaling.ScalingInterval(lower=70, change=+2),
]


@dataclass
class Built:
    template: Template
    endpoint: Endpoint
    champion: VariantAutoScaling
    challenger: VariantAutoScaling
    returned: dict[str, Any]
    detached_template: Template
    detached: VariantAutoScaling
    detached_returned: list[Any]


def scaled_endpoint(stack: cdk.Stack) -> tuple[Endpoint, dict[str, Any]]:
    """Two autoscaled variants with several policies each; what each call returned."""
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
    metrics = endpoint.find_variant("champion").metrics
    returned: dict[str, Any] = {
        "tracking": champion.scale_on_invocations(
            "InvocationsTracking",
            invocations_per_instance=120,
            scale_in_cooldown=Duration.minutes(10),
            scale_out_cooldown=Duration.seconds(30),
        ),
        "cpu": champion.scale_on_metric(
            "CpuSteps",
            metric=metrics.cpu_utilization(),
            scaling_steps=CPU_STEPS,
            evaluation_periods=3,
        ),
        "memory": champion.scale_on_metric(
            "MemorySteps",
            metric=metrics.memory_utilization(),
            scaling_steps=CPU_STEPS,
            evaluation_periods=3,
        ),
    }
    challenger = endpoint.find_variant("challenger").auto_scale_instance_count(
        min_capacity=1, max_capacity=4
    )
    challenger.scale_on_invocations(
        "InvocationsTracking", max_requests_per_second=7.5, safety_factor=0.4
    )
    returned["peak"] = challenger.scale_on_invocations(
        "PeakTracking", invocations_per_instance=300, disable_scale_in=True
    )
    returned["schedule"] = challenger.scale_on_schedule(
        "BusinessHours",
        schedule=appscaling.Schedule.cron(hour="8", minute="0", week_day="MON-FRI"),
        min_capacity=2,
        max_capacity=6,
        time_zone="Europe/Paris",
    )
    returned["nightly"] = challenger.scale_on_schedule(
        "Nightly", schedule=appscaling.Schedule.cron(hour="22", minute="0"), max_capacity=2
    )
    return endpoint, returned


def detached_scaling(stack: cdk.Stack) -> tuple[VariantAutoScaling, list[Any]]:
    """An endpoint deployed with autoscaling detached; what each scale_on_* call returned."""
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[variant("main", new_model(stack, "Model"), initial_instance_count=2)],
        autoscaling_detached=True,
    )
    scaling = endpoint.find_variant("main").auto_scale_instance_count(
        min_capacity=2, max_capacity=4
    )
    return scaling, [
        scaling.scale_on_invocations("InvocationsTracking", invocations_per_instance=100),
        scaling.scale_on_metric(
            "CpuSteps",
            metric=endpoint.find_variant("main").metrics.cpu_utilization(),
            scaling_steps=CPU_STEPS,
        ),
        scaling.scale_on_schedule(
            "Nightly", schedule=appscaling.Schedule.cron(hour="22", minute="0"), max_capacity=2
        ),
    ]


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    stack = new_stack(app, "Scaling")
    endpoint, returned = scaled_endpoint(stack)
    detached_stack = new_stack(app, "Detached")
    detached, detached_returned = detached_scaling(detached_stack)
    champion = endpoint.find_variant("champion").autoscaling
    challenger = endpoint.find_variant("challenger").autoscaling
    assert champion is not None and challenger is not None
    return Built(
        Template.from_stack(stack),
        endpoint,
        champion,
        challenger,
        returned,
        Template.from_stack(detached_stack),
        detached,
        detached_returned,
    )


def target_of(scaling: VariantAutoScaling) -> dict[str, str]:
    assert scaling.scalable_target is not None
    return {"Ref": logical_id(scaling.scalable_target)}


def policies(
    template: Template, scaling: VariantAutoScaling, policy_type: str
) -> dict[str, dict[str, Any]]:
    """Logical id -> Properties of the variant's scaling policies of ``policy_type``."""
    found = template.find_resources(
        SCALING_POLICY,
        {"Properties": {"ScalingTargetId": target_of(scaling), "PolicyType": policy_type}},
    )
    return {k: v["Properties"] for k, v in found.items()}


# -- the scalable target ---------------------------------------------------------------------


def test_scalable_target_per_variant(built: Built) -> None:
    template = built.template
    template.resource_count_is(SCALABLE_TARGET, 2)
    endpoint_name = get_att(built.endpoint, "EndpointName")
    for scaling, name, bounds in (
        (built.champion, "champion", (2, 8)),
        (built.challenger, "challenger", (1, 4)),
    ):
        assert scaling.scalable_target is not None
        found = template.find_resources(
            SCALABLE_TARGET,
            {
                "Properties": {
                    "ResourceId": {
                        "Fn::Join": ["", ["endpoint/", endpoint_name, f"/variant/{name}"]]
                    },
                    "ScalableDimension": "sagemaker:variant:DesiredInstanceCount",
                    "ServiceNamespace": "sagemaker",
                    "MinCapacity": bounds[0],
                    "MaxCapacity": bounds[1],
                }
            },
        )
        assert list(found) == [logical_id(scaling.scalable_target)]


def test_scaling_acts_through_the_sagemaker_service_linked_role(built: Built) -> None:
    template = built.template
    template.all_resources_properties(SCALABLE_TARGET, {"RoleARN": SERVICE_LINKED_ROLE})
    # The only roles in the stack are the two model execution roles.
    template.resource_count_is("AWS::IAM::Role", 2)
    template.all_resources_properties(
        "AWS::IAM::Role",
        {
            "AssumeRolePolicyDocument": {
                "Statement": [
                    Match.object_like({"Principal": {"Service": "sagemaker.amazonaws.com"}})
                ]
            }
        },
    )


def test_variant_exposes_its_autoscaling(built: Built) -> None:
    assert built.endpoint.find_variant("champion").autoscaling is built.champion
    assert (built.champion.min_capacity, built.champion.max_capacity) == (2, 8)
    assert not built.champion.autoscaling_detached


# -- target tracking on invocations -----------------------------------------------------------


def test_target_tracking_with_a_direct_target_and_cooldowns(built: Built) -> None:
    (config,) = [
        p["TargetTrackingScalingPolicyConfiguration"]
        for p in policies(built.template, built.champion, "TargetTrackingScaling").values()
    ]
    assert config == {
        "PredefinedMetricSpecification": {
            "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
        },
        "TargetValue": 120,
        "ScaleInCooldown": 600,
        "ScaleOutCooldown": 30,
    }
    assert built.champion.invocations_target == 120


def test_target_tracking_derived_from_a_load_test(built: Built) -> None:
    # 7.5 requests/s * 0.4 safety factor * 60 s = 180 requests/minute/instance, with the
    # service's default cooldowns (300 s in, 60 s out).
    built.template.has_resource_properties(
        SCALING_POLICY,
        {
            "ScalingTargetId": target_of(built.challenger),
            "TargetTrackingScalingPolicyConfiguration": {
                "PredefinedMetricSpecification": {
                    "PredefinedMetricType": "SageMakerVariantInvocationsPerInstance"
                },
                "TargetValue": 180,
                "ScaleInCooldown": 300,
                "ScaleOutCooldown": 60,
                "DisableScaleIn": Match.absent(),
            },
        },
    )


def test_invocations_tracking_id_keeps_the_logical_id_of_earlier_releases(built: Built) -> None:
    tracking = built.returned["tracking"]
    assert isinstance(tracking, appscaling.TargetTrackingScalingPolicy)
    assert logical_id(tracking) == CHAMPION_INVOCATIONS_POLICY
    assert list(policies(built.template, built.champion, "TargetTrackingScaling")) == [
        CHAMPION_INVOCATIONS_POLICY
    ]


def test_several_invocations_policies_per_variant_each_returned(built: Built) -> None:
    tracking = policies(built.template, built.challenger, "TargetTrackingScaling")
    assert len(tracking) == 2
    peak = built.returned["peak"]
    assert isinstance(peak, appscaling.TargetTrackingScalingPolicy)
    config = tracking[logical_id(peak)]["TargetTrackingScalingPolicyConfiguration"]
    assert (config["TargetValue"], config["DisableScaleIn"]) == (300, True)
    # invocations_target is the target of the last call.
    assert built.challenger.invocations_target == 300


# -- step scaling ---------------------------------------------------------------------------


def test_step_scaling_policies_are_returned_and_create_their_alarms(built: Built) -> None:
    template = built.template
    steps = policies(template, built.champion, "StepScaling")
    for key, metric_name in (("cpu", "CPUUtilization"), ("memory", "MemoryUtilization")):
        policy = built.returned[key]
        assert isinstance(policy, appscaling.StepScalingPolicy)
        # CDK's step policy: one scale-in and one scale-out policy, each driven by an alarm.
        own = {logical_id(p) for p in (policy.lower_action, policy.upper_action) if p}
        assert len(own) == 2 and own <= set(steps)
        for policy_id in own:
            config = steps[policy_id]["StepScalingPolicyConfiguration"]
            assert (config["AdjustmentType"], config["Cooldown"]) == ("ChangeInCapacity", 300)
        alarms = template.find_resources(
            "AWS::CloudWatch::Alarm",
            {
                "Properties": {
                    "MetricName": metric_name,
                    "Namespace": "/aws/sagemaker/Endpoints",
                    "EvaluationPeriods": 3,
                    "AlarmActions": [{"Ref": Match.any_value()}],
                }
            },
        )
        assert {a["Properties"]["AlarmActions"][0]["Ref"] for a in alarms.values()} == own
        assert sorted(a["Properties"]["Threshold"] for a in alarms.values()) == [20, 70]
        for alarm in alarms.values():
            dimensions = alarm["Properties"]["Dimensions"]
            assert {d["Name"] for d in dimensions} == {"EndpointName", "VariantName"}
    assert len(steps) == 4


# -- scheduled scaling ------------------------------------------------------------------------


def test_scheduled_actions_are_returned_and_registered_on_the_target(built: Built) -> None:
    assert built.returned["schedule"] == ScheduledScalingAction(
        action_name="BusinessHours",
        schedule=built.returned["schedule"].schedule,
        min_capacity=2,
        max_capacity=6,
        time_zone="Europe/Paris",
    )
    assert built.returned["schedule"].schedule.expression_string == "cron(0 8 ? * MON-FRI *)"
    nightly = built.returned["nightly"]
    assert (nightly.action_name, nightly.min_capacity, nightly.max_capacity) == ("Nightly", None, 2)
    assert built.challenger.scalable_target is not None
    built.template.has_resource_properties(
        SCALABLE_TARGET,
        {
            "ScheduledActions": [
                {
                    "ScheduledActionName": "BusinessHours",
                    "Schedule": "cron(0 8 ? * MON-FRI *)",
                    "ScalableTargetAction": {"MinCapacity": 2, "MaxCapacity": 6},
                    "Timezone": "Europe/Paris",
                },
                {
                    "ScheduledActionName": "Nightly",
                    "Schedule": "cron(0 22 * * ? *)",
                    "ScalableTargetAction": {"MaxCapacity": 2},
                },
            ],
        },
    )
    found = built.template.find_resources(
        SCALABLE_TARGET, {"Properties": {"ScheduledActions": Match.absent()}}
    )
    assert list(found) == [logical_id(built.champion.scalable_target)]  # type: ignore[arg-type]


# -- ids --------------------------------------------------------------------------------------


@pytest.mark.parametrize("detached", [False, True], ids=["attached", "detached"])
def test_an_id_is_refused_when_the_variant_already_used_it(
    stack: cdk.Stack, detached: bool
) -> None:
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[variant("main", new_model(stack), initial_instance_count=2)],
        autoscaling_detached=detached,
    )
    scaling = endpoint.find_variant("main").auto_scale_instance_count(
        min_capacity=2, max_capacity=4
    )
    scaling.scale_on_invocations("Scaling", invocations_per_instance=100)
    with pytest.raises(InvalidPropsError, match="is already the id of another") as info:
        scaling.scale_on_schedule(
            "Scaling", schedule=appscaling.Schedule.cron(hour="22"), max_capacity=2
        )
    assert_names(info.value, "Stack/Endpoint", "'Scaling'")
    assert "variants[main].autoscaling.Scaling=" in str(info.value)


# -- detaching autoscaling --------------------------------------------------------------------


def test_detached_autoscaling_creates_no_scaling_resources(built: Built) -> None:
    template = built.detached_template
    for cfn_type in (SCALABLE_TARGET, SCALING_POLICY, "AWS::CloudWatch::Alarm"):
        template.resource_count_is(cfn_type, 0)
    template.resource_count_is("AWS::SageMaker::Endpoint", 1)
    assert built.detached.scalable_target is None
    assert built.detached.autoscaling_detached
    # Nothing was created, so nothing is returned; the settings were still validated.
    assert built.detached_returned == [None, None, None]
    assert built.detached.invocations_target == 100


# -- async endpoints: no invocation metrics, scale on the backlog ----------------------------


@dataclass
class AsyncBuilt:
    template: Template
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
        metric=endpoint.metrics.approximate_backlog_size_per_instance(),
        scaling_steps=[
            appscaling.ScalingInterval(upper=2, change=-1),
            appscaling.ScalingInterval(lower=5, change=+1),
        ],
    )
    scaling.scale_on_metric(
        "ScaleOutFromZero",
        metric=endpoint.metrics.has_backlog_without_capacity(),
        scaling_steps=[
            appscaling.ScalingInterval(upper=1, change=0),
            appscaling.ScalingInterval(lower=1, change=+1),
        ],
    )
    return AsyncBuilt(Template.from_stack(stack), endpoint, scaling)


def alarms_on(template: Template, metric_name: str) -> list[dict[str, Any]]:
    found = template.find_resources(
        "AWS::CloudWatch::Alarm", {"Properties": {"MetricName": metric_name}}
    )
    return [a["Properties"] for a in found.values()]


def test_async_endpoint_step_scales_on_backlog_per_instance(async_built: AsyncBuilt) -> None:
    template, endpoint = async_built.template, async_built.endpoint
    target = target_of(async_built.scaling)
    template.has_resource_properties(SCALABLE_TARGET, {"MinCapacity": 0, "MaxCapacity": 4})
    template.all_resources_properties(
        SCALING_POLICY, {"PolicyType": "StepScaling", "ScalingTargetId": target}
    )
    backlog = alarms_on(template, "ApproximateBacklogSizePerInstance")
    assert len(backlog) == 2  # one scale-in, one scale-out alarm
    step_policies = template.find_resources(SCALING_POLICY)
    for alarm in backlog:
        assert alarm["Namespace"] == "AWS/SageMaker"
        # Endpoint-level metric: EndpointName only, no VariantName.
        assert alarm["Dimensions"] == [
            {"Name": "EndpointName", "Value": get_att(endpoint, "EndpointName")}
        ]
        (action,) = alarm["AlarmActions"]
        assert action["Ref"] in step_policies
    assert sorted(a["Threshold"] for a in backlog) == [2, 5]


def test_async_endpoint_scales_out_from_zero_on_has_backlog_without_capacity(
    async_built: AsyncBuilt,
) -> None:
    template = async_built.template
    (alarm,) = alarms_on(template, "HasBacklogWithoutCapacity")
    assert alarm["Namespace"] == "AWS/SageMaker"
    assert [d["Name"] for d in alarm["Dimensions"]] == ["EndpointName"]
    assert (alarm["ComparisonOperator"], alarm["Threshold"]) == (
        "GreaterThanOrEqualToThreshold",
        1,
    )
    (action,) = alarm["AlarmActions"]
    # The alarm's action adds one instance as soon as the flag is 1.
    policy = template.find_resources(SCALING_POLICY)[action["Ref"]]["Properties"]
    assert policy["StepScalingPolicyConfiguration"]["StepAdjustments"] == [
        {"MetricIntervalLowerBound": 0, "ScalingAdjustment": 1}
    ]


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
        scaling.scale_on_invocations("InvocationsTracking", **target)
    assert_names(info.value, "Stack/Endpoint", "SageMakerVariantInvocationsPerInstance")
    message = str(info.value)
    assert "variants[main].autoscaling.scale_on_invocations=" in message
    assert "ApproximateBacklogSizePerInstance" in message
    assert "HasBacklogWithoutCapacity" in message
    assert "scale_on_metric" in message
    assert scaling.invocations_target is None
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
            "InvocationsTracking", invocations_per_instance=100
        )
    assert_names(info.value, "Stack", "SageMakerVariantInvocationsPerInstance")
    real_time = VariantAutoScaling(stack, "RealTime", **common)
    assert not real_time.is_async
    assert isinstance(
        real_time.scale_on_invocations("InvocationsTracking", invocations_per_instance=100),
        appscaling.TargetTrackingScalingPolicy,
    )
    assert real_time.invocations_target == 100


def test_endpoint_tells_its_autoscaling_whether_it_is_async(
    built: Built, async_built: AsyncBuilt
) -> None:
    assert async_built.endpoint.is_async and async_built.scaling.is_async
    assert not built.endpoint.is_async
    assert not built.champion.is_async and not built.challenger.is_async
