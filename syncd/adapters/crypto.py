"""Secrets at rest: platform tokens are encrypted with Fernet before they reach the database.

The key lives outside the database (a 0600 file in the state directory, or configured explicitly) so a leaked
database dump alone does not leak tokens. Several comma-separated keys form a key ring: the first encrypts, all
decrypt, so a key can be rotated without re-linking every account.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import hmac
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cryptography.fernet import MultiFernet

KEY_FILE_NAME = "secret.key"


class SecretError(Exception):
    """A secret could not be loaded or used; the message is one line saying what failed and how to fix it."""


def _parse_keys(raw: bytes | str, *, origin: str) -> list[bytes]:
    text = raw.decode("ascii", errors="replace") if isinstance(raw, bytes) else raw
    parts = [part.strip() for part in text.split(",") if part.strip()]
    if not parts:
        raise SecretError(f"encryption key from {origin} is empty: set a key made by `syncd init` or remove it")
    keys: list[bytes] = []
    for index, part in enumerate(parts, start=1):
        if not part.isascii() or not _well_formed(part.encode("ascii")):
            raise SecretError(
                f"encryption key #{index} from {origin} is malformed (need 32 url-safe base64 bytes, as made by "
                "Fernet.generate_key()): fix the value or remove it to use the key file"
            ) from None
        keys.append(part.encode("ascii"))
    return keys


def _well_formed(key: bytes) -> bool:
    """What `Fernet(key)` accepts (32 url-safe base64 bytes), checked without importing cryptography: a command that
    never decrypts (`syncd status`) still refuses a bad key the same way, without the import (issue 32)."""
    try:
        return len(base64.urlsafe_b64decode(key)) == 32
    except (binascii.Error, ValueError):
        return False


class SecretBox:
    """Encrypts and decrypts small secrets (token JSON). `repr()` never shows a key."""

    __slots__ = ("_keys", "_newest", "_origin", "_ring")

    def __init__(self, keys: bytes | str | Sequence[bytes], *, origin: str = "the configured key") -> None:
        key_list = _parse_keys(keys, origin=origin) if isinstance(keys, bytes | str) else list(keys)
        if not key_list:
            raise SecretError(f"no encryption key given ({origin}): configure one or let syncd create the key file")
        if not all(_well_formed(key) for key in key_list):
            raise ValueError("Fernet key must be 32 url-safe base64-encoded bytes.")
        self._keys = key_list
        self._ring: MultiFernet | None = None  # made on the first encrypt or decrypt
        self._newest = bytes(key_list[0])
        self._origin = origin

    @property
    def _fernet(self) -> MultiFernet:
        if self._ring is None:
            from cryptography.fernet import Fernet, MultiFernet

            self._ring = MultiFernet([Fernet(key) for key in self._keys])
        return self._ring

    def derive(self, purpose: str) -> bytes:
        """A key for one other purpose (signing unsubscribe links), never usable to decrypt: HMAC of the newest key."""
        return hmac.new(self._newest, f"syncd {purpose} v1".encode(), hashlib.sha256).digest()

    @classmethod
    def generate_key(cls) -> bytes:
        from cryptography.fernet import Fernet

        return Fernet.generate_key()

    def encrypt(self, plaintext: bytes) -> bytes:
        return self._fernet.encrypt(plaintext)

    def decrypt(self, token: bytes) -> bytes:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.decrypt(token)
        except InvalidToken:
            raise SecretError(
                f"cannot decrypt stored tokens: the encryption key changed; restore {self._origin} or re-link the "
                "account"
            ) from None

    def rotate(self, token: bytes) -> bytes:
        """Re-encrypt under the newest key (use after putting a new key first in the ring)."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet.rotate(token)
        except InvalidToken:
            raise SecretError(
                f"cannot re-encrypt stored tokens: none of the keys fits; restore {self._origin} or re-link the account"
            ) from None

    def __repr__(self) -> str:
        return f"SecretBox(origin={self._origin!r}, keys=<hidden>)"


def load_or_create_key(state_dir: Path, configured: str | None) -> bytes:
    """The key ring to use: the configured one if given, else `<state_dir>/secret.key`, created 0600 on first use.

    Creation writes a temporary file opened O_CREAT|O_EXCL with mode 0600 (and fchmod, so the umask cannot widen
    it), then hard-links it into place: another process starting at the same moment either wins the link or reads
    the winner's key; nobody ever sees a half-written key.
    """
    if configured is not None:
        return b",".join(_parse_keys(configured, origin="the configured encryption key"))
    path = state_dir / KEY_FILE_NAME
    existing = _read_key_file(path)
    if existing is not None:
        return existing
    try:
        state_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise SecretError(
            f"cannot create state directory {state_dir}: {exc.strerror}; create it for the syncd user or set the "
            "state directory"
        ) from None
    import secrets

    key = SecretBox.generate_key()
    tmp = state_dir / f".{KEY_FILE_NAME}.{os.getpid()}.{secrets.token_hex(4)}"
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as exc:
        raise SecretError(
            f"cannot create key file in {state_dir}: {exc.strerror}; make the directory writable by syncd"
        ) from None
    try:
        os.fchmod(fd, 0o600)
        os.write(fd, key + b"\n")
        os.fsync(fd)
    finally:
        os.close(fd)
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process won the race: use its key
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
    found = _read_key_file(path)
    if found is None:  # pragma: no cover - only if someone deletes the file between link and read
        raise SecretError(f"key file {path} vanished while starting: check what else manages {state_dir}")
    return found


def _read_key_file(path: Path) -> bytes | None:
    try:
        raw = path.read_bytes()
    except (FileNotFoundError, NotADirectoryError):  # the latter: creating the state directory will explain
        return None
    except OSError as exc:
        raise SecretError(f"cannot read key file {path}: {exc.strerror}; give the syncd user read access") from None
    return b",".join(_parse_keys(raw, origin=f"key file {path}"))


def box_for_state_dir(state_dir: Path, configured: str | None = None) -> SecretBox:
    """Convenience: the SecretBox syncd uses, with error messages naming the key file to restore."""
    origin = "the configured encryption key" if configured is not None else str(state_dir / KEY_FILE_NAME)
    return SecretBox(load_or_create_key(state_dir, configured), origin=origin)
