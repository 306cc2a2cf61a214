"""The NUT network protocol as upsd speaks it (docs/net-protocol.txt, upsd 2.8's server/net*.c).

One request per line; words split on blanks, ``"quoted words"`` with ``\\`` escaping the next
character, ``#`` starting a comment; commands and UPS and variable names match without regard
to case, and replies echo the names as the client wrote them. Replies are one line, or a
``BEGIN LIST … / END LIST …`` block; errors are ``ERR <NAME>``, in the order upsd checks:
arguments, then (for LOGIN, PRIMARY/MASTER, FSD, SET, INSTCMD) USERNAME-REQUIRED and
PASSWORD-REQUIRED first of all, the UPS name, the driver's state (DATA-STALE), then access.

Deliberate differences from upsd, each for a reason:

* read-only: ``SET VAR`` gets ACCESS-DENIED and ``INSTCMD`` CMD-NOT-SUPPORTED, whoever asks;
  with nothing to track, ``GET TRACKING`` says OFF and ``SET TRACKING`` is INVALID-ARGUMENT;
* one NUT user, with upsmon primary rights (LOGIN, PRIMARY/MASTER, FSD); with none set, every
  login is refused (reading needs no login, as with upsd);
* ``STARTTLS`` gets ``ERR FEATURE-NOT-CONFIGURED`` (upsd built with TLS but given no
  certificate); NUT clients then carry on in plain text unless told to insist on TLS;
* a line upsd's parser rejects (``#`` inside quotes, an unclosed quote, a trailing ``\\``) gets
  ``ERR INVALID-ARGUMENT``: upsd stays silent and the client waits for its timeout;
* ``=`` is an ordinary character (upsd's config-file parser makes it a word of its own);
* a primary's ``FSD`` latches as in upsd, but is released once the grid is back and the data
  is fresh: pwtray's computer stays up through the outage, where upsd's host would have been
  shut down and restarted — a latch that outlived the outage would shut every client down
  again as soon as it booted.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from pwtray import __version__
from pwtray.monitor import Snapshot
from pwtray.nut._errors import NutConfigError
from pwtray.nut._variables import (
    DESCRIPTIONS,
    TEXT_VARIABLES,
    Availability,
    LowMarks,
    availability,
    on_battery,
    ups_variables,
)

log = logging.getLogger(__name__)

NETVER = "1.3"  # the protocol version of upsd 2.8 (PRIMARY, PROTVER)
SERVER_INFO = f"pwtray {__version__} NUT server (network protocol {NETVER})"
HELP = "Commands: HELP VER NETVER GET LIST LOGIN LOGOUT USERNAME PASSWORD STARTTLS"
STRING_LENGTH = 64  # what GET TYPE reports for text variables (STRING:n)

Provider = Callable[[], Snapshot | None]


class SyntaxProblem(ValueError):
    """A line no NUT client sends: upsd's parser would have rejected it."""


def split_words(line: str) -> list[str]:
    """The words of one request line, as upsd's parser (common/parseconf.c) reads them."""
    words: list[str] = []
    word: list[str] = []
    in_word = quoted = escaped = False
    for ch in line:
        if escaped:
            escaped = False
            if _printable(ch):
                word.append(ch)
            continue
        if quoted:
            if ch == '"':
                words.append("".join(word))
                word, in_word, quoted = [], False, False
            elif ch == "\\":
                escaped = True
            elif ch == "#":
                raise SyntaxProblem("unescaped # inside quotes")
            elif _printable(ch):
                word.append(ch)
            continue
        if ch == "#":
            break
        if ch.isspace():
            if in_word:
                words.append("".join(word))
                word, in_word = [], False
        elif ch == "\\":
            in_word = escaped = True
        elif ch == '"' and not in_word:
            quoted = True
        elif _printable(ch):
            in_word = True
            word.append(ch)
    if quoted:
        raise SyntaxProblem("unclosed quote")
    if escaped:
        raise SyntaxProblem("backslash at the end of the line")
    if in_word:
        words.append("".join(word))
    return words


def quote(value: str) -> str:
    """A value as upsd sends it: in double quotes, with ``\\``, ``"`` and ``#`` escaped."""
    escaped = "".join(("\\" + ch if ch in '\\"#' else ch) for ch in value if _printable(ch))
    return f'"{escaped}"'


def _printable(ch: str) -> bool:
    return " " <= ch <= "~"  # upsd keeps printable ASCII only (CVE-2012-2944)


@dataclass(frozen=True)
class NutUser:
    """The one NUT login (upsd.users' ``upsmon primary``); the password is from the keyring."""

    username: str
    password: str = field(repr=False)

    def __post_init__(self) -> None:
        check_credential("NUT user name", self.username)
        check_credential("NUT password", self.password)

    def matches(self, username: str | None, password: str | None) -> bool:
        if username is None or password is None:
            return False
        same_user = hmac.compare_digest(username.encode(), self.username.encode())
        same_password = hmac.compare_digest(password.encode(), self.password.encode())
        return same_user and same_password


def check_credential(what: str, value: str) -> None:
    """upsmon sends USERNAME and PASSWORD unquoted: each must be one plain word.

    ``what`` names it in the message (``"NUT password"``); raises NutConfigError.
    """
    if not value:
        raise NutConfigError(f"The {what} is empty.")
    if any(not _printable(ch) or ch.isspace() or ch in '"\\#' for ch in value):
        raise NutConfigError(
            f'The {what} may contain letters, digits and punctuation other than " \\ # — '
            "no spaces or other characters: NUT clients send it as a single plain word."
        )


@dataclass(frozen=True)
class View:
    availability: Availability
    variables: dict[str, str]  # NUT's names (all lower case) -> values; empty unless available


class UpsState:
    """The one UPS this server offers, shared by every connection."""

    def __init__(
        self,
        provider: Provider,
        *,
        name: str,
        description: str,
        marks: LowMarks,
        max_age_s: float,
        wall: Callable[[], float],
        user: NutUser | None,
    ) -> None:
        self.name = name
        self.description = description
        self.marks = marks
        self.max_age_s = max_age_s
        self.user = user
        self.declared_shutdown = False  # pwtray's own decision (an input)
        self.fsd_latched_by: str | None = None  # a NUT primary's FSD command
        self._provider = provider
        self._wall = wall
        self._sessions: set[Session] = set()
        self._cached: tuple[Snapshot, bool, LowMarks, dict[str, str]] | None = None

    # ------------------------------------------------------------------ state
    @property
    def forced_shutdown(self) -> bool:
        return self.declared_shutdown or self.fsd_latched_by is not None

    def view(self) -> View:
        snapshot = self._provider()
        state = availability(snapshot, self._wall(), self.max_age_s)
        if state is not Availability.AVAILABLE or snapshot is None:
            return View(state, {})
        if self.fsd_latched_by is not None and not on_battery(snapshot):
            log.info("the grid is back: the FSD set by %s is released", self.fsd_latched_by)
            self.fsd_latched_by = None
        forced = self.forced_shutdown
        cached = self._cached
        if cached and cached[0] is snapshot and cached[1] == forced and cached[2] == self.marks:
            return View(state, cached[3])
        variables = ups_variables(snapshot, self.marks, forced_shutdown=forced)
        self._cached = (snapshot, forced, self.marks, variables)
        return View(state, variables)

    def is_named(self, name: str) -> bool:
        return name.lower() == self.name.lower()

    # ------------------------------------------------------------------ sessions
    def attach(self, session: Session) -> None:
        self._sessions.add(session)

    def detach(self, session: Session) -> None:
        self._sessions.discard(session)

    @property
    def numlogins(self) -> int:
        return sum(1 for s in self._sessions if s.logged_in)

    def logged_in_addresses(self) -> list[str]:
        return [s.address for s in self._sessions if s.logged_in]


@dataclass
class Reply:
    text: str  # one or more lines, each ending in "\n"
    close: bool = False


def _err(name: str) -> Reply:
    return Reply(f"ERR {name}\n")


def _ok(text: str) -> Reply:
    return Reply(f"{text}\n")


class Session:
    """One client connection's state: its USERNAME, PASSWORD and LOGIN."""

    def __init__(self, ups: UpsState, address: str) -> None:
        self.ups = ups
        self.address = address
        self.username: str | None = None
        self.password: str | None = None
        self.logged_in = False
        self.commands = 0
        self._handlers: dict[str, tuple[Callable[[list[str]], Reply], bool]] = {
            "VER": (self._ver, False),
            "NETVER": (self._netver, False),
            "PROTVER": (self._netver, False),
            "HELP": (self._help, False),
            "STARTTLS": (self._starttls, False),
            "GET": (self._get, False),
            "LIST": (self._list, False),
            "USERNAME": (self._username, False),
            "PASSWORD": (self._password, False),
            "LOGIN": (self._login, True),
            "LOGOUT": (self._logout, False),
            "PRIMARY": (self._primary, True),
            "MASTER": (self._master, True),
            "FSD": (self._fsd, True),
            "SET": (self._set, True),
            "INSTCMD": (self._instcmd, True),
        }

    def handle(self, line: str) -> Reply:
        """One request line (with or without its ``\n``) and the reply to send."""
        self.commands += 1
        try:
            words = split_words(line.removesuffix("\n"))
        except SyntaxProblem:
            return _err("INVALID-ARGUMENT")
        if not words:
            return _err("UNKNOWN-COMMAND")
        handler = self._handlers.get(words[0].upper())
        if handler is None:
            return _err("UNKNOWN-COMMAND")
        run, needs_user = handler
        if needs_user:
            if self.username is None:
                return _err("USERNAME-REQUIRED")
            if self.password is None:
                return _err("PASSWORD-REQUIRED")
        return run(words[1:])

    # ------------------------------------------------------------------ misc
    def _ver(self, args: list[str]) -> Reply:
        return _err("INVALID-ARGUMENT") if args else _ok(SERVER_INFO)

    def _netver(self, args: list[str]) -> Reply:
        return _err("INVALID-ARGUMENT") if args else _ok(NETVER)

    def _help(self, args: list[str]) -> Reply:
        return _err("INVALID-ARGUMENT") if args else _ok(HELP)

    def _starttls(self, _args: list[str]) -> Reply:
        return _err("FEATURE-NOT-CONFIGURED")

    # ------------------------------------------------------------------ GET
    def _get(self, args: list[str]) -> Reply:
        if not args:
            return _err("INVALID-ARGUMENT")
        sub = args[0].upper()
        if sub == "TRACKING":
            return _ok("OFF") if len(args) < 2 else _err("FEATURE-NOT-CONFIGURED")
        if len(args) < 2:
            return _err("INVALID-ARGUMENT")
        upsname = args[1]
        if sub == "NUMLOGINS":
            view = self._view_of(upsname)
            if isinstance(view, Reply):
                return view
            return _ok(f"NUMLOGINS {upsname} {self.ups.numlogins}")
        if sub == "UPSDESC":
            if not self.ups.is_named(upsname):
                return _err("UNKNOWN-UPS")
            return _ok(f"UPSDESC {upsname} {quote(self.ups.description)}")
        if len(args) < 3:
            return _err("INVALID-ARGUMENT")
        name = args[2]
        if sub == "VAR":
            return self._get_var(upsname, name)
        if sub in ("TYPE", "DESC", "CMDDESC"):
            view = self._view_of(upsname)
            if isinstance(view, Reply):
                return view
            if sub == "CMDDESC":
                return _ok(f"CMDDESC {upsname} {name} {quote('Description unavailable')}")
            if sub == "DESC":
                text = DESCRIPTIONS.get(name.lower(), "Description unavailable")
                return _ok(f"DESC {upsname} {name} {quote(text)}")
            if name.lower() not in view.variables:
                return _err("VAR-NOT-SUPPORTED")
            kind = f"STRING:{STRING_LENGTH}" if name.lower() in TEXT_VARIABLES else "NUMBER"
            return _ok(f"TYPE {upsname} {name} {kind}")
        return _err("INVALID-ARGUMENT")

    def _get_var(self, upsname: str, name: str) -> Reply:
        lower = name.lower()
        if lower.startswith("server."):  # upsd answers these whatever the UPS name
            if lower == "server.info":
                return _ok(f"VAR {upsname} {name} {quote(SERVER_INFO)}")
            if lower == "server.version":
                return _ok(f"VAR {upsname} {name} {quote(__version__)}")
            return _err("VAR-NOT-SUPPORTED")
        view = self._view_of(upsname)
        if isinstance(view, Reply):
            return view
        value = view.variables.get(lower)
        if value is None:
            return _err("VAR-NOT-SUPPORTED")
        return _ok(f"VAR {upsname} {name} {quote(value)}")

    # ------------------------------------------------------------------ LIST
    def _list(self, args: list[str]) -> Reply:
        if not args:
            return _err("INVALID-ARGUMENT")
        sub = args[0].upper()
        if sub == "UPS":
            return _block("UPS", [f"UPS {self.ups.name} {quote(self.ups.description)}"])
        if len(args) < 2:
            return _err("INVALID-ARGUMENT")
        upsname = args[1]
        if sub == "CLIENT":
            if not self.ups.is_named(upsname):
                return _err("UNKNOWN-UPS")
            clients = self.ups.logged_in_addresses()
            return _block(f"CLIENT {upsname}", [f"CLIENT {self.ups.name} {a}" for a in clients])
        if sub in ("VAR", "RW", "CMD"):
            view = self._view_of(upsname)
            if isinstance(view, Reply):
                return view
            lines = []
            if sub == "VAR":
                lines = [
                    f"VAR {upsname} {name} {quote(value)}" for name, value in view.variables.items()
                ]
            return _block(f"{sub} {upsname}", lines)  # nothing writable, no commands
        if len(args) < 3:
            return _err("INVALID-ARGUMENT")
        if sub in ("ENUM", "RANGE"):
            view = self._view_of(upsname)
            if isinstance(view, Reply):
                return view
            if args[2].lower() not in view.variables:
                return _err("VAR-NOT-SUPPORTED")
            return _block(f"{sub} {upsname} {args[2]}", [])
        return _err("INVALID-ARGUMENT")

    # ------------------------------------------------------------------ login
    def _username(self, args: list[str]) -> Reply:
        if len(args) != 1:
            return _err("INVALID-ARGUMENT")
        if self.username is not None:
            return _err("ALREADY-SET-USERNAME")
        self.username = args[0]
        return _ok("OK")

    def _password(self, args: list[str]) -> Reply:
        if len(args) != 1:
            return _err("INVALID-ARGUMENT")
        if self.password is not None:
            return _err("ALREADY-SET-PASSWORD")
        self.password = args[0]
        return _ok("OK")

    def _login(self, args: list[str]) -> Reply:
        if len(args) != 1:
            return _err("INVALID-ARGUMENT")
        if self.logged_in:
            return _err("ALREADY-LOGGED-IN")
        if not self.ups.is_named(args[0]):
            return _err("UNKNOWN-UPS")
        if not self._authorised():
            return _err("ACCESS-DENIED")
        self.logged_in = True
        log.info("NUT client %s@%s logged in", self.username, self.address)
        return _ok("OK")

    def _logout(self, args: list[str]) -> Reply:
        if args:
            return _err("INVALID-ARGUMENT")
        return Reply("OK Goodbye\n", close=True)

    def _primary(self, args: list[str]) -> Reply:
        return self._grant(args, "OK PRIMARY-GRANTED")

    def _master(self, args: list[str]) -> Reply:
        return self._grant(args, "OK MASTER-GRANTED")

    def _grant(self, args: list[str], granted: str) -> Reply:
        if len(args) != 1:
            return _err("INVALID-ARGUMENT")
        if not self.ups.is_named(args[0]):
            return _err("UNKNOWN-UPS")
        if not self._authorised():
            return _err("ACCESS-DENIED")
        return _ok(granted)

    def _fsd(self, args: list[str]) -> Reply:
        if len(args) != 1:
            return _err("INVALID-ARGUMENT")
        if not self.ups.is_named(args[0]):
            return _err("UNKNOWN-UPS")
        if not self._authorised():
            return _err("ACCESS-DENIED")
        who = f"{self.username}@{self.address}"
        if self.ups.fsd_latched_by is None:
            log.warning("NUT client %s set forced shutdown (FSD) on %s", who, self.ups.name)
            self.ups.fsd_latched_by = who
        return _ok("OK FSD-SET")

    def _authorised(self) -> bool:
        user = self.ups.user
        return user is not None and user.matches(self.username, self.password)

    # ------------------------------------------------------------------ writes: refused
    def _set(self, args: list[str]) -> Reply:
        if len(args) < 2:
            return _err("INVALID-ARGUMENT")
        if args[0].upper() != "VAR" or len(args) < 4:
            return _err("INVALID-ARGUMENT")  # no SET TRACKING either: nothing to track
        view = self._view_of(args[1])
        return view if isinstance(view, Reply) else _err("ACCESS-DENIED")

    def _instcmd(self, args: list[str]) -> Reply:
        if len(args) < 2:
            return _err("INVALID-ARGUMENT")
        view = self._view_of(args[0])
        return view if isinstance(view, Reply) else _err("CMD-NOT-SUPPORTED")

    # ------------------------------------------------------------------ helpers
    def _view_of(self, upsname: str) -> View | Reply:
        """upsd's ``get_ups_ptr`` + ``ups_available``: fresh data, or the refusal."""
        if not self.ups.is_named(upsname):
            return _err("UNKNOWN-UPS")
        view = self.ups.view()
        if view.availability is not Availability.AVAILABLE:
            return _err(view.availability.value)
        return view


def _block(query: str, lines: list[str]) -> Reply:
    body = "".join(f"{line}\n" for line in lines)
    return Reply(f"BEGIN LIST {query}\n{body}END LIST {query}\n")
