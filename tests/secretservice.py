"""A real Secret Service for tests: gnome-keyring on a private D-Bus session bus, and, when a
display is given, GNOME's real prompter (gcr-prompter) showing its "choose a password for the new
keyring" / "unlock the login keyring" windows there, where a test presses Escape like a user.

Nothing is faked: the keyring files live in the test's folder, the prompts are the ones a
desktop user sees, and a cancelled prompt reaches pwtray as the exact exceptions it raises.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import subprocess
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import keyring
import pytest
import secretstorage
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import open_dbus_connection
from jeepney.wrappers import DBusErrorResponse
from keyring.backends import SecretService
from secretstorage.collection import Collection

from tests.waiting import wait_until

SESSION_CONF = Path("/usr/share/dbus-1/session.conf")
SECRETS_NAME = "org.freedesktop.secrets"
PROMPTER = Path("/usr/libexec/gcr-prompter")
PROMPTER_NAMES = ("org.gnome.keyring.SystemPrompter", "org.gnome.keyring.PrivatePrompter")
TOOLS = {"dbus-daemon": "dbus", "gnome-keyring-daemon": "gnome-keyring", "xdotool": "xdotool"}


@dataclass(frozen=True)
class Service:
    address: str  # the private session bus
    data: Path  # where gnome-keyring keeps its keyring files
    display: str | None  # where prompts appear (None: no prompter, a prompt fails at once)

    def prompts(self) -> list[str]:
        """The prompter's windows on screen now (X window ids)."""
        assert self.display is not None
        found = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--class", "gcr-prompter"],
            capture_output=True, text=True, env={**os.environ, "DISPLAY": self.display},
            check=False,
        )  # fmt: skip
        return found.stdout.split()

    def cancel_prompt(self) -> None:
        """Press Escape in the prompt on screen, as a user cancelling it does."""
        assert self.display is not None
        (window,) = wait_until(self.prompts, 30, "the keyring's prompt")
        subprocess.run(
            ["xdotool", "windowfocus", "--sync", window, "key", "Escape"],
            env={**os.environ, "DISPLAY": self.display}, check=True, timeout=30,
        )  # fmt: skip
        wait_until(lambda: not self.prompts(), 30, "the prompt to close")


def collect_leaked_connections() -> None:
    """Free the D-Bus connections keyring leaves open when a prompt is cancelled.

    keyring's Secret Service back-end opens a connection per call and closes it only on success;
    a cancelled prompt leaves it to the garbage collector, whose ResourceWarning would otherwise
    surface in whichever later test happens to collect it. pwtray fails once per session, so
    the app leaks at most one such socket.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ResourceWarning)
        gc.collect()


def need_tools(display: bool) -> None:
    tools = dict(TOOLS) if display else {k: v for k, v in TOOLS.items() if k != "xdotool"}
    missing = sorted({pkg for tool, pkg in tools.items() if shutil.which(tool) is None})
    if display and not PROMPTER.exists():
        missing.append("gcr")
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: run 'sudo scripts/install-system-packages'")


def _bus_config(folder: Path, display: str | None) -> Path:
    """A session bus that activates only the prompter (when there is a display to show it on).

    With the standard service folders, a Secret Service call made before our daemon owns its
    name would start a second gnome-keyring by D-Bus activation, outside the test's folder.
    """
    services = folder / "services"
    services.mkdir(exist_ok=True)
    if display is not None:
        for name in PROMPTER_NAMES:
            (services / f"{name}.service").write_text(
                f"[D-BUS Service]\nName={name}\nExec={PROMPTER}\n"
            )
    config = folder / "session.conf"
    text = SESSION_CONF.read_text().replace(
        "<standard_session_servicedirs />", f"<servicedir>{services}</servicedir>"
    )
    config.write_text(text)
    return config


@contextlib.contextmanager
def secret_service(
    folder: Path,
    monkeypatch: pytest.MonkeyPatch,
    *,
    login_password: str | None,
    display: str | None = None,
) -> Iterator[Service]:
    """gnome-keyring with its files in ``folder``, the keyring library pointed at it.

    ``login_password``: the daemon creates (or unlocks) the "login" keyring with it, which is
    then the default keyring. ``None``: started as on a desktop whose login did not unlock it —
    no default keyring if none was made before, else a locked one; the first use prompts.
    """
    need_tools(display is not None)
    folder.mkdir(parents=True, exist_ok=True)
    runtime = folder / "run"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {**os.environ, "HOME": str(folder), "XDG_DATA_HOME": str(folder / "data"),
           "XDG_RUNTIME_DIR": str(runtime)}  # fmt: skip
    if display is not None:
        env["DISPLAY"] = display  # what the bus passes on to the prompter it starts
    bus = subprocess.Popen(
        ["dbus-daemon", f"--config-file={_bus_config(folder, display)}", "--nofork",
         "--print-address=1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env,
    )  # fmt: skip
    assert bus.stdout is not None
    address = bus.stdout.readline().strip()
    bus.stdout.close()
    env["DBUS_SESSION_BUS_ADDRESS"] = address
    command = ["gnome-keyring-daemon", "--foreground", "--components=secrets"]
    if login_password is not None:
        command.append("--unlock")
    daemon = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, env=env, text=True)  # fmt: skip
    previous = keyring.get_keyring()
    try:  # the daemons go whatever happens below, a failed wait included
        assert daemon.stdin is not None
        if login_password is not None:
            daemon.stdin.write(login_password)
        daemon.stdin.close()
        monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
        # First the daemon's bus name (asked of the bus itself, which starts nothing); with a
        # login password, then its unlocked login keyring as the default collection. Asking
        # keyring sooner makes secretstorage create a collection, which prompts.
        wait_until(lambda: _name_has_owner(address), 30, "gnome-keyring's bus name")
        if login_password is not None:
            wait_until(_default_collection_unlocked, 30, "the unlocked login keyring")
        keyring.set_keyring(SecretService.Keyring())  # type: ignore[no-untyped-call]
        yield Service(address, folder / "data", display)
    finally:
        keyring.set_keyring(previous)
        daemon.terminate()
        daemon.wait(10)
        bus.terminate()
        bus.wait(10)


@contextlib.contextmanager
def x_display() -> Iterator[str]:
    """A private Xvfb for the prompter's windows (1280x720, as a small laptop screen)."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed: run 'sudo scripts/install-system-packages'")
    read_end, write_end = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_end), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
        pass_fds=[write_end], stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write_end)
    try:
        with os.fdopen(read_end) as pipe:
            display = ":" + pipe.readline().strip()
        yield display
    finally:
        xvfb.terminate()
        xvfb.wait(10)


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
