"""The reference app's stacks, composed from the library and a typed environment config."""

from stacks.app import build_app, build_environment
from stacks.config import AppConfig, ConfigError, EnvironmentConfig, load_config
from stacks.serving_stack import ServingStack

__all__ = [
    "AppConfig",
    "ConfigError",
    "EnvironmentConfig",
    "ServingStack",
    "build_app",
    "build_environment",
    "load_config",
]
