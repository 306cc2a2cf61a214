"""The keyring in a short-lived child process, for the tray app on Linux.

There keyring's Secret Service back-end imports secretstorage and cryptography: 10 MB that would
stay in the long-running app for the one password it reads at start. The tray app asks a child
instead — ``python -m pwtray.settings._keyring_child``, or the bundle's own executable with
``--keyring-child`` — which makes one keyring call and exits.

The child reads one request as JSON on stdin (``{"call": "get" | "set" | "delete", "service",
"account", "password"}``, or ``{"call": "backend"}`` for the self-test), makes the call with
keyring (a prompt it shows waits for the user) and writes one JSON answer on stdout:
``{"password": …}`` for a get, ``{"backend": …}``, ``{}`` for a set or a delete,
``{"problem": <KeyringProblem value>, "error": <exception type>}`` when the keyring failed.
Secrets travel only through those two pipes: never in arguments, the environment, a file or an
error message.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
from typing import Any

from pwtray.settings._secrets import KeyringChildError, KeyringProblem, classify

CHILD_FLAG = "--keyring-child"  # packaging/pwtray_main.py runs main() when given this
CALLS = ("get", "set", "delete", "backend")
REQUEST_LIMIT = ANSWER_LIMIT = 64 * 1024  # bytes; a password or a token is far smaller
# A prompt waits for the user ("unlock the login keyring"): long enough for a person, not forever.
TIMEOUT_S = 15 * 60


def command() -> list[str]:
    """How to start the child: this program again."""
    if getattr(sys, "frozen", False):  # the PyInstaller bundle: its entry point knows the flag
        return [sys.executable, CHILD_FLAG]
    return [sys.executable, "-m", __name__]


class ChildKeyring:
    """keyring's get/set/delete, each made by a child process; failures raise
    :class:`KeyringChildError`. A delete of nothing stored is not a failure."""

    def get(self, service: str, account: str) -> str | None:
        answer = self._call({"call": "get", "service": service, "account": account})
        password = answer.get("password")
        return password if isinstance(password, str) else None

    def set(self, service: str, account: str, password: str) -> None:
        self._call({"call": "set", "service": service, "account": account, "password": password})

    def delete(self, service: str, account: str) -> None:
        self._call({"call": "delete", "service": service, "account": account})

    def backend(self) -> str:
        """The keyring back-end the child would use (for the self-test)."""
        return str(self._call({"call": "backend"}).get("backend"))

    @staticmethod
    def _call(request: dict[str, str]) -> dict[str, Any]:
        try:
            done = subprocess.run(  # noqa: S603 - this program itself, a JSON request on stdin
                command(),
                input=json.dumps(request).encode(),
                capture_output=True,
                timeout=TIMEOUT_S,
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise KeyringChildError(KeyringProblem.FAILED, "no answer in time") from None
        except OSError as exc:
            raise KeyringChildError(KeyringProblem.FAILED, type(exc).__name__) from None
        answer = _answer(done.stdout) if len(done.stdout) <= ANSWER_LIMIT else None
        if answer is None:
            error = f"keyring child exited with {done.returncode} and no answer"
            raise KeyringChildError(KeyringProblem.FAILED, error)
        if "problem" in answer:
            raise KeyringChildError(KeyringProblem(answer["problem"]), str(answer.get("error")))
        return answer


def _answer(output: bytes) -> dict[str, Any] | None:
    try:
        answer = json.loads(output)
    except ValueError:
        return None
    if not isinstance(answer, dict):
        return None
    if "problem" in answer and answer["problem"] not in {p.value for p in KeyringProblem}:
        return None
    return answer


def serve(request: dict[str, Any]) -> dict[str, Any]:
    """Make the call ``request`` asks for; the answer the child writes."""
    import keyring
    from keyring.backends import fail
    from keyring.errors import NoKeyringError, PasswordDeleteError

    call = request["call"]
    try:
        if call == "backend":
            backend = keyring.get_keyring()
            if isinstance(backend, fail.Keyring):
                raise NoKeyringError("no recommended back-end")
            return {"backend": f"{type(backend).__module__}.{type(backend).__name__}"}
        service, account = request["service"], request["account"]
        if call == "get":
            return {"password": keyring.get_password(service, account)}
        if call == "set":
            keyring.set_password(service, account, request["password"])
        else:
            with contextlib.suppress(PasswordDeleteError):  # nothing stored: nothing to do
                keyring.delete_password(service, account)
    except Exception as exc:  # noqa: BLE001 - a back-end may raise anything (see classify)
        return {"problem": classify(exc).value, "error": type(exc).__name__}
    return {}


def main() -> int:
    data = sys.stdin.buffer.read(REQUEST_LIMIT + 1)
    try:
        request = json.loads(data)
        valid = (
            len(data) <= REQUEST_LIMIT
            and isinstance(request, dict)
            and request.get("call") in CALLS
            and (
                request["call"] == "backend"
                or all(isinstance(request.get(key), str) for key in ("service", "account"))
            )
            and (request["call"] != "set" or isinstance(request.get("password"), str))
        )
    except ValueError:
        valid = False
    if not valid:
        print("pwtray keyring child: expected one JSON request on stdin", file=sys.stderr)
        return 2
    sys.stdout.write(json.dumps(serve(request)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
