"""One RAG for every page: its labels and tag colours, and a rate against its target."""

import pytest

from casework.rag import AMBER_POINTS, Rag, against_target


def test_each_rag_has_one_label_and_one_tag_colour():
    assert [(rag.label, rag.colour) for rag in Rag] == [("Red", "red"), ("Amber", "orange"), ("Green", "green")]


@pytest.mark.parametrize(
    ("met", "counted", "target", "expected"),
    [
        (0, 0, 85, None),  # nothing counted yet
        (85, 100, 85, Rag.GREEN),
        (849, 1000, 85, Rag.AMBER),
        (85 - AMBER_POINTS, 100, 85, Rag.AMBER),
        (749, 1000, 85, Rag.RED),
        (2, 3, 80, Rag.RED),
    ],
)
def test_a_rate_is_rated_against_its_target(met, counted, target, expected):
    assert against_target(met, counted, target) is expected
