"""What the library refuses, said in the config's words: library props -> config key paths.

The library checks every service rule once and raises
:class:`~constructs_lib.InvalidPropsError` naming the construct path and the prop in its own
vocabulary::

    churn-prod-serving/Endpoint: variants[champion].initial_instance_count=1 is out of range.

:func:`config_problem` names the config key that set the prop instead::

    environments.prod.endpoint.variants[0].instance_count: is out of range. Fix: ... (got 1)

:data:`KEY_PATHS` is the whole mapping. A prop it does not know keeps the library's message
with the construct path, under the environment's key.
"""

from __future__ import annotations

import enum
import re
from typing import Any

from aws_cdk import Duration
from pydantic import BaseModel

from constructs_lib import InvalidPropsError
from constructs_lib.core import pascal_case
from stacks.config import EnvironmentConfig

__all__ = ["KEY_PATHS", "config_key", "config_problem"]

#: A variant's prop, once its name is replaced by its index in the config.
_VARIANT = r"variants\[(?P<i>\d+)\]"

#: Construct -> (library prop, config key under ``environments.<env>``); the first match wins.
#: The construct is the path below the stack. The prop is a regular expression matched
#: against the whole prop, after variant names are replaced by their index in the config
#: (``variants[champion]`` -> ``variants[0]``); its named groups fill the key, and so does
#: ``{policy}``, the chosen section of ``endpoint.deployment`` (canary, linear or rolling).
KEY_PATHS: dict[str, tuple[tuple[str, str], ...]] = {
    # The endpoint, its variants and autoscaling, and its update policy. VariantAutoScaling
    # errors raised on Endpoint/AutoScaling<Variant> read as variants[<name>].autoscaling.*.
    "Endpoint": (
        (r"endpoint_name", "endpoint.name"),
        (r"variants", "endpoint.variants"),
        (r"variants\[\]\.initial_weight", "endpoint.variants[*].weight"),
        (rf"{_VARIANT}\.initial_weight", "endpoint.variants[{i}].weight"),
        (rf"{_VARIANT}\.initial_instance_count", "endpoint.variants[{i}].instance_count"),
        (rf"{_VARIANT}\.serverless\.memory_size_mb", "endpoint.variants[{i}].serverless.memory_mb"),
        (rf"{_VARIANT}\.model\.network_isolation", "endpoint.network_isolation"),
        (rf"{_VARIANT}\.autoscaling\.instance_type", "endpoint.variants[{i}].instance_type"),
        (
            rf"{_VARIANT}\.autoscaling\.(?P<f>scale_(in|out)_cooldown)",
            "endpoint.variants[{i}].autoscaling.{f}_seconds",
        ),
        (
            rf"{_VARIANT}\.(?P<key>(name|instance_type|serverless|autoscaling|model_artifact).*)",
            "endpoint.variants[{i}].{key}",
        ),
        (r"deployment_policy", "endpoint.deployment"),
        (r"deployment_policy\.size", "endpoint.deployment.canary.percent"),
        (r"deployment_policy\.step", "endpoint.deployment.linear.step_percent"),
        (r"deployment_policy\.batch_size", "endpoint.deployment.rolling.batch_percent"),
        (r"deployment_policy\.wait", "endpoint.deployment.{policy}.wait_minutes"),
        (r"deployment_policy\.termination_wait", "endpoint.deployment.termination_wait_minutes"),
        (r"deployment_policy\.max_execution_time", "endpoint.deployment.max_execution_minutes"),
        (r"deployment_policy\.rollback_alarms.*", "endpoint.deployment.rollback_kinds"),
    ),
    # The alarms, built before the endpoint from the same names.
    "Alarms": (
        (r"endpoint_name|alarm_name_prefix", "endpoint.name"),
        (r"variants", "endpoint.variants"),
        (rf"{_VARIANT}\.(?P<key>name|instance_type)", "endpoint.variants[{i}].{key}"),
        (r"settings\[(?P<kind>[\w-]+)\]\.period", "observability.alarms.{kind}.period_minutes"),
        (r"settings\[(?P<kind>[\w-]+)\](?P<key>\.\w+)?", "observability.alarms.{kind}{key}"),
        (r"rollback\[(?P<i>\d+)\]", "endpoint.deployment.rollback_kinds[{i}]"),
        (r"rollback", "endpoint.deployment.rollback_kinds"),
        (r"critical\[(?P<i>\d+)\]", "observability.critical[{i}]"),
        (r"critical", "observability.critical"),
    ),
    "Notifications": ((r"(?P<key>(emails|https_endpoints)(\[\d+\])?)", "notifications.{key}"),),
    "EndpointLogs": ((r"retention", "observability.log_retention_days"),),
}


def config_problem(
    err: InvalidPropsError, env_name: str, env: EnvironmentConfig, stack: str
) -> str:
    """One line for an invalid config: ``environments.<env>.<key>: <problem>. Fix: <fix>``.

    :param stack: the construct path of the environment's stack.
    """
    owner, prop = _owner_and_prop(err, env, stack)
    key = config_key(owner, prop, err.value, env)
    if key is None:
        return f"environments.{env_name}: {err}"
    problem, fix = (_in_config_words(text, owner, env) for text in (err.problem, err.fix))
    value = _config_value(env, key)
    shown = _show(err.value if value is None else value)
    return f"environments.{env_name}.{key}: {problem}. Fix: {fix} (got {shown})"


def config_key(owner: str, prop: str, value: Any, env: EnvironmentConfig) -> str | None:
    """The config key (under ``environments.<env>``) of ``prop`` of construct ``owner``.

    :param owner: the construct below the stack, e.g. ``Endpoint`` or ``Alarms``.
    :param value: the value the library received (it names the variant of a repeated name).
    :returns: the key, or None when :data:`KEY_PATHS` has no entry for the prop.
    """
    prop = _indexed(prop, value, env)
    deployment = env.endpoint.deployment
    policy = deployment.policy if deployment is not None else None
    for pattern, key in KEY_PATHS.get(owner, ()):
        match = re.fullmatch(pattern, prop)
        if match is not None and (policy is not None or "{policy}" not in key):
            return key.format(policy=policy, **match.groupdict(default=""))
    return None


# -- private helpers ----------------------------------------------------------------------------


def _owner_and_prop(err: InvalidPropsError, env: EnvironmentConfig, stack: str) -> tuple[str, str]:
    """The top construct below the stack, and the prop in that construct's vocabulary."""
    below = err.path.removeprefix(f"{stack}/") if err.path.startswith(f"{stack}/") else ""
    owner, _, child = below.partition("/")
    model = re.fullmatch(r"Model(\w+)", owner)
    if model and err.prop == "model_data":
        # Each variant's model is built from its model_artifact.
        for v in env.endpoint.variants:
            if pascal_case(v.name) == model.group(1):
                return "Endpoint", f"variants[{v.name}].model_artifact"
    scaling = re.fullmatch(r"AutoScaling(\w+)", child.partition("/")[0])
    if owner == "Endpoint" and scaling and not err.prop.startswith("variants["):
        # VariantAutoScaling raising on itself: its props are the variant's autoscaling.
        for v in env.endpoint.variants:
            if pascal_case(v.name) == scaling.group(1):
                return owner, f"variants[{v.name}].autoscaling.{err.prop}"
    return owner, err.prop


def _indexed(prop: str, value: Any, env: EnvironmentConfig) -> str:
    """``variants[<name>]`` -> ``variants[<index in the config>]``."""
    names = [v.name for v in env.endpoint.variants]
    if prop == "variants[].name" and value in names:
        # A repeated name: the later variant is the one to rename.
        return f"variants[{len(names) - 1 - names[::-1].index(value)}].name"
    for name in sorted(set(names), key=len, reverse=True):
        prop = prop.replace(f"variants[{name}]", f"variants[{names.index(name)}]")
    return prop


def _in_config_words(text: str, owner: str, env: EnvironmentConfig) -> str:
    """Name config keys where a library message names a variant's or an alarm kind's prop."""

    def key(match: re.Match[str]) -> str:
        return config_key(owner, match.group(0), None, env) or match.group(0)

    return re.sub(r"(settings|variants)\[[\w-]+\](\.\w+)*|deployment_policy(\.\w+)?", key, text)


def _config_value(env: EnvironmentConfig, key: str) -> Any:
    """The value the config gives at ``key`` when it is a single value, else None."""
    value: Any = env
    for name, index in re.findall(r"([^.\[\]]+)|\[(\d+)\]", key):
        if isinstance(value, BaseModel) and name in type(value).model_fields:
            value = getattr(value, name)
        elif isinstance(value, dict) and name in value:
            value = value[name]
        elif isinstance(value, list) and index and int(index) < len(value):
            value = value[int(index)]
        else:
            return None
    return None if isinstance(value, BaseModel | dict | list) else value


def _show(value: Any) -> str:
    if isinstance(value, Duration):
        return str(value.to_human_string())
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return repr(value)
