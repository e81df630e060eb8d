"""Tests for AlarmActions and NotificationTopic."""

from __future__ import annotations

from typing import Any

import pytest
from aws_cdk import RemovalPolicy
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Capture, Match, Template

from constructs_lib.compliance import unacknowledged_findings
from constructs_lib.core import InvalidPropsError
from constructs_lib.observability import AlarmActions, NotificationTopic

FUNCTION_ARN = "arn:aws:lambda:us-east-1:123456789012:function:alarm-handler"


def _alarm(scope: Any, construct_id: str) -> cloudwatch.Alarm:
    metric = cloudwatch.Metric(namespace="AWS/SageMaker", metric_name="Invocations")
    return cloudwatch.Alarm(scope, construct_id, metric=metric, threshold=1, evaluation_periods=1)


@pytest.fixture(scope="module")
def built(cfn: Any) -> dict[str, Any]:
    app, stack = cfn.new_stack("Actions")
    topic = NotificationTopic(
        stack,
        "Notifications",
        emails=["oncall@example.com", "ml-team@example.com"],
        https_endpoints=["https://hooks.example.com/alarms"],
        display_name="ML alarms",
    )
    fn = lambda_.Function.from_function_attributes(
        stack, "Handler", function_arn=FUNCTION_ARN, same_environment=True
    )
    alarms = {
        "topic": _alarm(stack, "ToTopic"),
        "topic_no_ok": _alarm(stack, "ToTopicNoOk"),
        "lambda_a": _alarm(stack, "ToLambdaA"),
        "lambda_b": _alarm(stack, "ToLambdaB"),
        "both": _alarm(stack, "Both"),
        "none": _alarm(stack, "NoActions"),
    }
    topic.actions.apply(alarms["topic"])
    AlarmActions.to_topic(topic.topic, ok_actions=False).apply(alarms["topic_no_ok"])
    AlarmActions.to_lambda(fn).apply(alarms["lambda_a"])
    AlarmActions.to_lambda(fn, ok_actions=True).apply(alarms["lambda_b"])
    topic.actions.and_(AlarmActions.to_lambda(fn)).apply(alarms["both"])
    AlarmActions.none(reason="Dashboard-only signal; nobody acts on it.").apply(alarms["none"])
    composite = cloudwatch.CompositeAlarm(
        stack,
        "Composite",
        alarm_rule=cloudwatch.AlarmRule.from_alarm(alarms["topic"], cloudwatch.AlarmState.ALARM),
    )
    topic.actions.apply(composite)
    template = Template.from_stack(stack)
    ids = {key: cfn.logical_id(a) for key, a in alarms.items()}
    return {
        "app": app,
        "stack": stack,
        "topic": topic,
        "template": template,
        "alarms": {key: template.to_json()["Resources"][i]["Properties"] for key, i in ids.items()},
        "topic_id": cfn.logical_id(topic.topic),
        "key_id": cfn.logical_id(topic.encryption_key),
    }


def test_topic_is_encrypted_with_its_own_rotating_retained_key(built: dict[str, Any]) -> None:
    template: Template = built["template"]
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {"KmsMasterKeyId": {"Fn::GetAtt": [built["key_id"], "Arn"]}, "DisplayName": "ML alarms"},
    )
    template.resource_count_is("AWS::KMS::Key", 1)
    template.has_resource(
        "AWS::KMS::Key",
        {
            "Properties": {"EnableKeyRotation": True},
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )


def test_key_policy_lets_cloudwatch_and_eventbridge_encrypt_for_this_topic_only(
    built: dict[str, Any],
) -> None:
    template: Template = built["template"]
    topic_name = Capture()
    template.has_resource_properties("AWS::SNS::Topic", {"TopicName": topic_name})
    name = topic_name.as_string()
    region, account = {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}
    topic_arn = {
        "Fn::Join": [
            "",
            ["arn:", {"Ref": "AWS::Partition"}, ":sns:", region, ":", account, f":{name}"],
        ]
    }

    def encrypt_for_topic(service: str, sid: str) -> Any:
        return Match.object_like(
            {
                "Sid": f"Allow{sid}ToEncryptForNotifications",
                "Effect": "Allow",
                "Principal": {"Service": f"{service}.amazonaws.com"},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Condition": Match.exact(
                    {"StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}}
                ),
            }
        )

    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": [
                    Match.object_like({"Principal": {"AWS": Match.any_value()}}),
                    encrypt_for_topic("cloudwatch", "CloudWatchAlarms"),
                    encrypt_for_topic("events", "EventBridgeRules"),
                ]
            }
        },
    )


def test_topic_policy_is_tls_only_and_admits_alarms_and_rules_of_this_account(
    built: dict[str, Any],
) -> None:
    topic = {"Ref": built["topic_id"]}
    this_account = {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    alarm_arns = {
        "Fn::Join": [
            "",
            [
                *("arn:", {"Ref": "AWS::Partition"}, ":cloudwatch:", {"Ref": "AWS::Region"}),
                *(":", {"Ref": "AWS::AccountId"}, ":alarm:*"),
            ],
        ]
    }
    built["template"].has_resource_properties(
        "AWS::SNS::TopicPolicy",
        {
            "PolicyDocument": {
                "Statement": [
                    {
                        "Sid": "AllowPublishThroughSSLOnly",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "sns:Publish",
                        "Resource": topic,
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Sid": "AllowCloudWatchAlarms",
                        "Effect": "Allow",
                        "Principal": {"Service": "cloudwatch.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": topic,
                        "Condition": Match.exact(
                            {"StringEquals": this_account, "ArnLike": {"aws:SourceArn": alarm_arns}}
                        ),
                    },
                    {
                        "Sid": "AllowEventBridgeRules",
                        "Effect": "Allow",
                        "Principal": {"Service": "events.amazonaws.com"},
                        "Action": "sns:Publish",
                        "Resource": topic,
                        "Condition": Match.exact({"StringEquals": this_account}),
                    },
                ]
            }
        },
    )


def test_email_and_https_subscriptions(built: dict[str, Any], cfn: Any) -> None:
    subs = cfn.resources(built["template"], "AWS::SNS::Subscription").values()
    got = sorted((s["Protocol"], s["Endpoint"]) for s in subs)
    assert got == [
        ("email", "ml-team@example.com"),
        ("email", "oncall@example.com"),
        ("https", "https://hooks.example.com/alarms"),
    ]
    assert all(s["TopicArn"] == {"Ref": built["topic_id"]} for s in subs)


def test_to_topic_sets_alarm_and_ok_actions(built: dict[str, Any]) -> None:
    ref = {"Ref": built["topic_id"]}
    assert built["alarms"]["topic"]["AlarmActions"] == [ref]
    assert built["alarms"]["topic"]["OKActions"] == [ref]
    assert built["alarms"]["topic_no_ok"]["AlarmActions"] == [ref]
    assert "OKActions" not in built["alarms"]["topic_no_ok"]


def test_composite_alarm_gets_actions_too(built: dict[str, Any], cfn: Any) -> None:
    (composite,) = cfn.resources(built["template"], "AWS::CloudWatch::CompositeAlarm").values()
    assert composite["AlarmActions"] == [{"Ref": built["topic_id"]}]
    assert composite["OKActions"] == [{"Ref": built["topic_id"]}]


def test_to_lambda_invokes_the_function_with_one_permission_per_alarm(
    built: dict[str, Any], cfn: Any
) -> None:
    a, b = built["alarms"]["lambda_a"], built["alarms"]["lambda_b"]
    assert a["AlarmActions"] == [FUNCTION_ARN]
    assert "OKActions" not in a
    assert b["OKActions"] == [FUNCTION_ARN]
    permissions = list(cfn.resources(built["template"], "AWS::Lambda::Permission").values())
    # lambda_a, lambda_b and both: one permission each, scoped to that alarm's ARN.
    assert len(permissions) == 3
    assert all(p["Principal"] == "lambda.alarms.cloudwatch.amazonaws.com" for p in permissions)
    assert all("Fn::GetAtt" in p["SourceArn"] for p in permissions)
    assert len({str(p["SourceArn"]) for p in permissions}) == 3


def test_actions_combine(built: dict[str, Any]) -> None:
    both = built["alarms"]["both"]
    assert both["AlarmActions"] == [{"Ref": built["topic_id"]}, FUNCTION_ARN]
    assert both["OKActions"] == [{"Ref": built["topic_id"]}]


def test_none_leaves_no_actions_and_acknowledges_the_rule(built: dict[str, Any]) -> None:
    props = built["alarms"]["none"]
    assert "AlarmActions" not in props
    assert "OKActions" not in props
    assert "InsufficientDataActions" not in props
    assert unacknowledged_findings(built["app"]) == []


def test_an_alarm_without_actions_is_a_finding(cfn: Any) -> None:
    # Control for the test above: the acknowledgment, not a blind rule, keeps it quiet.
    app, stack = cfn.new_stack("Bare")
    _alarm(stack, "Silent")
    rules = {f.rule for f in unacknowledged_findings(app)}
    assert {
        "HIPAA.Security-CloudWatchAlarmAction",
        "NIST.800.53.R5-CloudWatchAlarmAction",
    } <= rules


def test_notification_topic_actions_property(built: dict[str, Any]) -> None:
    actions = built["topic"].actions
    assert isinstance(actions, AlarmActions)
    assert len(actions.alarm_actions) == 1 and len(actions.ok_actions) == 1
    assert not actions.is_none


@pytest.mark.parametrize("reason", ["", "   ", None])
def test_none_requires_a_reason(reason: Any) -> None:
    with pytest.raises(InvalidPropsError, match=r"reason=.* is empty.*Fix: say why"):
        AlarmActions.none(reason)


def test_constructor_without_actions_requires_a_reason() -> None:
    with pytest.raises(InvalidPropsError, match="reason"):
        AlarmActions()


def test_too_many_actions_are_refused(cfn: Any) -> None:
    _, stack = cfn.new_stack()
    topic = sns.Topic(stack, "T")
    action = AlarmActions.to_topic(topic)
    many = action
    for _ in range(4):
        many = many.and_(action)
    assert len(many.alarm_actions) == 5
    with pytest.raises(InvalidPropsError, match="limit of 5 actions"):
        many.and_(action)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"emails": ["oncall.example.com"]}, r"emails\[0\]='oncall.example.com' is not an e-mail"),
        ({"emails": ["a@"]}, r"emails\[0\]='a@' is not an e-mail"),
        ({"emails": "oncall@example.com"}, "is a single string, not a list"),
        (
            {"https_endpoints": ["http://hooks.example.com"]},
            r"https_endpoints\[0\]='http://hooks.example.com' is not an HTTPS URL.*https://",
        ),
        ({"https_endpoints": ["https://"]}, "is not an HTTPS URL"),
        ({"topic_name": "bad name!"}, "topic_name='bad name!' is not a valid SNS topic name"),
    ],
)
def test_notification_topic_validation(cfn: Any, kwargs: dict[str, Any], match: str) -> None:
    _, stack = cfn.new_stack()
    with pytest.raises(InvalidPropsError, match=match) as raised:
        NotificationTopic(stack, "Bad", **kwargs)
    assert raised.value.path == "Test/Bad"
    assert "Fix:" in str(raised.value)


def test_topic_name_and_given_key_are_used(cfn: Any) -> None:
    _, stack = cfn.new_stack()
    key = kms.Key(stack, "Shared", enable_key_rotation=True)
    topic = NotificationTopic(stack, "Named", topic_name="ml-alarms", encryption_key=key)
    template = Template.from_stack(stack)
    template.has_resource_properties(
        "AWS::SNS::Topic",
        {"TopicName": "ml-alarms", "KmsMasterKeyId": {"Fn::GetAtt": [cfn.logical_id(key), "Arn"]}},
    )
    assert topic.encryption_key is key
    template.resource_count_is("AWS::KMS::Key", 1)


def test_removal_policy_destroy_applies_to_the_key_it_creates_only(cfn: Any) -> None:
    _, stack = cfn.new_stack()
    own = NotificationTopic(stack, "Own", removal_policy=RemovalPolicy.DESTROY)
    given = kms.Key(stack, "Given", enable_key_rotation=True)
    NotificationTopic(stack, "Shared", encryption_key=given, removal_policy=RemovalPolicy.DESTROY)
    template = Template.from_stack(stack)
    deleted = template.find_resources(
        "AWS::KMS::Key", {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
    )
    assert list(deleted) == [cfn.logical_id(own.encryption_key)]
    retained = template.find_resources("AWS::KMS::Key", {"DeletionPolicy": "Retain"})
    assert list(retained) == [cfn.logical_id(given)]
