"""Tests for EndpointDashboard, and compliance of the fully monitored reference stack."""

from __future__ import annotations

import json
from typing import Any

import pytest
from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk.assertions import Match, Template

from constructs_lib.compliance import unacknowledged_findings
from constructs_lib.core import InvalidPropsError
from constructs_lib.observability import EndpointDashboard, MonitoredVariant

DASHBOARD = "AWS::CloudWatch::Dashboard"


@pytest.fixture(scope="module")
def body(monitored: Any, cfn: Any) -> dict[str, Any]:
    return dict(cfn.dashboard_body(monitored.template))


def test_titles_read_top_down(body: dict[str, Any], cfn: Any) -> None:
    assert cfn.widget_titles(body) == [
        "# SageMaker endpoint <Ref>",
        "Alarms",
        "## Variant blue - ml.m5.large (2 vCPUs)",
        "blue: invocations",
        "blue: model latency (ms)",
        "blue: error rates (%)",
        "blue: CPU / memory / disk utilization (%)",
        "blue: invocations per instance",
        "## Variant green - ml.g5.xlarge (4 vCPUs, 1 GPU)",
        "green: invocations",
        "green: model latency (ms)",
        "green: error rates (%)",
        "green: CPU / memory / disk utilization (%)",
        "green: GPU utilization (%)",
        "green: invocations per instance",
    ]


def test_latency_is_shown_in_milliseconds_at_three_percentiles(
    body: dict[str, Any], cfn: Any
) -> None:
    w = cfn.widget(body, "blue: model latency (ms)")
    assert cfn.expressions(w) == ["lat50 / 1000", "lat90 / 1000", "lat99 / 1000"]
    labels = [m[0]["label"] for m in w["properties"]["metrics"] if isinstance(m[0], dict)]
    assert labels == ["p50 (ms)", "p90 (ms)", "p99 (ms)"]
    hidden = [m for m in w["properties"]["metrics"] if isinstance(m[0], str)]
    assert [m[1] for m in hidden] == ["ModelLatency"] * 3
    assert [m[-1]["stat"] for m in hidden] == ["p50", "p90", "p99"]
    assert all(m[-1]["visible"] is False for m in hidden)
    assert w["properties"]["yAxis"]["left"]["label"] == "ms"


def test_error_rates_and_invocations(body: dict[str, Any], cfn: Any) -> None:
    rates = cfn.widget(body, "green: error rates (%)")
    assert cfn.expressions(rates) == [
        "IF(inv >= 1, 100 * FILL(e4, 0) / inv, 0)",
        "IF(inv >= 1, 100 * FILL(e5, 0) / inv, 0)",
    ]
    assert set(cfn.metric_names(rates)) == {
        "Invocations",
        "Invocation4XXErrors",
        "Invocation5XXErrors",
    }
    invocations = cfn.widget(body, "green: invocations")
    assert cfn.metric_names(invocations) == ["Invocations"]
    assert invocations["properties"]["metrics"][0][2:6] == [
        "EndpointName",
        "<Ref>",
        "VariantName",
        "green",
    ]


def test_utilization_is_normalized_and_on_a_percent_axis(body: dict[str, Any], cfn: Any) -> None:
    blue = cfn.widget(body, "blue: CPU / memory / disk utilization (%)")
    assert cfn.expressions(blue) == ["cpu / 2"]
    assert cfn.metric_names(blue) == ["CPUUtilization", "MemoryUtilization", "DiskUtilization"]
    assert all(m[0] == "/aws/sagemaker/Endpoints" for m in blue["properties"]["metrics"][1:])
    assert blue["properties"]["yAxis"]["left"] == {
        "label": "%",
        "min": 0,
        "max": 100,
        "showUnits": False,
    }
    gpu = cfn.widget(body, "green: GPU utilization (%)")
    assert cfn.expressions(gpu) == ["gpu / 1", "gpumem / 1"]


def test_alarm_status_widget_lists_every_alarm(
    body: dict[str, Any], monitored: Any, cfn: Any
) -> None:
    w = cfn.widget(body, "Alarms")
    assert w["type"] == "alarm"
    assert len(w["properties"]["alarms"]) == len(monitored.alarms.all_alarms) == 19


def test_layout_fits_the_24_column_grid(body: dict[str, Any]) -> None:
    for w in body["widgets"]:
        assert w["x"] + w["width"] <= 24
    graphs = [w for w in body["widgets"] if w["type"] == "metric"]
    assert all((w["width"], w["height"]) == (8, 6) for w in graphs)


def test_reference_stack_has_no_unacknowledged_findings(monitored: Any) -> None:
    assert unacknowledged_findings(monitored.app) == []


def test_reference_stack_resources_and_schema(monitored: Any, cfn: Any) -> None:
    template = monitored.template
    template.resource_count_is("AWS::CloudWatch::Alarm", 18)
    template.resource_count_is("AWS::CloudWatch::CompositeAlarm", 1)
    template.resource_count_is(DASHBOARD, 1)
    template.resource_count_is("AWS::SNS::Topic", 1)
    template.resource_count_is("AWS::SNS::Subscription", 3)
    assert cfn.lint(template) == []


@pytest.fixture(scope="module")
def by_name(cfn: Any) -> dict[str, Any]:
    _, stack = cfn.new_stack("Dashboards")
    serverless = EndpointDashboard(
        stack,
        "Serverless",
        endpoint_name="sls",
        variants=[MonitoredVariant("main", serverless=True)],
        dashboard_name="sls-endpoint",
        period=Duration.minutes(5),
    )
    asynchronous = EndpointDashboard(
        stack,
        "Async",
        endpoint_name="queue",
        variants=[MonitoredVariant("main", instance_type="ml.m5.xlarge")],
        is_async=True,
    )
    template = Template.from_stack(stack)
    found = template.find_resources(DASHBOARD)
    built: dict[str, Any] = {"template": template}
    for dashboard, key in ((serverless, "serverless"), (asynchronous, "async")):
        logical_id = cfn.logical_id(dashboard.dashboard)
        built[key] = json.loads(cfn.join_text(found[logical_id]["Properties"]["DashboardBody"]))
        built[f"{key}_id"] = logical_id
    return built


def test_serverless_dashboard(by_name: dict[str, Any], cfn: Any) -> None:
    body = by_name["serverless"]
    assert cfn.widget_titles(body) == [
        "# SageMaker endpoint sls",
        "## Variant main - serverless",
        "main: invocations",
        "main: model latency (ms)",
        "main: error rates (%)",
        "main: cold start (ms)",
        "main: concurrency utilization (%)",
    ]
    cold = cfn.widget(body, "main: cold start (ms)")
    assert cfn.expressions(cold) == ["setup / 1000"]
    assert cfn.metric_names(cold) == ["ModelSetupTime"]
    concurrency = cfn.widget(body, "main: concurrency utilization (%)")
    assert cfn.metric_names(concurrency) == ["ServerlessConcurrentExecutionsUtilization"]
    assert all(
        w["properties"].get("period") == 300 for w in body["widgets"] if w["type"] == "metric"
    )
    named = {"Properties": {"DashboardName": "sls-endpoint"}}
    assert by_name["template"].get_resource_id(DASHBOARD, named) == by_name["serverless_id"]


def test_async_dashboard_shows_the_backlog_and_no_invocations(
    by_name: dict[str, Any], cfn: Any
) -> None:
    body = by_name["async"]
    titles = cfn.widget_titles(body)
    assert titles[0] == "# SageMaker async endpoint queue"
    assert "main: invocations" not in titles
    assert titles[-4:] == [
        "## Async backlog",
        "Backlog (requests)",
        "Oldest queued request (s)",
        "Backlog without capacity (1 = queued, no instance)",
    ]
    backlog = cfn.widget(body, "Backlog (requests)")
    assert cfn.metric_names(backlog) == [
        "ApproximateBacklogSize",
        "ApproximateBacklogSizePerInstance",
    ]
    assert backlog["properties"]["metrics"][0][2:4] == ["EndpointName", "queue"]
    assert backlog["properties"]["period"] == 60
    oldest = cfn.widget(body, "Oldest queued request (s)")
    assert oldest["properties"]["metrics"][0][-1]["stat"] == "Maximum"
    every_metric = [m for w in body["widgets"] for m in w["properties"].get("metrics", [])]
    assert not any(isinstance(m[0], str) and m[1] == "Invocations" for m in every_metric)
    unnamed = {"Properties": {"DashboardName": Match.absent()}}
    assert by_name["template"].get_resource_id(DASHBOARD, unnamed) == by_name["async_id"]


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"dashboard_name": "my dashboard"}, r"dashboard_name='my dashboard' is not a valid"),
        ({"period": Duration.seconds(30)}, r"period=.*is not a whole number of minutes"),
        ({"alarms": ["not-an-alarm"]}, r"alarms\[0\]='str' is not a CloudWatch alarm"),
        # What to show is checked as for EndpointAlarms: see test_targets.py.
    ],
)
def test_dashboard_validation(new_stack: Any, kwargs: dict[str, Any], match: str) -> None:
    _, stack = new_stack()
    props: dict[str, Any] = {
        "endpoint_name": "churn",
        "variants": [MonitoredVariant("blue", instance_type="ml.m5.large")],
    }
    props.update(kwargs)
    with pytest.raises(InvalidPropsError, match=match) as raised:
        EndpointDashboard(stack, "Dashboard", **props)
    assert raised.value.path == "Test/Dashboard"


def test_too_many_alarms_for_one_widget(new_stack: Any) -> None:
    _, stack = new_stack()
    alarm = cloudwatch.Alarm.from_alarm_arn(
        stack, "Imported", "arn:aws:cloudwatch:us-east-1:123456789012:alarm:x"
    )
    with pytest.raises(InvalidPropsError, match=r"101 alarms.*exceeds the 100"):
        EndpointDashboard(
            stack,
            "Dashboard",
            endpoint_name="churn",
            variants=[MonitoredVariant("blue", instance_type="ml.m5.large")],
            alarms=[alarm] * 101,
        )
