"""An endpoint's CloudWatch log group, created before the endpoint, with metric filters.

SageMaker writes container logs to ``/aws/sagemaker/Endpoints/<endpoint name>`` and creates
that group itself, with no retention and no encryption, the first time an instance starts.
:class:`EndpointLogGroup` creates the group first, with a retention period, a
customer-managed KMS key and a removal policy (RETAIN unless told otherwise), and makes the
endpoint resource wait for it, so SageMaker finds it in place instead of racing
CloudFormation to create it.

:meth:`EndpointLogGroup.add_metric_filter` turns log lines into a CloudWatch metric (and,
optionally, an alarm described by :class:`MetricFilterAlarm`);
:meth:`EndpointLogGroup.alarm_on_model_errors` is the ready-made filter for container errors
and tracebacks. Every alarm takes an :class:`~constructs_lib.observability.AlarmActions`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Annotations, ArnFormat, CfnResource, Duration, RemovalPolicy, Stack
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from constructs_lib.core import InvalidPropsError, check_name, is_token, key_or_new, require
from constructs_lib.observability._validation import (
    check_endpoint,
    check_evaluation,
    check_retention,
    check_whole_minutes,
)
from constructs_lib.observability.actions import AlarmActions, _check_actions
from constructs_lib.serving.endpoint import Endpoint
from constructs_lib.serving.facts import ENDPOINT_LOG_GROUP_PREFIX

__all__ = [
    "DEFAULT_ERROR_TERMS",
    "DEFAULT_METRIC_NAMESPACE",
    "ENDPOINT_LOG_GROUP_PREFIX",
    "EndpointLogGroup",
    "MetricFilterAlarm",
]

# ENDPOINT_LOG_GROUP_PREFIX (where SageMaker writes an endpoint's container logs) is a
# service fact of constructs_lib.serving.facts, re-exported here for the package's API.

#: Namespace of the metrics that :meth:`EndpointLogGroup.add_metric_filter` publishes.
DEFAULT_METRIC_NAMESPACE = "MLOps/Endpoints"
#: Terms that mark an error line in typical model-server output (Python tracebacks,
#: ``logging`` ERROR records, Java/Python exceptions). Terms are case-sensitive.
DEFAULT_ERROR_TERMS: tuple[str, ...] = ("ERROR", "Traceback", "Exception")

_MAX_METRIC_NAME = 255


class EndpointLogGroup(Construct):
    """The log group of one SageMaker endpoint, created before the endpoint.

    Give ``endpoint`` (an :class:`~constructs_lib.serving.Endpoint` with a fixed
    ``endpoint_name``) or ``endpoint_name``, not both.

    With ``endpoint``, the endpoint's CloudFormation resource gets a ``DependsOn`` on the log
    group (which itself waits for its key), so SageMaker never creates the group first: if
    it did, the CloudFormation create of the group would fail with "already exists". With
    ``endpoint_name`` nothing can be wired for you: make the endpoint resource depend on
    this construct's group yourself
    (``endpoint_resource.node.add_dependency(endpoint_logs.log_group)``), or deploy the log
    group in an earlier stack. Only the endpoint resource waits, not the whole endpoint
    construct: a dependency of the construct would also make the endpoint's volume key wait
    for the group, a cycle when that key is passed as ``encryption_key``.

    The group name must be known before the endpoint exists, so an endpoint whose name
    CloudFormation generates cannot be given; name it.

    :param endpoint: the endpoint whose logs this group holds. Default: none (then
        ``endpoint_name`` is required).
    :param endpoint_name: the endpoint's name, when the endpoint is defined elsewhere.
        Default: none (then ``endpoint`` is required).
    :param retention: how long log events are kept; a ``logs.RetentionDays`` member.
        Default: ``RetentionDays.THREE_MONTHS`` (90 days).
    :param encryption_key: the KMS key that encrypts the log events. If it is a key of this
        app, its policy is extended to let CloudWatch Logs use it for this group only;
        an imported key's policy must already allow that. Default: a new customer-managed
        key with rotation.
    :param removal_policy: what happens to the log group, and to the key if this construct
        creates it, when they leave the stack or the stack is deleted. ``DESTROY`` deletes
        the log events (and schedules the key's deletion), e.g. for short-lived test
        stacks. A retained group keeps its name taken: deploying the same endpoint name
        again needs the old group deleted or imported. Default: ``RemovalPolicy.RETAIN``.

    Attributes: ``endpoint_name``, ``log_group_name``, ``log_group_arn``, ``log_group``,
    ``encryption_key``, ``metric_filters`` and ``alarms``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint: Endpoint | None = None,
        endpoint_name: str | None = None,
        retention: logs.RetentionDays = logs.RetentionDays.THREE_MONTHS,
        encryption_key: kms.IKey | None = None,
        removal_policy: RemovalPolicy = RemovalPolicy.RETAIN,
    ) -> None:
        super().__init__(scope, construct_id)
        endpoint_resource = self._configure_names(endpoint, endpoint_name)
        self._configure_encryption(encryption_key, removal_policy)
        self._configure_log_group(retention, removal_policy)
        if endpoint_resource is not None:
            # Only the endpoint resource waits, and only for the group (which itself waits
            # for its key): alarms added here later may reference the endpoint freely.
            endpoint_resource.node.add_dependency(self.log_group)
        #: Metric filters added with :meth:`add_metric_filter`, by construct id.
        self.metric_filters: dict[str, logs.MetricFilter] = {}
        #: Alarms created by :meth:`add_metric_filter`, by the filter's construct id.
        self.alarms: dict[str, cloudwatch.Alarm] = {}

    # -- public methods ---------------------------------------------------------------------

    def add_metric_filter(
        self,
        construct_id: str,
        *,
        filter_pattern: logs.IFilterPattern,
        metric_name: str,
        metric_namespace: str = DEFAULT_METRIC_NAMESPACE,
        metric_value: str = "1",
        default_value: float | None = 0,
        alarm: MetricFilterAlarm | None = None,
    ) -> logs.MetricFilter:
        """Publish a metric for the log events that match ``filter_pattern``.

        :param construct_id: id of the filter (its alarm gets ``<id>Alarm``).
        :param filter_pattern: e.g. ``logs.FilterPattern.any_term("ERROR", "Traceback")``.
        :param metric_name: the metric's name (1-255 characters). Text patterns cannot set
            dimensions, so put the endpoint in the name if several endpoints share a
            namespace.
        :param metric_namespace: the metric's namespace; ``AWS/`` is reserved. Default:
            ``MLOps/Endpoints``.
        :param metric_value: what a match adds: a number, or a ``$.field`` of a JSON event.
            Default: ``"1"`` (count the matches).
        :param default_value: what a minute with log events but no match publishes, or None
            for nothing. Default: 0.
        :param alarm: also create an alarm on the metric. Default: no alarm.
        :returns: the metric filter; its alarm, if any, is ``self.alarms[construct_id]``.
        """
        self._check_metric_filter(construct_id, metric_name, metric_namespace, metric_value)
        if alarm is not None:
            _check_metric_filter_alarm(self, f"{construct_id}.alarm", alarm)
        metric_filter = logs.MetricFilter(
            self,
            construct_id,
            log_group=self.log_group,
            filter_pattern=filter_pattern,
            metric_name=metric_name,
            metric_namespace=metric_namespace,
            metric_value=metric_value,
            default_value=default_value,
        )
        self.metric_filters[construct_id] = metric_filter
        if alarm is not None:
            self.alarms[construct_id] = _create_metric_filter_alarm(
                self,
                f"{construct_id}Alarm",
                metric_filter=metric_filter,
                spec=alarm,
                prop=f"{construct_id}.alarm",
                default_description=(
                    f"Log events in {self.log_group_name} matched the metric filter "
                    f"{construct_id} ({metric_namespace} {metric_name})."
                ),
            )
        return metric_filter

    def alarm_on_model_errors(
        self,
        *,
        actions: AlarmActions,
        terms: Sequence[str] = DEFAULT_ERROR_TERMS,
        threshold: float = 1,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
        period: Duration | None = None,
        metric_name: str | None = None,
    ) -> cloudwatch.Alarm:
        """Alarm when the model container logs errors (filter id ``ModelErrors``).

        A log event matches when it contains any of ``terms`` (case-sensitive; a term also
        matches inside a longer word, as ``ERROR`` in ``ERRORCODE``).

        :param actions: what the alarm does on ALARM / OK. Required: pass e.g.
            ``NotificationTopic.actions``, or ``AlarmActions.none(reason=...)``.
        :param terms: the error markers. Default: ``ERROR``, ``Traceback``, ``Exception``.
        :param threshold: matching lines per period that fire the alarm. Default: 1.
        :param evaluation_periods: Default: 1.
        :param datapoints_to_alarm: Default: ``evaluation_periods``.
        :param period: Default: 5 minutes.
        :param metric_name: Default: ``ContainerErrorLines-<endpoint name>`` in the
            ``MLOps/Endpoints`` namespace.
        """
        _check_actions(self, "actions", actions)
        terms = list(terms)
        require(
            bool(terms) and all(isinstance(t, str) and t.strip() for t in terms),
            self,
            "terms",
            terms,
            "must hold at least one non-empty term",
            'pass error markers such as ["ERROR", "Traceback"]',
        )
        self.add_metric_filter(
            "ModelErrors",
            filter_pattern=logs.FilterPattern.any_term(*terms),
            metric_name=metric_name or f"ContainerErrorLines-{self.endpoint_name}",
            alarm=MetricFilterAlarm(
                actions=actions,
                threshold=threshold,
                evaluation_periods=evaluation_periods,
                datapoints_to_alarm=datapoints_to_alarm,
                period=period,
                alarm_description=(
                    f"The model container of endpoint {self.endpoint_name} logged lines "
                    f"containing {' or '.join(terms)}."
                ),
            ),
        )
        return self.alarms["ModelErrors"]

    # -- construction steps -----------------------------------------------------------------

    def _configure_names(
        self, endpoint: Endpoint | None, endpoint_name: str | None
    ) -> CfnResource | None:
        """Check ``endpoint`` / ``endpoint_name``; set the endpoint, group name and ARN.

        Returns the endpoint's CloudFormation resource (None with ``endpoint_name``).
        """
        resource = self._endpoint_resource(endpoint) if endpoint is not None else None
        #: The endpoint's name.
        self.endpoint_name: str = self._resolve_name(endpoint, resource, endpoint_name)
        #: The log group name, ``/aws/sagemaker/Endpoints/<endpoint name>``.
        self.log_group_name: str = ENDPOINT_LOG_GROUP_PREFIX + self.endpoint_name
        #: The group's ARN without the ``:*`` suffix (the form KMS encryption context uses).
        self.log_group_arn: str = Stack.of(self).format_arn(
            service="logs",
            resource="log-group",
            resource_name=self.log_group_name,
            arn_format=ArnFormat.COLON_RESOURCE_NAME,
        )
        return resource

    def _configure_encryption(
        self, encryption_key: kms.IKey | None, removal_policy: RemovalPolicy
    ) -> None:
        """Create the key unless one is given, and let CloudWatch Logs use it for this group."""
        #: The key that encrypts the log events.
        self.encryption_key: kms.IKey = key_or_new(
            self,
            encryption_key,
            description=f"Encrypts the CloudWatch log group {self.log_group_name}",
            removal_policy=removal_policy,
        )
        _allow_logs_to_use_key(self, self.encryption_key, self.log_group_arn)

    def _configure_log_group(
        self, retention: logs.RetentionDays, removal_policy: RemovalPolicy
    ) -> None:
        check_retention(self, "retention", retention)
        #: The log group.
        self.log_group: logs.LogGroup = logs.LogGroup(
            self,
            "Resource",
            log_group_name=self.log_group_name,
            retention=retention,
            encryption_key=self.encryption_key,
            removal_policy=removal_policy,
        )

    # -- private helpers --------------------------------------------------------------------

    def _endpoint_resource(self, endpoint: Endpoint) -> CfnResource:
        checked = check_endpoint(self, endpoint, "the endpoint's name as endpoint_name")
        resource = checked.node.default_child
        assert isinstance(resource, CfnResource)
        return resource

    def _resolve_name(
        self, endpoint: Endpoint | None, resource: CfnResource | None, endpoint_name: str | None
    ) -> str:
        if endpoint is not None and endpoint_name is not None:
            raise InvalidPropsError(
                self,
                "endpoint_name",
                endpoint_name,
                "was given together with endpoint",
                "give either endpoint or endpoint_name, not both",
            )
        if resource is not None:
            fixed = getattr(resource, "endpoint_name", None)
            if fixed is None:
                raise InvalidPropsError(
                    self,
                    "endpoint",
                    resource.node.path,
                    "has a name CloudFormation generates, known only after SageMaker has "
                    "created the endpoint (and its log group)",
                    "give the Endpoint a fixed endpoint_name",
                )
            return str(fixed)
        if endpoint_name is None:
            raise InvalidPropsError(
                self,
                "endpoint",
                None,
                "is missing",
                "pass endpoint=<Endpoint with a fixed endpoint_name>, or endpoint_name=",
            )
        check_name(self, "endpoint_name", endpoint_name)
        return endpoint_name

    def _check_metric_filter(
        self, construct_id: str, metric_name: str, metric_namespace: str, metric_value: str
    ) -> None:
        require(
            construct_id not in self.metric_filters,
            self,
            "construct_id",
            construct_id,
            "already names a metric filter of this log group",
            "give each metric filter its own id",
        )
        _check_metric_name(self, f"{construct_id}.metric_name", metric_name)
        _check_namespace(self, f"{construct_id}.metric_namespace", metric_namespace)
        require(
            is_token(metric_value)
            or bool(re.fullmatch(r"-?\d+(\.\d+)?|\$[.\w\[\]-]+", metric_value)),
            self,
            f"{construct_id}.metric_value",
            metric_value,
            "is neither a number nor a field selector",
            'use a number such as "1", or a field such as "$.latency"',
        )


@dataclass(frozen=True, kw_only=True)
class MetricFilterAlarm:
    """An alarm on the metric a metric filter publishes.

    :param actions: what the alarm does on ALARM / OK. Required: pass e.g.
        ``NotificationTopic.actions``, or ``AlarmActions.none(reason=...)``, which records
        the reason as the acknowledgment of the alarm-action compliance rules.
    :param threshold: the value that breaches. Default: 1 (one matching line).
    :param evaluation_periods: periods looked at, >= 1. Default: 1.
    :param datapoints_to_alarm: breaching periods among them that fire the alarm, from 1
        to ``evaluation_periods``. Default: ``evaluation_periods``.
    :param period: length of one period, a multiple of 60 s (metric filters publish
        1-minute data). Default: 5 minutes.
    :param statistic: how matches in a period are combined. Default: ``Sum``.
    :param comparison_operator: Default: ``GREATER_THAN_OR_EQUAL_TO_THRESHOLD``.
    :param treat_missing_data: periods without log events. Default: ``NOT_BREACHING``
        (no logs means no errors).
    :param alarm_description: Default: a sentence naming the filter and the log group.
    """

    actions: AlarmActions
    threshold: float = 1
    evaluation_periods: int = 1
    datapoints_to_alarm: int | None = None
    period: Duration | None = None
    statistic: str = "Sum"
    comparison_operator: cloudwatch.ComparisonOperator = (
        cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD
    )
    treat_missing_data: cloudwatch.TreatMissingData = cloudwatch.TreatMissingData.NOT_BREACHING
    alarm_description: str | None = None


# -- helpers shared with the audit module (private to the package) ------------------------------


def _create_metric_filter_alarm(
    scope: Construct,
    construct_id: str,
    *,
    metric_filter: logs.MetricFilter,
    spec: MetricFilterAlarm,
    prop: str,
    default_description: str,
) -> cloudwatch.Alarm:
    """Create the alarm ``spec`` describes on ``metric_filter``'s metric (validated first)."""
    period = _check_metric_filter_alarm(scope, prop, spec)
    alarm = cloudwatch.Alarm(
        scope,
        construct_id,
        metric=metric_filter.metric(statistic=spec.statistic, period=period),
        threshold=spec.threshold,
        evaluation_periods=spec.evaluation_periods,
        datapoints_to_alarm=spec.datapoints_to_alarm,
        comparison_operator=spec.comparison_operator,
        treat_missing_data=spec.treat_missing_data,
        alarm_description=spec.alarm_description or default_description,
    )
    spec.actions.apply(alarm)
    return alarm


def _check_metric_filter_alarm(scope: Construct, prop: str, spec: MetricFilterAlarm) -> Duration:
    """Check ``spec`` (``prop`` names it in messages) and return its period."""
    _check_actions(scope, f"{prop}.actions", spec.actions)
    period = spec.period or Duration.minutes(5)
    check_whole_minutes(
        scope,
        f"{prop}.period",
        period,
        "metric filters publish 1-minute data, so shorter periods leave the alarm without data",
    )
    check_evaluation(scope, prop, period, spec.evaluation_periods, spec.datapoints_to_alarm)
    return period


def _allow_logs_to_use_key(scope: Construct, key: kms.IKey, log_group_arn: str) -> None:
    """Let CloudWatch Logs use ``key`` for the one log group whose ARN is given.

    A key-policy statement rather than a CDK grant: ``key.grant_encrypt_decrypt()`` to the
    CloudWatch Logs service principal would let it use the key for any log group of any
    account, and CDK has no grant that adds the ``kms:EncryptionContext:aws:logs:arn``
    condition limiting it to this group (``logs.LogGroup(encryption_key=...)`` adds none
    at all). The statement is the one the CloudWatch Logs user guide gives ("Encrypt log
    data in CloudWatch Logs using AWS KMS").
    """
    region = Stack.of(scope).region
    statement = iam.PolicyStatement(
        sid="AllowCloudWatchLogsForOneLogGroup",
        principals=[iam.ServicePrincipal(f"logs.{region}.amazonaws.com")],
        actions=[
            "kms:Encrypt*",
            "kms:Decrypt*",
            "kms:ReEncrypt*",
            "kms:GenerateDataKey*",
            "kms:Describe*",
        ],
        resources=["*"],
        conditions={"ArnEquals": {"kms:EncryptionContext:aws:logs:arn": log_group_arn}},
    )
    if not key.add_to_resource_policy(statement).statement_added:
        Annotations.of(scope).add_warning_v2(
            "constructs_lib:importedLogKey",
            "encryption_key is imported, so its key policy cannot be extended here: it must "
            f"allow logs.{region}.amazonaws.com to use it for {log_group_arn}.",
        )


def _check_metric_name(scope: Construct, prop: str, name: str) -> None:
    if is_token(name):
        return
    require(
        isinstance(name, str) and 0 < len(name) <= _MAX_METRIC_NAME and name.strip() == name,
        scope,
        prop,
        name,
        "is not a valid CloudWatch metric name",
        f"use 1-{_MAX_METRIC_NAME} characters without leading or trailing spaces",
    )


def _check_namespace(scope: Construct, prop: str, namespace: str) -> None:
    if is_token(namespace):
        return
    require(
        isinstance(namespace, str)
        and 0 < len(namespace) <= _MAX_METRIC_NAME
        and not namespace.startswith("AWS/")
        and ":" not in namespace,
        scope,
        prop,
        namespace,
        "is not a valid custom CloudWatch namespace (AWS/ is reserved, ':' is not allowed)",
        'use your own namespace, e.g. "MLOps/Endpoints"',
    )
