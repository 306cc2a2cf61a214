"""The password in a real Secret Service (gnome-keyring on a private D-Bus session bus)."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
import secretstorage
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from jeepney.wrappers import DBusErrorResponse
from keyring.backends import SecretService
from secretstorage.collection import Collection

from pwtray.settings import KeyringSecrets
from tests.waiting import wait_until

SECRET = "Zq8-x"
SESSION_CONF = Path("/usr/share/dbus-1/session.conf")
SECRETS_NAME = "org.freedesktop.secrets"


def _private_bus_config(folder: Path) -> Path:
    """A session bus that activates nothing: only the daemon this test starts may answer.

    With the standard service folders, the first Secret Service call made before our daemon
    owns its name would start a second gnome-keyring by D-Bus activation — one with a locked,
    password-less login keyring — and the test would wait for a prompt nobody answers.
    """
    config = folder / "session.conf"
    text = SESSION_CONF.read_text().replace("<standard_session_servicedirs />", "")
    config.write_text(text)
    return config


@pytest.fixture
def secret_service(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A session bus and an unlocked gnome-keyring whose files live in ``tmp_path``."""
    for tool in ("dbus-daemon", "gnome-keyring-daemon"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is not installed: run 'sudo scripts/install-system-packages'")
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    config = _private_bus_config(tmp_path)
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={config}", "--nofork", "--print-address=1"],
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
        # First the daemon's bus name (asked of the bus itself, which starts nothing), then its
        # unlocked login keyring as the default collection. Asking keyring sooner makes
        # secretstorage create a collection, which waits for a prompt that never comes here.
        wait_until(lambda: _name_has_owner(address), 30, "gnome-keyring's bus name")
        wait_until(_default_collection_unlocked, 30, "gnome-keyring to unlock its login keyring")
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


def _name_has_owner(address: str) -> bool:
    with open_dbus_connection(address) as connection:
        reply = connection.send_and_get_reply(message_bus.NameHasOwner(SECRETS_NAME), timeout=5)
    return bool(reply.body[0])


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
