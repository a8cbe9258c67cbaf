"""The password policy that every password goes through (register, change and reset alike)."""

from __future__ import annotations

import functools

PASSWORD_MIN_LENGTH = 8


PASSWORD_MAX_LENGTH = 128


# A name shorter than this is not looked for in the password: a one- or two-letter email name
# ("a@example.com") would refuse every password holding that letter, and guessing it buys an
# attacker nothing. Three is also the shortest username, so both names follow one rule.
MIN_NAME_LENGTH = 3


@functools.cache
def common_passwords() -> frozenset[str]:
    """zxcvbn's list of the 30,000 most common passwords (lower-case; 11,611 of them are 8 to 128
    characters long, the rest are refused by length anyway). Loaded on first use: the import
    costs ~40 ms and ~16 MB, which `flask` commands that never check a password need not pay."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def _contains(folded_password: str, name: str) -> bool:
    name = name.casefold()
    return len(name) >= MIN_NAME_LENGTH and name in folded_password


def password_policy_errors(password: str, *, username: str, email: str) -> list[str]:
    """Why `password` is refused for this account (register, password change and reset alike);
    an empty list when it is acceptable."""
    if not PASSWORD_MIN_LENGTH <= len(password) <= PASSWORD_MAX_LENGTH:
        return [f"Length must be between {PASSWORD_MIN_LENGTH} and {PASSWORD_MAX_LENGTH}."]
    if not password.strip():
        return ["The password cannot be only whitespace."]
    folded = password.casefold()
    problems = []
    # Letter case and surrounding spaces make no difference to a guesser.
    if folded.strip() in common_passwords():
        problems.append("This password is one of the most common ones: choose another.")
    if _contains(folded, username):
        problems.append("The password must not contain the username.")
    # The local part of the email, and the same without a sub-address tag (alice+board@ is alice).
    local = email.rpartition("@")[0]
    if _contains(folded, local) or _contains(folded, local.split("+", 1)[0]):
        problems.append("The password must not contain the part of the email address before the @.")
    return problems
