"""The reference app's config: the embedded default, and one clear message per bad input.

The schema checks the YAML's shape when the file is loaded; the library checks the service
rules when an environment's stack is built, and the message names the config key either way.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import typing
from pathlib import Path
from typing import Any

import pytest
import yaml
from aws_cdk import App, Stack
from aws_cdk.assertions import Template
from pydantic import BaseModel

from constructs_lib import DeploymentPolicy, InvalidPropsError, ProductionVariant, ServerlessConfig
from constructs_lib.observability import ALARM_KINDS, EndpointLogGroup
from constructs_lib.serving import VariantAutoScaling
from stacks import ConfigError, build_app, build_environment, load_config
from stacks.config import DEFAULT_CONFIG, AppConfig
from stacks.errors import config_problem

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    mutate(raw)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _prod(raw: dict) -> dict:  # type: ignore[type-arg]
    return raw["environments"]["prod"]["endpoint"]  # type: ignore[no-any-return]


def _dev(raw: dict) -> dict:  # type: ignore[type-arg]
    return raw["environments"]["dev"]["endpoint"]  # type: ignore[no-any-return]


def _alarms(raw: dict) -> dict:  # type: ignore[type-arg]
    return raw["environments"]["prod"]["observability"]["alarms"]  # type: ignore[no-any-return]


def _refusal(path: Path, env_name: str) -> str:
    """The message for a config file: refused by the schema, or by the library at build."""
    with pytest.raises(ConfigError) as err:
        build_environment(load_config(path), env_name)
    return str(err.value)


def test_default_config_has_dev_and_prod() -> None:
    config = load_config()
    assert list(config.environments) == ["dev", "prod"]
    prod = config.environments["prod"]
    assert prod.production
    assert [(v.name, v.weight) for v in prod.endpoint.variants] == [
        ("champion", 90),
        ("challenger", 10),
    ]
    assert prod.endpoint.deployment is not None
    assert prod.endpoint.deployment.canary is not None
    assert prod.endpoint.isolated
    assert config.environments["dev"].endpoint.deployment is None
    assert all(v.autoscaling and v.autoscaling.min_capacity >= 2 for v in prod.endpoint.variants)


@pytest.mark.parametrize(
    ("mutate", "path", "message"),
    [
        # The YAML's shape, checked when the file is loaded.
        (
            lambda r: _prod(r).update(colour="blue"),
            "environments.prod.endpoint.colour",
            "is not a known key; remove it or check its spelling",
        ),
        (
            lambda r: _prod(r)["variants"][0].update(weight="ninety"),
            "environments.prod.endpoint.variants[0].weight",
            "'ninety'",
        ),
        (
            lambda r: _prod(r)["deployment"].update(rolling={"batch_percent": 10}),
            "environments.prod.endpoint.deployment",
            "canary and rolling conflict; choose one update policy",
        ),
        (
            lambda r: r["environments"].update(Prod_2=r["environments"]["prod"]),
            "environments",
            "environment name 'Prod_2'",
        ),
        (
            lambda r: _prod(r)["deployment"].update(rollback_on="critical"),
            "environments.prod.endpoint.deployment.rollback_on",
            "'alarms', 'composite' or 'none'",
        ),
        (
            lambda r: _alarms(r).update({"5xx-rate": {"percentile": 99}}),
            "environments.prod.observability",
            "alarms.5xx-rate: percentile applies to model-latency only",
        ),
        # Service rules, checked by the library when the environment is built.
        (
            lambda r: _prod(r)["variants"][1].update(instance_count=0),
            "environments.prod.endpoint.variants[1].instance_count",
            "is out of range. Fix: use a value >= 1 (got 0)",
        ),
        (
            lambda r: _prod(r)["variants"][1].update(model_artifact="model/missing.tar.gz"),
            "environments.prod.endpoint.variants[1].model_artifact",
            "is not an existing file",
        ),
        (
            lambda r: _prod(r)["variants"][1].update(instance_count=1),
            "environments.prod.endpoint.variants[1].instance_count",
            "spreads a variant's instances across Availability Zones only from 2 instances up",
        ),
        (
            lambda r: _prod(r)["variants"][0].update(instance_type="m5.large"),
            "environments.prod.endpoint.variants[0].instance_type",
            "is not a SageMaker instance type. Fix: use the form ml.<family>.<size>",
        ),
        (
            lambda r: _prod(r)["deployment"]["canary"].update(percent=60),
            "environments.prod.endpoint.deployment.canary.percent",
            "is out of range. Fix: use a value between 1 and 50 (got 60)",
        ),
        (
            lambda r: _prod(r)["deployment"]["canary"].update(wait_minutes=61),
            "environments.prod.endpoint.deployment.canary.wait_minutes",
            "Fix: use a duration between 0 s and 3600 s (got 61)",
        ),
        (
            lambda r: _prod(r)["variants"][0]["autoscaling"].update(min_capacity=1),
            "environments.prod.endpoint.variants[0].autoscaling.min_capacity",
            "is out of range. Fix: use a value >= 2 (got 1)",
        ),
        (
            lambda r: _prod(r)["variants"][0]["autoscaling"].update(min_capacity=9),
            "environments.prod.endpoint.variants[0].autoscaling.min_capacity",
            "is greater than max_capacity (6). Fix: make min_capacity <= max_capacity",
        ),
        (
            lambda r: _prod(r)["variants"][1].update(name="champion"),
            "environments.prod.endpoint.variants[1].name",
            "appears more than once. Fix: give each one a distinct name",
        ),
        (
            lambda r: _prod(r)["variants"][0].update(instance_type="ml.t2.medium"),
            "environments.prod.endpoint.variants[0].instance_type",
            "is a burstable type, which SageMaker cannot autoscale. Fix: use a non-burstable",
        ),
        (
            lambda r: _prod(r)["deployment"].update(
                rollback_kinds=["model-latency", "invocations"]
            ),
            "environments.prod.endpoint.deployment.rollback_kinds[1]",
            "alarms on low or vanished traffic: SageMaker terminates a deployment when the old "
            "fleet trips a rollback alarm",
        ),
        (
            lambda r: _alarms(r).update({"5xx-rate": {"treat_missing_data": "breaching"}}),
            "environments.prod.endpoint.deployment.rollback_kinds[1]",
            "treats missing data as breaching",
        ),
        (
            lambda r: _alarms(r).update({"model-latency": {"enabled": False}}),
            "environments.prod.endpoint.deployment.rollback_kinds[0]",
            "is a disabled alarm kind. Fix: enable observability.alarms.model-latency",
        ),
        (
            lambda r: _dev(r).update(deployment={"canary": {"percent": 10}}),
            "environments.dev.endpoint.deployment",
            "is set on a serverless endpoint",
        ),
        (
            lambda r: _dev(r).update(network_isolation=True),
            "environments.dev.endpoint.network_isolation",
            "serverless inference does not support. Fix: create the model without",
        ),
        (
            lambda r: _dev(r)["variants"][0]["serverless"].update(max_concurrency=500),
            "environments.dev.endpoint.variants[0].serverless.max_concurrency",
            "is out of range. Fix: use a value between 1 and 200 (got 500)",
        ),
        (
            lambda r: _dev(r)["variants"][0]["serverless"].update(memory_mb=1000),
            "environments.dev.endpoint.variants[0].serverless.memory_mb",
            "is not a serverless memory size. Fix: use one of 1024, 2048",
        ),
        (
            lambda r: _alarms(r).update({"5xx-rate": {"period_minutes": 0}}),
            "environments.prod.observability.alarms.5xx-rate.period_minutes",
            "is not a whole number of minutes",
        ),
        (
            lambda r: r["environments"]["prod"]["notifications"].update(emails=["oncall"]),
            "environments.prod.notifications.emails[0]",
            "is not an e-mail address",
        ),
    ],
)
def test_invalid_config_names_key_value_and_fix(tmp_path: Path, mutate, path, message) -> None:  # type: ignore[no-untyped-def]
    env_name = path.split(".")[1] if "." in path else "prod"
    config_file = _write(tmp_path, mutate)
    text = _refusal(config_file, env_name)
    assert text.startswith(f"config file {config_file} is invalid")
    assert f"- {path}:" in text
    assert message in text
    assert "Traceback" not in text


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("project: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(bad)


def test_library_validation_reaches_the_user(tmp_path: Path) -> None:
    # Passes the schema, but SageMaker refuses rolling updates on multi-variant endpoints:
    # the library says so, and the message names the config key.
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        deployment = _prod(raw)["deployment"]
        deployment.pop("canary")
        deployment.pop("termination_wait_minutes")
        deployment["rolling"] = {"batch_percent": 25}

    config = load_config(_write(tmp_path, mutate))
    with pytest.raises(ConfigError) as err:
        build_app(config, compliance=False)
    assert "- environments.prod.endpoint.deployment: needs exactly one production variant" in str(
        err.value
    )
    library = err.value.__cause__
    assert isinstance(library, InvalidPropsError)
    assert (library.path, library.prop) == ("churn-prod-serving/Endpoint", "deployment_policy")


def test_every_environment_with_a_refused_setting_is_reported(tmp_path: Path) -> None:
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        _dev(raw)["variants"][0]["serverless"]["max_concurrency"] = 0
        _prod(raw)["variants"][0]["weight"] = -1

    with pytest.raises(ConfigError) as err:
        build_app(load_config(_write(tmp_path, mutate)), compliance=False)
    lines = str(err.value).splitlines()
    assert "(2 problem(s))" in lines[0]
    assert lines[1].startswith("  - environments.dev.endpoint.variants[0].serverless.max_conc")
    assert lines[2].startswith("  - environments.prod.endpoint.variants[0].weight: is out of")


# Library errors as the constructs raise them -> the config key (under environments.prod).
@pytest.mark.parametrize(
    ("path", "prop", "key"),
    [
        (
            "Endpoint",
            "variants[champion].initial_instance_count",
            "endpoint.variants[0].instance_count",
        ),
        ("Endpoint", "variants[challenger].initial_weight", "endpoint.variants[1].weight"),
        ("Endpoint", "variants[].name", "endpoint.variants[1].name"),
        ("Endpoint", "deployment_policy.size", "endpoint.deployment.canary.percent"),
        ("Endpoint", "deployment_policy.step", "endpoint.deployment.linear.step_percent"),
        ("Endpoint", "deployment_policy.batch_size", "endpoint.deployment.rolling.batch_percent"),
        ("Endpoint", "deployment_policy.wait", "endpoint.deployment.canary.wait_minutes"),
        (
            "Endpoint",
            "deployment_policy.termination_wait",
            "endpoint.deployment.termination_wait_minutes",
        ),
        (
            "Endpoint",
            "variants[challenger].autoscaling.max_capacity",
            "endpoint.variants[1].autoscaling.max_capacity",
        ),
        (
            "Endpoint/AutoScalingChampion",
            "min_capacity",
            "endpoint.variants[0].autoscaling.min_capacity",
        ),
        (
            "Endpoint/AutoScalingChallenger",
            "scale_in_cooldown",
            "endpoint.variants[1].autoscaling.scale_in_cooldown_seconds",
        ),
        (
            "Alarms",
            "settings[model-latency].period",
            "observability.alarms.model-latency.period_minutes",
        ),
        ("Alarms", "settings[5xx-rate].threshold", "observability.alarms.5xx-rate.threshold"),
        ("Alarms", "rollback[1]", "endpoint.deployment.rollback_kinds[1]"),
        ("Alarms", "critical[2]", "observability.critical[2]"),
        ("Alarms", "variants[challenger].instance_type", "endpoint.variants[1].instance_type"),
        ("EndpointLogs", "retention", "observability.log_retention_days"),
        ("Notifications", "https_endpoints[0]", "notifications.https_endpoints[0]"),
    ],
)
def test_library_props_map_to_config_keys(path: str, prop: str, key: str) -> None:
    prod = load_config().environments["prod"]
    err = InvalidPropsError(f"churn-prod-serving/{path}", prop, "challenger", "is wrong", "fix it")
    line = config_problem(err, "prod", prod, "churn-prod-serving")
    assert line.startswith(f"environments.prod.{key}: is wrong. Fix: fix it (got ")


def test_an_unknown_library_prop_keeps_the_construct_path() -> None:
    prod = load_config().environments["prod"]
    err = InvalidPropsError(
        "churn-prod-serving/Endpoint", "encryption_key", "ml.g5.xlarge", "is set", "drop it"
    )
    assert config_problem(err, "prod", prod, "churn-prod-serving") == (
        "environments.prod: churn-prod-serving/Endpoint: encryption_key='ml.g5.xlarge' is set. "
        "Fix: drop it"
    )


def _load_app_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("reference_app_main", ROOT / "app.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_app_prints_one_clear_error_without_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _write(tmp_path, lambda r: _prod(r)["variants"][0].update(weight=-1))
    app = App(context={"config": str(path)}, outdir=str(tmp_path / "out"))
    assert _load_app_module().main(app) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: config file")
    assert "environments.prod.endpoint.variants[0].weight: is out of range" in err
    assert "(got -1)" in err
    assert "Traceback" not in err


def test_config_alarm_kinds_are_the_library_registry() -> None:
    # One source: the config accepts exactly the registry's kinds, by their names.
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    for kind in ALARM_KINDS:
        raw["environments"]["prod"]["observability"]["alarms"] = {kind.value: {"enabled": True}}
        config = AppConfig.model_validate(raw)
        assert list(config.environments["prod"].observability.alarms) == [kind]


def test_alarm_tuning_shape_is_checked_on_load(tmp_path: Path) -> None:
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        _alarms(raw)["5xx-rate"] = {"threshold": "high"}
        _alarms(raw)["latency"] = {"threshold": 1}

    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, mutate))
    text = str(err.value)
    assert "environments.prod.observability.alarms.latency" in text
    assert "environments.prod.observability.alarms.5xx-rate.threshold" in text


def test_alarm_tuning_values_are_checked_by_the_library(tmp_path: Path) -> None:
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        _alarms(raw)["5xx-rate"] = {"evaluation_periods": 2, "datapoints_to_alarm": 3}

    text = _refusal(_write(tmp_path, mutate), "prod")
    assert "- environments.prod.observability.alarms.5xx-rate.datapoints_to_alarm: " in text
    assert "is more than evaluation_periods (2)" in text


def test_log_retention_must_be_a_cloudwatch_period(tmp_path: Path) -> None:
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        raw["environments"]["prod"]["observability"]["log_retention_days"] = 100

    text = _refusal(_write(tmp_path, mutate), "prod")
    assert "- environments.prod.observability.log_retention_days: " in text
    assert "is not a CloudWatch Logs retention period. Fix: use one of 1, 3, 5" in text


def test_composite_rollback_alarm_is_an_explicit_opt_in(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda r: _prod(r)["deployment"].update(rollback_on="composite"))
    template = Template.from_stack(build_environment(load_config(path), "prod")).to_json()
    composites = [
        k
        for k, v in template["Resources"].items()
        if v["Type"] == "AWS::CloudWatch::CompositeAlarm"
    ]
    (endpoint,) = [
        v for v in template["Resources"].values() if v["Type"] == "AWS::SageMaker::Endpoint"
    ]
    alarms = endpoint["Properties"]["DeploymentConfig"]["AutoRollbackConfiguration"]["Alarms"]
    assert alarms == [{"AlarmName": {"Ref": composites[0]}}]


# -- config defaults are the library's defaults ------------------------------------------------


def _numeric(annotation: Any) -> bool:
    """Whether a field's annotation holds an int or a float (not a bool)."""
    if annotation in (int, float):
        return True
    return any(_numeric(a) for a in typing.get_args(annotation))


def _models(model: type[BaseModel]) -> list[type[BaseModel]]:
    """``model`` and every model its fields hold, each once."""
    found = [model]
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            t = stack.pop()
            if isinstance(t, type) and issubclass(t, BaseModel) and t not in found:
                found.extend(m for m in _models(t) if m not in found)
            stack.extend(typing.get_args(t))
    return found


def test_no_numeric_default_lives_in_the_config() -> None:
    # An optional number left out takes the library's default: the config holds none.
    defaults = {
        f"{model.__name__}.{name}": field.default
        for model in _models(AppConfig)
        for name, field in model.model_fields.items()
        if _numeric(field.annotation) and not field.is_required()
    }
    assert defaults and all(value is None for value in defaults.values()), defaults
    assert all(
        "library" in (f.description or "")
        for model in _models(AppConfig)
        for f in model.model_fields.values()
        if _numeric(f.annotation) and not f.is_required() and model.__name__ != "AlarmTuning"
    )


ALL_DEFAULTS = {
    "project": "defaults",
    "environments": {
        "canary": {
            "endpoint": {
                "variants": [
                    {
                        "name": "only",
                        "instance_type": "ml.m5.large",
                        "autoscaling": {
                            "min_capacity": 1,
                            "max_capacity": 2,
                            "max_requests_per_second": 10.0,
                        },
                    }
                ],
                "deployment": {"canary": {}},
            }
        },
        "linear": {
            "endpoint": {
                "variants": [{"name": "only", "instance_type": "ml.m5.large"}],
                "deployment": {"linear": {}},
            }
        },
        "rolling": {
            "endpoint": {
                "variants": [{"name": "only", "instance_type": "ml.m5.large"}],
                "deployment": {"rolling": {}},
            }
        },
        "serverless": {"endpoint": {"variants": [{"name": "only", "serverless": {}}]}},
    },
}


def _one(template: Template, resource_type: str) -> dict[str, Any]:
    (resource,) = template.find_resources(resource_type).values()
    return resource["Properties"]  # type: ignore[no-any-return]


def test_config_defaults_equal_library_defaults() -> None:
    config = AppConfig.model_validate(ALL_DEFAULTS)
    app = App()
    stacks = {name: build_environment(config, name, app) for name in config.environments}
    # The same constructs built from the library alone, with nothing but what they require.
    reference = Stack(app, "Reference")
    VariantAutoScaling(
        reference,
        "Scaling",
        endpoint_name="defaults-canary",
        variant_name="only",
        instance_type="ml.m5.large",
        min_capacity=1,
        max_capacity=2,
    ).scale_on_invocations("InvocationsTracking", max_requests_per_second=10.0)
    EndpointLogGroup(reference, "Logs", endpoint_name="defaults-canary")

    # Deployment policies: what each factory gives without arguments.
    for name, factory in (
        ("canary", DeploymentPolicy.canary),
        ("linear", DeploymentPolicy.linear),
        ("rolling", DeploymentPolicy.rolling),
    ):
        policy, library = stacks[name].endpoint.deployment_policy, factory()
        assert policy is not None
        assert policy.size == library.size
        assert policy.wait is not None and library.wait is not None
        assert policy.wait.to_seconds() == library.wait.to_seconds()
        assert (policy.termination_wait, policy.max_execution_time) == (None, None)

    # Variants: ProductionVariant's weight and count, ServerlessConfig's capacity.
    variant_defaults = {f.name: f.default for f in dataclasses.fields(ProductionVariant)}
    (instance,) = _one(Template.from_stack(stacks["linear"]), "AWS::SageMaker::EndpointConfig")[
        "ProductionVariants"
    ]
    assert instance["InitialVariantWeight"] == variant_defaults["initial_weight"]
    assert instance["InitialInstanceCount"] == variant_defaults["initial_instance_count"]
    serverless_template = Template.from_stack(stacks["serverless"])
    (serverless,) = _one(serverless_template, "AWS::SageMaker::EndpointConfig")[
        "ProductionVariants"
    ]
    assert serverless["ServerlessConfig"] == {
        "MaxConcurrency": ServerlessConfig().max_concurrency,
        "MemorySizeInMB": ServerlessConfig().memory_size_mb,
    }

    # Autoscaling and log retention: as the library builds them alone.
    expected = Template.from_stack(reference)
    canary = Template.from_stack(stacks["canary"])
    assert (
        _one(canary, "AWS::ApplicationAutoScaling::ScalingPolicy")[
            "TargetTrackingScalingPolicyConfiguration"
        ]
        == _one(expected, "AWS::ApplicationAutoScaling::ScalingPolicy")[
            "TargetTrackingScalingPolicyConfiguration"
        ]
    )
    retention = {
        n: _one(t, "AWS::Logs::LogGroup")["RetentionInDays"]
        for n, t in (("config", serverless_template), ("library", expected))
    }
    assert retention["config"] == retention["library"]

    # Alarms: every kind's settings are the registry's defaults.
    assert dict(stacks["canary"].alarms.settings) == {k: i.default for k, i in ALARM_KINDS.items()}
