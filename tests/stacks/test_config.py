"""The reference app's config: the embedded default, and one clear message per bad input."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
import yaml
from aws_cdk import App

from constructs_lib import InvalidPropsError
from stacks import ConfigError, build_app, load_config
from stacks.config import DEFAULT_CONFIG

ROOT = Path(__file__).resolve().parents[2]


def _write(tmp_path: Path, mutate) -> Path:  # type: ignore[no-untyped-def]
    raw = yaml.safe_load(DEFAULT_CONFIG.read_text())
    mutate(raw)
    path = tmp_path / "config.yaml"
    path.write_text(yaml.safe_dump(raw))
    return path


def _prod(raw: dict) -> dict:  # type: ignore[type-arg]
    return raw["environments"]["prod"]["endpoint"]  # type: ignore[no-any-return]


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
        (
            lambda r: _prod(r).update(colour="blue"),
            "environments.prod.endpoint.colour",
            "is not a known key",
        ),
        (
            lambda r: _prod(r)["variants"][0].update(weight="ninety"),
            "environments.prod.endpoint.variants[0].weight",
            "'ninety'",
        ),
        (
            lambda r: _prod(r)["variants"][1].update(instance_count=0),
            "environments.prod.endpoint.variants[1].instance_count",
            "greater than or equal to 1",
        ),
        (
            lambda r: _prod(r)["variants"][0].update(instance_type="m5.large"),
            "environments.prod.endpoint.variants[0].instance_type",
            "not a SageMaker instance type",
        ),
        (
            lambda r: _prod(r)["deployment"]["canary"].update(percent=60),
            "environments.prod.endpoint.deployment.canary.percent",
            "less than or equal to 50",
        ),
        (
            lambda r: _prod(r)["deployment"].update(rolling={"batch_percent": 10}),
            "environments.prod.endpoint.deployment",
            "canary and rolling conflict",
        ),
        (
            lambda r: _prod(r)["variants"][0]["autoscaling"].update(min_capacity=1),
            "environments.prod",
            "production needs min_capacity >= 2",
        ),
        (
            lambda r: _prod(r)["variants"][0]["autoscaling"].update(min_capacity=9),
            "environments.prod.endpoint.variants[0].autoscaling",
            "min_capacity (9) is greater than max_capacity (6)",
        ),
        (
            lambda r: _prod(r)["variants"][1].update(name="champion"),
            "environments.prod.endpoint",
            "appear more than once",
        ),
        (
            lambda r: _prod(r)["variants"][0].update(instance_type="ml.t2.medium"),
            "environments.prod.endpoint.variants[0]",
            "burstable",
        ),
        (
            lambda r: r["environments"].update(Prod_2=r["environments"]["prod"]),
            "environments",
            "environment name 'Prod_2'",
        ),
        (
            lambda r: _prod(r)["deployment"].update(
                rollback_kinds=["model-latency", "invocations"]
            ),
            "environments.prod",
            "endpoint.deployment.rollback_kinds[1]: 'invocations' alarms on low or vanished "
            "traffic. SageMaker terminates a deployment when the old fleet trips a rollback alarm",
        ),
        (
            lambda r: r["environments"]["prod"]["observability"]["alarms"].update(
                {"5xx-rate": {"treat_missing_data": "breaching"}}
            ),
            "environments.prod",
            "endpoint.deployment.rollback_kinds[1]: '5xx-rate' treats missing data as breaching",
        ),
        (
            lambda r: r["environments"]["prod"]["observability"]["alarms"].update(
                {"model-latency": {"enabled": False}}
            ),
            "environments.prod",
            "rollback_kinds[0]: 'model-latency' is disabled",
        ),
        (
            lambda r: r["environments"]["prod"]["endpoint"]["deployment"].update(
                rollback_on="critical"
            ),
            "environments.prod.endpoint.deployment.rollback_on",
            "'alarms', 'composite' or 'none'",
        ),
        (
            lambda r: r["environments"]["dev"]["endpoint"].update(
                deployment={"canary": {"percent": 10}}
            ),
            "environments.dev.endpoint",
            "deployment is set on a serverless endpoint",
        ),
        (
            lambda r: r["environments"]["dev"]["endpoint"].update(network_isolation=True),
            "environments.dev.endpoint",
            "network_isolation is true on a serverless endpoint",
        ),
    ],
)
def test_invalid_config_names_key_value_and_fix(tmp_path: Path, mutate, path, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, mutate))
    text = str(err.value)
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
    # Passes the schema, but SageMaker refuses rolling updates on multi-variant endpoints.
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        deployment = _prod(raw)["deployment"]
        deployment.pop("canary")
        deployment.pop("termination_wait_minutes")
        deployment["rolling"] = {"batch_percent": 25}

    with pytest.raises(InvalidPropsError, match=r"churn-prod-serving/Endpoint: deployment_policy"):
        build_app(load_config(_write(tmp_path, mutate)), compliance=False)


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
    assert "environments.prod.endpoint.variants[0].weight" in err and "(got -1)" in err
    assert "Traceback" not in err


def test_alarm_kind_names_match_the_library() -> None:
    from typing import get_args

    from constructs_lib.observability import AlarmKind
    from stacks.config import ALARM_KINDS, AlarmKindName

    library = {kind.value for kind in AlarmKind}
    assert set(get_args(AlarmKindName)) == library == set(ALARM_KINDS)


def test_alarm_tuning_is_validated(tmp_path: Path) -> None:
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        raw["environments"]["prod"]["observability"]["alarms"]["5xx-rate"] = {
            "percentile": 99,
            "evaluation_periods": 2,
            "datapoints_to_alarm": 3,
        }
        raw["environments"]["prod"]["observability"]["alarms"]["latency"] = {"threshold": 1}

    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, mutate))
    text = str(err.value)
    assert "environments.prod.observability.alarms.latency" in text
    assert "datapoints_to_alarm (3) is greater than evaluation_periods (2)" in text


def test_log_retention_must_be_a_cloudwatch_period(tmp_path: Path) -> None:
    def mutate(raw: dict) -> None:  # type: ignore[type-arg]
        raw["environments"]["prod"]["observability"]["log_retention_days"] = 100

    with pytest.raises(ConfigError) as err:
        load_config(_write(tmp_path, mutate))
    assert "environments.prod.observability.log_retention_days" in str(err.value)
    assert "100 days is not a CloudWatch Logs retention" in str(err.value)


def test_composite_rollback_alarm_is_an_explicit_opt_in(tmp_path: Path) -> None:
    path = _write(tmp_path, lambda r: _prod(r)["deployment"].update(rollback_on="composite"))
    app = build_app(load_config(path), App(), compliance=False)
    stack = app.node.find_child("churn-prod-serving")
    template = App.of(stack).synth().get_stack_by_name("churn-prod-serving").template  # type: ignore[union-attr]
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
