"""Generated customer ids, group ids and percentages for the bucketing properties."""

from __future__ import annotations

from hypothesis import strategies as st

IDS_TEXT = st.text(min_size=1, max_size=40)


GROUPS = st.text(max_size=40)


GRID = st.integers(0, 10_000).map(lambda n: n / 100)  # percentages on the 0.01 grid
