"""Flags: definitions, environment values, the kill switch, overrides, and the reads behind them."""

from flagpilot.services.flags.bulk import BulkAction
from flagpilot.services.flags.manager import FlagManager
from flagpilot.services.flags.preset import PresetReport, install_preset
from flagpilot.services.flags.read_models import (
    EnvironmentState,
    FlagView,
    OverridePage,
    SubjectValues,
)

__all__ = [
    "BulkAction",
    "EnvironmentState",
    "FlagManager",
    "FlagView",
    "OverridePage",
    "PresetReport",
    "SubjectValues",
    "install_preset",
]
