"""Access codes for the branches' self-assessment page: generation, parsing, hashing.

A code reads ``K7M2QX9D-ABCD-EFGH-JKMN-PQRS-TVWX``: the first group is the **key id** (8 characters,
40 bits, public: it is stored in clear and names the row, so checking a code is one indexed look-up,
never a scan over all codes); the other five groups are the **secret** (20 characters, 100 bits from
:mod:`secrets`). Only a scrypt digest of the secret is stored, with a random 16-byte salt per code and
the KDF parameters beside it (so they can be raised later without invalidating issued codes).

The alphabet is Crockford's base 32 (no I, L, O, U): what a secretary types from a WeChat message
is read case-insensitively, with dashes and spaces ignored and I/L → 1, O → 0.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
KEY_ID_LENGTH = 8
SECRET_LENGTH = 20
GROUP = 4
# scrypt cost: 16 MiB and ~50 ms per check here — cheap for one visitor, costly for guessing at scale.
SCRYPT_N, SCRYPT_R, SCRYPT_P, DIGEST_BYTES = 2**14, 8, 1, 32
KDF = f"scrypt:n={SCRYPT_N},r={SCRYPT_R},p={SCRYPT_P},len={DIGEST_BYTES}"
_KDF_PATTERN = re.compile(r"^scrypt:n=(\d+),r=(\d+),p=(\d+),len=(\d+)$")
_TYPING = str.maketrans({"I": "1", "L": "1", "O": "0", "-": None, " ": None, "\u3000": None, "_": None})


@dataclass(frozen=True)
class CodeHash:
    kdf: str
    salt: str  # hex
    digest: str  # hex


def new_code() -> tuple[str, str, str]:
    """A fresh code: (code as shown, key id, secret)."""
    key_id = "".join(secrets.choice(ALPHABET) for _ in range(KEY_ID_LENGTH))
    secret = "".join(secrets.choice(ALPHABET) for _ in range(SECRET_LENGTH))
    groups = [secret[i : i + GROUP] for i in range(0, SECRET_LENGTH, GROUP)]
    return "-".join([key_id, *groups]), key_id, secret


def parse_code(text: str | None) -> tuple[str, str] | None:
    """(key id, secret) of what was typed or passed in a link, or None if it cannot be a code."""
    if not text or len(text) > 80:
        return None
    cleaned = text.strip().upper().translate(_TYPING)
    if len(cleaned) != KEY_ID_LENGTH + SECRET_LENGTH or any(ch not in ALPHABET for ch in cleaned):
        return None
    return cleaned[:KEY_ID_LENGTH], cleaned[KEY_ID_LENGTH:]


def _scrypt(secret: str, salt: bytes, kdf: str) -> bytes:
    match = _KDF_PATTERN.match(kdf)
    if match is None:
        raise ValueError(f"unknown kdf {kdf!r}")
    n, r, p, length = map(int, match.groups())
    # UTF-8: a password may hold any character; for a code (ASCII) the bytes are the same as before.
    return hashlib.scrypt(secret.encode("utf-8"), salt=salt, n=n, r=r, p=p, dklen=length, maxmem=256 * 1024 * 1024)


def hash_secret(secret: str) -> CodeHash:
    salt = secrets.token_bytes(16)
    return CodeHash(KDF, salt.hex(), _scrypt(secret, salt, KDF).hex())


def verify_secret(secret: str, stored: CodeHash | None) -> bool:
    """Constant-time check. With ``stored`` None (no such key id) the same work is done and False
    returned, so the answer takes as long whether or not a code with that key id exists."""
    if stored is None:
        _scrypt(secret, b"\0" * 16, KDF)
        return False
    computed = _scrypt(secret, bytes.fromhex(stored.salt), stored.kdf)
    return hmac.compare_digest(computed, bytes.fromhex(stored.digest))
