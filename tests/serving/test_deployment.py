"""DeploymentPolicy: the rendered DeploymentConfig of each policy and its rollback alarms."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Match, Template

from constructs_lib.serving import Capacity, DeploymentPolicy, Endpoint, Model

from .builders import (
    as_list,
    get_att,
    new_app,
    new_model,
    new_stack,
    policy_statements,
    ref,
    statements_with,
    variant,
)

IMPORTED_ALARM_ARN = "arn:aws:cloudwatch:eu-west-1:123456789012:alarm:churn-latency-p99"
ENDPOINT = "AWS::SageMaker::Endpoint"


@dataclass
class Built:
    template: Template
    endpoints: dict[str, Endpoint]
    models: list[Model]
    errors_alarm: cloudwatch.Alarm
    lone_model: Model


@pytest.fixture(scope="module")
def built() -> Built:
    stack = new_stack(new_app(), "Deployments")
    blue, green = new_model(stack, "Blue"), new_model(stack, "Green")
    lone_model = new_model(stack, "Lone")
    errors_alarm = cloudwatch.Alarm(
        stack,
        "Errors",
        metric=cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors"),
        threshold=1,
        evaluation_periods=1,
    )
    latency_alarm = cloudwatch.Alarm.from_alarm_arn(stack, "Latency", IMPORTED_ALARM_ARN)

    def two_variants(count: int = 4) -> list[Any]:
        return [
            variant("blue", blue, initial_instance_count=count, initial_weight=0.9),
            variant("green", green, initial_instance_count=count, initial_weight=0.1),
        ]

    policies: dict[str, tuple[DeploymentPolicy, list[Any]]] = {
        "Default": (None, two_variants()),  # type: ignore[dict-item]
        "AllAtOnce": (DeploymentPolicy.all_at_once(), two_variants()),
        "AllAtOnceAlarmed": (
            DeploymentPolicy.all_at_once(rollback_alarms=[errors_alarm]),
            two_variants(),
        ),
        "CanaryPercent": (
            DeploymentPolicy.canary(
                size=Capacity.percent(20),
                wait=Duration.minutes(10),
                rollback_alarms=[errors_alarm, latency_alarm],
            ),
            two_variants(),
        ),
        "CanaryDefaults": (DeploymentPolicy.canary(), two_variants()),
        "CanaryCount": (DeploymentPolicy.canary(size=Capacity.instances(2)), two_variants()),
        "Linear": (
            DeploymentPolicy.linear(step=Capacity.percent(25), wait=Duration.minutes(2)),
            two_variants(),
        ),
        "LinearDefaults": (DeploymentPolicy.linear(), two_variants()),
        "Rolling": (
            DeploymentPolicy.rolling(
                batch_size=Capacity.percent(10),
                wait=Duration.seconds(90),
                rollback_batch_size=Capacity.instances(2),
                max_execution_time=Duration.hours(2),
                rollback_alarms=[errors_alarm],
            ),
            [variant("main", lone_model, initial_instance_count=10)],
        ),
        "RollingDefaults": (
            DeploymentPolicy.rolling(),
            [variant("main", lone_model, initial_instance_count=4)],
        ),
        "Terminating": (
            DeploymentPolicy.canary(
                termination_wait=Duration.minutes(15),
                max_execution_time=Duration.hours(3),
            ),
            two_variants(),
        ),
    }
    endpoints = {
        name: Endpoint(stack, name, variants=variants, deployment_policy=policy)
        for name, (policy, variants) in policies.items()
    }
    return Built(Template.from_stack(stack), endpoints, [blue, green], errors_alarm, lone_model)


def assert_deployment_config(built: Built, name: str, expected: Any) -> None:
    """Endpoint ``name`` renders a DeploymentConfig that matches ``expected``."""
    endpoint = built.endpoints[name]
    built.template.has_resource_properties(
        ENDPOINT,
        {
            # Its own config: this endpoint and no other.
            "EndpointConfigName": cdk.Stack.of(endpoint).resolve(endpoint.endpoint_config_name),
            "DeploymentConfig": expected,
        },
    )


def test_default_policy_is_blue_green_all_at_once_without_baking(built: Built) -> None:
    expected = Match.object_equals(
        {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 0}
            }
        }
    )
    assert_deployment_config(built, "Default", expected)
    assert_deployment_config(built, "AllAtOnce", expected)


def test_all_at_once_with_alarms_bakes_five_minutes(built: Built) -> None:
    assert_deployment_config(
        built,
        "AllAtOnceAlarmed",
        {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": Match.object_equals(
                    {"Type": "ALL_AT_ONCE", "WaitIntervalInSeconds": 300}
                )
            },
            "AutoRollbackConfiguration": Match.object_equals(
                {"Alarms": [{"AlarmName": ref(built.errors_alarm)}]}
            ),
        },
    )


def test_canary_by_percent(built: Built) -> None:
    assert_deployment_config(
        built,
        "CanaryPercent",
        {
            "BlueGreenUpdatePolicy": Match.object_equals(
                {
                    "TrafficRoutingConfiguration": {
                        "Type": "CANARY",
                        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 20},
                        "WaitIntervalInSeconds": 600,
                    }
                }
            )
        },
    )


def test_canary_defaults_to_ten_percent_for_five_minutes(built: Built) -> None:
    assert_deployment_config(
        built,
        "CanaryDefaults",
        {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": Match.object_equals(
                    {
                        "Type": "CANARY",
                        "CanarySize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                        "WaitIntervalInSeconds": 300,
                    }
                )
            },
            "AutoRollbackConfiguration": Match.absent(),
        },
    )


def test_canary_by_instance_count(built: Built) -> None:
    assert_deployment_config(
        built,
        "CanaryCount",
        {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "CanarySize": Match.object_equals({"Type": "INSTANCE_COUNT", "Value": 2})
                }
            }
        },
    )


def test_linear(built: Built) -> None:
    assert_deployment_config(
        built,
        "Linear",
        Match.object_equals(
            {
                "BlueGreenUpdatePolicy": {
                    "TrafficRoutingConfiguration": {
                        "Type": "LINEAR",
                        "LinearStepSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                        "WaitIntervalInSeconds": 120,
                    }
                }
            }
        ),
    )
    assert_deployment_config(
        built,
        "LinearDefaults",
        {
            "BlueGreenUpdatePolicy": {
                "TrafficRoutingConfiguration": {
                    "LinearStepSize": Match.object_equals(
                        {"Type": "CAPACITY_PERCENT", "Value": 20}
                    ),
                    "WaitIntervalInSeconds": 300,
                }
            }
        },
    )


def test_rolling_with_rollback_batch_size(built: Built) -> None:
    assert_deployment_config(
        built,
        "Rolling",
        {
            "BlueGreenUpdatePolicy": Match.absent(),
            "RollingUpdatePolicy": Match.object_equals(
                {
                    "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 10},
                    "WaitIntervalInSeconds": 90,
                    "MaximumExecutionTimeoutInSeconds": 7200,
                    "RollbackMaximumBatchSize": {"Type": "INSTANCE_COUNT", "Value": 2},
                }
            ),
            "AutoRollbackConfiguration": Match.object_equals(
                {"Alarms": [{"AlarmName": ref(built.errors_alarm)}]}
            ),
        },
    )


def test_rolling_defaults(built: Built) -> None:
    assert_deployment_config(
        built,
        "RollingDefaults",
        Match.object_equals(
            {
                "RollingUpdatePolicy": {
                    "MaximumBatchSize": {"Type": "CAPACITY_PERCENT", "Value": 25},
                    "WaitIntervalInSeconds": 300,
                }
            }
        ),
    )


def test_termination_wait_and_max_execution_time(built: Built) -> None:
    assert_deployment_config(
        built,
        "Terminating",
        {
            "BlueGreenUpdatePolicy": {
                "TerminationWaitInSeconds": 900,
                "MaximumExecutionTimeoutInSeconds": 10800,
                "TrafficRoutingConfiguration": {"Type": "CANARY"},
            }
        },
    )


def test_rollback_alarms_are_rendered_by_name(built: Built) -> None:
    assert_deployment_config(
        built,
        "CanaryPercent",
        {
            "AutoRollbackConfiguration": {
                "Alarms": Match.array_equals(
                    [{"AlarmName": ref(built.errors_alarm)}, {"AlarmName": "churn-latency-p99"}]
                )
            }
        },
    )


def test_model_roles_may_describe_the_rollback_alarms_only(built: Built) -> None:
    for model in built.models:
        described = statements_with(
            policy_statements(built.template, model), "cloudwatch:DescribeAlarms"
        )
        resources = [r for s in described for r in as_list(s["Resource"])]
        assert get_att(built.errors_alarm, "Arn") in resources
        assert IMPORTED_ALARM_ARN in resources
        assert "*" not in resources
        assert all(s["Action"] == "cloudwatch:DescribeAlarms" for s in described)
    lone = statements_with(
        policy_statements(built.template, built.lone_model), "cloudwatch:DescribeAlarms"
    )
    assert [s["Resource"] for s in lone] == [get_att(built.errors_alarm, "Arn")]


def test_policy_is_kept_on_the_endpoint(built: Built) -> None:
    endpoint = built.endpoints["CanaryPercent"]
    assert endpoint.deployment_policy.mode == "CANARY"
    assert endpoint.deployment_policy is not None
    assert len(endpoint.deployment_policy.rollback_alarms) == 2
    assert built.endpoints["Default"].deployment_policy == DeploymentPolicy.all_at_once()
    assert str(Capacity.percent(20)) == "20%"
    assert str(Capacity.instances(2)) == "2 instances"
    assert cdk.Stack.of(endpoint).stack_name == "Deployments"


def test_composite_rollback_alarm_only_as_an_explicit_opt_in() -> None:
    stack = new_stack()
    child = cloudwatch.Alarm(
        stack,
        "Errors",
        metric=cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocation5XXErrors"),
        threshold=1,
        evaluation_periods=1,
    )
    composite = cloudwatch.CompositeAlarm(
        stack,
        "Critical",
        alarm_rule=cloudwatch.AlarmRule.from_alarm(child, cloudwatch.AlarmState.ALARM),
    )
    Endpoint(
        stack,
        "Endpoint",
        variants=[variant("main", new_model(stack), initial_instance_count=2)],
        deployment_policy=DeploymentPolicy.canary(
            rollback_alarms=[composite], allow_composite_alarms=True
        ),
    )
    Template.from_stack(stack).has_resource_properties(
        ENDPOINT,
        {
            "DeploymentConfig": {
                "AutoRollbackConfiguration": {
                    "Alarms": Match.array_equals([{"AlarmName": ref(composite)}])
                }
            }
        },
    )
