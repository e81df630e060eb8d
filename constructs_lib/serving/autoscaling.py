"""Autoscaling of an instance-backed endpoint variant with Application Auto Scaling.

Get one from ``endpoint.find_variant(name).auto_scale_instance_count(min, max)``, then add
target tracking on invocations per instance, step scaling on any metric, or scheduled
capacity changes. Each ``scale_on_*`` method takes an id (unique per variant) and returns
what it created, so a variant may have several policies and scheduled actions.

Async endpoints publish no ``Invocations``/``InvocationsPerInstance``, so target tracking
on invocations is refused there: scale them with step scaling on the endpoint's
backlog per instance (``endpoint.metrics.approximate_backlog_size_per_instance()``) and, to
scale out from zero, a step policy on ``endpoint.metrics.has_backlog_without_capacity()``
(both dimensioned by ``EndpointName`` only).

SageMaker refuses an endpoint update that changes the instance type of, or removes, a
variant with a registered scalable target, and CloudFormation cannot deregister the target
first. The safe path is three deploys: ``autoscaling_detached=True`` (targets deleted),
then the instance-type change, then ``autoscaling_detached=False`` (targets back).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aws_cdk import Aws, Duration, TimeZone
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_lib.core import InvalidPropsError, check_range, is_token, require
from constructs_lib.serving.facts import AUTOSCALING_SERVICE_LINKED_ROLE
from constructs_lib.serving.instance_types import is_burstable

__all__ = ["ScheduledScalingAction", "VariantAutoScaling"]

#: The predefined metric of :meth:`VariantAutoScaling.scale_on_invocations`, and the
#: ``PredefinedMetricType`` it renders (jsii enums name their members, not their values).
_INVOCATIONS_METRIC = appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE
_INVOCATIONS_METRIC_TYPE = "SageMakerVariantInvocationsPerInstance"


@dataclass(frozen=True)
class ScheduledScalingAction:
    """A scheduled change of a variant's capacity bounds, as registered on its target.

    Application Auto Scaling keeps scheduled actions inside the scalable target (CDK's
    ``ScalableTarget.scale_on_schedule`` returns nothing), so this records what was added.

    :param action_name: the scheduled action's name (the id given to ``scale_on_schedule``).
    :param schedule: when it runs.
    :param min_capacity: the new minimum, or None (unchanged).
    :param max_capacity: the new maximum, or None (unchanged).
    :param time_zone: the IANA time zone of the schedule, or None (UTC).
    """

    action_name: str
    schedule: appscaling.Schedule
    min_capacity: int | None
    max_capacity: int | None
    time_zone: str | None


class VariantAutoScaling(Construct):
    """The scalable instance count of one endpoint variant and its scaling policies.

    Application Auto Scaling acts through its SageMaker service-linked role (created by the
    service on first use), so no IAM role is added to the stack.

    :param endpoint_name: the endpoint's name.
    :param variant_name: the variant's name.
    :param instance_type: the variant's instance type (burstable ``ml.t*`` is refused).
    :param min_capacity: the fewest instances, >= 1 (>= 2 with ``require_multi_az``).
    :param max_capacity: the most instances, >= ``min_capacity``.
    :param autoscaling_detached: validate but create no resources (see the module
        docstring); the ``scale_on_*`` methods then return None. Default: False.
    :param allow_zero: allow ``min_capacity`` 0 (async endpoints only). Default: False.
    :param is_async: the variant belongs to an async endpoint, which publishes no
        invocation metrics: :meth:`scale_on_invocations` is refused. Default: False.
    :param require_multi_az: refuse ``min_capacity`` below 2. Default: False.

    Attributes: ``variant_name``, ``min_capacity``, ``max_capacity``,
    ``autoscaling_detached``, ``is_async``, ``scalable_target`` (None while detached) and
    ``invocations_target``.
    """

    def __init__(
        self,
        scope: Construct,
        construct_id: str,
        *,
        endpoint_name: str,
        variant_name: str,
        instance_type: str,
        min_capacity: int,
        max_capacity: int,
        autoscaling_detached: bool = False,
        allow_zero: bool = False,
        is_async: bool = False,
        require_multi_az: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        # Errors name the endpoint (the scope): their props read variants[<name>].autoscaling.*
        self._where = scope
        self._prop = f"variants[{variant_name}].autoscaling"
        #: The ids given to the ``scale_on_*`` methods so far.
        self._ids: set[str] = set()
        #: The variant's name.
        self.variant_name = variant_name
        #: Whether the variant belongs to an async endpoint.
        self.is_async = is_async
        #: Whether this deploy creates no scaling resources.
        self.autoscaling_detached = autoscaling_detached
        #: The target of the last :meth:`scale_on_invocations` (requests/minute/instance).
        self.invocations_target: float | None = None
        self._configure_capacity(
            instance_type, min_capacity, max_capacity, allow_zero, require_multi_az
        )
        self._configure_target(endpoint_name)

    def _configure_capacity(
        self,
        instance_type: str,
        min_capacity: int,
        max_capacity: int,
        allow_zero: bool,
        require_multi_az: bool,
    ) -> None:
        """Check the instance type and the capacity bounds."""
        where = self._where
        if not is_token(instance_type) and is_burstable(instance_type):
            raise InvalidPropsError(
                where,
                f"{self._prop}.instance_type",
                instance_type,
                "is a burstable type, which SageMaker cannot autoscale",
                "use a non-burstable type such as ml.m5.large, or drop autoscaling",
            )
        self._min_floor = 2 if require_multi_az else (0 if allow_zero else 1)
        _check_bounds(where, self._prop, min_capacity, max_capacity, self._min_floor)
        #: The fewest instances.
        self.min_capacity = min_capacity
        #: The most instances.
        self.max_capacity = max_capacity

    def _configure_target(self, endpoint_name: str) -> None:
        """The scalable target, acting through the SageMaker service-linked role."""
        #: The variant's scalable target (None while autoscaling is detached).
        self.scalable_target: appscaling.ScalableTarget | None = None
        if self.autoscaling_detached:
            return
        self.scalable_target = appscaling.ScalableTarget(
            self,
            "Target",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{endpoint_name}/variant/{self.variant_name}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=self.min_capacity,
            max_capacity=self.max_capacity,
            role=iam.Role.from_role_arn(
                self,
                "ServiceLinkedRole",
                f"arn:{Aws.PARTITION}:iam::{Aws.ACCOUNT_ID}:role/{AUTOSCALING_SERVICE_LINKED_ROLE}",
                mutable=False,
            ),
        )

    def scale_on_invocations(
        self,
        construct_id: str,
        *,
        invocations_per_instance: float | None = None,
        max_requests_per_second: float | None = None,
        safety_factor: float = 0.5,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> appscaling.TargetTrackingScalingPolicy | None:
        """Target-track ``SageMakerVariantInvocationsPerInstance`` (requests/minute/instance).

        Give the target directly, or derive it from load-test results as SageMaker
        recommends: ``max_requests_per_second * safety_factor * 60``.

        Refused on async endpoints (:class:`~constructs_lib.core.InvalidPropsError`): they
        publish no ``Invocations`` or ``InvocationsPerInstance``, so this metric never moves
        and the policy would never scale. Use :meth:`scale_on_metric` on
        ``endpoint.metrics.approximate_backlog_size_per_instance()`` there instead, plus a
        step policy on ``endpoint.metrics.has_backlog_without_capacity()`` to scale out from
        zero (``scaling_steps=[ScalingInterval(upper=1, change=0), ScalingInterval(lower=1,
        change=+1)]``: one alarm at >= 1 that adds an instance).

        :param construct_id: id of the policy, unique per variant. ``"InvocationsTracking"``
            keeps the logical id of the one invocations policy that earlier releases
            created (a different id replaces a deployed policy).
        :param invocations_per_instance: the target per instance per minute.
        :param max_requests_per_second: the most one instance sustained in a load test.
        :param safety_factor: share of that maximum to aim for, in (0, 1]. Default: 0.5.
        :param scale_in_cooldown: wait after a scale-in. Default: 300 s (the service's).
        :param scale_out_cooldown: wait after a scale-out. Default: 60 s.
        :param disable_scale_in: never remove instances. Default: False.
        :returns: the policy, or None while autoscaling is detached.
        """
        self._check_invocations_allowed()
        self._claim_id(construct_id)
        target = self._invocations_target(
            invocations_per_instance, max_requests_per_second, safety_factor
        )
        self.invocations_target = target
        if self.scalable_target is None:
            return None
        return self.scalable_target.scale_to_track_metric(
            construct_id,
            target_value=target,
            predefined_metric=_INVOCATIONS_METRIC,
            scale_in_cooldown=scale_in_cooldown or Duration.seconds(300),
            scale_out_cooldown=scale_out_cooldown or Duration.seconds(60),
            disable_scale_in=disable_scale_in or None,
        )

    def scale_on_metric(
        self,
        construct_id: str,
        *,
        metric: cloudwatch.IMetric,
        scaling_steps: Sequence[appscaling.ScalingInterval],
        adjustment_type: appscaling.AdjustmentType = appscaling.AdjustmentType.CHANGE_IN_CAPACITY,
        cooldown: Duration | None = None,
        evaluation_periods: int = 1,
        datapoints_to_alarm: int | None = None,
    ) -> appscaling.StepScalingPolicy | None:
        """Step scaling on any metric (creates the CloudWatch alarms that drive it).

        :param construct_id: id of the policy, unique per variant (its logical ids derive
            from it, as in earlier releases).
        :param metric: the metric, e.g. ``variant.metrics.cpu_utilization()``, or on an
            async endpoint ``endpoint.metrics.approximate_backlog_size_per_instance()``.
        :param scaling_steps: intervals of the metric and the change each makes.
        :param adjustment_type: how a step's number applies. Default: change in capacity.
        :param cooldown: wait between adjustments. Default: 300 s (the service's).
        :param evaluation_periods: periods the alarm evaluates. Default: 1.
        :param datapoints_to_alarm: breaching points that trigger it. Default: all.
        :returns: the policy, or None while autoscaling is detached.
        """
        self._claim_id(construct_id)
        require(
            len(scaling_steps) >= 2,
            self._where,
            f"{self._prop}.{construct_id}.scaling_steps",
            len(scaling_steps),
            "needs at least 2 intervals (one for scaling in or a no-change band)",
            "give a lower and an upper interval, e.g. "
            "[ScalingInterval(upper=30, change=-1), ScalingInterval(lower=70, change=+1)]",
        )
        check_range(
            self._where,
            f"{self._prop}.{construct_id}.evaluation_periods",
            evaluation_periods,
            1,
            None,
        )
        if self.scalable_target is None:
            return None
        return self.scalable_target.scale_on_metric(
            construct_id,
            metric=metric,
            scaling_steps=list(scaling_steps),
            adjustment_type=adjustment_type,
            cooldown=cooldown or Duration.seconds(300),
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints_to_alarm,
        )

    def scale_on_schedule(
        self,
        construct_id: str,
        *,
        schedule: appscaling.Schedule,
        min_capacity: int | None = None,
        max_capacity: int | None = None,
        time_zone: str | None = None,
    ) -> ScheduledScalingAction | None:
        """Change the capacity bounds on a schedule (e.g. business hours).

        :param construct_id: id of the action, unique per variant; it is the scheduled
            action's name, as in earlier releases.
        :param schedule: when, e.g. ``Schedule.cron(hour="8", minute="0")``.
        :param min_capacity: the new minimum. Default: unchanged.
        :param max_capacity: the new maximum. Default: unchanged.
        :param time_zone: IANA time zone of the schedule. Default: UTC.
        :returns: the action added to the scalable target, or None while autoscaling is
            detached.
        """
        self._claim_id(construct_id)
        prop = f"{self._prop}.{construct_id}"
        require(
            min_capacity is not None or max_capacity is not None,
            self._where,
            prop,
            None,
            "changes neither min_capacity nor max_capacity",
            "give min_capacity, max_capacity or both",
        )
        _check_bounds(self._where, prop, min_capacity, max_capacity, self._min_floor)
        if self.scalable_target is None:
            return None
        self.scalable_target.scale_on_schedule(
            construct_id,
            schedule=schedule,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            time_zone=TimeZone.of(time_zone) if time_zone else None,
        )
        return ScheduledScalingAction(construct_id, schedule, min_capacity, max_capacity, time_zone)

    # -- private helpers --------------------------------------------------------------------

    def _claim_id(self, construct_id: str) -> None:
        """Refuse an id already given to another ``scale_on_*`` call of this variant."""
        require(
            construct_id not in self._ids,
            self._where,
            f"{self._prop}.{construct_id}",
            construct_id,
            "is already the id of another scaling policy or scheduled action of this variant",
            "give each scale_on_* call of a variant its own id",
        )
        self._ids.add(construct_id)

    def _check_invocations_allowed(self) -> None:
        if not self.is_async:
            return
        raise InvalidPropsError(
            self._where,
            f"{self._prop}.scale_on_invocations",
            _INVOCATIONS_METRIC_TYPE,
            "cannot scale an async endpoint: async endpoints publish no Invocations or "
            "InvocationsPerInstance, so this target-tracking metric never moves and the "
            "policy would never scale",
            "scale on the backlog with step scaling: scale_on_metric(id, metric="
            "endpoint.metrics.approximate_backlog_size_per_instance(), ...) "
            "(ApproximateBacklogSizePerInstance in AWS/SageMaker, dimension EndpointName "
            "only), and to scale out from zero add a step policy on "
            "endpoint.metrics.has_backlog_without_capacity() (HasBacklogWithoutCapacity)",
        )

    def _invocations_target(
        self,
        invocations_per_instance: float | None,
        max_requests_per_second: float | None,
        safety_factor: float,
    ) -> float:
        """The target in requests/minute/instance, given directly or from a load test."""
        where = self._where
        if (invocations_per_instance is None) == (max_requests_per_second is None):
            raise InvalidPropsError(
                where,
                f"{self._prop}.invocations_per_instance",
                invocations_per_instance,
                "and max_requests_per_second are both set"
                if invocations_per_instance is not None
                else "is missing",
                "give exactly one of invocations_per_instance or max_requests_per_second",
            )
        if max_requests_per_second is not None:
            check_range(
                where, f"{self._prop}.max_requests_per_second", max_requests_per_second, 0.001
            )
            check_range(where, f"{self._prop}.safety_factor", safety_factor, 0.01, 1)
            return round(max_requests_per_second * safety_factor * 60, 2)
        assert invocations_per_instance is not None
        check_range(where, f"{self._prop}.invocations_per_instance", invocations_per_instance, 0.01)
        return invocations_per_instance


def _check_bounds(
    scope: Construct, prop: str, min_capacity: int | None, max_capacity: int | None, floor: int
) -> None:
    """Check ``floor <= min_capacity``, ``1 <= max_capacity`` and ``min <= max`` (None: unset)."""
    check_range(scope, f"{prop}.min_capacity", min_capacity, floor, None, integer=True)
    check_range(scope, f"{prop}.max_capacity", max_capacity, 1, None, integer=True)
    if min_capacity is None or max_capacity is None:
        return
    if is_token(min_capacity) or is_token(max_capacity):
        return
    require(
        min_capacity <= max_capacity,
        scope,
        f"{prop}.min_capacity",
        min_capacity,
        f"is greater than max_capacity ({max_capacity})",
        "make min_capacity <= max_capacity",
    )
