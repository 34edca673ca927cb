"""core.tokens: one way to make a token and store only its digest."""

import hashlib

from core import tokens


def test_the_digest_is_the_sha256_hex_that_stored_rows_hold():
    """Rows written before tokens moved into core (sessions, resets, invitations, feeds, API
    clients, sign-in states, VIP links) hold exactly this: no migration needed."""
    assert tokens.digest("abc") == hashlib.sha256(b"abc").hexdigest()
    assert tokens.digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    assert tokens.digest("abc") == tokens.digest("abc") != tokens.digest("abd")


def test_a_new_token_is_url_safe_random_and_comes_with_its_digest():
    token, stored = tokens.new_token()
    other, _ = tokens.new_token()
    assert token != other and len(token) == 43 and token.isascii()
    assert set(token) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert stored == hashlib.sha256(token.encode()).hexdigest() and token not in stored


def test_a_token_matches_its_own_digest_only():
    token, stored = tokens.new_token()
    assert tokens.matches(token, stored) is True
    assert tokens.matches(token + "x", stored) is False
    assert tokens.matches(token, tokens.digest("another")) is False
    assert tokens.matches(token, "") is False


def test_matching_compares_in_constant_time(monkeypatch):
    """The comparison goes through hmac.compare_digest, never ``==`` (which stops at the first
    difference and so tells an attacker how much of a digest they guessed)."""
    seen = []

    def compare(a, b):
        seen.append((a, b))
        return a == b

    monkeypatch.setattr(tokens.hmac, "compare_digest", compare)
    token, stored = tokens.new_token()
    assert tokens.matches(token, stored) is True
    assert tokens.matches("guess", stored) is False
    assert seen == [(stored.encode(), stored.encode()), (tokens.digest("guess").encode(), stored.encode())]


def test_a_token_is_looked_up_by_its_digest_unless_empty_or_longer_than_any_given_out():
    token, stored = tokens.new_token()
    assert tokens.lookup_digest(token) == stored
    longest = "x" * tokens.MAX_TOKEN
    assert tokens.lookup_digest(longest) == tokens.digest(longest)
    assert tokens.lookup_digest(longest + "x") is None
    assert tokens.lookup_digest("") is None and tokens.lookup_digest(None) is None
