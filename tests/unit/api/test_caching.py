"""Entity tags and If-None-Match, as RFC 9110 compares them for GET."""

from __future__ import annotations

import pytest

from flagpilot.api.caching import body_etag, digest, matches


@pytest.mark.parametrize(
    "header",
    ['"abc"', 'W/"abc"', '"x", "abc"', ' "x" ,W/"abc" ', "*"],
)
def test_matches__any_listed_tag_weakly_equal__matches(header: str) -> None:
    assert matches(header, '"abc"')


@pytest.mark.parametrize("header", [None, "", '"abcd"', '"ab"', "abc", '"x", "y"'])
def test_matches__no_listed_tag_equal__does_not_match(header: str | None) -> None:
    assert not matches(header, '"abc"')


def test_body_etag__is_strong_and_changes_with_the_body() -> None:
    assert body_etag(b"{}").startswith('"')
    assert body_etag(b"{}") == body_etag(b"{}") != body_etag(b"[]")


def test_digest__separates_its_parts() -> None:
    assert digest("ab", "c") != digest("a", "bc")
    assert digest(None) == digest("")
