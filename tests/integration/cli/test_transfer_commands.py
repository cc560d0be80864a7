"""`flagpilot export` and `import`: a lossless round trip, and nothing written from a bad document."""

from __future__ import annotations

import json
from pathlib import Path

from flagpilot.core import RolloutStatus, Tier
from flagpilot.services.rollouts.rollout_records import RolloutRecord
from flagpilot.storage import SqlUnitOfWorkFactory, build_engine
from tests.databases import migrate_url
from tests.integration.cli.conftest import Run, runner_for

FLAG = "phase2_enhanced_storage"


def _add_rollout(url: str) -> None:
    engine = build_engine(url)
    with SqlUnitOfWorkFactory(engine)(actor="rollouts") as uow:
        uow.rollouts.put(
            RolloutRecord(
                feature_name=FLAG,
                environment="production",
                current_tier=Tier.TIER_2_EARLY_ADOPTERS,
                percentage=10.0,
                status=RolloutStatus.PAUSED,
                whitelisted_customers=("internal-1",),
                min_dwell_seconds=3600,
            )
        )
        uow.commit()
    engine.dispose()


def test_export_import_export__into_an_empty_database__is_lossless(
    initialised: Run, empty_database_url: str, tmp_path: Path
) -> None:
    # Given: flags with values, kill switch, overrides of both kinds, a rollout, an archived flag
    initialised("flags", "set", "phase3_analytics", "--env", "staging", "--value", "true")
    initialised("flags", "kill", FLAG, "--env", "production")
    initialised("override", "set", FLAG, "--customer", "c1", "--value", "true", "--reason", "pilot")
    initialised("override", "set", FLAG, "--org", "acme", "--value", "false", "--env", "staging")
    _add_rollout(empty_database_url)
    exported = initialised("export", "--output", str(tmp_path / "a.json"))
    other = tmp_path / "other.db"
    migrate_url(f"sqlite:///{other}")
    into_other = runner_for(f"sqlite:///{other}")

    # When
    imported = into_other("import", str(tmp_path / "a.json"))
    again = into_other("export")

    # Then
    assert (exported.code, imported.code, again.code) == (0, 0, 0), imported.err
    first = json.loads((tmp_path / "a.json").read_text("utf-8"))
    assert again.json() == first
    assert len(first["customerOverrides"]) == 1
    assert len(first["organizationOverrides"]) == 1
    assert first["rollouts"][0]["status"] == "paused"


def test_import__a_document_with_problems__writes_nothing_and_names_them(
    initialised: Run, tmp_path: Path
) -> None:
    # Given: one good change and two bad ones
    document = initialised("export").json()
    document["flags"][0]["description"] = "changed"
    document["flags"][1]["defaultValue"] = "yes"
    document["customerOverrides"] = [
        {"flag": "nope", "environment": "production", "subjectId": "c", "value": True}
    ]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(document), "utf-8")
    before = initialised("export").json()

    # When
    result = initialised("import", str(path))

    # Then
    assert result.code == 2
    assert f"{document['flags'][1]['key']}.default" in result.err
    assert "unknown flag 'nope'" in result.err
    assert initialised("export").json() == before


def test_import__not_json__fails_naming_the_file(initialised: Run, tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text("{", "utf-8")

    result = initialised("import", str(path))

    assert result.code == 2
    assert "FILE" in result.err


def test_import__a_rollout_number_the_core_would_round__is_refused_like_http_naming_it(
    initialised: Run, tmp_path: Path
) -> None:
    document = initialised("export").json()
    rollout = {"featureName": document["flags"][0]["key"], "environment": "production", "percentage": 1.005}
    document["rollouts"] = [{**rollout, "minDwellSeconds": 1.5}]
    path = tmp_path / "rounded.json"
    path.write_text(json.dumps(document), "utf-8")
    before = initialised("export").json()

    result = initialised("import", str(path))

    assert result.code == 2
    assert "rollouts[0].percentage: 1.005 is not a multiple of 0.01" in result.err
    assert "rollouts[0].minDwellSeconds" in result.err
    assert initialised("export").json() == before
