"""Tests for what alarms and dashboards watch: one check of the endpoint props for both.

EndpointAlarms and EndpointDashboard take the same props to name the endpoint (an
``Endpoint`` object, or ``endpoint_name`` with ``variants`` and ``is_async``) and resolve
them with the same code, so every case below runs against both constructs.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from aws_cdk import Stack

from constructs_lib.core import InvalidPropsError
from constructs_lib.observability import EndpointAlarms, EndpointDashboard, MonitoredVariant
from constructs_lib.serving import Endpoint, ProductionVariant, ServerlessConfig

Build = Callable[..., Any]


@pytest.fixture(params=["alarms", "dashboard"])
def build(request: pytest.FixtureRequest, cfn: Any) -> Build:
    """Build the construct under test as ``Test/Watch`` in a fresh stack."""

    def alarms(stack: Stack, construct_id: str = "Watch", **kwargs: Any) -> EndpointAlarms:
        return EndpointAlarms(stack, construct_id, actions=cfn.no_actions, **kwargs)

    def dashboard(stack: Stack, construct_id: str = "Watch", **kwargs: Any) -> EndpointDashboard:
        return EndpointDashboard(stack, construct_id, **kwargs)

    return alarms if request.param == "alarms" else dashboard


BLUE = MonitoredVariant("blue", instance_type="ml.m5.large")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"endpoint_name": None}, r"endpoint=None is missing"),
        ({"variants": None}, r"variants=None is missing"),
        ({"variants": []}, r"variants=\[\] is empty"),
        ({"variants": BLUE}, r"variants=MonitoredVariant\(.*\) is empty or not a list"),
        ({"endpoint_name": "bad_name"}, r"endpoint_name='bad_name' is not a valid SageMaker name"),
        ({"variants": [BLUE, BLUE]}, r"variants\[\].name='blue' appears more than once"),
        ({"variants": ["blue"]}, r"variants\[0\]='str' is not a MonitoredVariant"),
        ({"variants": [MonitoredVariant("a")]}, r"variants\[a\].instance_type=None is missing"),
        (
            {"variants": [MonitoredVariant("a", instance_type="ml.m5.large", serverless=True)]},
            r"and serverless=True are both set",
        ),
        (
            {"variants": [MonitoredVariant("a", instance_type="m5.large")]},
            r"variants\[a\].instance_type='m5.large' is not a SageMaker instance type",
        ),
        (
            {
                "variants": [
                    MonitoredVariant("a", instance_type="ml.m5.large", shadow=True),
                    MonitoredVariant("b", instance_type="ml.m5.large", shadow=True),
                ]
            },
            r"variants=\['a', 'b'\] marks more than one variant as shadow",
        ),
        (
            {"variants": [MonitoredVariant("a", serverless=True, shadow=True)]},
            r"variants\[a\].shadow=True is set on a serverless variant",
        ),
        (
            {"variants": [MonitoredVariant("a", instance_type="ml.x9z.2xlarge")]},
            r"'ml.x9z.2xlarge' is not in the vCPU table.*Fix: pass vcpus=\{'ml.x9z.2xlarge'",
        ),
        (
            {
                "variants": [MonitoredVariant("a", instance_type="ml.g5.96xlarge")],
                "vcpus": {"ml.g5.96xlarge": 384},
            },
            r"is a GPU type missing from the GPU table.*Fix: pass gpus=",
        ),
        ({"vcpus": {"ml.m5.large": 0}}, r"vcpus\['ml.m5.large'\]=0 is out of range"),
        ({"gpus": {"ml.g5.xlarge": 1.5}}, r"gpus\['ml.g5.xlarge'\]=1.5 is not a whole number"),
    ],
)
def test_endpoint_described_by_name_is_checked(
    build: Build, cfn: Any, kwargs: dict[str, Any], match: str
) -> None:
    _, stack = cfn.new_stack()
    props: dict[str, Any] = {"endpoint_name": "churn", "variants": [BLUE], **kwargs}
    with pytest.raises(InvalidPropsError, match=match) as raised:
        build(stack, **props)
    assert raised.value.path == "Test/Watch"


def test_an_endpoint_object_describes_itself(build: Build, cfn: Any) -> None:
    _, stack = cfn.new_stack()
    endpoint = cfn.two_variant_endpoint(stack)
    with pytest.raises(InvalidPropsError, match=r"endpoint_name='churn' was given together"):
        build(stack, "A", endpoint=endpoint, endpoint_name="churn")
    with pytest.raises(InvalidPropsError, match=r"variants=\[.*\] was given together"):
        build(stack, "B", endpoint=endpoint, variants=[BLUE])
    with pytest.raises(InvalidPropsError, match=r"is_async=True was given together"):
        build(stack, "C", endpoint=endpoint, is_async=True)
    with pytest.raises(InvalidPropsError, match=r"endpoint='str' is not an Endpoint"):
        build(stack, "D", endpoint="churn")


def test_both_constructs_resolve_the_same_target(cfn: Any) -> None:
    _, stack = cfn.new_stack()
    model = cfn.model(stack)
    variants = [
        ProductionVariant(name="cpu", model=model, instance_type="ml.c5.xlarge"),
        ProductionVariant(name="sls", model=model, serverless=ServerlessConfig()),
    ]
    by_name: dict[str, Any] = {
        "endpoint_name": "churn",
        "variants": [MonitoredVariant.from_production_variant(v) for v in variants],
    }
    alarms = EndpointAlarms(stack, "Alarms", actions=cfn.no_actions, **by_name)
    dashboard = EndpointDashboard(stack, "Dashboard", **by_name)
    assert alarms.target == dashboard.target
    cpu, sls = alarms.target.variants
    assert (cpu.name, cpu.instance_type, cpu.vcpus, cpu.gpus, cpu.serverless) == (
        "cpu",
        "ml.c5.xlarge",
        4,
        0,
        False,
    )
    assert (sls.name, sls.instance_type, sls.vcpus, sls.serverless) == ("sls", None, None, True)
    assert alarms.target.fixed_name == "churn"


def test_shadow_variants_are_shown_but_not_alarmed_by_default(cfn: Any) -> None:
    _, stack = cfn.new_stack()
    model = cfn.model(stack)
    endpoint = Endpoint(
        stack,
        "Endpoint",
        variants=[ProductionVariant(name="prod", model=model, instance_type="ml.m5.large")],
        shadow_variant=ProductionVariant(name="shadow", model=model, instance_type="ml.m5.large"),
    )
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint, actions=cfn.no_actions)
    dashboard = EndpointDashboard(stack, "Dashboard", endpoint=endpoint)
    assert [v.name for v in alarms.target.variants] == ["prod"]
    assert [(v.name, v.shadow) for v in dashboard.target.variants] == [
        ("prod", False),
        ("shadow", True),
    ]
    assert alarms.target.fixed_name is None  # the name is generated: a token
