"""Autoscaling of an instance-backed endpoint variant with Application Auto Scaling.

Get one from ``endpoint.find_variant(name).auto_scale_instance_count(min, max)``, then add
target tracking on invocations per instance, step scaling on any metric, or scheduled
capacity changes.

Async endpoints publish no ``Invocations``/``InvocationsPerInstance``, so target tracking
on invocations is refused there: scale them with step scaling on the endpoint's
``ApproximateBacklogSizePerInstance`` and, to scale out from zero, a step policy on
``HasBacklogWithoutCapacity`` (both dimensioned by ``EndpointName`` only).

SageMaker refuses an endpoint update that changes the instance type of, or removes, a
variant with a registered scalable target, and CloudFormation cannot deregister the target
first. The safe path is three deploys: ``autoscaling_detached=True`` (targets deleted),
then the instance-type change, then ``autoscaling_detached=False`` (targets back).
"""

from __future__ import annotations

from collections.abc import Sequence

from aws_cdk import Aws, Duration, TimeZone
from aws_cdk import aws_applicationautoscaling as appscaling
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from constructs import Construct

from constructs_lib.core import InvalidPropsError, check_range, is_token, require
from constructs_lib.serving.instance_types import is_burstable

__all__ = ["VariantAutoScaling"]

_SERVICE_LINKED_ROLE = (
    "arn:{partition}:iam::{account}:role/aws-service-role/"
    "sagemaker.application-autoscaling.amazonaws.com/"
    "AWSServiceRoleForApplicationAutoScaling_SageMakerEndpoint"
)
_INVOCATIONS_METRIC = "SageMakerVariantInvocationsPerInstance"


class VariantAutoScaling(Construct):
    """The scalable instance count of one endpoint variant and its scaling policies.

    Application Auto Scaling acts through its SageMaker service-linked role (created by the
    service on first use), so no IAM role is added to the stack.

    :param endpoint_name: the endpoint's name.
    :param variant_name: the variant's name.
    :param instance_type: the variant's instance type (burstable ``ml.t*`` is refused).
    :param min_capacity: the fewest instances, >= 1 (>= 2 with ``require_multi_az``).
    :param max_capacity: the most instances, >= ``min_capacity``.
    :param detached: validate but create no resources (see the module docstring).
    :param allow_zero: allow ``min_capacity`` 0 (async endpoints only). Default: False.
    :param is_async: the variant belongs to an async endpoint, which publishes no
        invocation metrics: :meth:`scale_on_invocations` is refused. Default: False.
    :param require_multi_az: refuse ``min_capacity`` below 2. Default: False.
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
        detached: bool = False,
        allow_zero: bool = False,
        is_async: bool = False,
        require_multi_az: bool = False,
    ) -> None:
        super().__init__(scope, construct_id)
        self._prop = f"variants[{variant_name}].autoscaling"
        where = scope
        if not is_token(instance_type) and is_burstable(instance_type):
            raise InvalidPropsError(
                where,
                f"{self._prop}.instance_type",
                instance_type,
                "is a burstable type, which SageMaker cannot autoscale",
                "use a non-burstable type such as ml.m5.large, or drop autoscaling",
            )
        low = 2 if require_multi_az else (0 if allow_zero else 1)
        check_range(where, f"{self._prop}.min_capacity", min_capacity, low, None, integer=True)
        check_range(where, f"{self._prop}.max_capacity", max_capacity, 1, None, integer=True)
        if not is_token(min_capacity) and not is_token(max_capacity):
            require(
                min_capacity <= max_capacity,
                where,
                f"{self._prop}.min_capacity",
                min_capacity,
                f"is greater than max_capacity ({max_capacity})",
                "make min_capacity <= max_capacity",
            )
        self._min_floor = low
        self.min_capacity = min_capacity
        self.max_capacity = max_capacity
        self.detached = detached
        self.is_async = is_async
        self.variant_name = variant_name
        self.scalable_target: appscaling.ScalableTarget | None = None
        if detached:
            return
        self.scalable_target = appscaling.ScalableTarget(
            self,
            "Target",
            service_namespace=appscaling.ServiceNamespace.SAGEMAKER,
            resource_id=f"endpoint/{endpoint_name}/variant/{variant_name}",
            scalable_dimension="sagemaker:variant:DesiredInstanceCount",
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            role=iam.Role.from_role_arn(
                self,
                "ServiceLinkedRole",
                _SERVICE_LINKED_ROLE.format(partition=Aws.PARTITION, account=Aws.ACCOUNT_ID),
                mutable=False,
            ),
        )

    def scale_on_invocations(
        self,
        *,
        invocations_per_instance: float | None = None,
        max_requests_per_second: float | None = None,
        safety_factor: float = 0.5,
        scale_in_cooldown: Duration | None = None,
        scale_out_cooldown: Duration | None = None,
        disable_scale_in: bool = False,
    ) -> None:
        """Target-track ``SageMakerVariantInvocationsPerInstance`` (requests/minute/instance).

        Give the target directly, or derive it from load-test results as SageMaker
        recommends: ``max_requests_per_second * safety_factor * 60``.

        Refused on async endpoints (:class:`~constructs_lib.core.InvalidPropsError`): they
        publish no ``Invocations`` or ``InvocationsPerInstance``, so this metric never moves
        and the policy would never scale. Use :meth:`scale_on_metric` on
        ``endpoint.metric("ApproximateBacklogSizePerInstance")`` there instead, plus a step
        policy on ``endpoint.metric_has_backlog_without_capacity()`` to scale out from zero
        (``scaling_steps=[ScalingInterval(upper=1, change=0), ScalingInterval(lower=1,
        change=+1)]``: one alarm at >= 1 that adds an instance).

        :param invocations_per_instance: the target per instance per minute.
        :param max_requests_per_second: the most one instance sustained in a load test.
        :param safety_factor: share of that maximum to aim for, in (0, 1]. Default: 0.5.
        :param scale_in_cooldown: wait after a scale-in. Default: 300 s (the service's).
        :param scale_out_cooldown: wait after a scale-out. Default: 60 s.
        :param disable_scale_in: never remove instances. Default: False.
        """
        if self.is_async:
            raise InvalidPropsError(
                self.node.scope or self,
                f"{self._prop}.scale_on_invocations",
                _INVOCATIONS_METRIC,
                "cannot scale an async endpoint: async endpoints publish no Invocations or "
                "InvocationsPerInstance, so this target-tracking metric never moves and the "
                "policy would never scale",
                "scale on the backlog with step scaling: scale_on_metric(metric="
                'endpoint.metric("ApproximateBacklogSizePerInstance"), ...) (namespace '
                "AWS/SageMaker, dimension EndpointName only), and to scale out from zero add "
                "a step policy on endpoint.metric_has_backlog_without_capacity() "
                "(HasBacklogWithoutCapacity)",
            )
        if (invocations_per_instance is None) == (max_requests_per_second is None):
            raise InvalidPropsError(
                self.node.scope or self,
                f"{self._prop}.invocations_per_instance",
                invocations_per_instance,
                "and max_requests_per_second are both set"
                if invocations_per_instance is not None
                else "is missing",
                "give exactly one of invocations_per_instance or max_requests_per_second",
            )
        scope = self.node.scope or self
        if max_requests_per_second is not None:
            check_range(
                scope, f"{self._prop}.max_requests_per_second", max_requests_per_second, 0.001
            )
            check_range(scope, f"{self._prop}.safety_factor", safety_factor, 0.01, 1)
            target = round(max_requests_per_second * safety_factor * 60, 2)
        else:
            assert invocations_per_instance is not None
            check_range(
                scope, f"{self._prop}.invocations_per_instance", invocations_per_instance, 0.01
            )
            target = invocations_per_instance
        self.invocations_target = target
        if self.scalable_target is None:
            return
        self.scalable_target.scale_to_track_metric(
            "InvocationsTracking",
            target_value=target,
            predefined_metric=appscaling.PredefinedMetric.SAGEMAKER_VARIANT_INVOCATIONS_PER_INSTANCE,
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
    ) -> None:
        """Step scaling on any metric (creates the CloudWatch alarms that drive it).

        :param construct_id: id of the policy, unique per variant.
        :param metric: the metric, e.g. ``variant.metric_cpu_utilization()``, or on an async
            endpoint ``endpoint.metric("ApproximateBacklogSizePerInstance")``.
        :param scaling_steps: intervals of the metric and the change each makes.
        :param adjustment_type: how a step's number applies. Default: change in capacity.
        :param cooldown: wait between adjustments. Default: 300 s (the service's).
        :param evaluation_periods: periods the alarm evaluates. Default: 1.
        :param datapoints_to_alarm: breaching points that trigger it. Default: all.
        """
        scope = self.node.scope or self
        require(
            len(scaling_steps) >= 2,
            scope,
            f"{self._prop}.{construct_id}.scaling_steps",
            len(scaling_steps),
            "needs at least 2 intervals (one for scaling in or a no-change band)",
            "give a lower and an upper interval, e.g. "
            "[ScalingInterval(upper=30, change=-1), ScalingInterval(lower=70, change=+1)]",
        )
        check_range(
            scope, f"{self._prop}.{construct_id}.evaluation_periods", evaluation_periods, 1, None
        )
        if self.scalable_target is None:
            return
        self.scalable_target.scale_on_metric(
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
    ) -> None:
        """Change the capacity bounds on a schedule (e.g. business hours).

        :param construct_id: id of the action, unique per variant.
        :param schedule: when, e.g. ``Schedule.cron(hour="8", minute="0")``.
        :param min_capacity: the new minimum. Default: unchanged.
        :param max_capacity: the new maximum. Default: unchanged.
        :param time_zone: IANA time zone of the schedule. Default: UTC.
        """
        scope = self.node.scope or self
        prop = f"{self._prop}.{construct_id}"
        require(
            min_capacity is not None or max_capacity is not None,
            scope,
            prop,
            None,
            "changes neither min_capacity nor max_capacity",
            "give min_capacity, max_capacity or both",
        )
        check_range(
            scope, f"{prop}.min_capacity", min_capacity, self._min_floor, None, integer=True
        )
        check_range(scope, f"{prop}.max_capacity", max_capacity, 1, None, integer=True)
        if min_capacity is not None and max_capacity is not None:
            require(
                min_capacity <= max_capacity,
                scope,
                f"{prop}.min_capacity",
                min_capacity,
                f"is greater than max_capacity ({max_capacity})",
                "make min_capacity <= max_capacity",
            )
        if self.scalable_target is None:
            return
        self.scalable_target.scale_on_schedule(
            construct_id,
            schedule=schedule,
            min_capacity=min_capacity,
            max_capacity=max_capacity,
            time_zone=TimeZone.of(time_zone) if time_zone else None,
        )
