"""Two server apps in one process share nothing: each has its own container, runtime and streams."""

from __future__ import annotations

from pathlib import Path

from flagpilot.server.asgi import create_asgi_app
from flagpilot.settings import Settings


def test_two_apps_in_one_process__share_no_part(tmp_path: Path) -> None:
    # Given two apps built in the same process over two databases
    apps = [
        create_asgi_app(Settings(database_url=f"sqlite:///{tmp_path / name}.db")) for name in ("one", "two")
    ]

    # Then every stateful part is each app's own
    parts = [
        (
            app.state.container,
            app.state.container.snapshots,
            app.state.rollouts,
            app.state.rollouts.aggregator,
            app.state.rollouts.alerts,
            app.state.rollouts.checker,
            app.state.streams,
            app.state.metrics,
        )
        for app in apps
    ]
    assert all(mine is not theirs for mine, theirs in zip(*parts, strict=True))
    assert apps[0].state.rollouts.container is apps[0].state.container
    assert apps[1].state.rollouts.container is apps[1].state.container
