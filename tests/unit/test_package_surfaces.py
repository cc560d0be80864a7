"""Every package's public surface is its `__all__`: each listed name resolves, nothing else leaks.

A name a package imports for its own use (a framework class, a helper) and does not list is
private by accident; callers that start using it would break on the next refactoring. Like
httpx's own guard, this walks every package of flagpilot, so a new one is covered from its first
commit. Which names each package exports is checked in `test_public_api.py`.
"""

from __future__ import annotations

import importlib
import pkgutil
import types

import pytest

import flagpilot

NOT_NAMES = {"annotations", "TYPE_CHECKING"}  # what `from __future__` and typing guards leave behind
PACKAGES = sorted(
    info.name
    for info in pkgutil.walk_packages(flagpilot.__path__, "flagpilot.")
    if info.ispkg and ".migrations" not in info.name
)


@pytest.mark.parametrize("package", ["flagpilot", *PACKAGES])
def test_package__lists_every_public_name_it_holds_and_each_resolves(package: str) -> None:
    module = importlib.import_module(package)
    listed = getattr(module, "__all__", None)

    assert listed is not None, f"{package} has no __all__"
    public = {
        name
        for name, value in vars(module).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType) and name not in NOT_NAMES
    }
    assert sorted(public - set(listed)) == []
    assert [name for name in listed if not hasattr(module, name)] == []
    assert [name for name in listed if name.startswith("_") and not name.endswith("__")] == []
