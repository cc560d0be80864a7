"""A value the database refuses is the request's fault (422), never "storage unavailable"."""

from __future__ import annotations

import pytest

from flagpilot.services.errors import InvalidInput
from flagpilot.services.stored_records import OverrideScope
from flagpilot.storage import SqlUnitOfWorkFactory
from tests.integration.builders import add_flags

pytestmark = pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])

FLAG = "phase2_enhanced_storage"


@pytest.mark.parametrize(
    "subject",
    ["x" * 200, "nul\x00inside"],
    ids=["wider-than-the-column", "nul-byte"],
)
def test_value_the_database_refuses__is_invalid_input_not_storage_unavailable(
    uow_factory: SqlUnitOfWorkFactory, subject: str
) -> None:
    add_flags(uow_factory)

    def write() -> None:
        with uow_factory(actor="test") as uow:
            uow.overrides.put_many(OverrideScope.ORGANIZATION, FLAG, "production", {subject: True}, reason="")
            uow.commit()

    with pytest.raises(InvalidInput, match="cannot store"):
        write()


def test_value_the_database_refuses__is_described_without_the_drivers_words(
    uow_factory: SqlUnitOfWorkFactory,
) -> None:
    # Given a subject wider than its column
    add_flags(uow_factory)

    def write() -> None:
        with uow_factory(actor="test") as uow:
            wide = {"x" * 200: True}
            uow.overrides.put_many(OverrideScope.ORGANIZATION, FLAG, "production", wide, reason="")
            uow.commit()

    # When it is written
    with pytest.raises(InvalidInput) as raised:
        write()

    # Then the detail, which reaches clients, names no table, column, type or driver
    detail = raised.value.detail.lower()
    assert not any(word in detail for word in ("organization_overrides", "varchar", "character", "psycopg"))
