"""AWS Lambda entry point of the drift detector: ``handler.handler``.

The code lives in the ``drift_detector`` package next to this file (see README.md).
"""

from drift_detector.aws_lambda import handler

__all__ = ["handler"]
