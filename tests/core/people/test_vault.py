"""Tests for core.people.vault."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

import pytest

from core.people.vault import Vault, VaultError, generate_key

ENC_KEY = bytes(range(32))
OLD_KEY = bytes(range(100, 132))
OTHER_KEY = bytes(range(200, 232))
INDEX_KEY = bytes(range(50, 98))
CONTEXT = b"tenant:aarhus|person:42|national_id"
TOKEN_RE = re.compile(r"v1\.[0-9a-f]{8}\.[A-Za-z0-9_-]+")


def b64(key: bytes, *, padded: bool = True) -> str:
    """Encode a key as urlsafe base64, optionally without padding."""
    text = base64.urlsafe_b64encode(key).decode()
    return text if padded else text.rstrip("=")


@pytest.fixture
def vault() -> Vault:
    return Vault(ENC_KEY, INDEX_KEY)


@pytest.mark.parametrize("plaintext", ["0101901234", "", "Åsa Ölund-Jørgensen", "😀" * 100, "x" * 10_000, "a.b.c"])
def test_round_trip(vault: Vault, plaintext: str) -> None:
    token = vault.encrypt(plaintext, context=CONTEXT)
    assert TOKEN_RE.fullmatch(token)
    assert token.isascii()
    assert vault.decrypt(token, context=CONTEXT) == plaintext


def test_token_names_key_by_sha256_prefix(vault: Vault) -> None:
    token = vault.encrypt("secret", context=CONTEXT)
    key_id = hashlib.sha256(ENC_KEY).hexdigest()[:8]
    assert token.split(".")[1] == key_id == vault.key_id


def test_token_layout_is_nonce_ciphertext_tag(vault: Vault) -> None:
    plaintext = "0101901234"
    payload = vault.encrypt(plaintext, context=CONTEXT).split(".")[2]
    blob = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert len(blob) == 12 + len(plaintext) + 16
    assert plaintext.encode() not in blob


def test_encryption_is_randomised(vault: Vault) -> None:
    tokens = {vault.encrypt("same", context=CONTEXT) for _ in range(20)}
    assert len(tokens) == 20
    nonces = {t.split(".")[2][:16] for t in tokens}
    assert len(nonces) == 20


@pytest.mark.parametrize(
    "other_context",
    [b"tenant:aarhus|person:43|national_id", b"tenant:malmo|person:42|national_id", CONTEXT + b" ", CONTEXT[:-1], b"x"],
)
def test_wrong_context_fails(vault: Vault, other_context: bytes) -> None:
    token = vault.encrypt("0101901234", context=CONTEXT)
    with pytest.raises(VaultError):
        vault.decrypt(token, context=other_context)


def _flip(text: str, index: int) -> str:
    """Replace one base64url character with a different one."""
    replacement = "A" if text[index] != "A" else "B"
    return text[:index] + replacement + text[index + 1 :]


@pytest.mark.parametrize("index", [0, 5, 15, 16, 17, 20, -8, -2, -1])
def test_tampered_payload_fails(vault: Vault, index: int) -> None:
    token = vault.encrypt("0101901234", context=CONTEXT)
    version, key_id, payload = token.split(".")
    tampered = f"{version}.{key_id}.{_flip(payload, index)}"
    assert tampered != token
    with pytest.raises(VaultError):
        vault.decrypt(tampered, context=CONTEXT)


def test_truncated_or_extended_payload_fails(vault: Vault) -> None:
    token = vault.encrypt("0101901234", context=CONTEXT)
    for broken in (token[:-4], token + "AAAA", token + "=", token[: token.rindex(".") + 10]):
        with pytest.raises(VaultError):
            vault.decrypt(broken, context=CONTEXT)


@pytest.mark.parametrize(
    "mutate",
    [
        lambda t: "v2" + t[2:],
        lambda t: t.replace("v1.", "", 1),
        lambda t: t + ".extra",
        lambda t: "v1.00000000." + t.split(".")[2],
        lambda t: "v1.ABCDEF12." + t.split(".")[2],
        lambda t: "v1." + t.split(".")[1] + ".!!notbase64!!",
        lambda t: "v1." + t.split(".")[1] + ".A",
        lambda t: "v1." + t.split(".")[1] + ".",
        lambda t: "",
        lambda t: "garbage",
    ],
)
def test_malformed_tokens_fail(vault: Vault, mutate) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(VaultError):
        vault.decrypt(mutate(vault.encrypt("0101901234", context=CONTEXT)), context=CONTEXT)


def test_non_string_token_fails(vault: Vault) -> None:
    with pytest.raises(VaultError):
        vault.decrypt(None, context=CONTEXT)  # type: ignore[arg-type]


def test_unknown_key_fails() -> None:
    token = Vault(OTHER_KEY, INDEX_KEY).encrypt("0101901234", context=CONTEXT)
    with pytest.raises(VaultError) as excinfo:
        Vault(ENC_KEY, INDEX_KEY).decrypt(token, context=CONTEXT)
    assert "0101901234" not in str(excinfo.value)


def test_errors_do_not_leak_plaintext_or_keys(vault: Vault) -> None:
    token = vault.encrypt("0101901234", context=CONTEXT)
    with pytest.raises(VaultError) as excinfo:
        vault.decrypt(token, context=b"other")
    message = str(excinfo.value)
    assert "0101901234" not in message
    assert ENC_KEY.hex() not in message
    assert excinfo.value.__cause__ is None


@pytest.mark.parametrize("context", ["tenant:1", None, 42])
def test_context_must_be_bytes(vault: Vault, context: object) -> None:
    with pytest.raises(TypeError):
        vault.encrypt("x", context=context)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        vault.decrypt("v1.00000000.AAAA", context=context)  # type: ignore[arg-type]


def test_empty_context_rejected(vault: Vault) -> None:
    with pytest.raises(ValueError):
        vault.encrypt("x", context=b"")


def test_plaintext_must_be_str(vault: Vault) -> None:
    with pytest.raises(TypeError):
        vault.encrypt(b"0101901234", context=CONTEXT)  # type: ignore[arg-type]


# --- Rotation ----------------------------------------------------------------


def test_rotation_decrypts_old_tokens_and_encrypts_with_new_key() -> None:
    old_token = Vault(OLD_KEY, INDEX_KEY).encrypt("0101901234", context=CONTEXT)
    rotated = Vault(ENC_KEY, INDEX_KEY, old_encryption_keys=[OLD_KEY])
    assert rotated.decrypt(old_token, context=CONTEXT) == "0101901234"
    assert rotated.needs_reencryption(old_token)

    new_token = rotated.encrypt("0101901234", context=CONTEXT)
    assert new_token.split(".")[1] == hashlib.sha256(ENC_KEY).hexdigest()[:8]
    assert not rotated.needs_reencryption(new_token)
    assert rotated.decrypt(new_token, context=CONTEXT) == "0101901234"


def test_rotation_still_checks_context() -> None:
    old_token = Vault(OLD_KEY, INDEX_KEY).encrypt("0101901234", context=CONTEXT)
    rotated = Vault(ENC_KEY, INDEX_KEY, old_encryption_keys=[OLD_KEY])
    with pytest.raises(VaultError):
        rotated.decrypt(old_token, context=b"other row")


def test_retired_key_removed_fails() -> None:
    old_token = Vault(OLD_KEY, INDEX_KEY).encrypt("0101901234", context=CONTEXT)
    with pytest.raises(VaultError):
        Vault(ENC_KEY, INDEX_KEY, old_encryption_keys=[OTHER_KEY]).decrypt(old_token, context=CONTEXT)


def test_several_old_keys_and_duplicates() -> None:
    tokens = {key: Vault(key, INDEX_KEY).encrypt(key.hex(), context=CONTEXT) for key in (OLD_KEY, OTHER_KEY)}
    vault = Vault(ENC_KEY, INDEX_KEY, old_encryption_keys=(OLD_KEY, OTHER_KEY, OLD_KEY, ENC_KEY))
    for key, token in tokens.items():
        assert vault.decrypt(token, context=CONTEXT) == key.hex()


def test_needs_reencryption_for_garbage(vault: Vault) -> None:
    assert vault.needs_reencryption("garbage")


# --- Key validation ----------------------------------------------------------


@pytest.mark.parametrize("length", [0, 16, 24, 31, 33, 64])
def test_encryption_key_must_be_32_bytes(length: int) -> None:
    with pytest.raises(ValueError, match="encryption_key"):
        Vault(b"k" * length, INDEX_KEY)


@pytest.mark.parametrize("length", [0, 16, 31])
def test_index_key_too_short(length: int) -> None:
    with pytest.raises(ValueError, match="index_key"):
        Vault(ENC_KEY, b"k" * length)


@pytest.mark.parametrize("length", [32, 33, 64, 128])
def test_index_key_lengths_accepted(length: int) -> None:
    assert len(Vault(ENC_KEY, b"k" * length).blind_index("x", scope="s")) == 64


def test_old_key_wrong_length() -> None:
    with pytest.raises(ValueError, match=r"old_encryption_keys\[1\]"):
        Vault(ENC_KEY, INDEX_KEY, old_encryption_keys=[OLD_KEY, b"short"])


@pytest.mark.parametrize("key", ["k" * 32, None, 12345])
def test_keys_must_be_bytes(key: object) -> None:
    with pytest.raises(TypeError):
        Vault(key, INDEX_KEY)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Vault(ENC_KEY, key)  # type: ignore[arg-type]


def test_old_keys_must_be_a_sequence_of_keys() -> None:
    with pytest.raises(TypeError):
        Vault(ENC_KEY, INDEX_KEY, old_encryption_keys=OLD_KEY)  # type: ignore[arg-type]


def test_repr_hides_keys() -> None:
    vault = Vault(ENC_KEY, INDEX_KEY, old_encryption_keys=[OLD_KEY])
    text = repr(vault)
    for key in (ENC_KEY, OLD_KEY, INDEX_KEY):
        assert key.hex() not in text
        assert b64(key, padded=False) not in text
        assert repr(key) not in text
    assert vault.key_id in text


# --- Blind index -------------------------------------------------------------


def test_blind_index_matches_reference_hmac(vault: Vault) -> None:
    expected = hmac.new(INDEX_KEY, b"person.national_id\x000101901234", hashlib.sha256).hexdigest()
    assert vault.blind_index("0101901234", scope="person.national_id") == expected


def test_blind_index_is_deterministic_across_instances() -> None:
    first = Vault(ENC_KEY, INDEX_KEY).blind_index("0101901234", scope="person.national_id")
    second = Vault(OLD_KEY, INDEX_KEY).blind_index("0101901234", scope="person.national_id")
    assert first == second
    assert re.fullmatch(r"[0-9a-f]{64}", first)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("0101901234", "person.national_id"), ("0101901235", "person.national_id")),
        (("0101901234", "person.national_id"), ("0101901234", "person.phone")),
        (("bc", "a"), ("c", "ab")),
        (("", "ab"), ("b", "a")),
        (("Anna", "s"), ("anna", "s")),
    ],
)
def test_blind_index_distinguishes_values_and_scopes(vault: Vault, a: tuple[str, str], b: tuple[str, str]) -> None:
    assert vault.blind_index(a[0], scope=a[1]) != vault.blind_index(b[0], scope=b[1])


def test_blind_index_depends_on_index_key() -> None:
    first = Vault(ENC_KEY, INDEX_KEY).blind_index("0101901234", scope="s")
    second = Vault(ENC_KEY, bytes(32)).blind_index("0101901234", scope="s")
    assert first != second


def test_blind_index_does_not_contain_value(vault: Vault) -> None:
    assert "0101901234" not in vault.blind_index("0101901234", scope="s")


@pytest.mark.parametrize("scope", ["", "a\x00b"])
def test_blind_index_rejects_ambiguous_scope(vault: Vault, scope: str) -> None:
    with pytest.raises(ValueError):
        vault.blind_index("x", scope=scope)


@pytest.mark.parametrize(("value", "scope"), [(b"x", "s"), ("x", b"s"), (None, "s")])
def test_blind_index_requires_text(vault: Vault, value: object, scope: object) -> None:
    with pytest.raises(TypeError):
        vault.blind_index(value, scope=scope)  # type: ignore[arg-type]


# --- Settings and key generation ---------------------------------------------


def test_generate_key() -> None:
    keys = {generate_key() for _ in range(10)}
    assert len(keys) == 10
    for key in keys:
        assert re.fullmatch(r"[A-Za-z0-9_-]{43}=", key)
        assert len(base64.urlsafe_b64decode(key)) == 32


def test_from_settings_round_trip() -> None:
    old = generate_key()
    token = Vault.from_settings(old, generate_key()).encrypt("0101901234", context=CONTEXT)
    vault = Vault.from_settings(generate_key(), generate_key(), [old])
    assert vault.decrypt(token, context=CONTEXT) == "0101901234"


@pytest.mark.parametrize("padded", [True, False])
def test_from_settings_matches_raw_keys(padded: bool) -> None:
    from_settings = Vault.from_settings(
        b64(ENC_KEY, padded=padded), b64(INDEX_KEY, padded=padded), [b64(OLD_KEY, padded=padded)]
    )
    raw = Vault(ENC_KEY, INDEX_KEY, [OLD_KEY])
    assert from_settings.key_id == raw.key_id
    assert from_settings.blind_index("v", scope="s") == raw.blind_index("v", scope="s")
    assert raw.decrypt(from_settings.encrypt("v", context=CONTEXT), context=CONTEXT) == "v"


def test_from_settings_tolerates_surrounding_whitespace() -> None:
    vault = Vault.from_settings(f" {b64(ENC_KEY)}\n", b64(INDEX_KEY))
    assert vault.key_id == Vault(ENC_KEY, INDEX_KEY).key_id


@pytest.mark.parametrize(
    ("enc", "idx", "old", "name"),
    [
        ("not base64!!", b64(INDEX_KEY), (), "encryption_key_b64"),
        (b64(ENC_KEY).replace("A", "+") + "/", b64(INDEX_KEY), (), "encryption_key_b64"),
        (b64(ENC_KEY)[:-8], b64(INDEX_KEY), (), "encryption_key_b64"),
        (b64(bytes(16)), b64(INDEX_KEY), (), "encryption_key_b64"),
        (b64(bytes(48)), b64(INDEX_KEY), (), "encryption_key_b64"),
        ("", b64(INDEX_KEY), (), "encryption_key_b64"),
        (None, b64(INDEX_KEY), (), "encryption_key_b64"),
        (b64(ENC_KEY), "", (), "index_key_b64"),
        (b64(ENC_KEY), b64(bytes(31)), (), "index_key_b64"),
        (b64(ENC_KEY), "zzzz~zzzz", (), "index_key_b64"),
        (b64(ENC_KEY), b64(INDEX_KEY), (b64(OLD_KEY), "bad key"), r"old_keys_b64\[1\]"),
        (b64(ENC_KEY), b64(INDEX_KEY), (b64(bytes(16)),), r"old_keys_b64\[0\]"),
        (b64(ENC_KEY), b64(INDEX_KEY), b64(OLD_KEY), "old_keys_b64"),
    ],
)
def test_from_settings_errors_name_the_setting_without_the_value(enc: str, idx: str, old: object, name: str) -> None:
    with pytest.raises(ValueError, match=name) as excinfo:
        Vault.from_settings(enc, idx, old)  # type: ignore[arg-type]
    message = str(excinfo.value)
    for value in (enc, idx, *(old if isinstance(old, tuple) else (old,))):
        if value:
            assert value.strip() not in message
            assert value.strip()[:12] not in message
    assert excinfo.value.__cause__ is None


def test_non_canonical_base64_rejected(vault: Vault) -> None:
    # 12 + 1 + 16 = 29 bytes: the last character carries 2 unused bits a lenient decoder ignores.
    token = vault.encrypt("x", context=CONTEXT)
    prefix, last = token[:-1], token[-1]
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    aliases = [c for c in alphabet if c != last and alphabet.index(c) >> 2 == alphabet.index(last) >> 2]
    assert aliases
    for alias in aliases:
        payload = (prefix + alias).split(".")[2]
        assert base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)) == base64.urlsafe_b64decode(
            token.split(".")[2] + "=" * (-len(payload) % 4)
        )
        with pytest.raises(VaultError):
            vault.decrypt(prefix + alias, context=CONTEXT)
