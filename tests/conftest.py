"""Shared test set-up: quiet jsii, and the reference app built once per test session."""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
os.environ.setdefault("CDK_DISABLE_CLI_TELEMETRY", "1")
# CDK's built-in template validation costs ~6 s per process; the suite runs cfn-lint on every
# synthesized template instead (`make synth` keeps the built-in validation on).
os.environ.setdefault("CDK_VALIDATION", "false")


import pytest
from aws_cdk import App, cx_api


@pytest.fixture(scope="session")
def reference_app() -> App:
    """The reference app on its embedded default config, compliance plugins not attached."""
    from stacks import build_app, load_config
    from stacks.app import cdk_json_context

    return build_app(load_config(), App(context=cdk_json_context()), compliance=False)


@pytest.fixture(scope="session")
def reference_assembly(reference_app: App) -> cx_api.CloudAssembly:
    """The synthesized cloud assembly of the reference app (in a temporary directory)."""
    return reference_app.synth()
