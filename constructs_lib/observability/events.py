"""EventBridge rules that tell a topic when an endpoint fails or its deployment rolls back.

SageMaker publishes two endpoint events to the default event bus (source ``aws.sagemaker``;
SageMaker developer guide, "Events that Amazon SageMaker AI sends to Amazon EventBridge",
https://docs.aws.amazon.com/sagemaker/latest/dg/automating-sagemaker-with-eventbridge.html):

- ``SageMaker Endpoint State Change``: the endpoint's status changed, in
  ``detail.EndpointStatus``. The guide's one example shows ``IN_SERVICE``: upper snake case,
  where the DescribeEndpoint API says ``InService``.
- ``SageMaker Endpoint Deployment State Change``: progress of a deployment (blue/green
  traffic shifting, capacity changes), with the same ``detail.EndpointStatus`` field
  (``UPDATING`` in both of the guide's examples) and per-variant ``VariantStatus``
  (``Creating``, ``Updating``, ``Deleting``, ``ActivatingTraffic``, ``Baking``; none of
  them reports a rollback).

The failure rule matches ``FAILED``, the upper-snake-case spelling of the API's ``Failed``
that public handlers of these events compare against.

Neither event type has a rollback detail type of its own, and AWS documents no event with
a rollback status. The DescribeEndpoint API has two (SageMaker API reference,
DescribeEndpoint, EndpointStatus): ``RollingBack`` (documented for endpoints with
autoscaling whose weight or capacity change failed: the endpoint returns to its previous
configuration, then to ``InService``) and ``UpdateRollbackFailed`` (both the deployment and
its auto-rollback failed; the endpoint serves a mix of the old and new configurations). As
no event shows how they are spelled, the rollback rule matches every plausible spelling on
both detail types: the upper snake case the documented events use (``ROLLING_BACK``,
``UPDATE_ROLLBACK_FAILED``) and the API's own (``RollingBack``, ``UpdateRollbackFailed``);
see :data:`ROLLBACK_STATUSES`.

A blue/green deployment that SageMaker rolls back successfully (an auto-rollback alarm
fired) returns the endpoint to ``IN_SERVICE`` on the old configuration without a documented
rollback status: give the rollback alarms themselves an alarm action to be told of those.
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Annotations, Duration, RemovalPolicy, Resource, Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_events_targets as targets
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sqs as sqs
from constructs import Construct

from constructs_lib.core import (
    InvalidPropsError,
    acknowledge,
    check_duration_seconds,
    check_name,
    check_range,
    check_unique,
    key_or_new,
)

__all__ = [
    "DEPLOYMENT_STATE_CHANGE",
    "ENDPOINT_STATE_CHANGE",
    "FAILED_STATUSES",
    "ROLLBACK_STATUSES",
    "EndpointEventRules",
]

#: ``detail-type`` of SageMaker's endpoint status events.
ENDPOINT_STATE_CHANGE = "SageMaker Endpoint State Change"
#: ``detail-type`` of SageMaker's endpoint deployment progress events.
DEPLOYMENT_STATE_CHANGE = "SageMaker Endpoint Deployment State Change"
#: ``EndpointStatus`` values the failure rule matches.
#:
#: Spelled as the endpoint events spell statuses: the developer guide's samples show upper
#: snake case (``IN_SERVICE``, ``UPDATING``; automating-sagemaker-with-eventbridge.html),
#: and public handlers of these events map ``FAILED`` (e.g. awslabs/
#: stable-diffusion-aws-extension, middleware_api/endpoints/endpoint_event.py, whose mapping
#: of "EventBridge event status (upper case)" holds IN_SERVICE, CREATING, UPDATING,
#: DELETING, DELETED and FAILED). No guide sample shows a failed endpoint, so the API's
#: spelling (``Failed``, DescribeEndpoint) is matched too.
FAILED_STATUSES: tuple[str, ...] = ("FAILED", "Failed")
#: ``EndpointStatus`` values the rollback rule matches: every plausible spelling, because
#: AWS documents none for an event.
#:
#: - Documented: only as DescribeEndpoint API values, ``RollingBack`` and
#:   ``UpdateRollbackFailed`` (API reference, DescribeEndpoint, EndpointStatus; botocore's
#:   sagemaker service-2.json EndpointStatus enum). No event sample in the developer guide
#:   (automating-sagemaker-with-eventbridge.html) or in public code shows either, and the
#:   deployment events' documented ``VariantStatus`` stages (Creating, Updating, Deleting,
#:   ActivatingTraffic, Baking) have no rollback stage to match instead.
#: - Inferred: ``ROLLING_BACK`` and ``UPDATE_ROLLBACK_FAILED``, the upper snake case of the
#:   documented samples (``IN_SERVICE`` for ``InService``, ``UPDATING`` for ``Updating``).
ROLLBACK_STATUSES: tuple[str, ...] = (
    "ROLLING_BACK",
    "UPDATE_ROLLBACK_FAILED",
    "RollingBack",
    "UpdateRollbackFailed",
)

_MAX_RETRY_ATTEMPTS = 185
_DLQ_RETENTION = Duration.days(14)


class EndpointEventRules(Construct):
    """Notify a topic when a SageMaker endpoint fails or a deployment rolls back.

    Two rules on the default event bus, each targeting ``topic`` with a retry policy and a
    dead-letter queue for events EventBridge could not deliver:

    - ``failed_rule``: ``SageMaker Endpoint State Change`` with ``EndpointStatus`` FAILED;
    - ``rollback_rule``: ``SageMaker Endpoint State Change`` or ``SageMaker Endpoint
      Deployment State Change`` with ``EndpointStatus`` ROLLING_BACK,
      UPDATE_ROLLBACK_FAILED, RollingBack or UpdateRollbackFailed (AWS documents no event
      with a rollback status, so the rule matches both the events' upper snake case and
      the API's spelling; see the module documentation).

    The topic receives the event JSON unchanged. For a topic of this app encrypted with a
    KMS key, CDK adds ``events.amazonaws.com`` to the key policy; an imported topic's key
    must already allow it (``kms:Decrypt``, ``kms:GenerateDataKey*``).

    :param topic: the notification topic.
    :param endpoint_names: only events of these endpoints (``detail.EndpointName``; pass
        ``endpoint.endpoint_name`` for an endpoint of this app). Default: every endpoint of
        the account and region.
    :param max_event_age: how long EventBridge retries delivery before the event goes to
        the dead-letter queue, 60 s to 24 h. Default: 24 hours.
    :param retry_attempts: delivery retries, 0-185. Default: 185.
    :param encryption_key: the KMS key of the dead-letter queue; its policy is extended to
        let EventBridge use it when it belongs to this app. Default: a new
        customer-managed key with rotation.
    :param removal_policy: what happens to the dead-letter queue, and to the key if this
        construct creates it, when they leave the stack or the stack is deleted.
        ``DESTROY`` deletes the undelivered events (and schedules the key's deletion),
        e.g. for short-lived test stacks. Default: ``RemovalPolicy.RETAIN``.

    Attributes: ``topic``, ``failed_rule``, ``rollback_rule``, ``rules`` (both),
    ``dead_letter_queue`` and ``encryption_key``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        topic: sns.ITopic,
        endpoint_names: Sequence[str] | None = None,
        max_event_age: Duration | None = None,
        retry_attempts: int = _MAX_RETRY_ATTEMPTS,
        encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        names = self._check_names(endpoint_names)
        max_age = max_event_age or Duration.hours(24)
        check_duration_seconds(self, "max_event_age", max_age, 60, 86400)
        check_range(self, "retry_attempts", retry_attempts, 0, _MAX_RETRY_ATTEMPTS, integer=True)
        self._configure_encryption(encryption_key, removal_policy)
        self._configure_dead_letter_queue(removal_policy)
        #: The notification topic.
        self.topic: sns.ITopic = topic
        self._target = targets.SnsTopic(
            topic,
            dead_letter_queue=self.dead_letter_queue,
            max_event_age=max_age,
            retry_attempts=retry_attempts,
        )
        self._configure_rules(names)

    def _configure_encryption(
        self, encryption_key: kms.IKey | None, removal_policy: RemovalPolicy
    ) -> None:
        """Create the queue's key unless one is given, and let EventBridge rules use it."""
        #: The key of the dead-letter queue.
        self.encryption_key: kms.IKey = key_or_new(
            self,
            encryption_key,
            description=f"Encrypts the dead-letter queue of {self.node.path}",
            removal_policy=removal_policy,
        )
        if not _grant_eventbridge_rules_the_key(self.encryption_key, Stack.of(self)):
            Annotations.of(self).add_warning_v2(
                "constructs_lib:importedQueueKey",
                "encryption_key is imported, so its key policy cannot be extended here: it "
                "must allow events.amazonaws.com kms:Decrypt and kms:GenerateDataKey*.",
            )

    def _configure_dead_letter_queue(self, removal_policy: RemovalPolicy) -> None:
        #: Events EventBridge could not deliver to the topic, kept 14 days.
        self.dead_letter_queue: sqs.Queue = sqs.Queue(
            self,
            "DeadLetterQueue",
            encryption=sqs.QueueEncryption.KMS,
            encryption_master_key=self.encryption_key,
            enforce_ssl=True,
            retention_period=_DLQ_RETENTION,
            removal_policy=removal_policy,
        )
        acknowledge(
            self.dead_letter_queue,
            "AwsSolutions-SQS3",
            "This queue is itself the dead-letter queue of the EventBridge targets; "
            "nothing consumes it automatically, so it needs no dead-letter queue of its own.",
        )

    def _configure_rules(self, names: list[str]) -> None:
        detail_names = {"EndpointName": names} if names else {}
        #: The rule for endpoints that reach FAILED.
        self.failed_rule: events.Rule = self._rule(
            "EndpointFailedRule",
            "A SageMaker endpoint reached the FAILED status.",
            [ENDPOINT_STATE_CHANGE],
            {"EndpointStatus": list(FAILED_STATUSES), **detail_names},
        )
        #: The rule for deployments that roll back or fail to roll back. AWS documents no
        #: event with these statuses: ROLLBACK_STATUSES holds every plausible spelling.
        self.rollback_rule: events.Rule = self._rule(
            "DeploymentRollbackRule",
            "A SageMaker endpoint is rolling back, or its rollback failed.",
            [ENDPOINT_STATE_CHANGE, DEPLOYMENT_STATE_CHANGE],
            {"EndpointStatus": list(ROLLBACK_STATUSES), **detail_names},
        )
        #: Both rules.
        self.rules: tuple[events.Rule, ...] = (self.failed_rule, self.rollback_rule)

    def _rule(
        self,
        construct_id: str,
        description: str,
        detail_types: list[str],
        detail: dict[str, list[str]],
    ) -> events.Rule:
        return events.Rule(
            self,
            construct_id,
            description=description,
            event_pattern=events.EventPattern(
                source=["aws.sagemaker"], detail_type=detail_types, detail=detail
            ),
            targets=[self._target],
        )

    def _check_names(self, endpoint_names: Sequence[str] | None) -> list[str]:
        if endpoint_names is None:
            return []
        if isinstance(endpoint_names, str):
            raise InvalidPropsError(
                self,
                "endpoint_names",
                endpoint_names,
                "is a single string",
                "pass a list of names, e.g. [endpoint.endpoint_name]",
            )
        names = list(endpoint_names)
        if not names:
            raise InvalidPropsError(
                self,
                "endpoint_names",
                names,
                "is empty, so the rules would match no endpoint",
                "pass at least one name, or leave endpoint_names out to watch every endpoint",
            )
        for i, name in enumerate(names):
            check_name(self, f"endpoint_names[{i}]", name)
        check_unique(self, "endpoint_names", names)
        return names


def _grant_eventbridge_rules_the_key(key: kms.IKey, stack: Stack) -> bool:
    """Let EventBridge rules of this account and region write to the encrypted queue.

    CDK's ``key.grant`` with exactly the two actions SQS needs from a sender of encrypted
    messages. Not ``queue.grant_send_messages()``: it would also grant ``kms:Encrypt``,
    ``kms:ReEncrypt*``, ``sqs:GetQueueAttributes`` and ``sqs:GetQueueUrl``, which
    EventBridge does not need (the targets already allow ``sqs:SendMessage`` per rule).

    The condition names the account's rules with a wildcard: naming the rules themselves
    would make the key depend on the rules, which depend on the queue, which depends on the
    key. The queue policy (added by the targets) limits SendMessage to these two rules.
    Returns False when the key is imported and its policy could not be extended.
    """
    rule_arns = stack.format_arn(service="events", resource="rule", resource_name="*")
    principal = iam.ServicePrincipal("events.amazonaws.com").with_conditions(
        {
            "StringEquals": {"aws:SourceAccount": stack.account},
            "ArnLike": {"aws:SourceArn": rule_arns},
        }
    )
    grant = key.grant(principal, "kms:Decrypt", "kms:GenerateDataKey*")
    if grant.resource_statement is not None:
        # Named as before the grant replaced a hand-written statement: the key policy
        # (and every deployed one) reads the same.
        grant.resource_statement.sid = "AllowEventBridgeRulesToUseKey"
    # A grant to an imported key reports success without changing its policy.
    return bool(Resource.is_owned_resource(key))
