"""Shared fixtures of the observability tests.

Synthesis is the expensive part (the first one in a process pays for jsii's start-up), so
apps are built once per module, and the fully monitored reference stack once per session.
Builders and helpers are offered as the ``cfn`` fixture because the test modules do not form
a package. The dashboard helpers parse a dashboard body (JSON inside a ``Fn::Join``), which
``aws_cdk.assertions`` cannot match directly; other template reads use assertions.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import pytest
from aws_cdk import App, Stack
from aws_cdk.assertions import Capture, Template

from constructs_lib.observability import (
    AlarmActions,
    EndpointAlarms,
    EndpointDashboard,
    NotificationTopic,
)
from constructs_lib.serving import (
    ContainerImage,
    Endpoint,
    Model,
    ProductionVariant,
)
from stacks.app import cdk_json_context

IMAGE_URI = "123456789012.dkr.ecr.us-east-1.amazonaws.com/x:1"


class Cfn:
    """Builders and template readers shared by the observability tests."""

    image_uri = IMAGE_URI
    #: For alarms nobody needs to hear about in a test.
    no_actions = AlarmActions.none(reason="Unit-test alarms; nobody is notified.")
    #: What a MetricFilterAlarm renders when only its actions are given.
    metric_filter_alarm_defaults: dict[str, Any] = {
        "Statistic": "Sum",
        "Period": 300,
        "Threshold": 1,
        "EvaluationPeriods": 1,
        "ComparisonOperator": "GreaterThanOrEqualToThreshold",
        "TreatMissingData": "notBreaching",
    }

    @staticmethod
    def new_stack(name: str = "Test") -> tuple[App, Stack]:
        """A fresh app (with cdk.json's feature flags) and stack; nothing is synthesized.

        CDK's built-in template validation is off: it only warns, and its first run costs
        seconds per process. :meth:`lint` checks templates against the CloudFormation
        schemas instead, and fails on errors.
        """
        app = App(context=cdk_json_context(), builtin_cloud_formation_validation=False)
        return app, Stack(app, name)

    @staticmethod
    def lint(template: Template) -> list[str]:
        """cfn-lint errors (not warnings) of ``template``, as readable lines."""
        from cfnlint.api import ManualArgs, lint

        matches = lint(
            json.dumps(template.to_json()),
            config=ManualArgs(regions=["us-east-1"], ignore_checks=["W", "I"]),
        )
        return [f"{m.rule.id} {'/'.join(map(str, m.path))}: {m.message}" for m in matches]

    @staticmethod
    def model(stack: Stack, construct_id: str = "Model") -> Model:
        return Model(stack, construct_id, image=ContainerImage.from_image_uri(IMAGE_URI))

    @staticmethod
    def endpoint(
        stack: Stack, construct_id: str = "Endpoint", *, name: str | None = "churn-ep"
    ) -> Endpoint:
        """An endpoint with one ml.m5.large variant ``a``, named ``name`` (None: generated)."""
        return Endpoint(
            stack,
            construct_id,
            variants=[
                ProductionVariant(
                    name="a",
                    model=Cfn.model(stack, f"{construct_id}Model"),
                    instance_type="ml.m5.large",
                )
            ],
            endpoint_name=name,
        )

    @staticmethod
    def two_variant_endpoint(
        stack: Stack, construct_id: str = "Endpoint", **kwargs: Any
    ) -> Endpoint:
        """An endpoint with a CPU variant (ml.m5.large) and a GPU variant (ml.g5.xlarge)."""
        m = Cfn.model(stack, f"{construct_id}Model")
        return Endpoint(
            stack,
            construct_id,
            variants=[
                ProductionVariant(name="blue", model=m, instance_type="ml.m5.large"),
                ProductionVariant(name="green", model=m, instance_type="ml.g5.xlarge"),
            ],
            **kwargs,
        )

    @staticmethod
    def logical_id(construct: Any) -> str:
        """The logical id of a construct's CloudFormation resource (its default child)."""
        resource = construct.node.default_child or construct
        return str(Stack.of(resource).get_logical_id(resource))

    @staticmethod
    def resources(template: Template, cfn_type: str) -> dict[str, dict[str, Any]]:
        """Logical id -> properties of every resource of ``cfn_type``."""
        found = template.find_resources(cfn_type)
        return {logical_id: r.get("Properties", {}) for logical_id, r in found.items()}

    @staticmethod
    def join_text(value: Any) -> str:
        """Flatten a ``Fn::Join`` (or a string) into text; other tokens become ``<Ref>``."""
        if isinstance(value, str):
            return value
        if isinstance(value, dict) and "Fn::Join" in value:
            sep, parts = value["Fn::Join"]
            return str(sep).join(Cfn.join_text(p) for p in parts)
        return "<Ref>"

    @staticmethod
    def dashboard_body(template: Template) -> dict[str, Any]:
        """The parsed DashboardBody of the only dashboard in ``template``."""
        template.resource_count_is("AWS::CloudWatch::Dashboard", 1)
        body = Capture()
        template.has_resource_properties("AWS::CloudWatch::Dashboard", {"DashboardBody": body})
        parsed: dict[str, Any] = json.loads(Cfn.join_text(body.as_object()))
        return parsed

    @staticmethod
    def widget_titles(body: dict[str, Any]) -> list[str]:
        return [
            w["properties"].get("title") or w["properties"].get("markdown", "")
            for w in body["widgets"]
        ]

    @staticmethod
    def widget(body: dict[str, Any], title: str) -> dict[str, Any]:
        for w in body["widgets"]:
            if w["properties"].get("title") == title:
                return dict(w)
        raise AssertionError(f"no widget titled {title!r} in {Cfn.widget_titles(body)}")

    @staticmethod
    def metric_names(widget: dict[str, Any]) -> list[str]:
        """The metric names graphed (or hidden under math) in a metric widget."""
        return [m[1] for m in widget["properties"]["metrics"] if isinstance(m[0], str)]

    @staticmethod
    def expressions(widget: dict[str, Any]) -> list[str]:
        return [
            m[0]["expression"]
            for m in widget["properties"]["metrics"]
            if isinstance(m[0], dict) and "expression" in m[0]
        ]


@pytest.fixture(scope="session")
def cfn() -> type[Cfn]:
    return Cfn


@dataclass
class Monitored:
    """The reference stack: an endpoint with two instance variants, fully monitored."""

    app: App
    stack: Stack
    endpoint: Endpoint
    topic: NotificationTopic
    alarms: EndpointAlarms
    dashboard: EndpointDashboard
    template: Template


@pytest.fixture(scope="session")
def monitored() -> Monitored:
    """Endpoint + NotificationTopic + EndpointAlarms + EndpointDashboard in one stack."""
    app, stack = Cfn.new_stack("Monitored")
    endpoint = Cfn.two_variant_endpoint(stack)
    topic = NotificationTopic(
        stack,
        "Notifications",
        emails=["oncall@example.com", "ml-team@example.com"],
        https_endpoints=["https://hooks.example.com/alarms"],
    )
    alarms = EndpointAlarms(stack, "Alarms", endpoint=endpoint, actions=topic.actions)
    dashboard = EndpointDashboard(stack, "Dashboard", endpoint=endpoint, alarms=alarms.all_alarms)
    return Monitored(app, stack, endpoint, topic, alarms, dashboard, Template.from_stack(stack))


@pytest.fixture
def new_stack() -> Callable[..., tuple[App, Stack]]:
    """A factory of fresh apps and stacks, for tests that construct without synthesizing."""
    return Cfn.new_stack
