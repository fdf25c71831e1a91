"""The differences from the thesis: every row names the thesis's files and lines that show it."""

from __future__ import annotations

import re

from thesislab.differences import DIFFERENCES

PLACE = re.compile(r"(?:[TNPM]|CondenseNet)/[\w./-]+\.(?:py|sh|csv):\d+(?:-\d+)?(?:,\d+(?:-\d+)?)*")
"""A thesis file (T/, N/, P/, M/ or CondenseNet/) and its lines: `FILE:A-B,C`."""


def test_every_difference_names_its_thesis_files_and_lines() -> None:
    for difference in DIFFERENCES:
        places = difference.source.split(", ")
        assert all(PLACE.fullmatch(place) for place in places), difference.source
        assert difference.reproduce is not None or difference.reason, difference.topic


def test_topics_are_unique() -> None:
    topics = [difference.topic for difference in DIFFERENCES]
    assert len(topics) == len(set(topics))
