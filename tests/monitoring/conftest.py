"""Monitoring tests: jsii is quieted before aws_cdk is first imported.

The shared builders live in ``builders.py``; each test module builds its App once, in a
module-scoped fixture, because synthesis is the expensive part.
"""

from __future__ import annotations

import os

os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "20")
