"""Length limits, in characters, of text that means the same thing in several features.

A limit of one feature's column lives beside that column (``ADDRESS_MAX`` in
people/models.py, ``REFERENCE_MAX`` in cases/models.py). The ones here are shared: the
column types in db.py are built from them, and forms and services read them by name,
never as a number. A ``String`` column's length is a migration to change; a ``Text``
column carries its limit in ``info`` (``db.limited``) so that a test can hold every
form to what its column takes.
"""

NAME_MAX = 100  # a first or last name; a district, town, ward or cluster
LINE_MAX = 200  # one line: a title; the name of a user, agency or premises; a place
REASON_MAX = 2000  # why something was done or decided: a move, an override, a decline
LONG_TEXT_MAX = 5000  # a description, detail, notes, an outcome, a target, a summary
NARRATIVE_MAX = 10000  # a case note, a quarterly progress narrative

# Why an SLA clock stopped, as the clock keeps it; what a user types as the reason for
# a change that stops clocks (a case closed, a victim taken off a case) leaves room for
# the prefix that says which ("Case closed: ").
STOP_REASON_MAX = 500
STOPPING_REASON_MAX = 400
