"""The password rules: length, a shipped list of common passwords, no composition rules."""

import subprocess
import sys
from importlib.resources import files

import pytest

from casework.accounts.services import passwords
from casework.accounts.services.passwords import (
    check_password_rules,
    common_passwords,
    hash_password,
    needs_rehash,
    verify_password,
)
from casework.exceptions import InvalidInput
from tests.conftest import ROOT

HARDER = "Choose a password that is harder to guess"


def refusal(password, **kwargs):
    with pytest.raises(InvalidInput) as refused:
        check_password_rules(password, **kwargs)
    return refused.value.message


def test_the_shipped_list_is_large_and_says_where_it_comes_from():
    text = (files("casework.accounts") / "data" / "common_passwords.txt").read_text(encoding="utf-8")
    header = "\n".join(line for line in text.splitlines() if line.startswith("#"))
    assert "zxcvbn" in header and "MIT" in header
    assert "john-data" in header and "public domain" in header
    assert len(common_passwords()) > 30_000
    assert all(entry == entry.lower() and not entry.startswith("#") for entry in common_passwords())


def test_the_list_is_read_once():
    assert common_passwords() is common_passwords()


@pytest.mark.parametrize(
    "password",
    [
        "1q2w3e4r5t6y",  # from the list
        "1Q2W3E4R5T6Y",  # whatever the case
        "Qwertyuiop123",
        "PASSWORD1234",
        "casework-demo",
    ],
)
def test_common_passwords_are_refused_whatever_their_case(password):
    assert password.lower() in common_passwords()
    assert refusal(password) == HARDER


def test_a_password_merely_like_a_common_one_is_not_refused():
    """A list, not a guess at patterns: a doubled common word is long enough to stand."""
    assert "trustno1" in common_passwords()
    check_password_rules("trustno1trustno1")


@pytest.mark.parametrize(
    "password",
    [
        "correct horse battery staple",  # all lower case, no digits: no composition rules
        "twelve chars",
        "ünïcödé passphrase ok",
        "x" * 120 + "abcdefgh",
    ],
)
def test_long_uncommon_passwords_are_accepted_without_composition_rules(password):
    check_password_rules(password)


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("eleven char", "Password must be 12 characters or more"),
        ("y" * 129, "Password must be 128 characters or fewer"),
        ("abababababab", HARDER),
    ],
)
def test_length_and_triviality(password, message):
    assert refusal(password) == message


def test_the_email_address_is_not_a_password():
    assert refusal("Someone.Long@Example.test", email="someone.long@example.test") == HARDER


def test_hashes_are_argon2id_and_old_parameters_need_rehashing():
    from argon2 import PasswordHasher

    stored = hash_password("correct horse battery staple")
    assert stored.startswith("$argon2id$")
    assert not needs_rehash(stored)
    weaker = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("correct horse battery staple")
    assert needs_rehash(weaker)
    assert verify_password(weaker, "correct horse battery staple")


def test_verifying_against_no_hash_fails_like_a_wrong_password():
    assert verify_password(None, "anything at all") is False
    assert verify_password("not a hash", "anything at all") is False
    assert passwords.MIN_LENGTH == 12 and passwords.MAX_LENGTH == 128


def test_outside_the_test_suite_passwords_are_hashed_at_argon2_cffis_default_cost():
    """The suite hashes at the lowest cost (tests/conftest.py); the app, the CLI and the
    demo, in a process of their own, hash at the library's defaults: t=3, m=64 MiB, p=4."""
    from argon2 import DEFAULT_MEMORY_COST, DEFAULT_PARALLELISM, DEFAULT_TIME_COST, extract_parameters

    program = "from casework.accounts.services import passwords; print(passwords.hash_password('x'), end='')"
    made = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True, cwd=ROOT)
    parameters = extract_parameters(made.stdout)
    assert parameters.type.name == "ID"
    assert (
        (parameters.time_cost, parameters.memory_cost, parameters.parallelism)
        == (
            DEFAULT_TIME_COST,
            DEFAULT_MEMORY_COST,
            DEFAULT_PARALLELISM,
        )
        == (3, 65536, 4)
    )
    assert extract_parameters(hash_password("x")).memory_cost == 8  # and the suite's own
