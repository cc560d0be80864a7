"""Each class of hostile input that once got a 5xx, against a real server on SQLite and PostgreSQL.

Every test sends its input, expects a 4xx problem (422 naming the field where there is a
field), and then checks that the read routes every client depends on still answer 200 and that
`/readyz` still reports the database reachable: one bad request may neither fail nor poison.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa

from tests.databases import create_database, drop_database, unique_name
from tests.e2e.server import ServerProcess, running_server

FLAG = "phase2_enhanced_storage"
PROBLEM_JSON = "application/problem+json"


class Api:
    """A server with an admin and a server-SDK token, and the database it runs on."""

    def __init__(self, server: ServerProcess, database_url: str) -> None:
        self.server = server
        self.database_url = database_url
        self.client = httpx.Client(base_url=server.base_url, timeout=30)
        self.admin = {"Authorization": f"Bearer {server.admin_token}"}
        self.sdk = {"Authorization": f"Bearer {server.issue('server-sdk')}"}

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.admin, **kwargs.pop("headers", {})}
        return self.client.request(method, path, headers=headers, **kwargs)

    def raw(self, method: str, path: str, body: bytes, **kwargs: Any) -> httpx.Response:
        headers = {"content-type": "application/json", **kwargs.pop("headers", {})}
        return self.send(method, path, content=body, headers=headers, **kwargs)

    def reads_still_answer(self) -> None:
        """The routes every tenant reads, and readiness, after whatever was sent before."""
        answers = {
            "ofrep": self.client.post(
                "/ofrep/v1/evaluate/flags", json={"context": {"targetingKey": "c-1"}}, headers=self.sdk
            ),
            "snapshot": self.client.get("/api/sdk/snapshot", headers=self.sdk),
            "feature-flags": self.client.get("/api/admin/feature-flags", headers=self.admin),
            "export": self.client.get("/api/admin/export", headers=self.admin),
            "audit": self.client.get("/api/admin/audit", headers=self.admin),
        }
        assert {name: a.status_code for name, a in answers.items()} == dict.fromkeys(answers, 200)
        ready = self.client.get("/readyz")
        assert ready.status_code == 200, ready.text
        assert ready.json()["checks"]["database"]["ok"] is True


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def api(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('hostile')}/flagpilot.db"
        with running_server({"FLAGPILOT_DATABASE_URL": url}, setup=[["init"]]) as server:
            yield from _serving(server, url)
        return
    base: str = request.getfixturevalue("postgres_server_url")
    name = unique_name("flagpilot_hostile")
    url = create_database(base, name)
    try:
        with running_server({"FLAGPILOT_DATABASE_URL": url}, setup=[["init"]]) as server:
            yield from _serving(server, url)
    finally:
        drop_database(base, name)


def _serving(server: ServerProcess, url: str) -> Iterator[Api]:
    api = Api(server, url)
    try:
        yield api
    finally:
        api.client.close()


def _nested(depth: int) -> Any:
    value: Any = True
    for _ in range(depth):
        value = [value]
    return value


def _invalid(answer: httpx.Response, field: str | None = None) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM_JSON
    if field is not None:
        fields = [error["field"] for error in answer.json()["errors"]]
        assert any(field in name for name in fields), fields


def test_json_value_nested_300_deep__is_refused_at_write_time_and_never_poisons_reads(api: Api) -> None:
    # A definition, an environment value and an override, each nested past the bound
    _invalid(
        api.send(
            "POST", "/api/admin/flags", json={"key": "deep", "type": "json", "defaultValue": _nested(300)}
        )
    )
    assert api.send("POST", "/api/admin/flags", json={"key": "shallow", "type": "json"}).status_code in (
        200,
        201,
    )
    _invalid(
        api.send("POST", "/api/admin/feature-flags", json={"featureName": "shallow", "value": _nested(40)})
    )
    _invalid(api.send("PUT", "/api/admin/flags/shallow/overrides", json={"values": {"c-1": _nested(300)}}))
    api.reads_still_answer()


def test_json_value_too_large__is_refused_at_write_time(api: Api) -> None:
    big = {f"k{i}": "x" * 1000 for i in range(40)}  # 40 kB: under the body limit, over the value bound
    api.send("POST", "/api/admin/flags", json={"key": "sized", "type": "json", "defaultValue": {}})
    _invalid(api.send("POST", "/api/admin/feature-flags", json={"featureName": "sized", "value": big}))
    api.reads_still_answer()


def test_json_number_beyond_64_bits_or_not_finite__is_refused_at_write_time(api: Api) -> None:
    api.send("POST", "/api/admin/flags", json={"key": "numeric", "type": "number", "defaultValue": 1})
    answer = api.raw("POST", "/api/admin/feature-flags", b'{"featureName":"numeric","value":1e400}')
    assert answer.status_code in (400, 422)
    big = b'{"featureName":"numeric","value":%d}' % (2**64)
    _invalid(api.raw("POST", "/api/admin/feature-flags", big))
    api.reads_still_answer()


def test_unservable_value_written_in_sql__is_left_out_of_the_snapshot_and_reads_stay_200(api: Api) -> None:
    # Given: a value no write path accepts, put into the database by hand
    api.send("POST", "/api/admin/flags", json={"key": "by_hand", "type": "json", "defaultValue": {"a": 1}})
    api.send("PUT", "/api/admin/flags/by_hand/overrides", json={"values": {"c-1": {"b": 2}, "c-2": {"c": 3}}})
    engine = sa.create_engine(api.database_url.replace("postgresql+psycopg", "postgresql+psycopg"))
    try:
        with engine.begin() as connection:
            table = sa.Table("customer_feature_flags", sa.MetaData(), autoload_with=connection)
            connection.execute(table.update().where(table.c.customer_id == "c-1").values(value=_nested(400)))
    finally:
        engine.dispose()

    # Then: the bad override is left out, the rest is served
    def served() -> dict[str, Any]:
        answer = api.client.post(
            "/ofrep/v1/evaluate/flags/by_hand", json={"context": {"targetingKey": "c-2"}}, headers=api.sdk
        )
        assert answer.status_code == 200, answer.text
        return dict(answer.json())

    def served_to_c1() -> Any:
        first = api.client.post(
            "/ofrep/v1/evaluate/flags/by_hand", json={"context": {"targetingKey": "c-1"}}, headers=api.sdk
        )
        assert first.status_code == 200, first.text
        return first.json()["value"]

    # (wait for the rebuild that sees the hand-written change: c-2's value was served before it)
    assert _eventually(lambda: served_to_c1() == {"a": 1})
    assert served()["value"] == {"c": 3}
    assert "customerOverrides[c-1]" in api.server.log()


def _eventually(check: Any, seconds: float = 10.0) -> bool:
    import time

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return bool(check())


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        (
            "/api/admin/feature-flags",
            {"featureName": FLAG, "environment": "prod\u0000", "enabled": True},
            "body.environment",
        ),
        (
            "/api/admin/feature-flags",
            {"featureName": FLAG, "organizationId": "o\u0000", "enabled": True},
            "body.organizationId",
        ),
        (f"/api/admin/flags/{FLAG}/overrides", {"values": {"c\u0000": True}}, "body.values"),
        ("/api/admin/tokens", {"kind": "viewer", "name": "n\u0000"}, "body.name"),
    ],
)
def test_nul_byte__is_422_naming_the_field_and_never_marks_the_database_down(
    api: Api, path: str, body: dict[str, Any], field: str
) -> None:
    method = "PUT" if path.endswith("/overrides") else "POST"
    _invalid(api.send(method, path, json=body), field)
    _invalid(
        api.send("GET", f"/api/admin/flags/{FLAG}/overrides", params={"cursor": "a\u0000"}), "query.cursor"
    )
    assert api.client.get("/api/widget/config?customerId=%00").status_code in (401, 422)
    api.reads_still_answer()


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("PUT", f"/api/admin/flags/{FLAG}/overrides", b'{"values": {"\\ud800": true}}', "body.values"),
        (
            "POST",
            f"/api/admin/flags/{FLAG}/overrides/clear",
            b'{"subjectIds": ["\\udfff"]}',
            "body.subjectIds.0",
        ),
        ("POST", "/api/admin/flags", b'{"key": "pq", "prerequisites": ["\\ud800"]}', "body.prerequisites.0"),
        ("PATCH", f"/api/admin/flags/{FLAG}", b'{"description": "a\\ud800b"}', "body.description"),
    ],
)
def test_lone_surrogate__is_422_naming_the_field(
    api: Api, method: str, path: str, body: bytes, field: str
) -> None:
    _invalid(api.raw(method, path, body), field)
    paired = api.raw("PATCH", f"/api/admin/flags/{FLAG}", b'{"description": "\\ud83d\\ude00"}')
    assert paired.status_code == 200, paired.text
    api.reads_still_answer()


def test_lone_surrogate_in_the_override_page_cursor__is_4xx(api: Api) -> None:
    for cursor in ("%ED%A0%80", "WyJcdWQ4MDAiLCJ4IiwieSJd"):  # the second: ["\ud800","x","y"]
        answer = api.send("GET", f"/api/admin/flags/{FLAG}/overrides?cursor={cursor}")
        assert answer.status_code == 422, answer.text
    api.reads_still_answer()


def test_values_wider_than_their_postgresql_columns__are_422_on_both_databases(api: Api) -> None:
    _invalid(
        api.send(
            "POST", "/api/admin/tokens", json={"kind": "viewer", "name": "t", "organizationId": "o" * 129}
        )
    )
    _invalid(
        api.send(
            "POST", "/api/admin/tokens", json={"kind": "server-sdk", "name": "t", "environment": "e" * 65}
        )
    )
    _invalid(api.send("PUT", f"/api/admin/flags/{FLAG}/overrides", json={"values": {"c" * 129: True}}))
    _invalid(api.send("POST", f"/api/admin/flags/{FLAG}/overrides/clear", json={"subjectIds": ["c" * 129]}))
    accepted = api.send("POST", "/api/admin/tokens", json={"kind": "viewer", "name": "n" * 200})
    assert accepted.status_code == 201, accepted.text
    api.reads_still_answer()


def test_audit_before_beyond_the_integer_id_column__is_422(api: Api) -> None:
    _invalid(api.send("GET", "/api/admin/audit", params={"before": 2**62}), "query.before")
    assert api.send("GET", "/api/admin/audit", params={"before": 2**31 - 1}).status_code == 200
    api.reads_still_answer()


ODD_MOMENTS = ["x", "2026-13-45", "-1", "1e400", "nan", "99999999999999999999", "0000-00-00", "+99:00"]
WRONG_TYPES: list[Any] = [["x"], {"x": 1}, None, 1.5, True]


def test_odd_audit_since_and_until__are_never_5xx(api: Api) -> None:
    for moment in ODD_MOMENTS:
        for name in ("since", "until"):
            answer = api.send("GET", "/api/admin/audit", params={name: moment})
            assert answer.status_code in (200, 422), (name, moment, answer.text)
    api.reads_still_answer()


def test_outcome_event_member_of_the_wrong_type__is_422(api: Api) -> None:
    for member in ("outcome", "featureName", "customerId", "count", "timestamp"):
        for wrong in WRONG_TYPES:
            if member == "timestamp" and wrong in (None, 1.5):
                continue  # no timestamp, or one in epoch milliseconds: both fine
            event = {"featureName": FLAG, "customerId": "c-1", "outcome": "success", member: wrong}
            for body in (event, [event]):
                answer = api.client.post("/api/events?environment=production", json=body, headers=api.sdk)
                assert answer.status_code == 422, (member, wrong, answer.text)
    api.reads_still_answer()


def test_prerequisites_of_the_wrong_shape__are_422(api: Api) -> None:
    for prerequisites in ({"a": 1}, "x", [1], [["x"]], [{"k": 1}], [None], ["x" * 129]):
        _invalid(api.send("POST", "/api/admin/flags", json={"key": "prq", "prerequisites": prerequisites}))
        _invalid(api.send("PATCH", f"/api/admin/flags/{FLAG}", json={"prerequisites": prerequisites}))
    api.reads_still_answer()


def test_non_utf8_last_event_id__still_opens_the_stream(api: Api) -> None:
    headers = {**api.sdk, "Last-Event-ID": b"\xff\xfe\xc0"}
    with api.client.stream("GET", "/api/sdk/stream", headers=headers) as answer:
        assert answer.status_code == 200


def test_if_match_of_superscript_digits__is_4xx_on_rollout_transitions(api: Api) -> None:
    api.send("POST", "/api/admin/rollout", json={"featureName": FLAG})
    for transition in ("start", "advance", "pause", "resume", "rollback", "complete", "restart"):
        for tag in ('"²"', "²", '"1²"', '"١"'):
            headers = {"If-Match": tag.encode()}
            body = {"featureName": FLAG}
            answer = api.send("POST", f"/api/admin/rollout/{transition}", json=body, headers=headers)
            assert answer.status_code in (409, 412, 422), (transition, tag, answer.text)
    api.reads_still_answer()


RANDOM_BODIES: list[Any] = [
    [],
    "x",
    1,
    None,
    {"featureName": {"a": 1}},
    {"featureName": [FLAG]},
    {"featureName": FLAG, "version": "x"},
    {"featureName": FLAG, "environment": ["a"]},
    {"featureName": FLAG, "version": 2**70},
    {"featureName": FLAG, "whitelistedCustomers": [{"a": 1}]},
    {"featureName": FLAG, "reason": {"a": 1}},
]


def test_random_bodies_on_rollout_transitions__are_4xx(api: Api) -> None:
    for body in RANDOM_BODIES:
        for transition in (
            "",
            "/start",
            "/advance",
            "/pause",
            "/resume",
            "/rollback",
            "/complete",
            "/restart",
        ):
            answer = api.send("POST", f"/api/admin/rollout{transition}", json=body)
            assert 400 <= answer.status_code < 500, (transition, body, answer.text)
            assert answer.headers["content-type"] == PROBLEM_JSON
    api.reads_still_answer()


def test_object_or_array_where_a_context_value_or_id_is_expected__is_4xx(api: Api) -> None:
    for member in ("targetingKey", "organizationId", "environment"):
        for wrong in WRONG_TYPES:
            context = {"targetingKey": "c-1", member: wrong}
            for path in ("/ofrep/v1/evaluate/flags", f"/ofrep/v1/evaluate/flags/{FLAG}"):
                answer = api.client.post(path, json={"context": context}, headers=api.sdk)
                assert answer.status_code in (200, 400), (member, wrong, answer.text)
    for member in ("customerId", "organizationId", "environment", "featureName"):
        for wrong in WRONG_TYPES:
            body = {"featureName": FLAG, "enabled": True, member: wrong}
            answer = api.send("POST", "/api/admin/feature-flags", json=body)
            assert answer.status_code in (200, 422), (member, wrong, answer.text)
    for wrong in WRONG_TYPES:
        answer = api.send("PUT", f"/api/admin/flags/{FLAG}/overrides", json={"values": wrong})
        assert answer.status_code == 422
    api.reads_still_answer()
