"""cdk-nag 3 rule packs as CDK policy-validation plugins.

:func:`add_compliance_checks` makes ``cdk synth`` fail on any finding that is not
acknowledged (``constructs_lib.core.acknowledge``) on the construct it concerns.
:func:`unacknowledged_findings` runs the same packs and returns the findings as data, for
tests that must fail when a finding appears.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cdk_nag
from aws_cdk import Validations
from constructs import IConstruct

__all__ = ["DEFAULT_PACKS", "Finding", "add_compliance_checks", "unacknowledged_findings"]

_PACKS: dict[str, Callable[[IConstruct], cdk_nag.NagPack]] = {
    "AwsSolutions": lambda scope: cdk_nag.AwsSolutionsChecks(scope),
    "HIPAA.Security": lambda scope: cdk_nag.HIPAASecurityChecks(scope),
    "NIST.800.53.R5": lambda scope: cdk_nag.NIST80053R5Checks(scope),
    "PCI.DSS.321": lambda scope: cdk_nag.PCIDSS321Checks(scope),
}

#: The packs every stack of the reference app passes with no unacknowledged finding.
DEFAULT_PACKS: tuple[str, ...] = ("AwsSolutions", "HIPAA.Security", "NIST.800.53.R5")


@dataclass(frozen=True)
class Finding:
    """One unacknowledged finding: the pack, the rule id and the construct path."""

    pack: str
    rule: str
    path: str
    description: str

    def __str__(self) -> str:
        return f"{self.rule} at {self.path}: {self.description}"


def _build(scope: IConstruct, packs: Sequence[str]) -> list[cdk_nag.NagPack]:
    unknown = [p for p in packs if p not in _PACKS]
    if unknown:
        raise ValueError(
            f"compliance packs: {unknown!r} are not known. Fix: use some of {sorted(_PACKS)}"
        )
    return [_PACKS[p](scope) for p in packs]


def add_compliance_checks(
    scope: IConstruct, packs: Sequence[str] = DEFAULT_PACKS
) -> list[cdk_nag.NagPack]:
    """Validate every stack under ``scope`` (usually the App) with the given packs at synth.

    :param packs: pack names. Default: AwsSolutions, HIPAA.Security and NIST.800.53.R5.
    :returns: the pack objects, in the given order.
    """
    built = _build(scope, packs)
    Validations.of(scope).add_plugins(*built)
    return built


def unacknowledged_findings(
    scope: IConstruct, packs: Sequence[str] = DEFAULT_PACKS
) -> list[Finding]:
    """Run the packs over ``scope`` now and return every unacknowledged finding."""
    findings: list[Finding] = []
    for pack in _build(scope, packs):
        report = pack.validate_scope(scope)
        for violation in report.violations:
            for resource in violation.violating_resources:
                findings.append(
                    Finding(
                        pack=pack.name,
                        rule=violation.rule_name,
                        path=resource.construct_path or "?",
                        description=violation.description.split("\n")[0],
                    )
                )
    return sorted(set(findings), key=lambda f: (f.path, f.rule))
