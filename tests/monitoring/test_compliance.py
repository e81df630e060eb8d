"""A stack with all four monitors passes cfn-lint and the default cdk-nag packs unaided.

The library acknowledges only what it must, each with a reason: the two API actions without
resource-level permissions, and the prefixes under which SageMaker names objects, log
streams and shadow endpoints at run time.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from aws_cdk import App
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Template
from cfnlint.api import lint

from constructs_lib.compliance import Finding, unacknowledged_findings
from constructs_lib.monitoring import ModelMonitor

from .builders import data_quality, monitored_stack, new_app, new_stack, setup

# Regions where both images are published (see _monitor_images); the regional stack is
# linted for its own region only.
LINT_REGIONS = {
    "Monitoring": ["us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2"],
    "Regional": ["eu-west-1"],
}


@dataclass
class Built:
    app: App
    templates: dict[str, dict[str, Any]]
    findings: list[Finding]


@pytest.fixture(scope="module")
def built() -> Built:
    app = new_app()
    agnostic = monitored_stack(app, "Monitoring")
    regional = monitored_stack(app, "Regional", region="eu-west-1")
    templates = {
        s.stack.stack_name: dict(Template.from_stack(s.stack).to_json())
        for s in (agnostic, regional)
    }
    return Built(app, templates, unacknowledged_findings(app))


@pytest.mark.parametrize("stack", ["Monitoring", "Regional"])
def test_cfn_lint_has_no_errors(built: Built, stack: str) -> None:
    matches = lint(json.dumps(built.templates[stack]), regions=LINT_REGIONS[stack])
    errors = [m for m in matches if m.rule.id.startswith("E")]
    assert errors == [], "\n".join(str(m) for m in errors)


def test_no_unacknowledged_compliance_findings(built: Built) -> None:
    assert built.findings == [], "\n".join(map(str, built.findings))


def test_acknowledgments_are_narrow_and_give_reasons(built: Built) -> None:
    acknowledged: dict[str, str] = {}
    for construct in built.app.node.find_all():
        for entry in construct.node.metadata:
            if entry.type == "aws:cdk:acknowledged-rules" and isinstance(
                construct.node.scope, ModelMonitor
            ):
                acknowledged.update(entry.data)
                # Only on a monitor's policy, never on the monitor, its stack or the app.
                assert construct.node.id == "Policy", construct.node.path
    assert acknowledged
    for rule_id, reason in acknowledged.items():
        # CDK records each acknowledgment for the finding and for its annotation.
        assert rule_id.removeprefix("Annotation::").startswith("AwsSolutions-IAM5[Resource::")
        assert len(reason) > 40, (rule_id, reason)


def test_a_wildcard_the_library_did_not_acknowledge_is_reported() -> None:
    app = new_app()
    monitor = data_quality(setup(new_stack(app)))
    monitor.policy.add_statements(
        iam.PolicyStatement(actions=["s3:GetObject"], resources=["arn:aws:s3:::other/*"])
    )
    rules = {(f.rule, f.path) for f in unacknowledged_findings(app, packs=["AwsSolutions"])}
    assert rules == {
        (
            "AwsSolutions-IAM5[Resource::arn:aws:s3:::other/*]",
            "Monitoring/DataQuality/Policy/Resource",
        )
    }
