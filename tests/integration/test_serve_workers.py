"""`pingan serve --workers 2`: two server processes over one SQLite file, both answering."""

from __future__ import annotations

import json
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
    env = {
        **os.environ,
        "PINGAN_DATABASE_URL": f"sqlite:///{tmp_path / 'p.db'}",
        "PINGAN_MEDIA_DIR": str(tmp_path),
        "PINGAN_LOG_JSON": "true",
    }
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
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
        # Whichever process answers the scrape reports the requests of both (the multiprocess mode).
        for _ in range(4):
            with httpx.Client(timeout=10) as client:
                scraped = client.get(f"http://127.0.0.1:{port}/metrics").text
            assert 'pingan_http_requests_total{method="POST",route="/api/v1/auth/token",status="200"} 6.0' in scraped
        traced = httpx.get(f"{url}/me", headers={"X-Request-ID": "trace-serve-1"}, timeout=10)
        assert traced.headers["x-request-id"] == "trace-serve-1"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(30)
    log = server.stdout.read().decode() if server.stdout else ""
    assert log.count("Started server process") == 2, log
    # JSON lines, and the access line of the traced request carries its id.
    lines = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert lines, log
    assert any(line["request_id"] == "trace-serve-1" and "/api/v1/me" in line["message"] for line in lines), log
