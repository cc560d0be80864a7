"""`flagpilot init` and `flagpilot db …` create, migrate and report the database."""

from __future__ import annotations

from flagpilot.presets import FLAG_KEYS
from tests.integration.cli.conftest import Run


def test_init__on_an_empty_database__loads_the_preset(flagpilot: Run) -> None:
    # When
    result = flagpilot("init")

    # Then
    assert result.code == 0, result.err
    assert "created 3 environments and 9 flags" in result.out
    flags = flagpilot("flags", "list", "--json").json()
    assert sorted(flag["key"] for flag in flags) == sorted(FLAG_KEYS)
    assert all(flag["environments"]["development"]["value"] is True for flag in flags)
    assert all("value" not in flag["environments"]["production"] for flag in flags)


def test_init__a_second_time__changes_nothing_and_says_so(initialised: Run) -> None:
    before = initialised("audit", "--json", "--limit", "1000").json()

    result = initialised("init")

    assert result.code == 0
    assert "already initialised: nothing changed" in result.out
    assert initialised("audit", "--json", "--limit", "1000").json() == before


def test_db_downgrade_then_upgrade__moves_between_revisions(initialised: Run) -> None:
    assert initialised("db", "current").out.strip() == "0008_shared_ui_state (head)"

    down = initialised("db", "downgrade", "base")
    after_down = initialised("db", "current")
    up = initialised("db", "upgrade")

    assert down.code == 0
    assert after_down.out.startswith("base (empty)")
    assert up.code == 0
    assert initialised("db", "current").out.strip() == "0008_shared_ui_state (head)"


def test_db_downgrade__to_an_unknown_revision__fails_naming_the_argument(initialised: Run) -> None:
    result = initialised("db", "downgrade", "nope")

    assert result.code == 2
    assert "REVISION" in result.err


def test_flags_list__before_init__tells_to_run_init(flagpilot: Run) -> None:
    result = flagpilot("flags", "list")

    assert result.code == 1
    assert "flagpilot init" in result.err
