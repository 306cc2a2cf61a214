"""The password in a real Secret Service (gnome-keyring on a private D-Bus session bus), and what
happens when its real prompts (gcr-prompter on a private Xvfb) are cancelled: one prompt, one
clear reason, the session-only fallback."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from pwtray.settings import KeyringProblem, KeyringSecrets, KeyringTokenStore
from tests.secretservice import collect_leaked_connections, secret_service, x_display

SECRET = "Zq8-x"
REFRESH = "NA_3f9c0d8e1b7a4c2f9e6d5b4a3c2f1e0d"
ACCESS = "eyJhbGciOiJSUzI1NiJ9.sim-access.token"


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


def test_the_tesla_tokens_live_in_the_secret_service_and_nowhere_in_clear(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with secret_service(tmp_path, monkeypatch, login_password="login-keyring-password") as service:
        store = KeyringTokenStore(KeyringSecrets())
        store.write_refresh_token(REFRESH)
        store.write_access_token(ACCESS, 1_800_000_000.0)
        assert store.problem is None
        saved = KeyringTokenStore(KeyringSecrets()).read()  # a new run finds them
        assert (saved.refresh_token, saved.access_token) == (REFRESH, (ACCESS, 1_800_000_000.0))
        store.write_refresh_token("NA_rotated")  # replaced in place
        assert KeyringTokenStore(KeyringSecrets()).read().refresh_token == "NA_rotated"
        files = [p for p in service.data.rglob("*") if p.is_file()]
        assert files
        for secret in (REFRESH, "NA_rotated", ACCESS):
            assert all(secret.encode() not in p.read_bytes() for p in files)
        store.clear()  # signing out
        gone = KeyringTokenStore(KeyringSecrets()).read()
        assert (gone.refresh_token, gone.access_token) == (None, None)


def test_after_the_passwords_prompt_is_cancelled_the_tokens_prompt_no_more(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, display: str
) -> None:
    """Unlocking reads the gateway's password first: "Choose password for new keyring", the user
    cancels. Reading the Tesla tokens, signing in (writing them) and signing out then show no
    prompt; the sign-in lasts the session, for the same reason."""
    with secret_service(tmp_path, monkeypatch, login_password=None, display=display) as service:
        secrets = KeyringSecrets()
        asking = threading.Thread(target=lambda: secrets.get("127.0.0.10"))
        asking.start()
        service.cancel_prompt()
        asking.join(30)
        store = KeyringTokenStore(secrets)
        read: list[object] = []
        without_a_prompt(lambda: read.append(store.read()))
        without_a_prompt(lambda: store.write_refresh_token(REFRESH))
        without_a_prompt(lambda: store.write_access_token(ACCESS, 5.0))
        assert service.prompts() == []
        assert store.read().refresh_token == REFRESH  # kept for this session
        without_a_prompt(store.clear)
        assert store.read().refresh_token is None
        assert store.problem is KeyringProblem.NO_DEFAULT
        assert not list(service.data.rglob("*.keyring"))  # nothing written
