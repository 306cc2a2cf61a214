"""The password in a real Secret Service (gnome-keyring on a private D-Bus session bus)."""

from __future__ import annotations

import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
import secretstorage
from jeepney.wrappers import DBusErrorResponse
from keyring.backends import SecretService
from secretstorage.collection import Collection

from pwtray.settings import KeyringSecrets

SECRET = "Zq8-x"


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A session bus and an unlocked gnome-keyring whose files live in ``tmp_path``."""
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            message = f"{tool} is not installed (apt-get install dbus gnome-keyring)"
            if os.environ.get("CI"):
                pytest.fail(message)
            pytest.skip(message)
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    bus = subprocess.Popen(
        ["dbus-daemon", "--session", "--nofork", "--print-address=1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    bus.stdout.close()
    env = {**os.environ, "DBUS_SESSION_BUS_ADDRESS": address, "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_RUNTIME_DIR": str(runtime)}  # fmt: skip
    daemon = subprocess.Popen(
        ["gnome-keyring-daemon", "--foreground", "--components=secrets", "--unlock"],
        stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        env=env, text=True,
    )  # fmt: skip
    previous = keyring.get_keyring()
    try:  # the daemons go whatever happens below, a failed wait included
        assert daemon.stdin is not None
        daemon.stdin.write("login-keyring-password")
        daemon.stdin.close()
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        # Wait until the daemon has its bus name and has unlocked the login keyring as the
        # default collection. Asking keyring sooner makes secretstorage create a collection,
        # which waits for a password prompt that never comes on this desktop.
        deadline = time.monotonic() + 15
        while not _default_collection_unlocked():
            if time.monotonic() > deadline:
                pytest.fail("gnome-keyring did not unlock its login keyring in 15 s")
            time.sleep(0.1)
        keyring.set_keyring(SecretService.Keyring())  # type: ignore[no-untyped-call]
        yield tmp_path / "data"
    finally:
        keyring.set_keyring(previous)
        daemon.terminate()
        daemon.wait(10)
        bus.terminate()
        bus.wait(10)


def test_the_password_lives_in_the_secret_service_and_nowhere_in_clear(
    secret_service: Path,
) -> None:
    secrets = KeyringSecrets()
    secrets.set("127.0.0.10", SECRET)
    assert secrets.persistent
    assert KeyringSecrets().get("127.0.0.10") == SECRET  # a new run finds it
    files = [p for p in secret_service.rglob("*") if p.is_file()]
    assert files  # the keyring was written to disk …
    assert all(SECRET.encode() not in p.read_bytes() for p in files)  # … encrypted
    secrets.delete("127.0.0.10")
    assert KeyringSecrets().get("127.0.0.10") is None


def _default_collection_unlocked() -> bool:
    try:
        connection = secretstorage.dbus_init()
    except secretstorage.exceptions.SecretServiceNotAvailableException:
        return False
    try:
        return not Collection(connection).is_locked()  # the "default" alias, never created
    except (secretstorage.exceptions.SecretStorageException, DBusErrorResponse):
        return False
    finally:
        connection.close()
