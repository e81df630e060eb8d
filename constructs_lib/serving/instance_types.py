"""Facts about SageMaker instance types that the constructs validate against.

SageMaker accepts a closed list of ``ml.*`` instance types, but CloudFormation types the
property as a plain string and catches no typo; these checks catch them at synth.
"""

from __future__ import annotations

import re

__all__ = [
    "INSTANCE_TYPE_PATTERN",
    "family_of",
    "has_local_nvme_storage",
    "is_burstable",
    "is_inf1",
]

#: ``ml.<family>.<size>``, e.g. ``ml.m5.xlarge``, ``ml.g4dn.12xlarge``, ``ml.p4d.24xlarge``.
INSTANCE_TYPE_PATTERN = re.compile(
    r"^ml\.(?P<family>[a-z]+[0-9]+[a-z0-9-]*)\."
    r"(?P<size>nano|micro|small|medium|large|xlarge|[1-9][0-9]*xlarge|metal(-[0-9]+xl)?)$"
)

# Families whose instances come with local NVMe storage, encrypted by the hardware; SageMaker
# documents that KmsKeyId is refused for them (or, in newer API text, that it does not apply).
_LOCAL_STORAGE_FAMILIES = frozenset(
    {"g5", "g6", "g6e", "gr6", "p5", "p5e", "p5en", "trn1", "trn1n", "trn2"}
)
_LOCAL_STORAGE_SUFFIX = re.compile(r"^[a-z]+[0-9]+[a-z]*d[a-z]*$")  # m5d, c6id, g4dn, p4de


def family_of(instance_type: str) -> str | None:
    """Return the family (``m5`` of ``ml.m5.large``), or None when the type is malformed."""
    match = INSTANCE_TYPE_PATTERN.match(instance_type)
    return match.group("family") if match else None


def is_burstable(instance_type: str) -> bool:
    """True for ``ml.t*`` types, which SageMaker cannot autoscale."""
    family = family_of(instance_type)
    return bool(family and family.startswith("t"))


def is_inf1(instance_type: str) -> bool:
    """True for Inf1 types, where SageMaker silently skips canary, linear and rolling steps."""
    return family_of(instance_type) == "inf1"


def has_local_nvme_storage(instance_type: str) -> bool:
    """True for types with local NVMe instance storage (volume KMS keys do not apply)."""
    family = family_of(instance_type)
    if family is None:
        return False
    return family in _LOCAL_STORAGE_FAMILIES or bool(_LOCAL_STORAGE_SUFFIX.match(family))
