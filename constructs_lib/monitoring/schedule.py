"""When a Model Monitor job runs: the cron expressions a monitoring schedule accepts.

SageMaker documents a closed set of expressions for ``ScheduleConfig.ScheduleExpression``
(SageMaker developer guide, "The cron expression for monitoring schedule"; API reference,
``ScheduleConfig``); anything else is refused when the schedule is created, which
CloudFormation reports only at deploy time. :class:`MonitorSchedule` builds and checks them
at synth:

- hourly, at the top of every hour: ``cron(0 * ? * * *)``;
- daily at hour H (UTC): ``cron(0 H ? * * *)``, H in 0-23;
- every N hours from hour H: ``cron(0 H/N ? * * *)``, H in 0-23, N in 1-24 ("SageMaker only
  supports hourly integer rates between 1 hour and 24 hours").

SageMaker may start a run 0-20 minutes after the requested time. The one-time keyword
``NOW`` is refused: a schedule created by CloudFormation would run once, at deploy.

The interval also bounds a job's maximum runtime: it "cannot exceed the frequency of the
job", and for model-quality and model-bias jobs the runtime is split between the
ground-truth merge job and the monitoring job, so an hourly schedule allows at most
1800 s there (API reference, ``MonitoringStoppingCondition``; developer guide, "Model
monitor offsets").
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from constructs import IConstruct

from constructs_lib.core import InvalidPropsError, is_token

__all__ = ["MonitorSchedule"]

_HOURLY = re.compile(r"^cron\(0 \* \? \* \* \*\)$")
_DAILY = re.compile(r"^cron\(0 (?P<hour>\d{1,2}) \? \* \* \*\)$")
_EVERY = re.compile(r"^cron\(0 (?P<hour>\d{1,2})/(?P<interval>\d{1,2}) \? \* \* \*\)$")

_ACCEPTED = (
    "use MonitorSchedule.hourly(), .daily(hour=0-23) or .every_hours(1-24, starting_hour=0-23), "
    "or one of cron(0 * ? * * *), cron(0 H ? * * *), cron(0 H/N ? * * *)"
)


@dataclass(frozen=True)
class MonitorSchedule:
    """How often a monitoring job runs (all times UTC).

    Use a static factory: :meth:`hourly`, :meth:`daily`, :meth:`every_hours`, or
    :meth:`from_expression` for an expression of your own, checked against the forms
    SageMaker accepts.
    """

    expression: str

    @staticmethod
    def hourly() -> MonitorSchedule:
        """At the top of every hour: ``cron(0 * ? * * *)``."""
        return MonitorSchedule("cron(0 * ? * * *)")

    @staticmethod
    def daily(hour: int = 0) -> MonitorSchedule:
        """Once a day at ``hour`` (0-23, UTC): ``cron(0 <hour> ? * * *)``.

        :param hour: the hour of the day. Default: 0 (midnight UTC).
        """
        return MonitorSchedule(f"cron(0 {hour} ? * * *)")

    @staticmethod
    def every_hours(interval: int, starting_hour: int = 0) -> MonitorSchedule:
        """Every ``interval`` hours (1-24) from ``starting_hour`` (0-23, UTC).

        :param interval: hours between runs.
        :param starting_hour: the first run of the day. Default: 0 (midnight UTC).
        """
        return MonitorSchedule(f"cron(0 {starting_hour}/{interval} ? * * *)")

    @staticmethod
    def from_expression(expression: str) -> MonitorSchedule:
        """An expression of your own; it must be one of the forms SageMaker accepts.

        :param expression: e.g. ``cron(0 17/12 ? * * *)`` (every 12 hours from 17:00 UTC).
        """
        return MonitorSchedule(expression)

    def _interval_hours(self, scope: IConstruct, prop: str) -> int | None:
        """Hours between runs, after checking the expression; None for a token."""
        text = self.expression
        if is_token(text):
            return None
        if _HOURLY.match(text):
            return 1
        daily = _DAILY.match(text)
        if daily:
            _check_hour(scope, prop, text, int(daily["hour"]), "hour", 0, 23)
            return 24
        every = _EVERY.match(text)
        if every:
            _check_hour(scope, prop, text, int(every["hour"]), "starting hour", 0, 23)
            _check_hour(scope, prop, text, int(every["interval"]), "interval", 1, 24)
            return int(every["interval"])
        problem = (
            "is a one-time run, which a deployed schedule would start only once, at deploy"
            if text.strip().upper() == "NOW"
            else "is not an expression SageMaker accepts for a monitoring schedule"
        )
        raise InvalidPropsError(scope, prop, text, problem, _ACCEPTED)


def _check_hour(
    scope: IConstruct, prop: str, text: str, value: int, what: str, low: int, high: int
) -> None:
    if not low <= value <= high:
        raise InvalidPropsError(
            scope, prop, text, f"has {what} {value}, outside {low}-{high}", _ACCEPTED
        )
