"""The benchmark's verdicts: what makes a page over budget."""

from tests.benchmarks.partnership.measure import Row, turns
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


def test_page_100_is_a_full_page_at_both_sizes():
    finder = Finder({})
    assert finder.last_page(1_856) == 74  # not 75, which would show 6 rows
    assert finder.last_page(250_000) == 100
    assert finder.last_page(10) == 1
