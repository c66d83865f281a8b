"""The benchmark's verdicts: what makes a page over budget."""

import math
from dataclasses import replace

from casework.meetings.services.agenda import SECTION_LIMIT
from tests.benchmarks.partnership.dataset import ACCEPT_QUEUE
from tests.benchmarks.partnership.measure import BLOCK, ROUNDS, TIMED, WARM_UP, Row, best_of, turns
from tests.benchmarks.partnership.pages import Finder
from tests.benchmarks.partnership.report import over_budget


def _row(size: str, p95: float, records: int | None = None, name: str = "A page") -> Row:
    return Row("sqlite", size, name, "admin", "GET", p95 / 2, p95, 5, 1_000.0, records=records)


def test_a_page_over_one_and_a_half_times_small_is_over_budget():
    [line] = over_budget([_row("small", 100.0), _row("large", 160.0)])
    assert line.problems() == ["ratio over 1.5"]


def test_a_page_that_lists_every_record_is_judged_per_record():
    # Twice the records at LARGE and 1.9 times the time: cheaper per record.
    assert over_budget([_row("small", 100.0, records=2_000), _row("large", 190.0, records=4_000)]) == []
    # The same records and 1.9 times the time: the code grew, not the data.
    [line] = over_budget([_row("small", 100.0, records=2_000), _row("large", 190.0, records=2_000)])
    assert line.problems() == ["ratio over 1.5"]


def test_the_size_timed_first_alternates_from_block_to_block():
    assert [turns(2, block) for block in range(4)] == [[0, 1], [1, 0], [0, 1], [1, 0]]
    assert turns(1, 1) == [0]


def test_each_size_keeps_its_round_with_the_lower_p95():
    stalled, clear = replace(_row("large", 140.0), statements=6), _row("large", 90.0)
    best = best_of([stalled, clear])
    assert (best.p50_ms, best.p95_ms, best.p95_rounds) == (45.0, 90.0, [140.0, 90.0])
    assert best_of([clear, stalled]).p95_rounds == [90.0, 140.0]
    # A page slow in its own right is slow in every round, and stays over budget.
    [line] = over_budget([best_of([_row("small", 50.0), _row("small", 60.0)]), best_of([_row("large", 80.0)] * 2)])
    assert line.problems() == ["ratio over 1.5"]


def test_the_fewest_statements_of_any_round_are_kept():
    # A counted request may also write the session's time of last request.
    assert best_of([_row("large", 90.0), replace(_row("large", 140.0), statements=4)]).statements == 4


def test_the_queue_of_referrals_lasts_every_round_and_fills_the_agenda_after_it():
    counted = math.ceil(TIMED / BLOCK)  # one untimed request before each block
    assert ACCEPT_QUEUE >= ROUNDS * (WARM_UP + TIMED + counted) + SECTION_LIMIT


def test_page_100_is_a_full_page_at_both_sizes():
    finder = Finder({})
    assert finder.last_page(1_856) == 74  # not 75, which would show 6 rows
    assert finder.last_page(250_000) == 100
    assert finder.last_page(10) == 1
