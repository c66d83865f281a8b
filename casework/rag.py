"""Red, amber, green: the one RAG every page shows, with its labels and tag colours.

Which RAG an item has is its feature's rule (an action's follows its due date, a plan
action's is set by its lead); a rate measured against a target is rated here, because
the SLA dashboard and the TLS report rate theirs the same way.
"""

import enum

# How far below the target a rate may fall and still be amber, in percentage points.
AMBER_POINTS = 10


class Rag(enum.StrEnum):
    RED = "red"
    AMBER = "amber"
    GREEN = "green"

    @property
    def label(self) -> str:
        return self.value.capitalize()

    @property
    def colour(self) -> str:
        """The GOV.UK tag colour: amber is the tag's orange, as on the premises register.
        The label is always written too, so colour is never the only signal."""
        return {"red": "red", "amber": "orange", "green": "green"}[self.value]


def against_target(met: int, counted: int, target: int) -> Rag | None:
    """Green when ``met`` out of ``counted`` is at or above ``target`` percent, amber
    within AMBER_POINTS below it, red below that; None when nothing is counted yet.
    Exact, in whole numbers: no rounding."""
    if not counted:
        return None
    scaled = met * 100
    if scaled >= target * counted:
        return Rag.GREEN
    if scaled >= (target - AMBER_POINTS) * counted:
        return Rag.AMBER
    return Rag.RED
