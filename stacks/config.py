"""Typed configuration of the reference app, read from a YAML file.

``cdk synth -c config=PATH`` picks the file; without it the embedded default
``config/default.yaml`` is used.

This schema owns the YAML's *shape* only: types, required keys, unknown keys, the names of
enum-like values (alarm kinds, missing-data modes, rollback modes), keys that only make
sense together (one of canary/linear/rolling, percentile for model latency only), the
project and environment names that make stack names, and the account and region formats.
Every service rule (ranges, instance types, names, weights, multi-AZ, serverless limits,
rollback kinds, retention periods, e-mail and URL checks, ...) is the library's: the
constructs check it once while an environment's stack is built, and
:mod:`stacks.errors` names the config key of whatever they refuse. Durations and
thresholds are non-negative numbers here because that is their type (a negative duration
does not exist); their ranges are the library's.

An optional numeric setting left out (or ``null``) takes the library's default, so the
config has no defaults of its own that could drift from the library's.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from aws_cdk import aws_cloudwatch as cloudwatch
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    Strict,
    ValidationError,
    field_validator,
    model_validator,
)

from constructs_lib.observability import ALARM_KINDS, AlarmKind

__all__ = [
    "DEFAULT_CONFIG",
    "AppConfig",
    "ConfigError",
    "EnvironmentConfig",
    "given",
    "load_config",
]

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "default.yaml"


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


#: A duration in whole minutes or seconds: its type is a non-negative integer.
Minutes = Annotated[int, Field(ge=0)]
Seconds = Annotated[int, Field(ge=0)]
#: A threshold in its kind's unit: a non-negative number (time kinds become durations).
Amount = Annotated[float, Field(ge=0)]


class ServerlessSettings(_Strict):
    """Serverless capacity of a variant (library: ``ServerlessConfig``)."""

    memory_mb: int | None = Field(
        default=None,
        description="Memory in MB. None: the library's default (ServerlessConfig.memory_size_mb).",
    )
    max_concurrency: int | None = Field(
        default=None,
        description="Concurrent invocations. None: the library's default "
        "(ServerlessConfig.max_concurrency).",
    )
    provisioned_concurrency: int | None = Field(
        default=None,
        description="Warm concurrency. None: the library's default (none: cold starts possible).",
    )


class AutoscalingSettings(_Strict):
    """Target tracking on invocations per instance, derived from a load-tested maximum.

    Library: ``auto_scale_instance_count(min, max).scale_on_invocations(...)``.
    """

    min_capacity: int
    max_capacity: int
    max_requests_per_second: float = Field(
        description="What one instance sustained in a load test."
    )
    safety_factor: float | None = Field(
        default=None,
        description="Share of that maximum to aim for. None: the library's default "
        "(VariantAutoScaling.scale_on_invocations).",
    )
    scale_in_cooldown_seconds: Seconds | None = Field(
        default=None,
        description="Wait after a scale-in. None: the library's default "
        "(VariantAutoScaling.scale_on_invocations).",
    )
    scale_out_cooldown_seconds: Seconds | None = Field(
        default=None,
        description="Wait after a scale-out. None: the library's default "
        "(VariantAutoScaling.scale_on_invocations).",
    )


class VariantSettings(_Strict):
    """One production variant: ``instance_type`` (+ count) or ``serverless``."""

    name: str
    weight: float | None = Field(
        default=None,
        description="Relative traffic weight. None: the library's default "
        "(ProductionVariant.initial_weight).",
    )
    model_artifact: str = "model/model.tar.gz"
    instance_type: str | None = None
    instance_count: int | None = Field(
        default=None,
        description="Instances at creation. None: the library's default "
        "(ProductionVariant.initial_instance_count).",
    )
    serverless: ServerlessSettings | None = None
    autoscaling: AutoscalingSettings | None = None


#: An alarm kind as the config names it (``model-latency``, ``5xx-rate``, ...): any kind of
#: the library's alarm-kind registry, whose entries also give each threshold's unit.
AlarmKindName = Annotated[AlarmKind, Strict(False)]


class CanarySettings(_Strict):
    """Blue/green canary: a share of the fleet first, the rest after the wait."""

    percent: int | None = Field(
        default=None,
        description="The canary's share of the fleet. None: the library's default "
        "(DeploymentPolicy.canary size).",
    )
    wait_minutes: Minutes | None = Field(
        default=None,
        description="How long the canary bakes. None: the library's default "
        "(DeploymentPolicy.canary wait).",
    )


class LinearSettings(_Strict):
    """Blue/green linear: equal steps."""

    step_percent: int | None = Field(
        default=None,
        description="Each step's share of the fleet. None: the library's default "
        "(DeploymentPolicy.linear step).",
    )
    wait_minutes: Minutes | None = Field(
        default=None,
        description="How long each step bakes. None: the library's default "
        "(DeploymentPolicy.linear wait).",
    )


class RollingSettings(_Strict):
    """Rolling update batch by batch."""

    batch_percent: int | None = Field(
        default=None,
        description="Each batch's share of the fleet. None: the library's default "
        "(DeploymentPolicy.rolling batch_size).",
    )
    wait_minutes: Minutes | None = Field(
        default=None,
        description="How long each batch bakes. None: the library's default "
        "(DeploymentPolicy.rolling wait).",
    )


class DeploymentSettings(_Strict):
    """The endpoint's update policy: at most one of canary, linear or rolling."""

    canary: CanarySettings | None = None
    linear: LinearSettings | None = None
    rolling: RollingSettings | None = None
    termination_wait_minutes: Minutes | None = Field(
        default=None,
        description="How long blue/green keeps the old fleet after the shift. None: the "
        "library's default (DeploymentPolicy termination_wait).",
    )
    max_execution_minutes: Minutes | None = Field(
        default=None,
        description="The deployment timeout. None: the library's default (SageMaker's).",
    )
    rollback_on: Literal["alarms", "composite", "none"] = Field(
        default="alarms",
        description="Roll back on the metric alarms of rollback_kinds (what SageMaker "
        "documents), on the composite alarm (an explicit opt-in: SageMaker does not document "
        "composite rollback alarms), or not at all.",
    )
    rollback_kinds: list[AlarmKindName] | None = Field(
        default=None,
        description="Alarm kinds whose metric alarms roll a deployment back. None: the "
        "library's default (the critical kinds that stay quiet without traffic).",
    )

    @model_validator(mode="after")
    def _one_policy(self) -> DeploymentSettings:
        chosen = [k for k in ("canary", "linear", "rolling") if getattr(self, k) is not None]
        if len(chosen) > 1:
            raise ValueError(
                f"{' and '.join(chosen)} conflict; choose one update policy "
                "(or none for blue/green all-at-once)"
            )
        if self.rolling is not None and self.termination_wait_minutes is not None:
            raise ValueError(
                "termination_wait_minutes is a blue/green setting and rolling updates have "
                "none; remove it or use canary or linear"
            )
        return self

    @property
    def policy(self) -> Literal["canary", "linear", "rolling"] | None:
        """The chosen traffic-shifting section, or None for blue/green all-at-once."""
        if self.canary is not None:
            return "canary"
        if self.linear is not None:
            return "linear"
        return "rolling" if self.rolling is not None else None


class EndpointSettings(_Strict):
    """The served endpoint."""

    name: str | None = Field(
        default=None, description="The endpoint name. None: <project>-<environment>."
    )
    variants: list[VariantSettings]
    deployment: DeploymentSettings | None = Field(
        default=None,
        description="The update policy. Default: blue/green all-at-once rolling back on the "
        "rollback alarms; none for a serverless endpoint (guardrails do not apply there).",
    )
    network_isolation: bool | None = Field(
        default=None,
        description="Run the model containers without network access. Default: on for "
        "instance-backed endpoints, off for serverless (SageMaker does not support it there).",
    )
    autoscaling_detached: bool = Field(
        default=False,
        description="Create no autoscaling resources for one deploy (see the README).",
    )

    @property
    def is_serverless(self) -> bool:
        """Whether the endpoint has a serverless variant."""
        return any(v.serverless for v in self.variants)

    @property
    def isolated(self) -> bool:
        """Whether the model containers run with network isolation."""
        if self.network_isolation is not None:
            return self.network_isolation
        return not self.is_serverless


class NotificationSettings(_Strict):
    """Who hears about alarms and endpoint events (the library checks each address)."""

    emails: list[str] = []
    https_endpoints: list[str] = []


#: The config's spelling of each missing-data mode.
MISSING_DATA = {
    "breaching": cloudwatch.TreatMissingData.BREACHING,
    "notBreaching": cloudwatch.TreatMissingData.NOT_BREACHING,
    "ignore": cloudwatch.TreatMissingData.IGNORE,
    "missing": cloudwatch.TreatMissingData.MISSING,
}


class AlarmTuning(_Strict):
    """Overrides for one alarm kind; unset fields keep the kind's defaults in the library."""

    enabled: bool | None = None
    threshold: Amount | None = Field(
        default=None,
        description="In the kind's unit (constructs_lib.observability.ALARM_KINDS[kind].unit).",
    )
    percentile: float | None = None
    period_minutes: Minutes | None = None
    evaluation_periods: int | None = None
    datapoints_to_alarm: int | None = None
    treat_missing_data: Literal["breaching", "notBreaching", "ignore", "missing"] | None = None
    evaluate_low_sample_count_percentile: bool | None = None


#: Tuning keys whose field in the library's settings has another name.
SETTINGS_FIELD = {"period_minutes": "period"}


def _kinds_with(field: str) -> list[str]:
    """The kinds whose library settings have ``field``."""
    return [
        kind.value
        for kind, info in ALARM_KINDS.items()
        if field in {f.name for f in dataclasses.fields(info.default)}
    ]


class ObservabilitySettings(_Strict):
    """Alarms, dashboard, logs, audit trail and endpoint event notifications."""

    alarms: dict[AlarmKindName, AlarmTuning] = {}
    critical: list[AlarmKindName] | None = Field(
        default=None,
        description="Kinds joined into the composite alarm. None: the library's default "
        "(DEFAULT_CRITICAL_KINDS).",
    )
    dashboard: bool = True
    log_retention_days: int | None = Field(
        default=None,
        description="Days to keep the endpoint's container logs. None: the library's default "
        "(EndpointLogGroup retention).",
    )
    model_error_log_alarm: bool = True
    audit_trail: bool = False
    endpoint_event_rules: bool = True

    @model_validator(mode="after")
    def _tuning_fits_the_kind(self) -> ObservabilitySettings:
        # Each kind has its own settings type in the library (only latency has a percentile).
        for kind, tuning in self.alarms.items():
            for key, value in tuning:
                field = SETTINGS_FIELD.get(key, key)
                if value is not None and kind.value not in _kinds_with(field):
                    raise ValueError(
                        f"alarms.{kind.value}: {key} applies to "
                        f"{', '.join(_kinds_with(field))} only"
                    )
        return self


class EnvironmentConfig(_Strict):
    """One deployment environment (a stack)."""

    account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")] | None = None
    production: bool = Field(
        default=False,
        description="A production environment: the library requires multi-AZ capacity.",
    )
    endpoint: EndpointSettings
    notifications: NotificationSettings = NotificationSettings()
    observability: ObservabilitySettings = ObservabilitySettings()


class AppConfig(_Strict):
    """The whole reference-app configuration."""

    project: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")]
    environments: Annotated[dict[str, EnvironmentConfig], Field(min_length=1)]
    _source: Path | None = PrivateAttr(default=None)

    @field_validator("environments")
    @classmethod
    def _env_names(cls, value: dict[str, EnvironmentConfig]) -> dict[str, EnvironmentConfig]:
        for name in value:
            if not re.match(r"^[a-z][a-z0-9]{0,15}$", name):
                raise ValueError(
                    f"environment name '{name}' must be 1-16 lower-case letters and digits, "
                    "starting with a letter"
                )
        return value

    @property
    def source(self) -> Path | None:
        """The file this configuration was read from (None when built in code)."""
        return self._source


def load_config(path: str | Path | None = None) -> AppConfig:
    """Read and check a configuration file (default: the embedded ``config/default.yaml``).

    This checks the file's shape; the service rules are checked when the stacks are built
    (:func:`stacks.build_app`), and reported against the same file and key paths.
    """
    file = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist. Fix: pass -c config=PATH") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {file} is not valid YAML: {err}") from None
    try:
        config = AppConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_format(file, err)) from None
    config._source = file
    return config


def _format(file: Path, err: ValidationError) -> str:
    problems = []
    for e in err.errors():
        path = "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
            for i, p in enumerate(e["loc"])
        )
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            message = "is not a known key; remove it or check its spelling"
        value = e.get("input")
        # A whole section is not worth repeating: the key path says which one.
        shown = "" if e["type"] == "missing" or isinstance(value, dict) else f" (got {value!r})"
        problems.append(f"{path or '<root>'}: {message}{shown}")
    return invalid_config_message(file, problems)


def given(**values: Any) -> dict[str, Any]:
    """The keyword arguments a config section sets; unset (None) ones keep the library's default."""
    return {name: value for name, value in values.items() if value is not None}


def invalid_config_message(file: Path | None, problems: list[str]) -> str:
    """The one message for an invalid config: the file, then one line per problem."""
    where = f"config file {file}" if file is not None else "config"
    lines = [f"{where} is invalid ({len(problems)} problem(s)):"]
    lines.extend(f"  - {p}" for p in problems)
    return "\n".join(lines)
