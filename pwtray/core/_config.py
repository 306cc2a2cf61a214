"""The effective configuration of one run: the command line over the settings file over the
defaults, decided in one pure function (``effective``) that knows no Qt and does no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from pwtray.kinds import EventKind
from pwtray.monitor import EventSettings, Retention, Schedule
from pwtray.settings import Settings

DAY_S = 86_400.0
DEMO_FAST_S = 2.0  # the demo polls faster so its story (outage, restore) shows in seconds
DEMO_SPEED = 3.0  # simulated seconds per real second in the demo


@dataclass(frozen=True)
class CliOptions:
    """What the command line says for this run; ``None`` (or empty) = not given."""

    demo: bool = False
    scenarios: tuple[str, ...] = ()
    speed: float = DEMO_SPEED
    host: str | None = None
    fingerprint: str | None = None
    email: str | None = None
    password: str | None = None  # from PWTRAY_PASSWORD, never from an argument
    poll_s: float | None = None
    muted: frozenset[EventKind] = frozenset()
    verbose: bool = False
    instance_key: str | None = None
    nut: str | None = None  # --nut [HOST:]PORT: serve the Powerwall as a UPS for this run


@dataclass(frozen=True)
class Gateway:
    """Where the gateway is and what to trust: enough to build its client."""

    host: str = ""
    fingerprint: str = ""
    email: str = ""

    @property
    def plain(self) -> bool:
        """``http://`` written on purpose (firmware 1.x): nothing to pin, nothing encrypted."""
        return self.host.lower().startswith("http://")

    @property
    def configured(self) -> bool:
        return bool(self.host and (self.fingerprint or self.plain))


@dataclass(frozen=True)
class Display:
    kilo: bool = True
    decimals: int = 1
    reduce_motion: bool = False


@dataclass(frozen=True)
class Config:
    gateway: Gateway
    schedule: Schedule
    events: EventSettings
    muted: frozenset[EventKind]
    retention: Retention
    display: Display = Display()
    demo: bool = False
    speed: float = 1.0  # the simulated clock's, in the demo; 1 otherwise
    sources: dict[str, str] = field(default_factory=dict, compare=False)  # setting -> "cli" …


def effective(settings: Settings, cli: CliOptions = CliOptions()) -> Config:
    """CLI > settings > defaults, for everything a run needs."""
    c = settings.connection
    sources: dict[str, str] = {}

    def pick(name: str, given: str | None, stored: str) -> str:
        sources[name] = "cli" if given else "settings" if stored else "default"
        return given or stored

    gateway = Gateway(
        host=pick("host", cli.host, c.host),
        fingerprint=pick("fingerprint", cli.fingerprint, c.fingerprint),
        email=pick("email", cli.email, c.email),
    )
    speed = cli.speed if cli.demo else 1.0
    if cli.poll_s:
        fast, sources["fast_s"] = cli.poll_s, "cli"
    elif cli.demo:
        fast, sources["fast_s"] = DEMO_FAST_S, "demo"
    else:
        fast, sources["fast_s"] = settings.polling.fast_s, "settings"
    slow = settings.polling.slow_s / speed  # the demo's "every minute" comes sooner
    muted = frozenset(EventKind(k) for k in settings.notifications.muted) | cli.muted
    return Config(
        gateway=gateway,
        schedule=Schedule(fast_s=fast, slow_s=max(fast, slow), rare_s=max(fast, 3600.0 / speed)),
        events=EventSettings(soe_thresholds=tuple(settings.notifications.soe_thresholds)),
        muted=muted,
        retention=Retention(
            raw_s=settings.history.raw_days * DAY_S, minute_s=settings.history.minute_days * DAY_S
        ),
        display=Display(
            kilo=settings.display.kilo,
            decimals=settings.display.decimals,
            reduce_motion=settings.display.reduce_motion,
        ),
        demo=cli.demo,
        speed=speed,
        sources=sources,
    )
