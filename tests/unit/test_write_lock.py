"""The database's writer lock: one writer at a time across threads and processes, reentrant within one."""

from __future__ import annotations

import subprocess
import sys
import threading
from pathlib import Path

from pingan.core.db import Database, WriteLock

HOLDER = """
import sys
from pingan.core.db import WriteLock
lock = WriteLock(sys.argv[1])
with lock:
    print("held", flush=True)
    sys.stdin.readline()
"""


def test_another_process_waits_until_the_holder_lets_go(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, path], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None
        assert holder.stdin is not None
        assert holder.stdout.readline().strip() == "held"
        lock = WriteLock(path)
        entered = threading.Event()

        def write() -> None:
            with lock:
                entered.set()

        thread = threading.Thread(target=write, daemon=True)
        thread.start()
        assert not entered.wait(0.5)  # the other process holds it
        holder.stdin.write("\n")
        holder.stdin.flush()
        assert entered.wait(10)  # and it is ours the moment it is let go
        thread.join(10)
        lock.close()
    finally:
        holder.kill()
        holder.wait(10)


def test_threads_take_turns_and_a_writer_may_reenter(tmp_path: Path) -> None:
    lock = WriteLock(str(tmp_path / "p.db"))
    inside = 0
    most = 0
    guard = threading.Lock()

    def write() -> None:
        nonlocal inside, most
        for _ in range(200):
            with lock, lock:  # a writer calling another writer keeps the lock
                with guard:
                    inside += 1
                    most = max(most, inside)
                with guard:
                    inside -= 1

    threads = [threading.Thread(target=write) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert most == 1
    lock.close()


def test_reentry_keeps_the_file_lock_until_the_outermost_exit(tmp_path: Path) -> None:
    path = str(tmp_path / "p.db")
    lock = WriteLock(path)
    probe = [sys.executable, "-c", "import sys,fcntl,pingan.core.db as d,os; fd=os.open(d._lock_path(sys.argv[1]), os.O_RDWR);"
             "fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)", path]  # fmt: skip
    with lock:
        with lock:
            pass
        assert subprocess.run(probe, capture_output=True, check=False).returncode != 0  # still held
    assert subprocess.run(probe, capture_output=True, check=False).returncode == 0  # let go
    lock.close()


def test_one_lock_per_database_shared_by_its_writers(tmp_path: Path) -> None:
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    assert db.write_lock is db.write_lock
    db.dispose()
    memory = Database("sqlite://")
    with memory.write_lock:  # nothing to share with other processes: threads only
        pass
    memory.dispose()
