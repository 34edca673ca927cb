"""Time-based one-time passwords (RFC 6238: HMAC-SHA1, 30-second steps, 6 digits)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
import time
from urllib.parse import quote

STEP = 30
DIGITS = 6


def new_secret() -> str:
    """A random 160-bit secret in base32, as authenticator apps expect it."""
    return base64.b32encode(secrets.token_bytes(20)).decode().rstrip("=")


def _code(secret: str, step: int) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8), casefold=True)
    digest = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    number = struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF
    return str(number % 10**DIGITS).zfill(DIGITS)


def code_at(secret: str, when: float) -> str:
    return _code(secret, int(when) // STEP)


def verify(secret: str, code: str, *, now: float | None = None, last_step: int | None = None, window: int = 1) -> int | None:
    """The time step ``code`` matches (allowing ``window`` steps of clock drift), or None.

    A step at or before ``last_step`` is refused, so a code cannot be replayed.
    """
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit() and len(code) == DIGITS):  # "²" is a digit to isdigit
        return None
    current = int(time.time() if now is None else now) // STEP
    for step in range(current - window, current + window + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(_code(secret, step), code):
            return step
    return None


def provisioning_uri(secret: str, account: str, issuer: str = "Samverka") -> str:
    """The otpauth:// address authenticator apps read (from a QR code or typed in)."""
    return (f"otpauth://totp/{quote(issuer)}:{quote(account)}?secret={secret}&issuer={quote(issuer)}"
            f"&algorithm=SHA1&digits={DIGITS}&period={STEP}")
