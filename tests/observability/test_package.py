"""The package's public API: one import for every public name, and nothing private."""

from __future__ import annotations

import importlib
import pkgutil

import constructs_lib.observability as observability

PUBLIC_MODULES = sorted(
    m.name for m in pkgutil.iter_modules(observability.__path__) if not m.name.startswith("_")
)


def test_public_modules() -> None:
    assert PUBLIC_MODULES == [
        "actions",
        "alarm_kinds",
        "alarm_settings",
        "alarms",
        "audit",
        "dashboard",
        "events",
        "logs",
        "retention",
        "variants",
    ]


def test_the_package_exports_what_every_public_module_exports() -> None:
    exported = set(observability.__all__)
    for name in PUBLIC_MODULES:
        module = importlib.import_module(f"{observability.__name__}.{name}")
        missing = set(module.__all__) - exported
        assert not missing, f"{name} exports {sorted(missing)}, the package does not"
        for public in module.__all__:
            assert getattr(observability, public) is getattr(module, public)


def test_every_exported_name_is_defined_here_and_public() -> None:
    assert len(set(observability.__all__)) == len(observability.__all__)
    for name in observability.__all__:
        assert not name.startswith("_")
        value = getattr(observability, name)
        module = getattr(value, "__module__", observability.__name__)
        assert module.startswith(observability.__name__), (name, module)


def test_the_constructs_and_their_settings_are_exported() -> None:
    assert set(observability.__all__) >= {
        "DEFAULT_CRITICAL_KINDS",
        "AlarmActions",
        "AlarmKind",
        "AlarmSettings",
        "AuditTrail",
        "BacklogAgeAlarm",
        "BacklogAlarm",
        "EndpointAlarms",
        "EndpointDashboard",
        "EndpointEventRules",
        "EndpointLogGroup",
        "ErrorMixAlarm",
        "ErrorRateAlarm",
        "InvocationsAlarm",
        "LatencyAlarm",
        "MetricFilterAlarm",
        "MonitoredAlarm",
        "MonitoredVariant",
        "NotificationTopic",
        "ServerlessAlarm",
        "UtilizationAlarm",
        "endpoint_changes_filter_pattern",
    }
