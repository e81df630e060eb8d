"""What happens when an alarm changes state: notify a topic, invoke a function, or nothing.

Every alarm construct in this library takes an :class:`AlarmActions` and has no default for
it, so an alarm without actions is always a decision someone wrote down
(:meth:`AlarmActions.none` requires the reason, and records it as the compliance
acknowledgment of the alarm-action rules).

:class:`NotificationTopic` is the usual destination: an SNS topic encrypted with its own
customer-managed key that CloudWatch alarms and EventBridge rules may publish to, over TLS
only, with e-mail and HTTPS subscribers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from aws_cdk import ArnFormat, Names, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_sns as sns
from aws_cdk import aws_sns_subscriptions as subscriptions
from constructs import Construct, IConstruct

from constructs_lib.core import InvalidPropsError, acknowledge, is_token, key_or_new, require

if TYPE_CHECKING:  # aws_lambda is large; it is needed only for type hints here.
    from aws_cdk import aws_lambda as lambda_

__all__ = ["ALARM_ACTION_RULES", "AlarmActions", "NotificationTopic"]

#: The compliance rules that flag a metric alarm without actions.
ALARM_ACTION_RULES = (
    "HIPAA.Security-CloudWatchAlarmAction",
    "NIST.800.53.R5-CloudWatchAlarmAction",
)

#: The most actions CloudWatch accepts per alarm state.
_MAX_ACTIONS_PER_STATE = 5


class NotificationTopic(Construct):
    """An SNS topic for alarm and event notifications, secure by default.

    - encrypted with a new customer-managed KMS key (rotation on) whose key policy lets
      CloudWatch alarms and EventBridge rules encrypt messages for this topic only;
    - a topic policy that denies publishing without TLS and allows CloudWatch alarms of
      this account and EventBridge rules of this account to publish;
    - e-mail and HTTPS subscriptions (each subscriber confirms once).

    :param emails: e-mail addresses to subscribe. Default: none.
    :param https_endpoints: HTTPS URLs to subscribe (``https://`` only). Default: none.
    :param display_name: the topic's display name (the e-mail sender name). Default: none.
    :param topic_name: the topic name. Default: derived from the construct path (stable;
        the key policy needs the topic ARN before the topic exists).
    :param encryption_key: use this key instead of creating one; the same key-policy
        statements are added to it (an imported key's policy cannot be changed from here, so
        it must already let ``cloudwatch.amazonaws.com`` and ``events.amazonaws.com`` use it).
        Default: a new key with rotation.
    :param removal_policy: what happens to the key this construct creates when it leaves
        the stack or the stack is deleted (``DESTROY`` schedules its deletion, e.g. for
        short-lived test stacks); a given ``encryption_key`` keeps its own. The topic holds
        no data and is deleted either way. Default: ``RemovalPolicy.RETAIN``.

    Attributes: ``topic``, ``encryption_key`` and ``actions`` (alarm actions that publish
    to the topic).
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        emails: Sequence[str] = (),
        https_endpoints: Sequence[str] = (),
        display_name: str | None = None,
        topic_name: str | None = None,
        encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        _check_subscribers(self, emails, https_endpoints)
        name = self._configure_name(topic_name)
        self._configure_encryption(name, encryption_key, removal_policy)
        self._configure_topic(name, display_name)
        for email in emails:
            self.topic.add_subscription(subscriptions.EmailSubscription(email))
        for url in https_endpoints:
            self.topic.add_subscription(
                subscriptions.UrlSubscription(url, protocol=sns.SubscriptionProtocol.HTTPS)
            )

    @property
    def actions(self) -> AlarmActions:
        """Alarm actions that publish to this topic on ALARM and on OK."""
        return AlarmActions.to_topic(self.topic)

    def _configure_name(self, topic_name: str | None) -> str:
        """The topic name: given (checked), or derived from the construct path."""
        if topic_name is not None and not is_token(topic_name):
            require(
                0 < len(topic_name) <= 256
                and all(c.isascii() and (c.isalnum() or c in "-_") for c in topic_name),
                self,
                "topic_name",
                topic_name,
                "is not a valid SNS topic name",
                "use 1-256 ASCII letters, digits, '-' and '_'",
            )
        return topic_name or Names.unique_resource_name(self, max_length=256, separator="-")

    def _configure_encryption(
        self, name: str, encryption_key: kms.IKey | None, removal_policy: RemovalPolicy
    ) -> None:
        """Create the key unless one is given; let alarms and rules encrypt for this topic.

        Key-policy statements rather than a CDK grant: ``topic.grant_publish()`` and
        ``key.grant(...)`` give the service principals the key for every topic it encrypts,
        while the ``kms:EncryptionContext:aws:sns:topicArn`` condition here limits them to
        this topic, which matters when ``encryption_key`` is shared. CDK has no grant that
        adds that condition.
        """
        topic_arn = Stack.of(self).format_arn(service="sns", resource=name)
        #: The key that encrypts the topic's messages.
        self.encryption_key: kms.IKey = key_or_new(
            self,
            encryption_key,
            description=f"Encrypts the messages of SNS topic {name}",
            removal_policy=removal_policy,
        )
        for service, sid in (("cloudwatch", "CloudWatchAlarms"), ("events", "EventBridgeRules")):
            self.encryption_key.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=f"Allow{sid}ToEncryptFor{_sid_safe(self.node.id)}",
                    principals=[iam.ServicePrincipal(f"{service}.amazonaws.com")],
                    actions=["kms:Decrypt", "kms:GenerateDataKey*"],
                    resources=["*"],
                    conditions={
                        "StringEquals": {"kms:EncryptionContext:aws:sns:topicArn": topic_arn}
                    },
                )
            )

    def _configure_topic(self, name: str, display_name: str | None) -> None:
        """Create the TLS-only topic; let alarms and rules of this account publish to it.

        Topic-policy statements rather than ``topic.grant_publish()``: besides the topic
        policy, that grant adds a key-policy statement for the service principal without
        the encryption-context condition above, wider than needed. These statements limit
        publishing to CloudWatch alarms and EventBridge rules of this account.
        """
        stack = Stack.of(self)
        #: The SNS topic.
        self.topic = sns.Topic(
            self,
            "Topic",
            topic_name=name,
            display_name=display_name,
            master_key=self.encryption_key,
            enforce_ssl=True,
        )
        alarm_arns = stack.format_arn(
            service="cloudwatch",
            resource="alarm",
            resource_name="*",
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        for service, sid, source in (
            ("cloudwatch", "AllowCloudWatchAlarms", {"ArnLike": {"aws:SourceArn": alarm_arns}}),
            ("events", "AllowEventBridgeRules", {}),
        ):
            self.topic.add_to_resource_policy(
                iam.PolicyStatement(
                    sid=sid,
                    principals=[iam.ServicePrincipal(f"{service}.amazonaws.com")],
                    actions=["sns:Publish"],
                    resources=[self.topic.topic_arn],
                    conditions={"StringEquals": {"aws:SourceAccount": stack.account}, **source},
                )
            )


class AlarmActions:
    """The actions an alarm runs when it enters ALARM (and, where chosen, OK).

    Build one with a factory: :meth:`to_topic`, :meth:`to_lambda` or :meth:`none`; join
    several with :meth:`and_` (e.g. notify a topic and invoke a function). Apply it to an
    alarm with :meth:`apply`.
    """

    def __init__(
        self,
        *,
        alarm_actions: Sequence[cloudwatch.IAlarmAction] = (),
        ok_actions: Sequence[cloudwatch.IAlarmAction] = (),
        no_actions_reason: str | None = None,
    ) -> None:
        """Prefer the factories; this constructor takes the raw CloudWatch actions.

        :param alarm_actions: run on entering ALARM. Default: none.
        :param ok_actions: run on returning to OK. Default: none.
        :param no_actions_reason: why the alarm has no actions; required when both lists
            are empty. Default: none.
        """
        if not alarm_actions and not ok_actions:
            _check_reason(no_actions_reason)
        require(
            len(alarm_actions) <= _MAX_ACTIONS_PER_STATE
            and len(ok_actions) <= _MAX_ACTIONS_PER_STATE,
            "AlarmActions",
            "alarm_actions",
            f"{len(alarm_actions)} alarm / {len(ok_actions)} OK actions",
            f"exceeds CloudWatch's limit of {_MAX_ACTIONS_PER_STATE} actions per state",
            "notify one SNS topic and fan out from it",
        )
        self.alarm_actions: tuple[cloudwatch.IAlarmAction, ...] = tuple(alarm_actions)
        self.ok_actions: tuple[cloudwatch.IAlarmAction, ...] = tuple(ok_actions)
        self.no_actions_reason = no_actions_reason if not (alarm_actions or ok_actions) else None

    @staticmethod
    def to_topic(topic: sns.ITopic, *, ok_actions: bool = True) -> AlarmActions:
        """Publish to an SNS topic (e.g. :attr:`NotificationTopic.topic`).

        If the topic is encrypted with a key you manage, its key policy must let
        ``cloudwatch.amazonaws.com`` use the key (:class:`NotificationTopic` does this).

        :param topic: the topic.
        :param ok_actions: also publish when the alarm returns to OK. Default: True.
        """
        action = cw_actions.SnsAction(topic)
        return AlarmActions(alarm_actions=[action], ok_actions=[action] if ok_actions else [])

    @staticmethod
    def to_lambda(fn: lambda_.IFunction, *, ok_actions: bool = False) -> AlarmActions:
        """Invoke a Lambda function; each alarm gets its own invoke permission.

        :param fn: the function (a version or alias works too).
        :param ok_actions: also invoke it when the alarm returns to OK. Default: False.
        """
        action = cw_actions.LambdaAction(fn, use_unique_permission_id=True)
        return AlarmActions(alarm_actions=[action], ok_actions=[action] if ok_actions else [])

    @staticmethod
    def none(reason: str) -> AlarmActions:
        """No actions at all: the alarms only change state (dashboards, rollback alarms).

        The reason is recorded as the acknowledgment of the alarm-action compliance rules on
        every alarm this is applied to.

        :param reason: why nobody needs to be told; required and non-empty.
        """
        _check_reason(reason)
        return AlarmActions(no_actions_reason=reason)

    def and_(self, other: AlarmActions) -> AlarmActions:
        """Return these actions plus ``other``'s (``none`` adds nothing)."""
        return AlarmActions(
            alarm_actions=[*self.alarm_actions, *other.alarm_actions],
            ok_actions=[*self.ok_actions, *other.ok_actions],
            no_actions_reason=self.no_actions_reason or other.no_actions_reason,
        )

    @property
    def is_none(self) -> bool:
        """True when no action runs in any state."""
        return not self.alarm_actions and not self.ok_actions

    def apply(self, alarm: cloudwatch.Alarm | cloudwatch.CompositeAlarm) -> None:
        """Add the ALARM (and OK) actions to ``alarm``.

        With :meth:`none`, adds nothing and acknowledges the alarm-action rules on the alarm
        with the given reason.
        """
        if self.is_none:
            for rule in ALARM_ACTION_RULES:
                acknowledge(
                    alarm, rule, f"Alarm actions disabled on purpose: {self.no_actions_reason}"
                )
            return
        if self.alarm_actions:
            alarm.add_alarm_action(*self.alarm_actions)
        if self.ok_actions:
            alarm.add_ok_action(*self.ok_actions)


def _check_actions(scope: IConstruct, prop: str, actions: object) -> AlarmActions:
    """Return ``actions`` after checking that it is an :class:`AlarmActions`.

    Private to the package: every construct here that takes ``actions`` calls it.
    """
    if not isinstance(actions, AlarmActions):
        raise InvalidPropsError(
            scope,
            prop,
            actions,
            "is not AlarmActions",
            "pass NotificationTopic.actions, AlarmActions.to_topic(topic), "
            "AlarmActions.to_lambda(fn) or AlarmActions.none(reason=...)",
        )
    return actions


def _check_reason(reason: str | None) -> None:
    require(
        isinstance(reason, str) and bool(reason.strip()),
        "AlarmActions.none",
        "reason",
        reason,
        "is empty; an alarm without actions needs a written reason",
        "say why nobody needs to be told, e.g. "
        "AlarmActions.none(reason='rollback alarm only; the pipeline reports failures')",
    )


def _check_subscribers(
    scope: Construct, emails: Sequence[str], https_endpoints: Sequence[str]
) -> None:
    if isinstance(emails, str) or isinstance(https_endpoints, str):
        raise InvalidPropsError(
            scope,
            "emails" if isinstance(emails, str) else "https_endpoints",
            emails if isinstance(emails, str) else https_endpoints,
            "is a single string, not a list",
            "pass a list, e.g. emails=['oncall@example.com']",
        )
    for i, email in enumerate(emails):
        if is_token(email):
            continue
        local, _, domain = email.partition("@")
        require(
            bool(local) and bool(domain) and " " not in email and "@" not in domain,
            scope,
            f"emails[{i}]",
            email,
            "is not an e-mail address",
            "pass an address such as 'oncall@example.com'",
        )
    for i, url in enumerate(https_endpoints):
        if is_token(url):
            continue
        require(
            url.startswith("https://") and len(url) > len("https://") and " " not in url,
            scope,
            f"https_endpoints[{i}]",
            url,
            "is not an HTTPS URL",
            "pass a URL that starts with 'https://' (plain HTTP would expose the messages)",
        )


def _sid_safe(text: str) -> str:
    return "".join(c for c in text if c.isascii() and c.isalnum()) or "Topic"
