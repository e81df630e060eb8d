"""Tests for EndpointLogGroup: the endpoint's log group, its key, metric filters and alarms."""

from __future__ import annotations

import re
from typing import Any

import pytest
from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk.assertions import Capture, Match, Template

from constructs_lib.compliance import unacknowledged_findings
from constructs_lib.core import InvalidPropsError
from constructs_lib.observability import (
    AlarmActions,
    EndpointLogGroup,
    MetricFilterAlarm,
    NotificationTopic,
)
from constructs_lib.serving import Endpoint

QUIET = AlarmActions.none(reason="Dashboard-only signal during the pilot.")


@pytest.fixture(scope="module")
def built(cfn: Any) -> dict[str, Any]:
    app = App()
    stack = Stack(app, "Logs")
    endpoint = cfn.endpoint(stack)
    topic = NotificationTopic(stack, "Notifications")
    group = EndpointLogGroup(stack, "EndpointLogs", endpoint=endpoint)
    group.alarm_on_model_errors(actions=topic.actions)
    group.add_metric_filter(
        "SlowRequests",
        filter_pattern=logs.FilterPattern.number_value("$.latency_ms", ">", 1000),
        metric_name="SlowRequests-churn-ep",
        alarm=MetricFilterAlarm(
            actions=QUIET,
            threshold=5,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            period=Duration.minutes(1),
        ),
    )
    shared_key = kms.Key(stack, "SharedKey", enable_key_rotation=True)
    other = EndpointLogGroup(
        stack,
        "OtherLogs",
        endpoint_name="other-ep",
        retention=logs.RetentionDays.ONE_YEAR,
        encryption_key=shared_key,
    )
    # The endpoint's own volume key may encrypt its logs too: no dependency cycle.
    shared_endpoint = cfn.endpoint(stack, "SharedEndpoint", name="shared-ep")
    assert shared_endpoint.encryption_key is not None
    EndpointLogGroup(
        stack,
        "SharedLogs",
        endpoint=shared_endpoint,
        encryption_key=shared_endpoint.encryption_key,
    )
    return {
        "template": Template.from_stack(stack),
        "shared_endpoint": shared_endpoint,
        "stack": stack,
        "group": group,
        "other": other,
        "endpoint": endpoint,
        "shared_key": shared_key,
        "topic": topic,
        "app": app,
    }


# -- the log group and its key ----------------------------------------------------------------


def test_log_group_has_sagemaker_name_retention_key_and_is_retained(
    built: dict[str, Any], cfn: Any
) -> None:
    template: Template = built["template"]
    key_id = cfn.logical_id(built["group"].encryption_key)
    template.has_resource(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "LogGroupName": "/aws/sagemaker/Endpoints/churn-ep",
                "RetentionInDays": 90,
                "KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    assert built["group"].log_group_name == "/aws/sagemaker/Endpoints/churn-ep"


def test_key_rotates_and_lets_only_this_log_group_use_it(built: dict[str, Any], cfn: Any) -> None:
    template: Template = built["template"]
    region = {"Ref": "AWS::Region"}
    group_arn = [
        *("arn:", {"Ref": "AWS::Partition"}, ":logs:", region, ":", {"Ref": "AWS::AccountId"}),
        ":log-group:/aws/sagemaker/Endpoints/churn-ep",
    ]
    statement = {
        "Sid": "AllowCloudWatchLogsForOneLogGroup",
        "Principal": {"Service": {"Fn::Join": ["", ["logs.", region, ".amazonaws.com"]]}},
        "Action": Match.array_with(["kms:GenerateDataKey*"]),
        "Condition": {
            "ArnEquals": {"kms:EncryptionContext:aws:logs:arn": {"Fn::Join": ["", group_arn]}}
        },
    }
    keys = template.find_resources(
        "AWS::KMS::Key",
        {
            "Properties": {
                "EnableKeyRotation": True,
                "KeyPolicy": {"Statement": Match.array_with([Match.object_like(statement)])},
            },
            "DeletionPolicy": "Retain",
        },
    )
    assert list(keys) == [cfn.logical_id(built["group"].encryption_key)]


def test_endpoint_resource_depends_on_the_log_group(built: dict[str, Any], cfn: Any) -> None:
    group_id = cfn.logical_id(built["group"].log_group)
    endpoints = built["template"].find_resources(
        "AWS::SageMaker::Endpoint", {"DependsOn": Match.array_with([group_id])}
    )
    assert list(endpoints) == [cfn.logical_id(built["endpoint"])]


def test_given_name_and_key_are_used_and_the_key_policy_is_extended(
    built: dict[str, Any], cfn: Any
) -> None:
    template: Template = built["template"]
    key_id = cfn.logical_id(built["shared_key"])
    template.has_resource_properties(
        "AWS::Logs::LogGroup",
        {
            "LogGroupName": "/aws/sagemaker/Endpoints/other-ep",
            "RetentionInDays": 365,
            "KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
        },
    )
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [Match.object_like({"Sid": "AllowCloudWatchLogsForOneLogGroup"})]
                )
            }
        },
    )
    # No key of its own when one is given.
    assert built["other"].node.try_find_child("Key") is None


def test_endpoint_volume_key_can_encrypt_its_logs(built: dict[str, Any], cfn: Any) -> None:
    endpoint: Endpoint = built["shared_endpoint"]
    template: Template = built["template"]
    key_id = cfn.logical_id(endpoint.encryption_key)
    (group_id,) = template.find_resources(
        "AWS::Logs::LogGroup",
        {
            "Properties": {
                "LogGroupName": "/aws/sagemaker/Endpoints/shared-ep",
                "KmsKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
            }
        },
    )
    template.has_resource("AWS::SageMaker::Endpoint", {"DependsOn": [group_id]})
    # No cycle: the key the log group uses does not wait for anything.
    assert key_id in template.find_resources("AWS::KMS::Key", {"DependsOn": Match.absent()})


def test_removal_policy_destroy_applies_to_the_group_and_its_own_key(cfn: Any) -> None:
    stack = Stack(App(), "Disposable")
    group = EndpointLogGroup(
        stack, "Logs", endpoint_name="churn-ep", removal_policy=RemovalPolicy.DESTROY
    )
    given = kms.Key(stack, "GivenKey", enable_key_rotation=True)
    EndpointLogGroup(
        stack,
        "OtherLogs",
        endpoint_name="other-ep",
        encryption_key=given,
        removal_policy=RemovalPolicy.DESTROY,
    )
    template = Template.from_stack(stack)
    template.all_resources(
        "AWS::Logs::LogGroup", {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
    )
    template.resource_count_is("AWS::Logs::LogGroup", 2)
    deleted = template.find_resources("AWS::KMS::Key", {"DeletionPolicy": "Delete"})
    assert list(deleted) == [cfn.logical_id(group.encryption_key)]
    # A given key keeps its own removal policy.
    retained = template.find_resources("AWS::KMS::Key", {"DeletionPolicy": "Retain"})
    assert list(retained) == [cfn.logical_id(given)]


# -- metric filters and alarms -----------------------------------------------------------------


def test_model_error_filter_matches_error_terms(built: dict[str, Any], cfn: Any) -> None:
    template: Template = built["template"]
    group_id = cfn.logical_id(built["group"].log_group)
    template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "FilterPattern": '?"ERROR" ?"Traceback" ?"Exception"',
            "LogGroupName": {"Ref": group_id},
            "MetricTransformations": [
                {
                    "MetricName": "ContainerErrorLines-churn-ep",
                    "MetricNamespace": "MLOps/Endpoints",
                    "MetricValue": "1",
                    "DefaultValue": 0,
                }
            ],
        },
    )


def test_model_error_alarm_has_actions_and_ignores_missing_data(
    built: dict[str, Any], cfn: Any
) -> None:
    topic = {"Ref": cfn.logical_id(built["topic"].topic)}
    built["template"].has_resource_properties(
        "AWS::CloudWatch::Alarm",
        {
            **cfn.metric_filter_alarm_defaults,
            "MetricName": "ContainerErrorLines-churn-ep",
            "Namespace": "MLOps/Endpoints",
            "AlarmActions": [topic],
            "OKActions": [topic],
        },
    )
    assert set(built["group"].alarms) == {"ModelErrors", "SlowRequests"}


def test_custom_filter_and_alarm_without_actions(built: dict[str, Any]) -> None:
    template: Template = built["template"]
    template.has_resource_properties(
        "AWS::Logs::MetricFilter",
        {
            "FilterPattern": "{ $.latency_ms > 1000 }",
            "MetricTransformations": [Match.object_like({"MetricName": "SlowRequests-churn-ep"})],
        },
    )
    alarms = template.find_resources(
        "AWS::CloudWatch::Alarm",
        {
            "Properties": {
                "MetricName": "SlowRequests-churn-ep",
                "AlarmActions": Match.absent(),
                "OKActions": Match.absent(),
                "Threshold": 5,
                "EvaluationPeriods": 3,
                "DatapointsToAlarm": 2,
                "Period": 60,
                "TreatMissingData": "notBreaching",
            }
        },
    )
    assert len(alarms) == 1


def test_log_alarms_pass_compliance_with_and_without_actions(built: dict[str, Any]) -> None:
    # AlarmActions.none acknowledges the alarm-action rules on SlowRequestsAlarm with its
    # reason; ModelErrorsAlarm has actions. tests/observability/test_actions.py shows that
    # an alarm without actions and without the acknowledgment is a finding.
    assert unacknowledged_findings(built["app"]) == []


# -- what the error filter pattern matches --------------------------------------------------------


def _text_pattern_matches(pattern: str, message: str) -> bool:
    """CloudWatch Logs text pattern of ``?"term"`` alternatives: any term appears in the line.

    Only the OR form the construct renders is supported (quoted terms each prefixed by ``?``);
    terms are case-sensitive and match inside words ("ERROR" matches "ERRORCODE"), per the
    CloudWatch Logs filter pattern syntax page.
    """
    terms = re.findall(r'\?"((?:[^"\\]|\\.)*)"', pattern)
    assert terms and re.fullmatch(r'(\?"(?:[^"\\]|\\.)*"\s*)+', pattern), pattern
    return any(term.replace('\\"', '"') in message for term in terms)


@pytest.mark.parametrize(
    ("line", "matches"),
    [
        ("Traceback (most recent call last):", True),
        ('  File "/opt/ml/code/inference.py", line 42, in predict_fn', False),
        ("ValueError: could not convert string to float: 'abc'", False),
        ("[2024-05-14 09:12:41 +0000] [12] [ERROR] Exception in worker process", True),
        ("java.lang.IllegalStateException: model not loaded", True),
        ("[INFO] 127.0.0.1 - POST /invocations 200", False),
        ("error: lower-case is not matched", False),
    ],
)
def test_error_pattern_on_container_log_lines(
    built: dict[str, Any], line: str, matches: bool
) -> None:
    pattern = Capture(Match.string_like_regexp(r"^\?"))
    built["template"].has_resource_properties("AWS::Logs::MetricFilter", {"FilterPattern": pattern})
    assert _text_pattern_matches(pattern.as_string(), line) is matches


def test_text_pattern_helper_follows_the_documented_examples() -> None:
    # CloudWatch Logs "Filter pattern syntax": ?ERROR ?WARN matches lines with either term,
    # and "ERROR" matches "Exiting with ERRORCODE: -1".
    pattern = '?"ERROR" ?"WARN"'
    assert _text_pattern_matches(pattern, "ERROR WARN message")
    assert _text_pattern_matches(pattern, "WARN message")
    assert _text_pattern_matches(pattern, "Exiting with ERRORCODE: -1")
    assert not _text_pattern_matches(pattern, "INFO message")


# -- validation --------------------------------------------------------------------------------


@pytest.fixture()
def stack() -> Stack:
    return Stack(App(), "Validation")


def test_endpoint_without_fixed_name_is_refused(stack: Stack, cfn: Any) -> None:
    endpoint = cfn.endpoint(stack, name=None)
    with pytest.raises(InvalidPropsError, match=r"Validation/Logs: endpoint=.*fixed endpoint_name"):
        EndpointLogGroup(stack, "Logs", endpoint=endpoint)


def test_endpoint_and_endpoint_name_together_or_neither_are_refused(stack: Stack, cfn: Any) -> None:
    endpoint = cfn.endpoint(stack)
    with pytest.raises(InvalidPropsError, match="not both"):
        EndpointLogGroup(stack, "Both", endpoint=endpoint, endpoint_name="churn-ep")
    with pytest.raises(InvalidPropsError, match="endpoint=None is missing"):
        EndpointLogGroup(stack, "Neither")
    with pytest.raises(
        InvalidPropsError, match=r"endpoint='str' is not an Endpoint.*endpoint_name"
    ):
        EndpointLogGroup(stack, "Name", endpoint="churn-ep")  # type: ignore[arg-type]


def test_invalid_endpoint_name_is_refused(stack: Stack) -> None:
    with pytest.raises(InvalidPropsError, match=r"endpoint_name='churn_ep' is not a valid"):
        EndpointLogGroup(stack, "Logs", endpoint_name="churn_ep")


def test_retention_must_be_a_retention_days_member(stack: Stack) -> None:
    with pytest.raises(InvalidPropsError, match=r"Validation/Logs: retention=90 .*THREE_MONTHS$"):
        EndpointLogGroup(stack, "Logs", endpoint_name="churn-ep", retention=90)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "actions",
    [None, [], "arn:aws:sns:us-east-1:123456789012:alarms"],
    ids=["none", "empty-list", "topic-arn"],
)
def test_alarm_actions_must_be_alarm_actions(stack: Stack, actions: Any) -> None:
    group = EndpointLogGroup(stack, "Logs", endpoint_name="churn-ep")
    with pytest.raises(InvalidPropsError, match=r"Validation/Logs: actions=.* is not AlarmActions"):
        group.alarm_on_model_errors(actions=actions)
    with pytest.raises(
        InvalidPropsError, match=r"Validation/Logs: F\.alarm\.actions=.* is not AlarmActions"
    ):
        group.add_metric_filter(
            "F",
            filter_pattern=logs.FilterPattern.any_term("ERROR"),
            metric_name="m",
            alarm=MetricFilterAlarm(actions=actions),
        )
    assert group.metric_filters == {}  # refused before anything was created


def test_alarm_actions_are_required(stack: Stack) -> None:
    group = EndpointLogGroup(stack, "Logs", endpoint_name="churn-ep")
    with pytest.raises(TypeError, match="actions"):
        group.alarm_on_model_errors()  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="actions"):
        MetricFilterAlarm(threshold=2)  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"period": Duration.seconds(30)},
            r"ModelErrors\.alarm\.period=30 seconds is not a whole number of minutes; "
            "metric filters",
        ),
        (
            {"evaluation_periods": 2, "datapoints_to_alarm": 3},
            r"ModelErrors\.alarm\.datapoints_to_alarm=3 is more than evaluation_periods \(2\)",
        ),
        ({"evaluation_periods": 0}, r"ModelErrors\.alarm\.evaluation_periods=0 is out of range"),
        ({"terms": []}, r"terms=\[\] must hold at least one"),
    ],
)
def test_bad_alarm_settings_are_refused(stack: Stack, kwargs: dict[str, Any], message: str) -> None:
    group = EndpointLogGroup(stack, "Logs", endpoint_name="churn-ep")
    with pytest.raises(InvalidPropsError, match=message):
        group.alarm_on_model_errors(actions=QUIET, **kwargs)


def test_reserved_namespace_and_bad_metric_value_are_refused(stack: Stack) -> None:
    group = EndpointLogGroup(stack, "Logs", endpoint_name="churn-ep")
    pattern = logs.FilterPattern.any_term("ERROR")
    with pytest.raises(InvalidPropsError, match=r"F\.metric_namespace='AWS/SageMaker'"):
        group.add_metric_filter(
            "F", filter_pattern=pattern, metric_name="m", metric_namespace="AWS/SageMaker"
        )
    with pytest.raises(InvalidPropsError, match=r"G\.metric_value='one' is neither"):
        group.add_metric_filter("G", filter_pattern=pattern, metric_name="m", metric_value="one")
    group.add_metric_filter("H", filter_pattern=pattern, metric_name="m")
    with pytest.raises(InvalidPropsError, match=r"construct_id='H' already names a metric filter"):
        group.add_metric_filter("H", filter_pattern=pattern, metric_name="m2")
