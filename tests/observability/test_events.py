"""Tests for EndpointEventRules: rule patterns against real-shaped SageMaker events.

The sample events in ``events/`` follow the examples of the SageMaker developer guide,
"Events that Amazon SageMaker AI sends to Amazon EventBridge"
(https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):
``endpoint-state-change-*.json`` the "Endpoint state change" example (IN_SERVICE) with the
status and endpoint name changed; ``endpoint-deployment-state-change-*.json`` the "Endpoint
deployment state change" blue/green canary example (UPDATING; its ``Timestamp`` placeholder
and trailing commas made valid JSON).

AWS documents no event with a rollback status. The samples with ROLLING_BACK and
UPDATE_ROLLBACK_FAILED spell the API's RollingBack and UpdateRollbackFailed the way the
guide spells InService (IN_SERVICE); the ``*-api-case.json`` samples spell them (and
Updating) as the API does. The rollback rule must match both spellings.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import boto3
import botocore.session
import pytest
from aws_cdk import App, Duration, RemovalPolicy, Stack
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk.assertions import Annotations, Match, Template
from moto import mock_aws

from constructs_lib.compliance import unacknowledged_findings
from constructs_lib.core import InvalidPropsError
from constructs_lib.observability import (
    DEPLOYMENT_STATE_CHANGE,
    ENDPOINT_STATE_CHANGE,
    FAILED_STATUSES,
    ROLLBACK_STATUSES,
    EndpointEventRules,
)

EVENTS = Path(__file__).parent / "events"


def _event(name: str) -> dict[str, Any]:
    return json.loads((EVENTS / name).read_text())


@pytest.fixture(scope="module")
def built(cfn: Any) -> dict[str, Any]:
    app = App()
    stack = Stack(app, "Events")
    topic = sns.Topic(
        stack,
        "Alerts",
        master_key=kms.Key(stack, "AlertsKey", enable_key_rotation=True),
        enforce_ssl=True,
    )
    named = EndpointEventRules(stack, "ChurnEvents", topic=topic, endpoint_names=["churn-ep"])
    every = EndpointEventRules(
        stack, "AllEvents", topic=topic, max_event_age=Duration.hours(2), retry_attempts=10
    )
    template = Template.from_stack(stack)
    resources = template.to_json()["Resources"]

    def rule(construct: Any) -> dict[str, Any]:
        return resources[cfn.logical_id(construct)]

    return {
        "app": app,
        "stack": stack,
        "template": template,
        "resources": resources,
        "topic": topic,
        "named": named,
        "every": every,
        "patterns": {
            "failed": rule(named.failed_rule)["Properties"]["EventPattern"],
            "rollback": rule(named.rollback_rule)["Properties"]["EventPattern"],
            "failed-any": rule(every.failed_rule)["Properties"]["EventPattern"],
            "rollback-any": rule(every.rollback_rule)["Properties"]["EventPattern"],
        },
        "rule": rule,
    }


# -- rules, targets, dead-letter queue ---------------------------------------------------------


def test_rule_event_patterns(built: dict[str, Any]) -> None:
    patterns = built["patterns"]
    assert patterns["failed"] == {
        "source": ["aws.sagemaker"],
        "detail-type": ["SageMaker Endpoint State Change"],
        "detail": {"EndpointStatus": ["FAILED", "Failed"], "EndpointName": ["churn-ep"]},
    }
    assert patterns["rollback"] == {
        "source": ["aws.sagemaker"],
        "detail-type": [
            "SageMaker Endpoint State Change",
            "SageMaker Endpoint Deployment State Change",
        ],
        "detail": {
            "EndpointStatus": [
                "ROLLING_BACK",
                "UPDATE_ROLLBACK_FAILED",
                "RollingBack",
                "UpdateRollbackFailed",
            ],
            "EndpointName": ["churn-ep"],
        },
    }
    assert "EndpointName" not in patterns["failed-any"]["detail"]
    assert "EndpointName" not in patterns["rollback-any"]["detail"]


def test_targets_have_dead_letter_queue_and_retry_policy(built: dict[str, Any], cfn: Any) -> None:
    topic_id = cfn.logical_id(built["topic"])
    for construct, policy in (
        (built["named"], {"MaximumEventAgeInSeconds": 86400, "MaximumRetryAttempts": 185}),
        (built["every"], {"MaximumEventAgeInSeconds": 7200, "MaximumRetryAttempts": 10}),
    ):
        queue_id = cfn.logical_id(construct.dead_letter_queue)
        assert len(construct.rules) == 2
        for rule in construct.rules:
            (target,) = built["rule"](rule)["Properties"]["Targets"]
            assert target["Arn"] == {"Ref": topic_id}
            assert target["DeadLetterConfig"] == {"Arn": {"Fn::GetAtt": [queue_id, "Arn"]}}
            assert target["RetryPolicy"] == policy
            assert built["rule"](rule)["Properties"]["State"] == "ENABLED"


def test_dead_letter_queue_is_kms_encrypted_tls_only_and_kept_14_days(
    built: dict[str, Any], cfn: Any
) -> None:
    rules: EndpointEventRules = built["named"]
    template: Template = built["template"]
    queue_id = cfn.logical_id(rules.dead_letter_queue)
    key_id = cfn.logical_id(rules.encryption_key)
    queues = template.find_resources(
        "AWS::SQS::Queue",
        {
            "Properties": {
                "KmsMasterKeyId": {"Fn::GetAtt": [key_id, "Arn"]},
                "MessageRetentionPeriod": 14 * 24 * 3600,
            },
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
        },
    )
    assert list(queues) == [queue_id]

    def send_from(rule: Any) -> Any:
        return Match.object_like(
            {
                "Effect": "Allow",
                "Principal": {"Service": "events.amazonaws.com"},
                "Action": "sqs:SendMessage",
                "Condition": {"ArnEquals": {"aws:SourceArn": {"Fn::GetAtt": [rule, "Arn"]}}},
            }
        )

    failed_id, rollback_id = (cfn.logical_id(r) for r in rules.rules)
    template.has_resource_properties(
        "AWS::SQS::QueuePolicy",
        {
            "Queues": [{"Ref": queue_id}],
            "PolicyDocument": {
                "Statement": [
                    Match.object_like(
                        {
                            "Effect": "Deny",
                            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                        }
                    ),
                    send_from(failed_id),
                    send_from(rollback_id),
                ]
            },
        },
    )


def test_queue_key_rotates_and_lets_eventbridge_rules_use_it(
    built: dict[str, Any], cfn: Any
) -> None:
    region, account = {"Ref": "AWS::Region"}, {"Ref": "AWS::AccountId"}
    rule_arns = ["arn:", {"Ref": "AWS::Partition"}, ":events:", region, ":", account, ":rule/*"]
    keys = built["template"].find_resources(
        "AWS::KMS::Key",
        {
            "Properties": {
                "EnableKeyRotation": True,
                "KeyPolicy": {
                    "Statement": [
                        Match.object_like({"Principal": {"AWS": Match.any_value()}}),
                        {
                            "Sid": "AllowEventBridgeRulesToUseKey",
                            "Effect": "Allow",
                            "Principal": {"Service": "events.amazonaws.com"},
                            "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                            "Resource": "*",
                            "Condition": Match.exact(
                                {
                                    "StringEquals": {"aws:SourceAccount": account},
                                    "ArnLike": {"aws:SourceArn": {"Fn::Join": ["", rule_arns]}},
                                }
                            ),
                        },
                    ]
                },
            },
            "DeletionPolicy": "Retain",
        },
    )
    # Each construct's own key, and nothing else, is granted to EventBridge.
    assert set(keys) == {cfn.logical_id(built[c].encryption_key) for c in ("named", "every")}


def test_removal_policy_destroy_applies_to_the_queue_and_its_own_key(cfn: Any) -> None:
    stack = Stack(App(), "Disposable")
    topic = sns.Topic(stack, "Topic")
    own = EndpointEventRules(stack, "Own", topic=topic, removal_policy=RemovalPolicy.DESTROY)
    given = kms.Key(stack, "Given", enable_key_rotation=True)
    EndpointEventRules(
        stack, "Shared", topic=topic, encryption_key=given, removal_policy=RemovalPolicy.DESTROY
    )
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::SQS::Queue", 2)
    template.all_resources(
        "AWS::SQS::Queue", {"DeletionPolicy": "Delete", "UpdateReplacePolicy": "Delete"}
    )
    deleted = template.find_resources("AWS::KMS::Key", {"DeletionPolicy": "Delete"})
    assert list(deleted) == [cfn.logical_id(own.encryption_key)]
    retained = template.find_resources("AWS::KMS::Key", {"DeletionPolicy": "Retain"})
    assert list(retained) == [cfn.logical_id(given)]
    # The given key is granted to EventBridge just the same.
    template.has_resource_properties(
        "AWS::KMS::Key",
        {
            "KeyPolicy": {
                "Statement": Match.array_with(
                    [Match.object_like({"Sid": "AllowEventBridgeRulesToUseKey"})]
                )
            }
        },
    )


def test_an_imported_key_is_left_alone_with_a_warning() -> None:
    stack = Stack(App(), "Imported")
    key = kms.Key.from_key_arn(
        stack, "Key", "arn:aws:kms:us-east-1:123456789012:key/11111111-2222-3333-4444-555555555555"
    )
    EndpointEventRules(stack, "Rules", topic=sns.Topic(stack, "Topic"), encryption_key=key)
    Annotations.from_stack(stack).has_warning(
        "/Imported/Rules", Match.string_like_regexp("encryption_key is imported")
    )
    Template.from_stack(stack).resource_count_is("AWS::KMS::Key", 0)


def test_rules_have_no_unacknowledged_findings(built: dict[str, Any]) -> None:
    assert [str(f) for f in unacknowledged_findings(built["app"])] == []


# -- patterns against sample events ------------------------------------------------------------

CASES = [
    ("failed", "endpoint-state-change-failed.json", True),
    ("failed", "endpoint-state-change-in-service.json", False),
    ("failed", "endpoint-state-change-failed-other-endpoint.json", False),
    ("failed", "endpoint-state-change-rolling-back.json", False),
    ("failed", "model-state-change-failed-lookalike.json", False),
    ("failed", "custom-source-failed-lookalike.json", False),
    ("failed-any", "endpoint-state-change-failed-other-endpoint.json", True),
    ("rollback", "endpoint-state-change-rolling-back.json", True),
    ("rollback", "endpoint-deployment-state-change-update-rollback-failed.json", True),
    ("rollback", "endpoint-deployment-state-change-updating.json", False),
    ("rollback", "endpoint-state-change-failed.json", False),
    ("rollback", "endpoint-state-change-in-service.json", False),
    ("rollback-any", "endpoint-deployment-state-change-update-rollback-failed.json", True),
    # Every plausible spelling of the two rollback statuses, on both detail types.
    ("rollback", "endpoint-state-change-rolling-back-api-case.json", True),
    ("rollback", "endpoint-state-change-update-rollback-failed.json", True),
    ("rollback", "endpoint-deployment-state-change-rolling-back.json", True),
    ("rollback", "endpoint-deployment-state-change-update-rollback-failed-api-case.json", True),
    ("rollback", "endpoint-state-change-updating-api-case.json", False),
    ("rollback", "endpoint-deployment-state-change-rolling-back-other-endpoint.json", False),
    ("rollback-any", "endpoint-deployment-state-change-rolling-back-other-endpoint.json", True),
    ("rollback-any", "endpoint-state-change-updating-api-case.json", False),
    ("failed", "endpoint-state-change-rolling-back-api-case.json", False),
    ("failed", "endpoint-state-change-update-rollback-failed.json", False),
]


@pytest.mark.parametrize(("rule", "event", "matches"), CASES)
def test_rule_patterns_on_sample_events(
    built: dict[str, Any], rule: str, event: str, matches: bool
) -> None:
    assert pattern_matches(built["patterns"][rule], _event(event)) is matches


#: The DescribeEndpoint ``EndpointStatus`` values (botocore's sagemaker service model).
API_STATUSES: tuple[str, ...] = tuple(
    botocore.session.get_session().get_service_model("sagemaker").shape_for("EndpointStatus").enum
)
ROLLBACK_API_STATUSES = ("RollingBack", "UpdateRollbackFailed")


def _upper_snake(api_status: str) -> str:
    """The endpoint events' spelling of an API status (InService -> IN_SERVICE)."""
    return "_".join(w.upper() for w in re.findall(r"[A-Z][a-z]*", api_status))


def test_rollback_statuses_are_the_api_values_in_both_spellings() -> None:
    assert set(ROLLBACK_API_STATUSES) <= set(API_STATUSES)
    assert _upper_snake("InService") == "IN_SERVICE"  # the guide's documented sample
    assert set(ROLLBACK_STATUSES) == {
        *ROLLBACK_API_STATUSES,
        *(_upper_snake(s) for s in ROLLBACK_API_STATUSES),
    }
    # FAILED: public handlers of the event; Failed: the API's spelling, as no sample shows one.
    assert set(FAILED_STATUSES) == {"FAILED", "Failed"} and "Failed" in API_STATUSES


def _with_status(name: str, status: str, endpoint: str = "churn-ep") -> dict[str, Any]:
    event = _event(name)
    event["detail"]["EndpointStatus"] = status
    event["detail"]["EndpointName"] = endpoint
    return event


SHAPES = {
    ENDPOINT_STATE_CHANGE: "endpoint-state-change-in-service.json",
    DEPLOYMENT_STATE_CHANGE: "endpoint-deployment-state-change-updating.json",
}


@pytest.mark.parametrize("detail_type", list(SHAPES))
@pytest.mark.parametrize(
    "status", ["ROLLING_BACK", "UPDATE_ROLLBACK_FAILED", "RollingBack", "UpdateRollbackFailed"]
)
def test_rollback_rule_matches_every_plausible_spelling(
    built: dict[str, Any], detail_type: str, status: str
) -> None:
    event = _with_status(SHAPES[detail_type], status)
    assert event["detail-type"] == detail_type
    assert pattern_matches(built["patterns"]["rollback"], event)
    assert pattern_matches(built["patterns"]["rollback-any"], event)
    assert not pattern_matches(built["patterns"]["failed"], event)
    other = _with_status(SHAPES[detail_type], status, endpoint="other-ep")
    assert not pattern_matches(built["patterns"]["rollback"], other)
    assert pattern_matches(built["patterns"]["rollback-any"], other)


@pytest.mark.parametrize("detail_type", list(SHAPES))
def test_rollback_rule_ignores_every_other_status_in_both_spellings(
    built: dict[str, Any], detail_type: str
) -> None:
    others = [s for s in API_STATUSES if s not in ROLLBACK_API_STATUSES]
    assert {"InService", "Updating", "Failed"} <= set(others)
    for status in [*others, *(_upper_snake(s) for s in others), "DELETED"]:
        event = _with_status(SHAPES[detail_type], status)
        assert not pattern_matches(built["patterns"]["rollback-any"], event), status


def test_moto_routes_the_same_events_to_a_queue(built: dict[str, Any]) -> None:
    """Cross-check with moto's own pattern matching: put_events -> rule -> SQS target.

    moto 5.2's ``test_event_pattern`` returns no ``Result`` (it is a stub), so the matcher
    below is the primary check; when moto does answer, it must agree.
    """
    with mock_aws():
        events = boto3.client("events", region_name="us-east-1")
        sqs = boto3.client("sqs", region_name="us-east-1")
        probe = events.test_event_pattern(
            EventPattern=json.dumps(built["patterns"]["failed"]),
            Event=json.dumps(_event("endpoint-state-change-failed.json")),
        )
        if "Result" in probe:
            assert probe["Result"] is True
        queues = {}
        for rule, pattern in built["patterns"].items():
            url = sqs.create_queue(QueueName=f"q-{rule}")["QueueUrl"]
            arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
            events.put_rule(Name=f"r-{rule}", EventPattern=json.dumps(pattern))
            events.put_targets(
                Rule=f"r-{rule}", Targets=[{"Id": "q", "Arn": arn["Attributes"]["QueueArn"]}]
            )
            queues[rule] = url
        for name in sorted({name for _, name, _ in CASES}):
            event = _event(name)
            result = events.put_events(
                Entries=[
                    {
                        "Source": event["source"],
                        "DetailType": event["detail-type"],
                        "Detail": json.dumps(event["detail"]),
                        "Resources": event["resources"],
                    }
                ]
            )
            assert result["FailedEntryCount"] == 0
            delivered = {
                rule
                for rule, url in queues.items()
                if sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages")
            }
            expected = {rule for rule, case, matches in CASES if case == name and matches}
            checked = {rule for rule, case, _ in CASES if case == name}
            assert delivered & checked == expected, name


# -- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"max_event_age": Duration.seconds(30)},
            r"max_event_age=30 seconds is 30 s, out of range",
        ),
        (
            {"max_event_age": Duration.hours(25)},
            r"max_event_age=1 day 1 hour is 90000 s, out of range",
        ),
        ({"retry_attempts": 186}, r"retry_attempts=186 is out of range"),
        ({"retry_attempts": 1.5}, r"retry_attempts=1.5 is not a whole number"),
        ({"endpoint_names": []}, r"endpoint_names=\[\] is empty"),
        ({"endpoint_names": "churn-ep"}, r"endpoint_names='churn-ep' is a single string"),
        ({"endpoint_names": ["churn_ep"]}, r"endpoint_names\[0\]='churn_ep' is not a valid"),
        ({"endpoint_names": ["a", "a"]}, r"endpoint_names='a' appears more than once"),
    ],
)
def test_bad_props_are_refused(kwargs: dict[str, Any], message: str) -> None:
    stack = Stack(App(), "Bad")
    topic = sns.Topic(stack, "Topic")
    with pytest.raises(InvalidPropsError, match=r"Bad/Rules: " + message):
        EndpointEventRules(stack, "Rules", topic=topic, **kwargs)


# -- a faithful matcher for the EventBridge pattern syntax the rules use -----------------------
#
# From the EventBridge user guide, "Event patterns": every field named in the pattern must be
# in the event; a pattern leaf is a list of values and matches when the event's value equals
# one of them (exact, case-sensitive, type-sensitive); when the event's value is an array, it
# matches when any element does; nested objects match field by field. Content filters
# (prefix, anything-but, numeric, exists, ...) are not used by the rules and are refused.


def pattern_matches(pattern: dict[str, Any], event: dict[str, Any]) -> bool:
    """Whether the EventBridge ``pattern`` (exact-value subset) matches ``event``."""
    for key, expected in pattern.items():
        if key not in event:
            return False
        value = event[key]
        if isinstance(expected, dict):
            if not isinstance(value, dict) or not pattern_matches(expected, value):
                return False
            continue
        assert isinstance(expected, list), f"pattern leaf {key!r} must be a list"
        assert all(not isinstance(v, dict) for v in expected), "content filters are not supported"
        candidates = value if isinstance(value, list) else [value]
        if not any(_same(c, e) for c in candidates for e in expected):
            return False
    return True


def _same(a: Any, b: Any) -> bool:
    return type(a) is type(b) and a == b


@pytest.mark.parametrize(
    ("pattern", "event", "matches"),
    [
        ({"source": ["aws.ec2"]}, {"source": "aws.ec2"}, True),
        ({"source": ["aws.ec2"]}, {"source": "AWS.EC2"}, False),
        ({"source": ["aws.ec2", "aws.s3"]}, {"source": "aws.s3"}, True),
        ({"detail": {"state": ["running"]}}, {"detail": {"state": "running", "x": 1}}, True),
        ({"detail": {"state": ["running"]}}, {"detail": {}}, False),
        ({"detail": {"state": ["running"]}}, {"source": "aws.ec2"}, False),
        ({"resources": ["arn:a"]}, {"resources": ["arn:b", "arn:a"]}, True),
        ({"resources": ["arn:a"]}, {"resources": []}, False),
        ({"detail": {"n": [1]}}, {"detail": {"n": "1"}}, False),
        ({"detail": {"n": [1]}}, {"detail": {"n": 1}}, True),
        ({"detail": {"a": {"b": ["c"]}}}, {"detail": {"a": "c"}}, False),
    ],
)
def test_matcher_follows_eventbridge_semantics(
    pattern: dict[str, Any], event: dict[str, Any], matches: bool
) -> None:
    assert pattern_matches(pattern, event) is matches
