#!/usr/bin/env python3
"""Reference app: ``cdk synth`` (default config) or ``cdk synth -c config=PATH``."""

from __future__ import annotations

import os
import sys

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")

from aws_cdk import App

from constructs_lib import InvalidPropsError
from stacks import ConfigError, build_app, load_config


def main(app: App | None = None) -> int:
    """Synthesize the app; print a one-paragraph error (no traceback) on bad input."""
    app = app or App()
    try:
        config = load_config(app.node.try_get_context("config"))
        build_app(config, app)
        app.synth()
    except (ConfigError, InvalidPropsError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
