"""``dividends serve``, ``dividends village add`` and ``dividends user add`` as a fresh
installation uses them (each in its own process, on a SQLite file of its own)."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from tests.dividends.support import ROOT


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DATABASE_URL", "DIVIDENDS_DEBUG")}
    return {**env, "DATABASE_URL": f"sqlite://{tmp / 'app.sqlite3'}", "DIVIDENDS_LANG": "en", **extra}


def _cli(tmp: Path, *args: str, stdin: str = "", **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "dividends", *args], input=stdin, capture_output=True, text=True,
                          env=_env(tmp, **extra), cwd=tmp, timeout=120)


def test_a_village_and_its_people_are_added_from_the_command_line(tmp_path: Path) -> None:
    """Bootstrap: the first user of an empty database is an administrator, added without signing
    in; after that every command signs in, and naming a user is not enough."""
    root_pw, acc_pw = "the root password", "a long enough password"
    first = _cli(tmp_path, "user", "add", "acc0", "--role", "accountant", "--password-stdin", stdin=acc_pw + "\n")
    assert first.returncode == 2 and "must be an administrator" in first.stderr, first.stderr
    root = _cli(tmp_path, "user", "add", "root", "--role", "admin", "--password-stdin", stdin=root_pw + "\n")
    assert root.returncode == 0 and "root (admin)" in root.stdout, root.stderr
    anonymous = _cli(tmp_path, "village", "add", "V0001", "--county", "C1")
    assert anonymous.returncode == 4 and "sign in" in anonymous.stderr and "Traceback" not in anonymous.stderr
    wrong = _cli(tmp_path, "village", "add", "V0001", "--county", "C1", "--user", "root", "--password-stdin",
                 stdin="not the password\n")
    assert wrong.returncode == 4 and "wrong user name or password" in wrong.stderr
    added = _cli(tmp_path, "village", "add", "V0001", "--county", "C1", "--name", "东村", "--contact-phone", "0539-1",
                 "--user", "root", "--password-stdin", stdin=root_pw + "\n")
    assert added.returncode == 0, added.stderr
    user = _cli(tmp_path, "user", "add", "acc1", "--role", "accountant", "--village", "V0001", "--user", "root",
                "--password-stdin", stdin=f"{root_pw}\n{acc_pw}\n")
    assert user.returncode == 0 and "acc1" in user.stdout, user.stderr
    short = _cli(tmp_path, "user", "add", "acc2", "--role", "accountant", "--village", "V0001", "--user", "root",
                 "--password-stdin", stdin=f"{root_pw}\nshort\n")
    assert short.returncode == 2 and "at least 10 characters" in short.stderr
    token = _cli(tmp_path, "user", "token", "office PC", "--user", "acc1", "--password-stdin", stdin=acc_pw + "\n")
    assert token.returncode == 0 and token.stdout.startswith("dvd_"), token.stderr
    refused = _cli(tmp_path, "user", "add", "acc3", "--role", "accountant", "--village", "V0001", "--password-stdin",
                   stdin="a long enough password\n", DIVIDENDS_TOKEN=token.stdout.strip())
    assert refused.returncode == 5 and "may not manage users" in refused.stderr, refused.stderr


def test_serve_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    refused = _cli(tmp_path, "serve", "--port", "1")
    assert refused.returncode != 0 and "SECRET_KEY" in refused.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, httpx.Response]:
    """``dividends serve`` on a free port, once its health check answers. The port is only free
    when picked: a parallel test may take it before the server binds it, so a server that exits
    with "address already in use" is started again on another port."""
    for _ in range(5):
        port = _free_port()
        server = subprocess.Popen([sys.executable, "-m", "dividends", "serve", "--host", "127.0.0.1", "--port", str(port)],
                                  env=_env(tmp_path, SECRET_KEY="k" * 64), cwd=tmp_path, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while True:
            try:
                return server, port, httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
            except httpx.TransportError:
                if server.poll() is not None:
                    break
                if time.monotonic() > deadline:
                    _stop(server)
                    raise AssertionError("the server did not start") from None
                time.sleep(0.2)
        assert server.stderr is not None
        stderr = server.stderr.read().decode()
        server.stderr.close()
        assert "address already in use" in stderr, stderr
    raise AssertionError("no free port in five tries")


def _stop(server: subprocess.Popen[bytes]) -> None:
    os.kill(server.pid, signal.SIGTERM)  # our own child, by its pid
    server.wait(timeout=30)
    if server.stderr:
        server.stderr.close()


def test_serve_migrates_and_answers_health_checks(tmp_path: Path) -> None:
    server, port, response = _serve(tmp_path)
    try:
        assert response.status_code == 200 and response.json() == {"status": "ok"}
        login = httpx.get(f"http://127.0.0.1:{port}/login", timeout=5)
        assert login.status_code == 200 and "Sign in" in login.text  # DIVIDENDS_LANG=en
    finally:
        _stop(server)
    assert ROOT.exists()
