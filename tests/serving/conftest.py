"""Serving tests: jsii is quieted before aws_cdk is first imported.

The shared builders and template helpers live in ``builders.py`` (imported by the test
modules); apps are built once per module in module-scoped fixtures to keep synth cheap.
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

import aws_cdk as cdk
import pytest

from .builders import new_stack


@pytest.fixture
def stack() -> cdk.Stack:
    """A fresh environment-agnostic stack in its own App (for tests that never synth)."""
    return new_stack()
