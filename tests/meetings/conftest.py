"""Real services for the mail fault tests: a private redis-server, an SMTP server on loopback
that records what it accepts, and Celery workers run as separate process groups. And, for the
mail tests that need no server, an in-process backend that fails for chosen addresses.

Everything listens on 127.0.0.1 on a spare port and is stopped in the fixture's teardown, also
when the test fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.parser import BytesHeaderParser
from email.policy import default as default_policy
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from django.db import connection

from buurtoverleg.mail import pipeline
from tests.conftest import require_service
from tests.support import FlakyBackend

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).parent / "celery"  # the celery of the environment running the tests
LOOPBACK = "127.0.0.1"
WORKER_OPTIONS = ["--pool", "prefork", "--loglevel", "INFO", "-Q", "celery"]
WORKER_OPTIONS += ["--without-heartbeat", "--without-gossip", "--without-mingle"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], timeout: float, what: str, poll: float = 0.05) -> None:
    """Poll until `condition()` holds; fail with `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"Timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(poll)


# --- A mail backend that fails for chosen addresses, in process ------------------------------


@pytest.fixture
def flaky(monkeypatch: pytest.MonkeyPatch) -> type[FlakyBackend]:
    """The mail pipeline sends through FlakyBackend: set `flaky.failures[address]` to the
    exception that address's delivery raises; `flaky.sent` lists who got their message."""
    FlakyBackend.failures = {}
    FlakyBackend.sent = []

    class Mailers:
        @property
        def default(self) -> FlakyBackend:
            return FlakyBackend()

    monkeypatch.setattr(pipeline, "mailers", Mailers())
    return FlakyBackend


# --- Redis ---------------------------------------------------------------------------------


class RedisServer:
    """A redis-server of our own (no persistence) that can be stopped and started again on the
    same port."""

    def __init__(self, binary: str, port: int, log: Path) -> None:
        self.binary = binary
        self.port = port
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def answers(self) -> bool:
        import redis

        client = redis.Redis(
            host=LOOPBACK, port=self.port, socket_connect_timeout=1, socket_timeout=1
        )
        try:
            return bool(client.ping())
        except redis.RedisError:
            return False
        finally:
            client.close()

    def arguments(self) -> list[str]:
        port = ["--port", str(self.port), "--bind", LOOPBACK]
        return [*port, "--save", "", "--appendonly", "no", "--daemonize", "no"]

    def start(self) -> None:
        assert self.process is None, "already running"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
                [self.binary, *self.arguments()],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        wait_for(self.answers, 10, f"redis-server on port {self.port}")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


@pytest.fixture
def fault_redis(tmp_path: Path) -> Iterator[RedisServer]:
    binary = shutil.which("redis-server")
    require_service("Redis", binary is not None, "there is no redis-server binary on PATH")
    assert binary is not None
    server = RedisServer(binary, free_port(), tmp_path / "redis.log")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def celery_to(fault_redis: RedisServer) -> Iterator[None]:
    """The test process publishes tasks to our redis instead of running them in-process."""
    from buurtoverleg.celery import app

    def reset_pools() -> None:
        # The app pools broker connections for its URL; drop them so the next publish connects
        # to the broker configured now (what Celery itself does after a fork).
        pool: Any = getattr(app, "_pool", None)
        if pool is not None:
            pool.force_close_all()
        vars(app)["_pool"] = None
        if "amqp" in vars(app):
            vars(app.amqp)["_producer_pool"] = None

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager")}
    reset_pools()
    app.conf.update(broker_url=fault_redis.url, task_always_eager=False)
    try:
        yield
    finally:
        reset_pools()
        app.conf.update(saved)


# --- SMTP ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Received:
    recipient: str
    message_id: str


class Recorder:
    """aiosmtpd handler: accepts every message and records recipient and Message-ID, after an
    optional pause (so that a kill lands while a mailing is really half done).

    `after_accept(count)` runs once a message is recorded (the server has it) and before the
    client is told "250 OK": a crash there leaves exactly the message that is in flight.
    """

    def __init__(self) -> None:
        self.delay = 0.0
        self.after_accept: Callable[[int], None] | None = None
        self._lock = threading.Lock()
        self._received: list[Received] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            # If the client dies during this pause the message is never accepted (aiosmtpd
            # cancels the handler), as with a real server.
            await asyncio.sleep(self.delay)
        content = envelope.original_content or b""
        raw = content if isinstance(content, bytes) else content.encode()
        headers = BytesHeaderParser(policy=default_policy).parsebytes(raw)
        message_id = str(headers.get("Message-ID", "")).strip()
        with self._lock:
            self._received.extend(
                Received(recipient.lower(), message_id) for recipient in envelope.rcpt_tos
            )
            count = len(self._received)
        if self.after_accept is not None:
            self.after_accept(count)
        return "250 2.0.0 Message accepted for delivery"

    @property
    def received(self) -> list[Received]:
        with self._lock:
            return list(self._received)

    def count(self) -> int:
        with self._lock:
            return len(self._received)


@dataclass
class SmtpServer:
    port: int
    recorder: Recorder


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    # aiosmtpd logs every SMTP command at INFO: far too much for a failure report.
    log = logging.getLogger("mail.log")
    level = log.level
    log.setLevel(logging.WARNING)
    recorder = Recorder()
    controller = Controller(recorder, hostname=LOOPBACK, port=free_port(), ready_timeout=10)
    controller.start()
    try:
        yield SmtpServer(controller.port, recorder)
    finally:
        controller.stop()
        log.setLevel(level)


# --- Celery workers ------------------------------------------------------------------------


class Worker:
    """`celery worker` in a process group of its own, so a SIGKILL can take all of it."""

    def __init__(self, env: dict[str, str], concurrency: int, log: Path) -> None:
        self.log = log
        self.concurrency = concurrency
        self.name = f"faults-{uuid.uuid4().hex[:8]}@{LOOPBACK}"
        with log.open("ab") as out:
            self.process = subprocess.Popen(  # noqa: S603 (fixed arguments)
                [
                    str(CELERY),
                    "-A",
                    "buurtoverleg",
                    "worker",
                    *WORKER_OPTIONS,
                    "--concurrency",
                    str(concurrency),
                    "-n",
                    self.name,
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.pgid = self.process.pid  # start_new_session: the worker leads its own group

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def wait_ready(self, timeout: float = 30) -> None:
        def ready() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"The worker exited ({self.process.returncode}):\n{self.tail()}")
            return " ready." in self.output()

        wait_for(ready, timeout, f"the Celery worker to be ready:\n{self.tail()}", poll=0.1)

    def alive(self) -> bool:
        """Whether any process of the group still runs (zombies waiting to be reaped don't)."""
        self.process.poll()  # reap the main process if it has exited
        proc = Path("/proc")
        if not proc.is_dir():
            try:
                os.killpg(self.pgid, 0)
            except ProcessLookupError:
                return False
            return True
        for stat in proc.glob("[0-9]*/stat"):
            try:
                # "pid (comm) state ppid pgrp ..."; comm may contain spaces, so split after ")".
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # the process is gone
            if int(fields[2]) == self.pgid and fields[0] != "Z":
                return True
        return False

    def send_kill(self) -> None:
        """SIGKILL the whole process group: the main process and every pool child at once."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.pgid, signal.SIGKILL)

    def kill(self) -> None:
        """SIGKILL the whole process group and wait until all of it is gone."""
        self.send_kill()
        self.process.wait(timeout=10)
        # The children are reaped by init; wait until none of the group is left.
        wait_for(lambda: not self.alive(), 10, "the killed worker's children to go")

    def stop(self) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.kill(self.pgid, signal.SIGTERM)  # warm shutdown of the main process
            deadline = time.monotonic() + 10
            while self.alive() and time.monotonic() < deadline:
                time.sleep(0.05)
        self.kill()


StartWorker = Callable[..., Worker]


def database_url_of_this_test() -> str:
    """The URL of the database this test runs on: the worker must use the same one."""
    params: dict[str, Any] = connection.settings_dict
    user = params.get("USER") or "postgres"
    password = f":{quote(params['PASSWORD'], safe='')}" if params.get("PASSWORD") else ""
    host = params.get("HOST") or LOOPBACK
    port = params.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{params['NAME']}"


@pytest.fixture
def start_worker(
    transactional_db: None,
    postgres: None,
    fault_redis: RedisServer,
    smtp_server: SmtpServer,
    tmp_path: Path,
) -> Iterator[StartWorker]:
    """Start Celery workers on the test database, our redis and our SMTP server; every one
    started is stopped (its whole process group) in teardown."""
    started: list[Worker] = []
    database_url = database_url_of_this_test()

    def start(*, concurrency: int, **settings: str) -> Worker:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("EMAIL_", "MAIL_", "CELERY_", "DJANGO_"))
            and key not in {"DATABASE_URL", "REDIS_URL", "DEBUG"}
        }
        env.update(
            DJANGO_SETTINGS_MODULE="buurtoverleg.settings",
            SECRET_KEY=os.environ.get("SECRET_KEY") or "fault-tests",
            DATABASE_URL=database_url,
            REDIS_URL=fault_redis.url,
            EMAIL_HOST=LOOPBACK,
            EMAIL_PORT=str(smtp_server.port),
            EMAIL_USE_TLS="0",
            EMAIL_TIMEOUT="10",
            LOG_LEVEL="INFO",
            PYTHONUNBUFFERED="1",
            **settings,
        )
        worker = Worker(env, concurrency, tmp_path / f"worker-{len(started) + 1}.log")
        started.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
