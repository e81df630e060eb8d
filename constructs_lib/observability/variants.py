"""Variants of an endpoint known only by name, for alarms and dashboards built before it.

SageMaker needs an endpoint's rollback alarms when the endpoint is created, so the alarms
cannot reference the endpoint resource without a circular dependency. They watch the
endpoint by name instead, with each variant described by a :class:`MonitoredVariant`.
"""

from __future__ import annotations

from dataclasses import dataclass

from constructs_lib.serving.variants import ProductionVariant

__all__ = ["MonitoredVariant"]


@dataclass(frozen=True)
class MonitoredVariant:
    """A variant of an endpoint known by name (for alarms and dashboards by name).

    Give ``instance_type`` or ``serverless=True``.

    :param name: the variant name.
    :param instance_type: e.g. ``ml.m5.large``. Default: none.
    :param serverless: the variant is serverless. Default: False.
    :param shadow: the variant is the endpoint's shadow variant. Default: False.
    """

    name: str
    instance_type: str | None = None
    serverless: bool = False
    shadow: bool = False

    @staticmethod
    def from_production_variant(
        variant: ProductionVariant, *, shadow: bool = False
    ) -> MonitoredVariant:
        """Describe the variant an :class:`~constructs_lib.serving.Endpoint` will get."""
        return MonitoredVariant(
            variant.name,
            instance_type=variant.instance_type,
            serverless=variant.serverless is not None,
            shadow=shadow,
        )
