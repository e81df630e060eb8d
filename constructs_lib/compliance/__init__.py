"""Compliance: cdk-nag rule packs applied to an app, and a report of what they found."""

from constructs_lib.compliance.packs import (
    DEFAULT_PACKS,
    Finding,
    add_compliance_checks,
    unacknowledged_findings,
)

__all__ = ["DEFAULT_PACKS", "Finding", "add_compliance_checks", "unacknowledged_findings"]
