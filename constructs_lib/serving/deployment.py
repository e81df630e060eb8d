"""How an endpoint moves to a new configuration: SageMaker's native deployment guardrails.

A :class:`DeploymentPolicy` becomes the endpoint's ``DeploymentConfig``. SageMaker runs the
update itself (blue/green with all-at-once, canary or linear traffic shifting, or a rolling
update), watches the rollback alarms while it bakes, and rolls back on its own when one of
them fires. No Lambda or custom resource sits in the deployment path.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Duration
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_sagemaker as sagemaker
from constructs import IConstruct

from constructs_lib.core import (
    InvalidPropsError,
    check_duration_seconds,
    check_range,
    check_unique,
    is_token,
)
from constructs_lib.serving.facts import MAX_ROLLBACK_ALARMS

__all__ = ["MAX_ROLLBACK_ALARMS", "Capacity", "DeploymentPolicy"]


@dataclass(frozen=True)
class Capacity:
    """A batch size: a number of instances or a percentage of the variant's fleet.

    Use :meth:`percent` or :meth:`instances`.
    """

    kind: str
    value: int

    @staticmethod
    def percent(value: int) -> Capacity:
        """A share of the variant's instance count, in percent."""
        return Capacity("CAPACITY_PERCENT", value)

    @staticmethod
    def instances(value: int) -> Capacity:
        """A fixed number of instances."""
        return Capacity("INSTANCE_COUNT", value)

    def __str__(self) -> str:
        return f"{self.value}%" if self.kind == "CAPACITY_PERCENT" else f"{self.value} instances"

    def _render(self) -> sagemaker.CfnEndpoint.CapacitySizeProperty:
        return sagemaker.CfnEndpoint.CapacitySizeProperty(type=self.kind, value=self.value)


@dataclass(frozen=True)
class DeploymentPolicy:
    """The update policy of an endpoint. Build one with a static factory.

    - :meth:`all_at_once`: blue/green, all traffic moves at once after the new fleet is up.
    - :meth:`canary`: blue/green, a canary share first, the rest after ``wait``.
    - :meth:`linear`: blue/green, equal steps every ``wait``.
    - :meth:`rolling`: replace the fleet batch by batch (single instance variant only).

    Every policy takes ``rollback_alarms`` (1-10 CloudWatch alarms): SageMaker rolls the
    update back when any of them is in ALARM while it bakes. What qualifies:

    - metric alarms on the endpoint's metrics, as SageMaker documents them. Composite
      alarms are refused unless ``allow_composite_alarms=True``: CloudWatch's DescribeAlarms
      returns them only when asked for, and SageMaker does not say that it does;
    - never an alarm that treats missing data as breaching (or that fires on low traffic,
      such as "invocations below a minimum"): "if your old fleet trips the alarm during the
      deployment, SageMaker terminates your deployment", so every update of a quiet endpoint
      would roll back. Such alarms are refused.
      ``EndpointAlarms.rollback_alarms`` is a set that qualifies.

    Deployment guardrails apply to real-time (instance) and asynchronous endpoints only;
    a serverless endpoint refuses every policy.
    """

    mode: str
    size: Capacity | None = None
    wait: Duration | None = None
    termination_wait: Duration | None = None
    max_execution_time: Duration | None = None
    rollback_batch_size: Capacity | None = None
    rollback_alarms: tuple[cloudwatch.IAlarm, ...] = ()
    allow_composite_alarms: bool = False

    @staticmethod
    def all_at_once(
        *,
        wait: Duration | None = None,
        termination_wait: Duration | None = None,
        max_execution_time: Duration | None = None,
        rollback_alarms: Sequence[cloudwatch.IAlarm] = (),
        allow_composite_alarms: bool = False,
    ) -> DeploymentPolicy:
        """Blue/green: shift all traffic once the new fleet is healthy.

        :param wait: how long to bake on the new fleet before finishing. Default: 5 minutes
            when rollback alarms are given, else 0.
        :param termination_wait: how long to keep the old fleet after the shift. Default: 0.
        :param max_execution_time: the deployment timeout (600-28800 s). Default: SageMaker's.
        :param rollback_alarms: metric alarms that roll the update back (see the class
            documentation for which alarms qualify). Default: none.
        :param allow_composite_alarms: accept composite alarms in ``rollback_alarms``, which
            SageMaker does not document as rollback alarms. Default: False (refused).
        """
        return DeploymentPolicy(
            "ALL_AT_ONCE",
            wait=wait,
            termination_wait=termination_wait,
            max_execution_time=max_execution_time,
            rollback_alarms=tuple(rollback_alarms),
            allow_composite_alarms=allow_composite_alarms,
        )

    @staticmethod
    def canary(
        *,
        size: Capacity | None = None,
        wait: Duration | None = None,
        termination_wait: Duration | None = None,
        max_execution_time: Duration | None = None,
        rollback_alarms: Sequence[cloudwatch.IAlarm] = (),
        allow_composite_alarms: bool = False,
    ) -> DeploymentPolicy:
        """Blue/green: send a canary share first, then the rest after ``wait``.

        :param size: the canary, at most 50% of the variant's fleet. Default: 10 percent.
        :param wait: how long the canary bakes (0-3600 s). Default: 5 minutes.
        :param termination_wait: how long to keep the old fleet after the shift. Default: 0.
        :param max_execution_time: the deployment timeout (600-28800 s). Default: SageMaker's.
        :param rollback_alarms: metric alarms that roll the update back (see the class
            documentation for which alarms qualify). Default: none.
        :param allow_composite_alarms: accept composite alarms in ``rollback_alarms``, which
            SageMaker does not document as rollback alarms. Default: False (refused).
        """
        return DeploymentPolicy(
            "CANARY",
            size=size or Capacity.percent(10),
            wait=wait or Duration.minutes(5),
            termination_wait=termination_wait,
            max_execution_time=max_execution_time,
            rollback_alarms=tuple(rollback_alarms),
            allow_composite_alarms=allow_composite_alarms,
        )

    @staticmethod
    def linear(
        *,
        step: Capacity | None = None,
        wait: Duration | None = None,
        termination_wait: Duration | None = None,
        max_execution_time: Duration | None = None,
        rollback_alarms: Sequence[cloudwatch.IAlarm] = (),
        allow_composite_alarms: bool = False,
    ) -> DeploymentPolicy:
        """Blue/green: shift traffic in equal steps, each baking for ``wait``.

        :param step: each step, 10-50% of the variant's fleet. Default: 20 percent.
        :param wait: how long each step bakes (0-3600 s). Default: 5 minutes.
        :param termination_wait: how long to keep the old fleet after the shift. Default: 0.
        :param max_execution_time: the deployment timeout (600-28800 s). Default: SageMaker's.
        :param rollback_alarms: metric alarms that roll the update back (see the class
            documentation for which alarms qualify). Default: none.
        :param allow_composite_alarms: accept composite alarms in ``rollback_alarms``, which
            SageMaker does not document as rollback alarms. Default: False (refused).
        """
        return DeploymentPolicy(
            "LINEAR",
            size=step or Capacity.percent(20),
            wait=wait or Duration.minutes(5),
            termination_wait=termination_wait,
            max_execution_time=max_execution_time,
            rollback_alarms=tuple(rollback_alarms),
            allow_composite_alarms=allow_composite_alarms,
        )

    @staticmethod
    def rolling(
        *,
        batch_size: Capacity | None = None,
        wait: Duration | None = None,
        rollback_batch_size: Capacity | None = None,
        max_execution_time: Duration | None = None,
        rollback_alarms: Sequence[cloudwatch.IAlarm] = (),
        allow_composite_alarms: bool = False,
    ) -> DeploymentPolicy:
        """Replace the fleet batch by batch; needs a single instance-backed variant.

        :param batch_size: each batch, 5-50% of the variant's fleet. Default: 25 percent.
        :param wait: how long each batch bakes (0-3600 s). Default: 5 minutes.
        :param rollback_batch_size: batch size of a rollback. Default: the whole fleet at once.
        :param max_execution_time: the deployment timeout (600-28800 s). Default: SageMaker's.
        :param rollback_alarms: metric alarms that roll the update back (see the class
            documentation for which alarms qualify). Default: none.
        :param allow_composite_alarms: accept composite alarms in ``rollback_alarms``, which
            SageMaker does not document as rollback alarms. Default: False (refused).
        """
        return DeploymentPolicy(
            "ROLLING",
            size=batch_size or Capacity.percent(25),
            wait=wait or Duration.minutes(5),
            max_execution_time=max_execution_time,
            rollback_batch_size=rollback_batch_size,
            rollback_alarms=tuple(rollback_alarms),
            allow_composite_alarms=allow_composite_alarms,
        )

    def _render(
        self, scope: IConstruct, instance_counts: Sequence[int], has_serverless: bool
    ) -> sagemaker.CfnEndpoint.DeploymentConfigProperty:
        """Validate against the endpoint's variants and render ``DeploymentConfig``."""
        self._validate_common(scope)
        if has_serverless:
            raise InvalidPropsError(
                scope,
                "deployment_policy",
                self.mode.lower(),
                "is set on a serverless endpoint: SageMaker's deployment guardrails (traffic "
                "shifting, baking, rollback alarms) apply only to real-time instance and "
                "asynchronous endpoints",
                "drop deployment_policy for a serverless endpoint (SageMaker swaps its "
                "configuration when the new one is ready), and guard it with alarms that page",
            )
        if self.mode == "ROLLING" and len(instance_counts) != 1:
            raise InvalidPropsError(
                scope,
                "deployment_policy",
                "rolling",
                f"needs exactly one production variant, the endpoint has {len(instance_counts)}",
                "use DeploymentPolicy.canary() or .linear() for multi-variant endpoints",
            )
        self._validate_size(scope, instance_counts)
        wait, termination, timeout = self._seconds(scope)
        rollback = self._render_alarms()
        if self.mode == "ROLLING":
            assert self.size is not None
            return sagemaker.CfnEndpoint.DeploymentConfigProperty(
                auto_rollback_configuration=rollback,
                rolling_update_policy=sagemaker.CfnEndpoint.RollingUpdatePolicyProperty(
                    maximum_batch_size=self.size._render(),
                    wait_interval_in_seconds=wait if wait is not None else 300,
                    maximum_execution_timeout_in_seconds=timeout,
                    rollback_maximum_batch_size=(
                        self.rollback_batch_size._render() if self.rollback_batch_size else None
                    ),
                ),
            )
        if wait is None:
            wait = 300 if self.rollback_alarms else 0
        routing = sagemaker.CfnEndpoint.TrafficRoutingConfigProperty(
            type=self.mode,
            wait_interval_in_seconds=wait,
            canary_size=self.size._render() if self.mode == "CANARY" and self.size else None,
            linear_step_size=self.size._render() if self.mode == "LINEAR" and self.size else None,
        )
        return sagemaker.CfnEndpoint.DeploymentConfigProperty(
            auto_rollback_configuration=rollback,
            blue_green_update_policy=sagemaker.CfnEndpoint.BlueGreenUpdatePolicyProperty(
                traffic_routing_configuration=routing,
                termination_wait_in_seconds=termination,
                maximum_execution_timeout_in_seconds=timeout,
            ),
        )

    def _seconds(self, scope: IConstruct) -> tuple[int | None, int | None, int | None]:
        """The wait, termination wait and timeout in seconds, checked against each other."""
        wait = check_duration_seconds(scope, "deployment_policy.wait", self.wait, 0, 3600)
        termination = check_duration_seconds(
            scope, "deployment_policy.termination_wait", self.termination_wait, 0, 3600
        )
        timeout = check_duration_seconds(
            scope, "deployment_policy.max_execution_time", self.max_execution_time, 600, 28800
        )
        waits = (wait or 0) + (termination or 0)
        if timeout is not None and not is_token(timeout) and timeout <= waits:
            raise InvalidPropsError(
                scope,
                "deployment_policy.max_execution_time",
                self.max_execution_time,
                f"is not longer than wait + termination_wait ({waits} s)",
                "raise max_execution_time or shorten the waits",
            )
        return wait, termination, timeout

    def _validate_common(self, scope: IConstruct) -> None:
        if self.mode == "ALL_AT_ONCE" and self.size is not None:
            raise InvalidPropsError(
                scope,
                "deployment_policy.size",
                str(self.size),
                "has no meaning for an all-at-once deployment",
                "use DeploymentPolicy.canary(size=...) or .linear(step=...)",
            )
        if self.mode == "ROLLING" and self.termination_wait is not None:
            raise InvalidPropsError(
                scope,
                "deployment_policy.termination_wait",
                self.termination_wait,
                "is a blue/green setting and conflicts with a rolling update",
                "drop termination_wait, or use a blue/green policy (canary, linear, all_at_once)",
            )
        if self.rollback_batch_size is not None and self.mode != "ROLLING":
            raise InvalidPropsError(
                scope,
                "deployment_policy.rollback_batch_size",
                str(self.rollback_batch_size),
                "is a rolling-update setting and conflicts with a blue/green policy",
                "drop rollback_batch_size, or use DeploymentPolicy.rolling()",
            )
        if len(self.rollback_alarms) > MAX_ROLLBACK_ALARMS:
            raise InvalidPropsError(
                scope,
                "deployment_policy.rollback_alarms",
                f"{len(self.rollback_alarms)} alarms",
                f"exceeds SageMaker's limit of {MAX_ROLLBACK_ALARMS}",
                "pass at most 10 metric alarms: fewer alarm kinds or variants "
                "(EndpointAlarms(rollback=[...]))",
            )
        for i, alarm in enumerate(self.rollback_alarms):
            _check_rollback_alarm(scope, i, alarm, self.allow_composite_alarms)
        check_unique(
            scope, "deployment_policy.rollback_alarms", [a.alarm_name for a in self.rollback_alarms]
        )
        if len({id(a) for a in self.rollback_alarms}) != len(self.rollback_alarms):
            raise InvalidPropsError(
                scope,
                "deployment_policy.rollback_alarms",
                "the same alarm twice",
                "lists one alarm more than once",
                "pass each alarm once",
            )

    def _validate_size(self, scope: IConstruct, instance_counts: Sequence[int]) -> None:
        if self.size is None:
            return
        prop = {"CANARY": "size", "LINEAR": "step", "ROLLING": "batch_size"}[self.mode]
        prop = f"deployment_policy.{prop}"
        check_range(scope, prop, self.size.value, 1, None, integer=True)
        if self.size.kind == "CAPACITY_PERCENT":
            low, high = {"CANARY": (1, 50), "LINEAR": (10, 50), "ROLLING": (5, 50)}[self.mode]
            check_range(scope, prop, self.size.value, low, high)
            return
        low_pct, high_pct = {"CANARY": (0, 50), "LINEAR": (10, 50), "ROLLING": (5, 50)}[self.mode]
        for count in instance_counts:
            if is_token(count):
                continue
            high = math.floor(count * high_pct / 100)
            low = max(1, math.ceil(count * low_pct / 100))
            if not low <= self.size.value <= high:
                fix = (
                    f"use between {low} and {high} instances for a fleet of {count}"
                    if low <= high
                    else "use Capacity.percent(...) or a fleet of at least "
                    f"{math.ceil(100 / high_pct)} instances"
                )
                raise InvalidPropsError(
                    scope,
                    prop,
                    str(self.size),
                    f"must be {low_pct or 1}-{high_pct}% of the variant's {count} instances",
                    fix,
                )

    def _render_alarms(self) -> sagemaker.CfnEndpoint.AutoRollbackConfigProperty | None:
        if not self.rollback_alarms:
            return None
        return sagemaker.CfnEndpoint.AutoRollbackConfigProperty(
            alarms=[
                sagemaker.CfnEndpoint.AlarmProperty(alarm_name=a.alarm_name)
                for a in self.rollback_alarms
            ]
        )


def _check_rollback_alarm(
    scope: IConstruct, index: int, alarm: cloudwatch.IAlarm, allow_composite: bool
) -> None:
    prop = f"deployment_policy.rollback_alarms[{index}]"
    if isinstance(alarm, cloudwatch.CompositeAlarm) and not allow_composite:
        raise InvalidPropsError(
            scope,
            prop,
            alarm.node.path,
            "is a composite alarm; SageMaker documents rollback alarms as metric alarms on "
            "the endpoint's metrics, and does not say that it evaluates composite alarms",
            "pass the metric alarms themselves (EndpointAlarms.rollback_alarms), or set "
            "allow_composite_alarms=True to accept the undocumented behaviour",
        )
    resource = alarm.node.default_child if isinstance(alarm, cloudwatch.Alarm) else None
    if isinstance(resource, cloudwatch.CfnAlarm) and resource.treat_missing_data == "breaching":
        raise InvalidPropsError(
            scope,
            prop,
            alarm.node.path,
            "treats missing data as breaching: SageMaker terminates a deployment when the "
            "old fleet trips a rollback alarm, so every update of an endpoint without traffic "
            "would roll back",
            "use an alarm with TreatMissingData.NOT_BREACHING or IGNORE as a rollback alarm, "
            "and keep the missing-data alarm for paging",
        )
