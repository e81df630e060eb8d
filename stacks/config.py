"""Typed configuration of the reference app, read from a YAML file.

``cdk synth -c config=PATH`` picks the file; without it the embedded default
``config/default.yaml`` is used. Every key is checked: a wrong type, an unknown key or an
impossible value stops synth with one message per problem naming the key path, the value
and what is allowed.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Annotated, Literal

import yaml
from aws_cdk import aws_cloudwatch as cloudwatch
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from constructs_lib.observability import RETENTION_DAYS, AlarmKind, rollback_refusal
from constructs_lib.serving.instance_types import INSTANCE_TYPE_PATTERN, is_burstable

__all__ = ["DEFAULT_CONFIG", "AppConfig", "ConfigError", "EnvironmentConfig", "load_config"]

DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "config" / "default.yaml"
_NAME = r"^[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}$"


class ConfigError(ValueError):
    """The configuration file is missing, unreadable or invalid."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class ServerlessSettings(_Strict):
    """Serverless capacity of a variant."""

    memory_mb: Literal[1024, 2048, 3072, 4096, 5120, 6144] = 2048
    max_concurrency: Annotated[int, Field(ge=1, le=200)] = 10
    provisioned_concurrency: Annotated[int, Field(ge=1, le=200)] | None = None


class AutoscalingSettings(_Strict):
    """Target tracking on invocations per instance, derived from a load-tested maximum."""

    min_capacity: Annotated[int, Field(ge=1)]
    max_capacity: Annotated[int, Field(ge=1)]
    max_requests_per_second: Annotated[float, Field(gt=0)] = Field(
        description="What one instance sustained in a load test."
    )
    safety_factor: Annotated[float, Field(gt=0, le=1)] = 0.5
    scale_in_cooldown_seconds: Annotated[int, Field(ge=0, le=3600)] = 300
    scale_out_cooldown_seconds: Annotated[int, Field(ge=0, le=3600)] = 60

    @model_validator(mode="after")
    def _min_le_max(self) -> AutoscalingSettings:
        if self.min_capacity > self.max_capacity:
            raise ValueError(
                f"min_capacity ({self.min_capacity}) is greater than max_capacity "
                f"({self.max_capacity}); make min_capacity <= max_capacity"
            )
        return self


class VariantSettings(_Strict):
    """One production variant."""

    name: Annotated[str, Field(pattern=_NAME)]
    weight: Annotated[float, Field(ge=0)] = 1.0
    model_artifact: str = "model/model.tar.gz"
    instance_type: str | None = None
    instance_count: Annotated[int, Field(ge=1)] = 1
    serverless: ServerlessSettings | None = None
    autoscaling: AutoscalingSettings | None = None

    @field_validator("instance_type")
    @classmethod
    def _instance_type(cls, value: str | None) -> str | None:
        if value is not None and not INSTANCE_TYPE_PATTERN.match(value):
            raise ValueError(
                f"'{value}' is not a SageMaker instance type; use ml.<family>.<size>, "
                "e.g. ml.m5.large"
            )
        return value

    @model_validator(mode="after")
    def _capacity(self) -> VariantSettings:
        if (self.instance_type is None) == (self.serverless is None):
            raise ValueError("give either instance_type or serverless (exactly one)")
        if self.autoscaling is not None:
            if self.serverless is not None:
                raise ValueError("autoscaling applies to instance variants, not serverless")
            assert self.instance_type is not None
            if is_burstable(self.instance_type):
                raise ValueError(
                    f"autoscaling is not supported on burstable {self.instance_type}; "
                    "use e.g. ml.m5.large"
                )
        return self


#: Alarm kinds (the names EndpointAlarms gives them) and the unit of their threshold.
ALARM_KINDS: dict[str, str] = {
    "model-latency": "milliseconds",
    "5xx-rate": "percent of invocations",
    "4xx-rate": "percent of invocations",
    "error-mix": "percent of errors that are 5XX",
    "invocations": "invocations per period (alarm below)",
    "cpu-utilization": "percent (normalized by vCPUs)",
    "memory-utilization": "percent",
    "disk-utilization": "percent",
    "gpu-utilization": "percent (normalized by GPUs)",
    "gpu-memory-utilization": "percent (normalized by GPUs)",
    "model-setup-time": "milliseconds",
    "serverless-concurrency": "percent",
    "backlog-size": "queued requests",
    "backlog-age": "seconds",
    "backlog-without-capacity": "count",
}
AlarmKindName = Literal[
    "model-latency",
    "5xx-rate",
    "4xx-rate",
    "error-mix",
    "invocations",
    "cpu-utilization",
    "memory-utilization",
    "disk-utilization",
    "gpu-utilization",
    "gpu-memory-utilization",
    "model-setup-time",
    "serverless-concurrency",
    "backlog-size",
    "backlog-age",
    "backlog-without-capacity",
]


class CanarySettings(_Strict):
    """Blue/green canary: a share of the fleet first, the rest after the wait."""

    percent: Annotated[int, Field(ge=1, le=50)] = 10
    wait_minutes: Annotated[int, Field(ge=0, le=60)] = 10


class LinearSettings(_Strict):
    """Blue/green linear: equal steps."""

    step_percent: Annotated[int, Field(ge=10, le=50)] = 20
    wait_minutes: Annotated[int, Field(ge=0, le=60)] = 5


class RollingSettings(_Strict):
    """Rolling update batch by batch (single variant only)."""

    batch_percent: Annotated[int, Field(ge=5, le=50)] = 25
    wait_minutes: Annotated[int, Field(ge=0, le=60)] = 5


class DeploymentSettings(_Strict):
    """The endpoint's update policy: at most one of canary, linear or rolling."""

    canary: CanarySettings | None = None
    linear: LinearSettings | None = None
    rolling: RollingSettings | None = None
    termination_wait_minutes: Annotated[int, Field(ge=0, le=60)] = 0
    max_execution_minutes: Annotated[int, Field(ge=10, le=480)] | None = None
    rollback_on: Literal["alarms", "composite", "none"] = Field(
        default="alarms",
        description="Roll back on the metric alarms of rollback_kinds (what SageMaker "
        "documents), on the composite alarm (an explicit opt-in: SageMaker does not document "
        "composite rollback alarms), or not at all.",
    )
    rollback_kinds: list[AlarmKindName] | None = Field(
        default=None,
        description="Alarm kinds whose metric alarms roll a deployment back. Default: the "
        "critical kinds that stay quiet without traffic.",
    )

    @model_validator(mode="after")
    def _one_policy(self) -> DeploymentSettings:
        chosen = [k for k in ("canary", "linear", "rolling") if getattr(self, k) is not None]
        if len(chosen) > 1:
            raise ValueError(
                f"{' and '.join(chosen)} conflict; choose one update policy "
                "(or none for blue/green all-at-once)"
            )
        return self


class EndpointSettings(_Strict):
    """The served endpoint."""

    name: Annotated[str, Field(pattern=_NAME)] | None = None
    variants: Annotated[list[VariantSettings], Field(min_length=1, max_length=10)]
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
    detach_autoscaling: bool = Field(
        default=False,
        description="Create no autoscaling resources for one deploy (see the README).",
    )

    @model_validator(mode="after")
    def _variants(self) -> EndpointSettings:
        names = [v.name for v in self.variants]
        duplicates = sorted({n for n in names if names.count(n) > 1})
        if duplicates:
            raise ValueError(f"variant names {duplicates} appear more than once")
        if sum(v.weight for v in self.variants) <= 0:
            raise ValueError("all variant weights are 0; give one variant a positive weight")
        if any(v.serverless for v in self.variants) and len(self.variants) > 1:
            raise ValueError("a serverless variant must be the endpoint's only variant")
        if self.is_serverless and self.deployment is not None:
            raise ValueError(
                "deployment is set on a serverless endpoint; SageMaker's deployment "
                "guardrails (traffic shifting, rollback alarms) apply only to real-time "
                "instance and async endpoints. Remove the deployment section: the alarms "
                "page through notifications instead"
            )
        if self.is_serverless and self.network_isolation:
            raise ValueError(
                "network_isolation is true on a serverless endpoint, which SageMaker does not "
                "support; remove it or use instance variants"
            )
        return self

    @property
    def is_serverless(self) -> bool:
        """Whether the endpoint is one serverless variant."""
        return any(v.serverless for v in self.variants)

    @property
    def isolated(self) -> bool:
        """Whether the model containers run with network isolation."""
        if self.network_isolation is not None:
            return self.network_isolation
        return not self.is_serverless


class NotificationSettings(_Strict):
    """Who hears about alarms and endpoint events."""

    emails: list[Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")]] = []
    https_endpoints: list[Annotated[str, Field(pattern=r"^https://\S+$")]] = []


#: The config's spelling of each missing-data mode.
MISSING_DATA = {
    "breaching": cloudwatch.TreatMissingData.BREACHING,
    "notBreaching": cloudwatch.TreatMissingData.NOT_BREACHING,
    "ignore": cloudwatch.TreatMissingData.IGNORE,
    "missing": cloudwatch.TreatMissingData.MISSING,
}


class AlarmTuning(_Strict):
    """Overrides for one alarm kind; unset fields keep the library's defaults."""

    enabled: bool | None = None
    threshold: Annotated[float, Field(ge=0)] | None = Field(
        default=None, description="In the kind's unit (see ALARM_KINDS)."
    )
    percentile: Annotated[float, Field(gt=0, lt=100)] | None = None
    period_minutes: Annotated[int, Field(ge=1, le=1440)] | None = None
    evaluation_periods: Annotated[int, Field(ge=1)] | None = None
    datapoints_to_alarm: Annotated[int, Field(ge=1)] | None = None
    treat_missing_data: Literal["breaching", "notBreaching", "ignore", "missing"] | None = None
    evaluate_low_sample_count_percentile: bool | None = None

    @model_validator(mode="after")
    def _datapoints(self) -> AlarmTuning:
        if (
            self.datapoints_to_alarm is not None
            and self.evaluation_periods is not None
            and self.datapoints_to_alarm > self.evaluation_periods
        ):
            raise ValueError(
                f"datapoints_to_alarm ({self.datapoints_to_alarm}) is greater than "
                f"evaluation_periods ({self.evaluation_periods})"
            )
        return self


class ObservabilitySettings(_Strict):
    """Alarms, dashboard, logs, audit trail and endpoint event notifications."""

    alarms: dict[AlarmKindName, AlarmTuning] = {}
    critical: list[AlarmKindName] | None = Field(
        default=None,
        description="Kinds joined into the composite alarm. Default: the library's.",
    )
    dashboard: bool = True
    log_retention_days: int = Field(
        default=90, description="Days to keep the endpoint's container logs."
    )
    model_error_log_alarm: bool = True
    audit_trail: bool = False
    endpoint_event_rules: bool = True

    @field_validator("log_retention_days")
    @classmethod
    def _retention(cls, value: int) -> int:
        if value not in RETENTION_DAYS:
            raise ValueError(
                f"{value} days is not a CloudWatch Logs retention; use one of "
                f"{', '.join(map(str, RETENTION_DAYS))}"
            )
        return value

    @model_validator(mode="after")
    def _percentile_only_for_latency(self) -> ObservabilitySettings:
        for kind, tuning in self.alarms.items():
            latency_only = ("percentile", "evaluate_low_sample_count_percentile")
            used = [f for f in latency_only if getattr(tuning, f) is not None]
            if used and kind != "model-latency":
                raise ValueError(f"alarms.{kind}: {', '.join(used)} apply to model-latency only")
        return self


class EnvironmentConfig(_Strict):
    """One deployment environment (a stack)."""

    account: Annotated[str, Field(pattern=r"^\d{12}$")] | None = None
    region: Annotated[str, Field(pattern=r"^[a-z]{2}(-gov)?-[a-z]+-\d$")] | None = None
    production: bool = False
    endpoint: EndpointSettings
    notifications: NotificationSettings = NotificationSettings()
    observability: ObservabilitySettings = ObservabilitySettings()

    @model_validator(mode="after")
    def _rollback_alarms_stay_quiet_without_traffic(self) -> EnvironmentConfig:
        deployment = self.endpoint.deployment
        if deployment is None or deployment.rollback_kinds is None:
            return self
        for i, name in enumerate(deployment.rollback_kinds):
            key = f"endpoint.deployment.rollback_kinds[{i}]"
            kind = AlarmKind(name)
            tuning = self.observability.alarms.get(name)
            if tuning is not None and tuning.enabled is False:
                raise ValueError(
                    f"{key}: '{name}' is disabled in observability.alarms; enable it or "
                    "remove it from rollback_kinds"
                )
            settings = kind.default_settings
            if tuning is not None and tuning.treat_missing_data is not None:
                settings = dataclasses.replace(
                    settings,
                    treat_missing_data=MISSING_DATA[tuning.treat_missing_data],
                )
            reason = rollback_refusal(kind, settings)
            if reason is not None:
                raise ValueError(
                    f"{key}: '{name}' {reason}. SageMaker terminates a deployment when the old "
                    "fleet trips a rollback alarm, so every update of an endpoint without "
                    f"traffic would roll back; remove '{name}' from rollback_kinds (it can "
                    "still page as a critical kind)"
                )
        return self

    @model_validator(mode="after")
    def _production_is_multi_az(self) -> EnvironmentConfig:
        if not self.production:
            return self
        for v in self.endpoint.variants:
            if v.serverless is not None:
                continue
            if v.instance_count < 2:
                raise ValueError(
                    f"production variant '{v.name}' has instance_count {v.instance_count}; "
                    "production needs at least 2 so SageMaker spreads instances across "
                    "availability zones"
                )
            if v.autoscaling is not None and v.autoscaling.min_capacity < 2:
                raise ValueError(
                    f"production variant '{v.name}' autoscales down to "
                    f"{v.autoscaling.min_capacity}; production needs min_capacity >= 2"
                )
        return self


class AppConfig(_Strict):
    """The whole reference-app configuration."""

    project: Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$")]
    environments: Annotated[dict[str, EnvironmentConfig], Field(min_length=1)]

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


def load_config(path: str | Path | None = None) -> AppConfig:
    """Read and validate a configuration file (default: the embedded ``config/default.yaml``)."""
    file = Path(path) if path else DEFAULT_CONFIG
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"config file {file} does not exist. Fix: pass -c config=PATH") from None
    except yaml.YAMLError as err:
        raise ConfigError(f"config file {file} is not valid YAML: {err}") from None
    try:
        return AppConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(_format(file, err)) from None


def _format(file: Path, err: ValidationError) -> str:
    lines = [f"config file {file} is invalid ({err.error_count()} problem(s)):"]
    for e in err.errors():
        path = "".join(
            f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p))
            for i, p in enumerate(e["loc"])
        )
        message = e["msg"].removeprefix("Value error, ")
        if e["type"] == "extra_forbidden":
            message = "is not a known key; remove it or check its spelling"
        value = e.get("input")
        shown = "" if e["type"] == "missing" else f" (got {value!r})"
        lines.append(f"  - {path or '<root>'}: {message}{shown}")
    return "\n".join(lines)
