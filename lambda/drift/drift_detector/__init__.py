"""Drift detector runtime: read SageMaker data capture, compare with a baseline, report.

Pure Python on numpy, no CDK imports. The same code runs in AWS Lambda (``handler.py``), in a
SageMaker Processing job (``job.py``) and locally (``python -m drift_detector``). The
statistics are pure functions in ``stats``; ``decode`` reads capture lines; ``partial``
holds mergeable counts; ``report`` turns them into the JSON report and CloudWatch metrics.
"""

__version__ = "1.0.0"
