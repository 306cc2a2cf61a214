"""The password in a real Secret Service (gnome-keyring on a private D-Bus session bus), and what
happens when its real prompts (gcr-prompter on a private Xvfb) are cancelled: one prompt, one
clear reason, the session-only fallback."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pwtray.settings import KeyringProblem, KeyringSecrets
from tests.secretservice import collect_leaked_connections, secret_service, x_display

SECRET = "Zq8-x"


def without_a_prompt(call: Callable[[], object]) -> None:
    """``call()`` returns on its own: a second prompt would wait for a user who never comes."""
    worker = threading.Thread(target=call, daemon=True)  # ends when the daemons stop, if stuck
    worker.start()
    worker.join(20)
    assert not worker.is_alive(), "the keyring asked again: a second prompt is waiting"


# keyring leaves the D-Bus connection of a call whose prompt was cancelled to the garbage
# collector (see collect_leaked_connections); only that socket's warning is let through.
pytestmark = pytest.mark.filterwarnings(r"ignore:unclosed <socket\.socket .*raddr=/tmp/dbus-")


@pytest.fixture(autouse=True)
def _leaked_connections() -> Iterator[None]:
    yield
    collect_leaked_connections()


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with x_display() as name:
        yield name


def test_the_password_lives_in_the_secret_service_and_nowhere_in_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with secret_service(tmp_path, monkeypatch, login_password="login-keyring-password") as service:
        secrets = KeyringSecrets()
        secrets.set("127.0.0.10", SECRET)
        assert secrets.persistent
        assert KeyringSecrets().get("127.0.0.10") == SECRET  # a new run finds it
        files = [p for p in service.data.rglob("*") if p.is_file()]
        assert files  # the keyring was written to disk …
        assert all(SECRET.encode() not in p.read_bytes() for p in files)  # … encrypted
        secrets.delete("127.0.0.10")
        assert KeyringSecrets().get("127.0.0.10") is None


def test_no_default_keyring_and_a_cancelled_create_prompt_asks_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, display: str
) -> None:
    """gnome-keyring installed, no login keyring: the first use shows "Choose password for new
    keyring"; the user cancels; pwtray says why and never shows that prompt again this run."""
    with secret_service(tmp_path, monkeypatch, login_password=None, display=display) as service:
        secrets = KeyringSecrets()
        answer: list[str | None] = []
        asking = threading.Thread(target=lambda: answer.append(secrets.get("127.0.0.10")))
        asking.start()  # the prompt waits for the user: pwtray asks from a worker thread
        service.cancel_prompt()
        asking.join(30)
        assert answer == [None]
        assert secrets.problem is KeyringProblem.NO_DEFAULT
        without_a_prompt(lambda: secrets.set("127.0.0.10", SECRET))
        without_a_prompt(lambda: secrets.set("127.0.0.11", "other"))
        assert service.prompts() == []
        assert secrets.get("127.0.0.10") == SECRET  # kept for this session
        assert not list(service.data.rglob("*.keyring"))  # nothing written


def test_a_locked_keyring_whose_unlock_prompt_is_cancelled_asks_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, display: str
) -> None:
    with secret_service(tmp_path, monkeypatch, login_password="login-keyring-password"):
        KeyringSecrets().set("127.0.0.10", SECRET)  # an earlier run stored it
    with secret_service(tmp_path, monkeypatch, login_password=None, display=display) as service:
        secrets = KeyringSecrets()
        answer: list[str | None] = []
        asking = threading.Thread(target=lambda: answer.append(secrets.get("127.0.0.10")))
        asking.start()
        service.cancel_prompt()  # "Authentication required: the login keyring did not get
        asking.join(30)  # unlocked when you logged into your computer" — Cancel
        assert answer == [None]
        assert secrets.problem is KeyringProblem.LOCKED
        without_a_prompt(lambda: secrets.set("127.0.0.10", "typed again"))
        assert service.prompts() == []
        assert secrets.get("127.0.0.10") == "typed again"
