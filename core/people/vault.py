"""Field-level encryption at rest (AES-256-GCM) and blind indexes (HMAC-SHA256) for personal data."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = ["Vault", "VaultError", "generate_key"]

_TOKEN_VERSION = "v1"
_ENCRYPTION_KEY_BYTES = 32
_MIN_INDEX_KEY_BYTES = 32
_NONCE_BYTES = 12
_TAG_BYTES = 16
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]*={0,2}", re.ASCII)
_KEY_ID_RE = re.compile(r"[0-9a-f]{8}", re.ASCII)


class VaultError(Exception):
    """Raised when a token cannot be decrypted (tampered, wrong context, unknown key or malformed)."""


def generate_key() -> str:
    """Return a new random 32-byte key encoded as urlsafe base64, suitable for the vault settings."""
    return base64.urlsafe_b64encode(os.urandom(_ENCRYPTION_KEY_BYTES)).decode("ascii")


def _key_id(key: bytes) -> str:
    """Return the public identifier of ``key``: the first 8 hex characters of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:8]


def _b64url_encode(data: bytes) -> str:
    """Encode ``data`` as unpadded urlsafe base64."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    """Strictly decode urlsafe base64 with or without padding; raise ValueError if invalid."""
    if not _B64URL_RE.fullmatch(text):
        raise ValueError("not urlsafe base64")
    # urlsafe_b64decode silently drops stray characters, hence the regex above.
    unpadded = text.rstrip("=")
    try:
        return base64.urlsafe_b64decode(unpadded + "=" * (-len(unpadded) % 4))
    except (binascii.Error, ValueError):
        raise ValueError("not urlsafe base64") from None


class Vault:
    """Encrypts personal data at rest and computes blind indexes for equality search.

    Tokens look like ``v1.<keyid>.<base64url(nonce + ciphertext + tag)>``. The
    ``context`` given to :meth:`encrypt` is bound as associated data, so a token
    copied to another row or tenant no longer decrypts.
    """

    def __init__(
        self,
        encryption_key: bytes,
        index_key: bytes,
        old_encryption_keys: Sequence[bytes] = (),
    ) -> None:
        """Create a vault.

        ``encryption_key`` must be 32 bytes (AES-256) and is used for all new
        tokens; ``index_key`` must be at least 32 bytes (HMAC-SHA256).
        ``old_encryption_keys`` are retired 32-byte keys still accepted by
        :meth:`decrypt` during key rotation. Raises ValueError on a wrong
        length and TypeError if a key is not bytes.
        """
        self._check_key("encryption_key", encryption_key, exact=True)
        self._check_key("index_key", index_key, exact=False)
        if isinstance(old_encryption_keys, (bytes, bytearray, str)):
            raise TypeError("old_encryption_keys must be a sequence of keys, not a single key")
        self._index_key = bytes(index_key)
        self._current_id = _key_id(bytes(encryption_key))
        self._ciphers: dict[str, AESGCM] = {self._current_id: AESGCM(bytes(encryption_key))}
        seen: dict[str, bytes] = {self._current_id: bytes(encryption_key)}
        for position, old_key in enumerate(old_encryption_keys):
            self._check_key(f"old_encryption_keys[{position}]", old_key, exact=True)
            key = bytes(old_key)
            key_id = _key_id(key)
            if key_id in seen:
                # The same key listed twice is harmless; two keys sharing an id would be ambiguous.
                if not hmac.compare_digest(seen[key_id], key):
                    raise ValueError(f"old_encryption_keys[{position}] has the same key id as another key")
                continue
            seen[key_id] = key
            self._ciphers[key_id] = AESGCM(key)

    @staticmethod
    def _check_key(name: str, key: object, *, exact: bool) -> None:
        """Validate the type and length of a raw key without revealing it."""
        if not isinstance(key, (bytes, bytearray)):
            raise TypeError(f"{name} must be bytes")
        if exact and len(key) != _ENCRYPTION_KEY_BYTES:
            raise ValueError(f"{name} must be exactly {_ENCRYPTION_KEY_BYTES} bytes, got {len(key)}")
        if not exact and len(key) < _MIN_INDEX_KEY_BYTES:
            raise ValueError(f"{name} must be at least {_MIN_INDEX_KEY_BYTES} bytes, got {len(key)}")

    @classmethod
    def from_settings(
        cls,
        encryption_key_b64: str,
        index_key_b64: str,
        old_keys_b64: Sequence[str] = (),
    ) -> Vault:
        """Create a vault from urlsafe-base64 encoded keys as stored in settings.

        Padding is optional. Raises ValueError naming the offending setting
        (never its value) if a key is missing, not urlsafe base64 or of the
        wrong length.
        """
        if isinstance(old_keys_b64, str):
            raise ValueError("old_keys_b64 must be a sequence of keys, not a single string")
        encryption_key = cls._decode_setting("encryption_key_b64", encryption_key_b64, exact=True)
        index_key = cls._decode_setting("index_key_b64", index_key_b64, exact=False)
        old_keys = [
            cls._decode_setting(f"old_keys_b64[{position}]", value, exact=True)
            for position, value in enumerate(old_keys_b64)
        ]
        return cls(encryption_key, index_key, old_keys)

    @staticmethod
    def _decode_setting(name: str, value: object, *, exact: bool) -> bytes:
        """Decode one base64 key setting, raising ValueError that names but never shows it."""
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"{name} is not set; generate one with core.people.vault.generate_key()")
        try:
            key = _b64url_decode(value.strip())
        except ValueError:
            raise ValueError(f"{name} is not valid urlsafe base64") from None
        if exact and len(key) != _ENCRYPTION_KEY_BYTES:
            raise ValueError(f"{name} must decode to exactly {_ENCRYPTION_KEY_BYTES} bytes, got {len(key)}")
        if not exact and len(key) < _MIN_INDEX_KEY_BYTES:
            raise ValueError(f"{name} must decode to at least {_MIN_INDEX_KEY_BYTES} bytes, got {len(key)}")
        return key

    @property
    def key_id(self) -> str:
        """Return the key id of the current encryption key (safe to log)."""
        return self._current_id

    def encrypt(self, plaintext: str, *, context: bytes) -> str:
        """Encrypt ``plaintext`` with the current key and return an ASCII token.

        ``context`` (non-empty bytes, e.g. tenant, table, column and row id) is
        authenticated but not stored; the same context is required to decrypt.
        Every call uses a fresh random 96-bit nonce, so equal plaintexts give
        different tokens; use :meth:`blind_index` for equality search.
        """
        if not isinstance(plaintext, str):
            raise TypeError("plaintext must be str")
        self._check_context(context)
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self._current_id].encrypt(nonce, plaintext.encode("utf-8"), bytes(context))
        return f"{_TOKEN_VERSION}.{self._current_id}.{_b64url_encode(nonce + sealed)}"

    def decrypt(self, token: str, *, context: bytes) -> str:
        """Decrypt a token produced by :meth:`encrypt` with the same ``context``.

        Tokens made with a key in ``old_encryption_keys`` are accepted too.
        Raises :class:`VaultError` if the token is malformed, was made with an
        unknown key, has been tampered with or the context does not match.
        """
        self._check_context(context)
        if not isinstance(token, str):
            raise VaultError("token must be str")
        parts = token.split(".")
        if len(parts) != 3 or parts[0] != _TOKEN_VERSION or not _KEY_ID_RE.fullmatch(parts[1]):
            raise VaultError("malformed or unsupported vault token")
        cipher = self._ciphers.get(parts[1])
        if cipher is None:
            raise VaultError(f"vault token was encrypted with unknown key {parts[1]}")
        try:
            blob = _b64url_decode(parts[2])
        except ValueError:
            raise VaultError("malformed vault token payload") from None
        # Only the canonical unpadded encoding is accepted, so each ciphertext has exactly one token.
        if len(blob) < _NONCE_BYTES + _TAG_BYTES or _b64url_encode(blob) != parts[2]:
            raise VaultError("malformed vault token payload")
        try:
            plaintext = cipher.decrypt(blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], bytes(context))
        except InvalidTag:
            raise VaultError("vault token failed authentication (tampered or wrong context)") from None
        try:
            return plaintext.decode("utf-8")
        except UnicodeDecodeError:
            raise VaultError("vault token does not contain UTF-8 text") from None

    def needs_reencryption(self, token: str) -> bool:
        """Return True if ``token`` was not made with the current key (for rotation jobs)."""
        parts = token.split(".") if isinstance(token, str) else []
        return len(parts) != 3 or parts[0] != _TOKEN_VERSION or parts[1] != self._current_id

    def blind_index(self, value: str, *, scope: str) -> str:
        """Return a deterministic keyed hash of ``value`` as 64 hex characters.

        ``scope`` (e.g. ``"person.national_id"``) separates indexes so equal
        values in different fields do not collide. Normalise ``value`` first
        (for example with :func:`core.people.national_id.parse`), since only
        exact equality is detected.
        """
        if not isinstance(value, str) or not isinstance(scope, str):
            raise TypeError("value and scope must be str")
        if not scope or "\x00" in scope:
            # The NUL byte separates scope from value, so it must not occur in the scope.
            raise ValueError("scope must be a non-empty string without NUL characters")
        message = scope.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._index_key, message, hashlib.sha256).hexdigest()

    @staticmethod
    def _check_context(context: object) -> None:
        """Require a non-empty bytes context so tokens are always bound to their row."""
        if not isinstance(context, (bytes, bytearray)):
            raise TypeError("context must be bytes")
        if not context:
            raise ValueError("context must not be empty")

    def __repr__(self) -> str:
        """Return a representation showing key ids only, never key material."""
        return f"Vault(key_id={self._current_id!r}, old_key_ids={sorted(set(self._ciphers) - {self._current_id})!r})"
