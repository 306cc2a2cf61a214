"""The real desktop the end-to-end tier runs on: ``../shared/desktop/real-desktop.sh``.

Xvfb, a private D-Bus session bus, xfwm4, a real xfce4-panel (its Status Tray hosts
StatusNotifierItems; ``xembed=True`` runs the XEmbed-only ``trayer`` instead) and a real dunst that
logs every notification it receives. Nothing here is a fake: the tests read what dunst printed
and what the X server shows.

:class:`RealDesktop` starts one (on a free display, in its own folder), runs programs inside it,
takes screenshots and parses dunst's log into :class:`DunstNotification` records.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from jeepney import DBusAddress, MessageType, new_method_call
from jeepney.bus_messages import message_bus
from jeepney.io.blocking import DBusConnection, open_dbus_connection

from tests.conftest import SHARED
from tests.waiting import wait_until

SCRIPT = SHARED / "desktop" / "real-desktop.sh"
# What the desktop needs (the script's header); scripts/system-packages.txt installs them all.
TOOLS = {
    "Xvfb": "xvfb",
    "xfce4-panel": "xfce4-panel",
    "xfwm4": "xfwm4",
    "dunst": "dunst",
    "dbus-daemon": "dbus",
    "import": "imagemagick",
    "xdpyinfo": "x11-utils",
    "xsetroot": "x11-xserver-utils",
    "trayer": "trayer",
    "xdotool": "xdotool",
}


class DesktopUnavailableError(RuntimeError):
    """What is missing for the real desktop, and the command that installs it."""


def missing_tools() -> list[str]:
    return sorted({pkg for tool, pkg in TOOLS.items() if shutil.which(tool) is None})


def check_available() -> None:
    if not SCRIPT.is_file():
        raise DesktopUnavailableError(
            f"the real desktop script is not at {SCRIPT}: check out the shared folder beside "
            "this project, or set PWTRAY_SHARED to its location"
        )
    missing = missing_tools()
    if missing:
        raise DesktopUnavailableError(
            f"the real desktop needs {', '.join(missing)}: run "
            "'sudo scripts/install-system-packages' (or deselect this tier with -m 'not desktop')"
        )


@dataclass(frozen=True)
class DunstNotification:
    """One notification as dunst received it (``dunst -print``)."""

    id: int
    appname: str
    summary: str
    body: str
    urgency: str  # "LOW", "NORMAL", "CRITICAL"
    timeout: int
    icon: str
    raw_icon: bool
    actions: dict[str, str]  # action key -> label
    stack_tag: str
    category: str

    @property
    def critical(self) -> bool:
        return self.urgency == "CRITICAL"


_FIELD = re.compile(r"^\t(\w[\w ]*?): ?(.*)$")
_ACTION = re.compile(r'"?([^":]+)"?\s*:\s*"?([^",}]*)"?')


def parse_dunst_log(text: str) -> list[DunstNotification]:
    """Every ``{ … }`` block dunst printed, in order of arrival.

    dunst writes ``key: 'value'`` lines; a quoted value may span lines (a body with newlines)
    and ends at the closing quote.
    """
    records: list[DunstNotification] = []
    block: dict[str, str] | None = None
    key: str | None = None
    for line in text.splitlines():
        if line == "{":
            block, key = {}, None
            continue
        if block is None:
            continue
        if line == "}":
            records.append(_notification(block))
            block, key = None, None
            continue
        match = _FIELD.match(line)
        if match and (key is None or _closed(block[key])):
            key, value = match[1], match[2]
            block[key] = value
        elif key is not None:
            block[key] += "\n" + line
    return records


def _closed(value: str) -> bool:
    return not value.startswith("'") or (len(value) >= 2 and value.endswith("'"))


def _unquote(value: str) -> str:
    if len(value) >= 2 and value.startswith("'") and value.endswith("'"):
        return value[1:-1]
    return value


def _notification(block: Mapping[str, str]) -> DunstNotification:
    actions: dict[str, str] = {}
    raw = block.get("actions", "").strip().strip("{}")
    for part in re.split(r"[,\n]", raw):  # dunst prints one action a line
        match = _ACTION.search(part)
        if match:
            actions[match[1].strip()] = match[2].strip()
    return DunstNotification(
        id=int(block.get("id", "0") or 0),
        appname=_unquote(block.get("appname", "")),
        summary=_unquote(block.get("summary", "")),
        body=_unquote(block.get("body", "")),
        urgency=block.get("urgency", "").strip(),
        timeout=int(block.get("timeout", "0") or 0),
        icon=_unquote(block.get("icon", "")),
        raw_icon=block.get("raw_icon set", "").strip() == "true",
        actions=actions,
        stack_tag=_unquote(block.get("stack_tag", "")),
        category=block.get("category", "").strip(),
    )


X_LOCKS = Path("/tmp")  # noqa: S108 - where X servers keep their lock files and sockets


def _free_display() -> str:
    for number in range(60, 200):
        taken = X_LOCKS / f".X{number}-lock", X_LOCKS / ".X11-unix" / f"X{number}"
        if not any(path.exists() for path in taken):
            return f":{number}"
    raise DesktopUnavailableError("no free X display number between :60 and :199")


# The login keyring's password in a desktop's GNOME Keyring (its files are in the desktop's folder)
LOGIN_KEYRING_PASSWORD = "desktop-login"
DUNSTRC = Path("/etc/xdg/dunst/dunstrc")  # Debian's dunst configuration
# dunst offers a notification's actions in a menu it shows with dmenu; this stand-in "chooses" the
# entry a test names, and keeps what dunst listed.
MENU_PICKER = """#!/bin/sh
lines=$(cat)
printf '%s\\n' "$lines" >> "{run}/menu-lines"
printf '%s\\n' "$lines" | grep -F -m1 -- "$(cat "{run}/menu-choice")"
"""


class SessionBus:
    """A D-Bus connection to the desktop's session bus, to look at what the app shows there."""

    def __init__(self, address: str) -> None:
        self._connection: DBusConnection = open_dbus_connection(bus=address)

    def close(self) -> None:
        self._connection.close()

    def _call(
        self, address: DBusAddress, method: str, signature: str, body: tuple[Any, ...]
    ) -> Any:
        reply = self._connection.send_and_get_reply(
            new_method_call(address, method, signature, body), timeout=5
        )
        if reply.header.message_type is MessageType.error:
            raise LookupError(f"{method}{body}: {reply.body}")
        return reply.body[0]

    def tray_item_of(self, pid: int) -> tuple[str, str] | None:
        """The StatusNotifierItem (bus name, path) that process ``pid`` registered, if any."""
        watcher = DBusAddress("/StatusNotifierWatcher", bus_name="org.kde.StatusNotifierWatcher",
                              interface="org.freedesktop.DBus.Properties")  # fmt: skip
        what = ("org.kde.StatusNotifierWatcher", "RegisteredStatusNotifierItems")
        _, items = self._call(watcher, "Get", "ss", what)
        for item in items:
            bus_name, _, path = item.partition("/")
            with contextlib.suppress(LookupError):  # an item whose app has just gone
                if self.owner_pid(bus_name) == pid:
                    return bus_name, "/" + (path or "StatusNotifierItem")
        return None

    def owner_pid(self, bus_name: str) -> int:
        """The process that owns ``bus_name`` on this bus."""
        reply = self._connection.send_and_get_reply(
            message_bus.GetConnectionUnixProcessID(bus_name), timeout=5
        )
        if reply.header.message_type is MessageType.error:
            raise LookupError(f"no process owns {bus_name}: {reply.body}")
        return int(reply.body[0])

    def item_property(self, item: tuple[str, str], name: str) -> Any:
        bus_name, path = item
        address = DBusAddress(path, bus_name=bus_name, interface="org.freedesktop.DBus.Properties")
        return self._call(address, "Get", "ss", ("org.kde.StatusNotifierItem", name))[1]


class RealDesktop:
    """One running real desktop. Use :func:`real_desktop` to start and stop it.

    ``menu_picker``: dunst runs with Debian's configuration but a stand-in for dmenu, so that
    :meth:`choose_from_menu` can pick a notification's action the way a user does in dunst's menu.
    """

    def __init__(self, base: Path, *, xembed: bool = False, knobs: Mapping[str, str] = {},
                 menu_picker: bool = False) -> None:  # fmt: skip
        self.base = base
        self.xembed = xembed
        self.knobs = dict(knobs)
        self.menu_picker = menu_picker
        self.display = _free_display()
        self.env: dict[str, str] = {}

    @property
    def run_dir(self) -> Path:
        return self.base / "run"

    @property
    def shots_dir(self) -> Path:
        return self.base / "shots"

    def _script_env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DBUS_"))}
        env.pop("DISPLAY", None)
        env.update(DESKTOP_BASE=str(self.base), DESKTOP_DISPLAY=self.display,
                   SHOTS=str(self.shots_dir), **self.knobs)  # fmt: skip
        return env

    def _write_menu_picker(self) -> None:
        if not DUNSTRC.is_file():
            raise DesktopUnavailableError(f"{DUNSTRC} is missing: reinstall the dunst package")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        picker = self.run_dir / "menu-picker"
        picker.write_text(MENU_PICKER.format(run=self.run_dir))
        picker.chmod(0o755)
        config, found = re.subn(r"(?m)^(\s*dmenu\s*=).*$", rf"\1 {picker}", DUNSTRC.read_text())
        if not found:
            raise DesktopUnavailableError(f"{DUNSTRC} has no dmenu setting to replace")
        folder = self.base / "home" / ".config" / "dunst"  # the script's HOME for the desktop
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "dunstrc").write_text(config)

    def up(self) -> None:
        check_available()
        if self.menu_picker:
            self._write_menu_picker()
        command = [str(SCRIPT), "up", *(["--xembed"] if self.xembed else [])]
        result = subprocess.run(
            command,
            env=self._script_env(),
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        if result.returncode != 0:
            self.down()
            raise DesktopUnavailableError(
                f"the real desktop did not start: {result.stderr.strip() or result.stdout}"
            )
        self.env = self._read_env()

    def _read_env(self) -> dict[str, str]:
        env = dict(self._script_env())
        text = (self.run_dir / "env").read_text()
        for match in re.finditer(r"(\w+)=(\S+)", text.replace("export ", "")):
            env[match[1]] = match[2]
        return env

    def down(self) -> None:
        subprocess.run(
            [str(SCRIPT), "down"],
            env=self._script_env(),
            capture_output=True,
            timeout=30,
            check=False,
        )

    # ------------------------------------------------------------------ inside the desktop
    def popen(
        self,
        command: Sequence[str],
        *,
        env: Mapping[str, str] | None = None,
        log: Path | None = None,
    ) -> subprocess.Popen[bytes]:
        """Start ``command`` on this desktop (its DISPLAY, session bus, HOME and XDG folders)."""
        full_env = {**self.env, **(env or {})}
        out = log.open("wb") if log is not None else subprocess.DEVNULL
        try:
            return subprocess.Popen(
                list(command), env=full_env, stdout=out, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )  # fmt: skip
        finally:
            if log is not None and not isinstance(out, int):
                out.close()

    def run(self, command: Sequence[str], timeout_s: float = 30.0) -> str:
        result = subprocess.run(
            list(command),
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=True,
        )
        return result.stdout

    def shot(self, name: str) -> Path:
        """A screenshot of the whole screen, as the X server shows it (PNG)."""
        self.shots_dir.mkdir(parents=True, exist_ok=True)
        path = self.shots_dir / f"{name}.png"
        self.run(["import", "-window", "root", str(path)])
        return path

    def bus(self) -> SessionBus:
        return SessionBus(self.env["DBUS_SESSION_BUS_ADDRESS"])

    @contextlib.contextmanager
    def unlocked_keyring(self, login_password: str = LOGIN_KEYRING_PASSWORD) -> Iterator[None]:
        """GNOME Keyring in this session, its login keyring unlocked as PAM does at login (the
        keyring files live in this desktop's HOME); stopped at the end."""
        daemon = shutil.which("gnome-keyring-daemon")
        if daemon is None:
            raise DesktopUnavailableError(
                "gnome-keyring-daemon is missing: run 'sudo scripts/install-system-packages'"
            )
        subprocess.run(
            [daemon, "--daemonize", "--unlock", "--components=secrets"],
            input=login_password,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        )
        bus = self.bus()

        def owner() -> int:
            with contextlib.suppress(LookupError):
                return bus.owner_pid("org.freedesktop.secrets")
            return 0

        try:
            pid = wait_until(owner, 30, "GNOME Keyring on the session bus")
        finally:
            bus.close()
        try:
            yield
        finally:
            os.kill(pid, signal.SIGTERM)

    def store_password(self, service: str, account: str, password: str) -> None:
        """Put a password in this session's keyring as keyring (and so pwtray) stores it."""
        script = (
            "import keyring, sys; keyring.set_password(sys.argv[1], sys.argv[2], sys.stdin.read())"
        )
        subprocess.run(
            [sys.executable, "-c", script, service, account],
            input=password,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )

    def dunstctl(self, *args: str) -> str:
        return self.run(["dunstctl", *args]).strip()

    def choose_from_menu(self, label: str, *, timeout_s: float = 10.0) -> list[str]:
        """Open dunst's menu of actions (``dunstctl context``) and choose the first entry that
        contains ``label``; returns the entries dunst offered."""
        if not self.menu_picker:
            raise RuntimeError("this desktop was started without menu_picker=True")
        (self.run_dir / "menu-choice").write_text(label)
        lines = self.run_dir / "menu-lines"
        lines.write_text("")
        self.dunstctl("context")
        wait_until(lambda: lines.read_text().strip(), timeout_s, "dunst's menu")
        return lines.read_text().splitlines()

    def notifications(self) -> list[DunstNotification]:
        """Everything dunst has received so far."""
        log = self.run_dir / "dunst.log"
        return parse_dunst_log(log.read_text(errors="replace")) if log.exists() else []

    def wait_for_notification(
        self, summary: str, *, after: int = 0, timeout_s: float = 30.0
    ) -> DunstNotification:
        """The first notification (of those after the first ``after``) with this summary."""

        def found() -> DunstNotification | None:
            return next((n for n in self.notifications()[after:] if n.summary == summary), None)

        try:
            notification = wait_until(found, timeout_s, f"dunst to receive {summary!r}")
        except AssertionError:
            seen = [n.summary for n in self.notifications()[after:]]
            raise AssertionError(f"dunst never received {summary!r}; it received {seen}") from None
        assert notification is not None
        return notification


@contextlib.contextmanager
def real_desktop(
    base: Path, *, xembed: bool = False, knobs: Mapping[str, str] = {}, menu_picker: bool = False
) -> Iterator[RealDesktop]:
    desktop = RealDesktop(base, xembed=xembed, knobs=knobs, menu_picker=menu_picker)
    desktop.up()
    try:
        yield desktop
    finally:
        desktop.down()
