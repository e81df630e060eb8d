"""Build the reference app: one serving stack per configured environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Tags

from constructs_lib import InvalidPropsError
from constructs_lib.compliance import add_compliance_checks
from stacks.config import AppConfig, ConfigError, invalid_config_message
from stacks.errors import config_problem
from stacks.serving_stack import ServingStack

__all__ = ["build_app", "build_environment", "cdk_json_context", "stack_name"]

CDK_JSON = Path(__file__).resolve().parent.parent / "cdk.json"


def cdk_json_context() -> dict[str, Any]:
    """The context of cdk.json (feature flags), as `cdk synth` passes it to the app."""
    context: dict[str, Any] = json.loads(CDK_JSON.read_text())["context"]
    return context


def stack_name(project: str, env_name: str) -> str:
    """The CloudFormation stack name of an environment's serving stack."""
    return f"{project}-{env_name}-serving"


def build_app(config: AppConfig, app: App | None = None, *, compliance: bool = True) -> App:
    """Add every environment's stacks to ``app`` (a new App by default).

    :param compliance: fail synth on unacknowledged cdk-nag findings. Default: True.
    :raises ConfigError: when the library refuses a setting: one line per environment with
        a refused setting, naming its config key.
    """
    app = app or App()
    refused: list[tuple[str, InvalidPropsError]] = []
    for env_name in config.environments:
        try:
            _serving_stack(app, config, env_name)
        except InvalidPropsError as err:
            refused.append((env_name, err))
    if refused:
        raise _config_error(config, refused)
    if compliance:
        add_compliance_checks(app)
    return app


def build_environment(config: AppConfig, env_name: str, app: App | None = None) -> ServingStack:
    """Add one environment's serving stack to ``app`` (a new App by default).

    Nothing else is built (no other environment, no compliance checks): for tests and tools
    that need one environment.

    :raises ConfigError: when the library refuses a setting, naming its config key.
    """
    try:
        return _serving_stack(app or App(), config, env_name)
    except InvalidPropsError as err:
        raise _config_error(config, [(env_name, err)]) from err


def _serving_stack(app: App, config: AppConfig, env_name: str) -> ServingStack:
    env = config.environments[env_name]
    stack = ServingStack(
        app,
        stack_name(config.project, env_name),
        project=config.project,
        env_name=env_name,
        config=env,
        env=Environment(account=env.account, region=env.region)
        if env.account or env.region
        else None,
        description=f"{config.project} model serving ({env_name})",
    )
    Tags.of(stack).add("project", config.project)
    Tags.of(stack).add("environment", env_name)
    return stack


def _config_error(config: AppConfig, refused: list[tuple[str, InvalidPropsError]]) -> ConfigError:
    problems = [
        config_problem(
            err, env_name, config.environments[env_name], stack_name(config.project, env_name)
        )
        for env_name, err in refused
    ]
    error = ConfigError(invalid_config_message(config.source, problems))
    error.__cause__ = refused[0][1]
    return error
