"""What every form says about its fields' own problems: a field's plain name, never
its label's "(optional)" ("Date of birth must be a real date", not "Date of birth
(optional) must be a real date")."""

import pytest
from werkzeug.datastructures import MultiDict
from wtforms.validators import Length

from casework.ui.fields import GovDateField, TimeField
from tests.support.forms import FIELDS, form_classes

# What each kind of field is sent to make it speak: every message it builds from its label.
BAD = {
    GovDateField: [["31", "2", ""], ["31", "2", "2020"], ["1", "1", "1850"], ["1", "1", "3000"]],
    TimeField: [["25:99"], [""]],
}


def test_no_length_message_names_a_field_optional():
    messages = [
        validator.message
        for form, name in FIELDS
        for validator in getattr(form, name).kwargs.get("validators") or ()
        if isinstance(validator, Length) and validator.message
    ]
    assert messages and not [message for message in messages if "(optional)" in message]


@pytest.mark.parametrize("form_class", list(form_classes()), ids=lambda form: form.__name__)
def test_no_date_or_time_message_names_a_field_optional(app, form_class):
    said = []
    with app.test_request_context():
        form = form_class(meta={"csrf": False})
        for field in form:
            for sent in next((values for kind, values in BAD.items() if isinstance(field, kind)), []):
                field.process(MultiDict([(field.name, part) for part in sent]))
                field.validate(form)
                said += field.errors
    assert not [message for message in said if "(optional)" in message]
