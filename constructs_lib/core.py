"""Shared errors and validation helpers for every construct in the library.

One error type, :class:`InvalidPropsError`, is raised for every prop that SageMaker,
Application Auto Scaling, CloudWatch or CloudFormation would reject. Its message names the
construct path, the prop, the value received and how to fix it, so a bad input stops
``cdk synth`` with one readable line instead of a failed deployment.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from aws_cdk import Acknowledgment, Duration, RemovalPolicy, Token, Validations
from aws_cdk import aws_kms as kms
from constructs import Construct, IConstruct

__all__ = [
    "InvalidPropsError",
    "acknowledge",
    "check_duration_seconds",
    "check_name",
    "check_range",
    "is_token",
    "key_or_new",
    "pascal_case",
    "require",
]

#: Endpoint, endpoint-config and variant names (SageMaker API pattern, max 63 chars).
SAGEMAKER_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$")


class InvalidPropsError(ValueError):
    """A construct received props that the AWS service or CloudFormation would reject.

    The message has the form ``<construct path>: <prop>=<value> <problem>. Fix: <fix>``.
    """

    def __init__(self, scope: IConstruct | str, prop: str, value: Any, problem: str, fix: str):
        path = scope if isinstance(scope, str) else (scope.node.path or "<root>")
        self.path = path
        self.prop = prop
        self.value = value
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {prop}={_show(value)} {problem}. Fix: {fix}")


def _show(value: Any) -> str:
    if isinstance(value, Duration):
        return value.to_human_string()
    return repr(value)


def is_token(value: Any) -> bool:
    """Return True when ``value`` is an unresolved CDK token (not checkable at synth)."""
    # Fast paths avoid a round trip to the jsii kernel for plain literals: string tokens
    # carry a "Token[" marker and number tokens are encoded as huge negative numbers.
    if isinstance(value, str):
        return "Token[" in value and bool(Token.is_unresolved(value))
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return value < -1e288 and bool(Token.is_unresolved(float(value)))
    if isinstance(value, Duration):
        return bool(Token.is_unresolved(value.to_seconds(integral=False)))
    return False


def require(
    condition: bool, scope: IConstruct | str, prop: str, value: Any, problem: str, fix: str
) -> None:
    """Raise :class:`InvalidPropsError` unless ``condition`` holds."""
    if not condition:
        raise InvalidPropsError(scope, prop, value, problem, fix)


def check_range(
    scope: IConstruct | str,
    prop: str,
    value: float | int | None,
    low: float,
    high: float | None = None,
    *,
    integer: bool = False,
) -> None:
    """Check ``low <= value <= high`` (``high`` None: no upper bound); skip None and tokens."""
    if value is None or is_token(value):
        return
    bounds = f"between {_num(low)} and {_num(high)}" if high is not None else f">= {_num(low)}"
    if integer and (isinstance(value, bool) or not float(value).is_integer()):
        raise InvalidPropsError(
            scope, prop, value, "is not a whole number", f"use a whole number {bounds}"
        )
    if value < low or (high is not None and value > high):
        raise InvalidPropsError(scope, prop, value, "is out of range", f"use a value {bounds}")


def check_duration_seconds(
    scope: IConstruct | str, prop: str, value: Duration | None, low: int, high: int
) -> int | None:
    """Return ``value`` in whole seconds after checking it lies in ``[low, high]`` seconds."""
    if value is None:
        return None
    if is_token(value):
        return int(value.to_seconds(integral=False))
    seconds = value.to_seconds(integral=False)
    if not float(seconds).is_integer():
        raise InvalidPropsError(
            scope, prop, value, "is not a whole number of seconds", "round it to whole seconds"
        )
    if seconds < low or seconds > high:
        raise InvalidPropsError(
            scope,
            prop,
            value,
            f"is {seconds} s, out of range",
            f"use a duration between {low} s and {high} s",
        )
    return int(seconds)


def check_name(
    scope: IConstruct | str, prop: str, value: str | None, pattern: re.Pattern[str] | None = None
) -> None:
    """Check a SageMaker resource name (letters, digits and inner hyphens, 1-63 chars)."""
    if value is None or is_token(value):
        return
    if not (pattern or SAGEMAKER_NAME_PATTERN).match(value):
        raise InvalidPropsError(
            scope,
            prop,
            value,
            "is not a valid SageMaker name",
            "use 1-63 letters, digits and inner hyphens (no '_', '.', or leading/trailing '-')",
        )


def check_unique(scope: IConstruct | str, prop: str, values: Iterable[str]) -> None:
    """Raise when ``values`` holds the same resolved string twice."""
    seen: set[str] = set()
    for value in values:
        if is_token(value):
            continue
        if value in seen:
            raise InvalidPropsError(
                scope, prop, value, "appears more than once", "give each one a distinct name"
            )
        seen.add(value)


def _num(value: float | None) -> str:
    if value is None:
        return ""
    return str(int(value)) if float(value).is_integer() else str(value)


def acknowledge(scope: IConstruct, rule_id: str, reason: str) -> None:
    """Acknowledge one compliance finding on ``scope`` (keep it the narrowest construct).

    :param rule_id: the full finding id, e.g. ``AwsSolutions-IAM5[Resource::*]``.
    :param reason: why the finding is acceptable, for a reviewer.
    """
    Validations.of(scope).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def pascal_case(name: str) -> str:
    """``champion-v2`` -> ``ChampionV2``: a construct id part from a resource name."""
    return "".join(p[:1].upper() + p[1:] for p in name.replace("_", "-").split("-"))


def key_or_new(
    scope: Construct,
    given: kms.IKey | None,
    *,
    description: str,
    removal_policy: RemovalPolicy,
    construct_id: str = "Key",
) -> kms.IKey:
    """``given``, or a new customer-managed key with yearly rotation (secure by default)."""
    if given is not None:
        return given
    return kms.Key(
        scope,
        construct_id,
        description=description,
        enable_key_rotation=True,
        removal_policy=removal_policy,
    )
