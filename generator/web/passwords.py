"""Passwords: scrypt (memory-hard, in the standard library) with a salt per account, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

N, R, P = 2 ** 14, 8, 1  # 16 MB of memory and some 40 ms per check
KEY_BYTES = 32
SALT_BYTES = 16
MAXMEM = 64 * 1024 * 1024
MIN_LENGTH = 8
MAX_LENGTH = 200  # longer input is refused before hashing (no work for a megabyte "password")
# one-time passwords: no 0/O, 1/l/I, easy to read out over the phone
ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p, maxmem=MAXMEM, dklen=KEY_BYTES)


def hash_password(password: str) -> str:
    """``scrypt$N$r$p$salt$key`` (hex), with a fresh salt."""
    salt = secrets.token_bytes(SALT_BYTES)
    return f"scrypt${N}${R}${P}${salt.hex()}${_derive(password, salt, N, R, P).hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    """True when ``password`` matches ``stored``; as slow for an unknown account (``stored`` None) as for a known."""
    if not isinstance(password, str) or len(password) > MAX_LENGTH:
        password = ""
    try:
        scheme, n, r, p, salt, key = (stored or "").split("$")
        if scheme != "scrypt":
            raise ValueError(scheme)
        n, r, p, salt_b, key_b = int(n), int(r), int(p), bytes.fromhex(salt), bytes.fromhex(key)
    except ValueError:
        _derive(password, b"\0" * SALT_BYTES, N, R, P)  # the same work, so timing tells nothing
        return False
    return hmac.compare_digest(_derive(password, salt_b, n, r, p), key_b)


def one_time_password() -> str:
    """Twelve letters and digits in three groups (``abcd-efgh-jkmn``): about 59 bits."""
    chars = "".join(secrets.choice(ALPHABET) for _ in range(12))
    return "-".join(chars[i:i + 4] for i in range(0, 12, 4))
