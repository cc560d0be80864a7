"""Entity tags and If-None-Match, as RFC 9110 compares them for GET."""

from __future__ import annotations

import pytest

from flagpilot.api.caching import etag_of, matches


@pytest.mark.parametrize(
    "header",
    ['"abc"', 'W/"abc"', '"x", "abc"', ' "x" ,W/"abc" ', "*"],
)
def test_matches__any_listed_tag_weakly_equal__matches(header: str) -> None:
    assert matches(header, '"abc"')


@pytest.mark.parametrize("header", [None, "", '"abcd"', '"ab"', "abc", '"x", "y"'])
def test_matches__no_listed_tag_equal__does_not_match(header: str | None) -> None:
    assert not matches(header, '"abc"')


def test_etag_of__is_strong_and_changes_with_the_data() -> None:
    assert etag_of(b"{}").startswith('"')
    assert etag_of(b"{}") == etag_of(b"{}") != etag_of(b"[]")
