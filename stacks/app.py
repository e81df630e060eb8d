"""Build the reference app: one serving stack per configured environment."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aws_cdk import App, Environment, Tags

from constructs_lib.compliance import add_compliance_checks
from stacks.config import AppConfig
from stacks.serving_stack import ServingStack

__all__ = ["build_app", "cdk_json_context", "stack_name"]

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
    """
    app = app or App()
    for env_name, env in config.environments.items():
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
    if compliance:
        add_compliance_checks(app)
    return app
