"""`pingan serve --workers 2`: two server processes over one SQLite file, both answering."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_two_workers_answers_and_signs_in(tmp_path: Path) -> None:
    env = {**os.environ, "PINGAN_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}", "PINGAN_MEDIA_DIR": str(tmp_path)}
    pingan = [sys.executable, "-m", "pingan.cli"]
    subprocess.run([*pingan, "init"], env=env, check=True, capture_output=True, timeout=120)
    subprocess.run(
        [*pingan, "users", "create", "admin", "--role", "admin", "--password", "a-long-enough-password"],
        env=env,
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = _free_port()
    server = subprocess.Popen(
        [*pingan, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v1"
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert server.poll() is None, server.stdout.read() if server.stdout else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        # Both workers sign in and read (new connections land on either process).
        for _ in range(6):
            with httpx.Client(timeout=10) as client:
                token = client.post(
                    f"{url}/auth/token", data={"username": "admin", "password": "a-long-enough-password"}
                )
                assert token.status_code == 200, token.text
                me = client.get(f"{url}/me", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
                assert me.status_code == 200, me.text
                assert me.json()["username"] == "admin"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    log = server.stdout.read().decode() if server.stdout else ""
    assert log.count("Started server process") == 2, log
