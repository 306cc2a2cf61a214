"""The vocabulary every layer shares: what kinds of events there are and how serious each is.

A leaf: it imports nothing from pwtray, so the settings (which name event kinds to mute), the
monitor (which raises events) and the app (which acts on them) can all use it without importing
each other.
"""

from __future__ import annotations

import enum


class Severity(enum.IntEnum):
    INFO = 0
    WARNING = 1
    CRITICAL = 2


class EventKind(enum.Enum):
    GRID_OUTAGE = "grid_outage"
    GRID_RESTORED = "grid_restored"
    OFF_GRID_CHOSEN = "off_grid_chosen"  # off grid on purpose: calm, never the outage alarm
    BACK_ON_GRID = "back_on_grid"  # reconnected after off grid by choice
    RESERVE_REACHED = "reserve_reached"
    BATTERY_FULL = "battery_full"
    SOE_BELOW = "soe_below"
    UNREACHABLE = "unreachable"
    BACK_ONLINE = "back_online"
    AUTH_REQUIRED = "auth_required"
    LOCKED_OUT = "locked_out"
    CERTIFICATE_CHANGED = "certificate_changed"
    GATEWAY_STOPPED = "gateway_stopped"
    FIRMWARE_CHANGED = "firmware_changed"
    MODE_CHANGED = "mode_changed"
    RESERVE_CHANGED = "reserve_changed"
    NEW_ALERT = "new_alert"
    RESUMED = "resumed"
    INTERNAL_ERROR = "internal_error"
    HISTORY_FAILING = "history_failing"
    # what pwtray itself did about events (pwtray.core: actions and the shutdown policy)
    ACTION_FAILED = "action_failed"
    SCHEDULE_FAILED = "schedule_failed"  # a scheduled change could not be made
    SCHEDULE_MISSED = "schedule_missed"  # due while this computer slept, too long ago to make
    SHUTDOWN_PENDING = "shutdown_pending"  # the countdown runs: the user may cancel
    SHUTDOWN_CANCELLED = "shutdown_cancelled"
    SHUTDOWN_STARTED = "shutdown_started"  # the countdown ended: shutting down (or a dry run)
    SHUTDOWN_FAILED = "shutdown_failed"  # the system refused or could not be asked


__all__ = ["EventKind", "Severity"]
