"""SecretBox and the key file: encryption round trip, one-line errors, a private key file that is reused."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from syncd.adapters.crypto import KEY_FILE_NAME, SecretBox, SecretError, box_for_state_dir, load_or_create_key


def test_encrypt_decrypt_round_trip_and_ciphertext_hides_plaintext() -> None:
    box = SecretBox(Fernet.generate_key())
    token = box.encrypt(b'{"refresh_token": "r-123"}')
    assert b"r-123" not in token
    assert box.decrypt(token) == b'{"refresh_token": "r-123"}'


def test_wrong_key_gives_the_one_line_relink_message() -> None:
    token = SecretBox(Fernet.generate_key()).encrypt(b"x")
    other = SecretBox(Fernet.generate_key(), origin="/var/lib/syncd/secret.key")
    with pytest.raises(SecretError) as exc:
        other.decrypt(token)
    assert str(exc.value) == (
        "cannot decrypt stored tokens: the encryption key changed; restore /var/lib/syncd/secret.key or re-link "
        "the account"
    )


def test_key_ring_rotation() -> None:
    old, new = Fernet.generate_key(), Fernet.generate_key()
    token = SecretBox(old).encrypt(b"secret")
    ring = SecretBox(new + b"," + old)
    assert ring.decrypt(token) == b"secret"
    rotated = ring.rotate(token)
    assert SecretBox(new).decrypt(rotated) == b"secret"
    with pytest.raises(SecretError):
        SecretBox(old).decrypt(rotated)


def test_repr_never_shows_the_key() -> None:
    key = Fernet.generate_key()
    box = SecretBox(key)
    assert key.decode() not in repr(box)
    assert key.decode()[:10] not in repr(box)
    assert "hidden" in repr(box)


def test_key_file_is_created_private_and_reused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    old = os.umask(0)
    try:
        key = load_or_create_key(state, None)
    finally:
        os.umask(old)
    path = state / KEY_FILE_NAME
    assert path.stat().st_mode & 0o777 == 0o600
    assert state.stat().st_mode & 0o777 == 0o700
    Fernet(key)  # a valid key
    assert load_or_create_key(state, None) == key
    assert list(state.iterdir()) == [path]  # no temporary files left behind
    box = box_for_state_dir(state)
    assert SecretBox(key).decrypt(box.encrypt(b"t")) == b"t"


def test_concurrent_first_start_agrees_on_one_key(tmp_path: Path) -> None:
    keys: list[bytes] = []
    barrier = threading.Barrier(8)

    def start() -> None:
        barrier.wait()
        keys.append(load_or_create_key(tmp_path, None))

    threads = [threading.Thread(target=start) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 8
    assert len(set(keys)) == 1
    assert (tmp_path / KEY_FILE_NAME).read_bytes().strip() == keys[0]


def test_configured_key_wins_and_creates_no_file(tmp_path: Path) -> None:
    key = Fernet.generate_key()
    assert load_or_create_key(tmp_path, f" {key.decode()} ") == key
    assert not (tmp_path / KEY_FILE_NAME).exists()


@pytest.mark.parametrize("bad", ["not-a-key", "", "  ,  ", Fernet.generate_key().decode()[:-4]])
def test_malformed_configured_key_is_one_clear_line(tmp_path: Path, bad: str) -> None:
    with pytest.raises(SecretError) as exc:
        load_or_create_key(tmp_path, bad)
    message = str(exc.value)
    assert "\n" not in message
    assert "the configured encryption key" in message
    if bad.strip(" ,"):
        assert bad not in message  # never echo (part of) a secret


def test_malformed_key_file_names_the_file(tmp_path: Path) -> None:
    (tmp_path / KEY_FILE_NAME).write_text("garbage\n")
    with pytest.raises(SecretError, match=f"key file {tmp_path / KEY_FILE_NAME} is malformed"):
        load_or_create_key(tmp_path, None)


def test_unusable_state_dir_is_explained(tmp_path: Path) -> None:
    blocker = tmp_path / "state"
    blocker.write_text("a file, not a directory")
    with pytest.raises(SecretError) as exc:
        load_or_create_key(blocker / "sub", None)
    assert "\n" not in str(exc.value)
    assert str(blocker / "sub") in str(exc.value)
