"""The tray app's keyring on Linux: each call made by a child process, against a real Secret
Service (gnome-keyring on a private bus), so that keyring's back-end never loads into the app —
with the same answers, the same reasons and the same single prompt as a call made in-process."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from pwtray.settings import KeyringProblem, KeyringSecrets
from pwtray.settings import _keyring_child as child
from pwtray.settings._secrets import KeyringChildError
from tests.secretservice import collect_leaked_connections, secret_service, x_display
from tests.settings.test_secret_service import without_a_prompt

SECRET = "Zq8-x"
LOGIN = "login-keyring-password"
# What the Secret Service back-end brings into a process that uses it.
BACKEND_MODULES = ("keyring", "secretstorage", "cryptography")

pytestmark = pytest.mark.filterwarnings(r"ignore:unclosed <socket\.socket .*raddr=/tmp/dbus-")


@pytest.fixture(autouse=True)
def _leaked_connections() -> Iterator[None]:
    yield
    collect_leaked_connections()


def test_the_password_goes_through_a_child_and_the_backend_never_loads_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with secret_service(tmp_path, monkeypatch, login_password=LOGIN) as service:
        assert child.ChildKeyring().backend() == "keyring.backends.SecretService.Keyring"
        secrets = KeyringSecrets(separate_process=True)
        secrets.set("127.0.0.10", SECRET)
        assert secrets.persistent
        files = [p for p in service.data.rglob("*") if p.is_file()]
        assert files  # in gnome-keyring's files …
        assert all(SECRET.encode() not in p.read_bytes() for p in files)  # … encrypted
        # A fresh process, as the tray app is: it reads the password and loads no back-end.
        script = (
            "import json, sys\n"
            "from pwtray.settings import KeyringSecrets\n"
            "password = KeyringSecrets(separate_process=True).get('127.0.0.10')\n"
            f"loaded = [m for m in {BACKEND_MODULES!r} if m in sys.modules]\n"
            "print(json.dumps({'found': password == sys.argv[1], 'loaded': loaded}))\n"
        )
        run = subprocess.run(
            [sys.executable, "-c", script, SECRET],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        assert json.loads(run.stdout) == {"found": True, "loaded": []}
        assert SECRET not in run.stdout + run.stderr
        secrets.delete("127.0.0.10")
        secrets.delete("127.0.0.10")  # nothing stored any more: not a failure
        assert secrets.persistent
        assert KeyringSecrets(separate_process=True).get("127.0.0.10") is None


@pytest.fixture(scope="module")
def display() -> Iterator[str]:
    with x_display() as name:
        yield name


def test_a_prompt_cancelled_in_the_child_is_said_once_as_in_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, display: str
) -> None:
    """No login keyring: the child's "choose a password for the new keyring" is cancelled; the
    app hears why and never starts another child (so never shows that prompt again)."""
    with secret_service(tmp_path, monkeypatch, login_password=None, display=display) as service:
        secrets = KeyringSecrets(separate_process=True)
        answer: list[str | None] = []
        asking = threading.Thread(target=lambda: answer.append(secrets.get("127.0.0.10")))
        asking.start()
        service.cancel_prompt()
        asking.join(60)
        assert answer == [None]
        assert secrets.problem is KeyringProblem.NO_DEFAULT
        without_a_prompt(lambda: secrets.set("127.0.0.10", SECRET))
        assert service.prompts() == []
        assert secrets.get("127.0.0.10") == SECRET  # kept for this session
        assert not list(service.data.rglob("*.keyring"))


def test_without_a_secret_service_the_child_says_there_is_no_keyring(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)  # a session without a bus
    with pytest.raises(KeyringChildError) as raised:
        child.ChildKeyring().backend()
    assert raised.value.problem is KeyringProblem.MISSING
    secrets = KeyringSecrets(separate_process=True)
    assert secrets.get("127.0.0.10") is None
    assert secrets.problem is KeyringProblem.MISSING


def test_a_child_that_gives_no_answer_means_a_failed_keyring_and_the_session_fallback(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a child that dies before answering (here: one that cannot import what it should run)
    monkeypatch.setattr(child, "command", lambda: [sys.executable, "-m", "pwtray.no_such"])
    secrets = KeyringSecrets(separate_process=True)
    assert secrets.get("127.0.0.10") is None
    assert secrets.problem is KeyringProblem.FAILED
    secrets.set("127.0.0.10", SECRET)
    assert secrets.get("127.0.0.10") == SECRET


@pytest.mark.parametrize(
    "request_text",
    [
        "",
        "not json",
        '["get"]',
        '{"call": "read", "service": "pwtray", "account": "h"}',
        '{"call": "set", "service": "pwtray", "account": "h"}',
    ],
)
def test_the_child_refuses_a_request_it_cannot_read_in_words(request_text: str) -> None:
    run = subprocess.run(
        [sys.executable, "-m", "pwtray.settings._keyring_child"],
        input=request_text,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert run.returncode == 2
    assert run.stdout == ""
    assert "expected one JSON request on stdin" in run.stderr
