"""`flask casework premises import FILE`: loading a premises list from CSV. Every row is
checked first; any bad row is reported with its line number and nothing is written."""

import pytest
from sqlalchemy import func, select

from casework import db
from casework.audit.models import AuditEvent
from casework.premises.models import Premises, PremisesKind, TlsStatus
from tests.factories import make_premises

HEADER = "name,address,postcode,licence_number,kind,town,cluster,licence_holder,designated_premises_supervisor,sircs_member,thumbs_up"
GOOD = [
    "The Rose and Crown,1 Market Place,PE13 1AB,PL-0001,on_sales,Wisbech,Wisbech pub cluster,Fenland Taverns Ltd,Sam Barker,yes,no",
    '"Kwik Shop, Broad Street",12 Broad Street,pe158tp,PL-0002,off_sales,March,March town centre,Kwik Ltd,Ann Lee,NO,Yes',
    "Late Bites,3 High Street,PE13 1AC,PL-0003,late_night,Wisbech,,,,no,no",
]


@pytest.fixture
def run(app, session, tmp_path):
    runner = app.test_cli_runner()

    def invoke(content: str | bytes):
        path = tmp_path / "premises.csv"
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        return runner.invoke(args=["casework", "premises", "import", str(path)])

    return invoke


def stored() -> int:
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(Premises))


def imports() -> list[AuditEvent]:
    return list(db.session.scalars(select(AuditEvent).where(AuditEvent.verb == "premises.imported")))


def csv_text(*lines: str) -> str:
    return "\n".join(lines) + "\n"


def test_a_good_file_is_loaded_with_every_field_and_audited(run):  # its postcodes in capitals, with one space
    # A byte order mark, as spreadsheet programs write, is not part of the first column's name.
    result = run("\ufeff" + csv_text(HEADER, *GOOD))
    assert result.exit_code == 0, result.output
    assert "Imported 3 premises" in result.output
    assert "Checking" not in result.output  # no progress bar for a short file
    shop = db.session.scalars(select(Premises).where(Premises.licence_number == "PL-0002")).one()
    assert (shop.name, shop.address, shop.postcode, shop.kind, shop.town, shop.cluster) == (
        "Kwik Shop, Broad Street",
        "12 Broad Street",
        "PE15 8TP",
        PremisesKind.OFF_SALES,
        "March",
        "March town centre",
    )
    assert (shop.licence_holder, shop.designated_premises_supervisor, shop.sircs_member, shop.thumbs_up) == (
        "Kwik Ltd",
        "Ann Lee",
        False,
        True,
    )
    assert shop.status is TlsStatus.GREEN
    assert stored() == 3
    assert [event.detail for event in imports()] == [{"rows": 3}]


def test_every_bad_row_is_reported_with_its_line_and_nothing_is_written(run):
    result = run(
        csv_text(
            HEADER,
            GOOD[0],
            ",1 Market Place,PE13 1AB,PL-0010,on_sales,Wisbech,,,,no,no",  # line 3: no name
            "The Ship,1 Quay,PE13 1AB,PL-0011,pub,Wisbech,,,,no,no",  # line 4: unknown kind
            "The Anchor,1 Quay,PE13 1AB,PL-0012,both,Wisbech,,,,maybe,no",  # line 5: not yes/no
            f"{'X' * 201},1 Quay,PE13 1AB,PL-0013,both,Wisbech,,,,no,no",  # line 6: name too long
            "The Bell,1 Quay,PE13 1AB,PL-0014,both,Wisbech,,,,no",  # line 7: a value short
            "The Swan,1 Quay,PE13 1AB-TOO-LONG,PL-0015,both,Wisbech,,,,no,no",  # line 8: postcode too long
            "The Crown,1 Quay,Wisbech,PL-0016,both,Wisbech,,,,no,no",  # line 9: not a postcode
        )
    )
    assert result.exit_code != 0
    assert "nothing was changed" in result.output
    assert "Line 3: name is empty" in result.output
    assert "Line 4: kind must be one of on_sales, off_sales, both, late_night, not 'pub'" in result.output
    assert "Line 5: sircs_member must be yes or no" in result.output
    assert "Line 6: name is longer than 200 characters" in result.output
    assert "Line 7: has 10 values where the header has 11" in result.output
    assert "Line 8: postcode is longer than 10 characters" in result.output
    assert "Line 9: postcode 'Wisbech' is not a UK postcode, like SW1A 1AA" in result.output
    assert "Line 2" not in result.output
    assert stored() == 0
    assert imports() == []


def test_duplicates_within_the_file_and_against_stored_premises_are_refused(run):
    make_premises(licence_number="PL-0003")
    before = stored()
    result = run(csv_text(HEADER, GOOD[0], GOOD[1], GOOD[0].replace("The Rose", "The Old Rose"), GOOD[2]))
    assert result.exit_code != 0
    assert "Line 4: licence number PL-0001 is also on line 2" in result.output
    assert "Line 5: licence number PL-0003 is already in Casework" in result.output
    assert stored() == before
    assert imports() == []


def test_a_quoted_value_over_two_lines_keeps_later_line_numbers_right(run):
    result = run(
        csv_text(
            HEADER, '"The\nCrown",1 Quay,PE13 1AB,PL-0020,both,Wisbech,,,,no,no', ",x,y,PL-0021,both,Wisbech,,,,no,no"
        )
    )
    assert "Line 4: name is empty" in result.output


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "The file is empty"),
        ("\n  \n", "The file is empty"),
        (csv_text(HEADER), "The file has a header but no premises"),
        (csv_text(HEADER.replace(",thumbs_up", ""), GOOD[0]), "The header has no column thumbs_up"),
        (csv_text(HEADER + ",notes", GOOD[0] + ",x"), "The header has columns this format does not know: notes"),
        (csv_text(*GOOD), "The header has no column"),
    ],
)
def test_a_file_without_premises_or_with_a_bad_header_is_refused(run, content, message):
    result = run(content)
    assert result.exit_code != 0
    assert message in result.output
    assert stored() == 0
    assert imports() == []


def test_a_file_not_in_utf8_is_refused(run):
    result = run(csv_text(HEADER, GOOD[0].replace("Rose", "Ros\u00e9")).encode("cp1252"))
    assert result.exit_code != 0
    assert "is not a text file in UTF-8" in result.output
    assert stored() == 0


def test_a_large_file_is_loaded_in_full_with_progress_shown(run):
    rows = [f"Premises {n},{n} High Street,PE13 1AB,PL-{n:05d},both,Wisbech,,,,no,no" for n in range(600)]
    result = run(csv_text(HEADER, *rows))
    assert result.exit_code == 0, result.output
    assert "Checking" in result.output and "Loading" in result.output
    assert stored() == 600
    assert [event.detail for event in imports()] == [{"rows": 600}]
