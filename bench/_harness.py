"""Shared machinery for the HTTP benchmarks in bench/, following BENCHMARKS.md (design notes).

Not a benchmark itself. A benchmark script does, roughly:

    with Bench("neighbourhood_page") as bench:
        bench.prepare_database()           # create if missing, migrate, collectstatic
        ... build data with the ORM ...
        with bench.server() as server:     # gunicorn, 3 sync workers, DEBUG off
            ours = Target("ours", server.url("/buurt/x/"))
            bare = Target("bare", server.url(bare_path(size)))
            comparison = bench.alternate(ours, bare, server=server)
    result("x_vs_bare", comparison.ratio, "ratio")

For a logged-in POST: Target(..., method="POST", cookies={**login_cookies(user), **csrf_cookies},
headers=csrf_headers, body="a=1") with `csrf_cookies, csrf_headers = csrf_credentials()`; the
bare view accepts POST too. Distinct users per connection and a body that varies per request:
Target.lua (a request() and a thread_setup(), with as many wrk threads as connections). The
benchmark settings (ROOT_URLCONF = bench_urls, STATIC_ROOT in the work directory) are generated
per run, so bench/ holds no settings module.

Offline benchmarks (mail, PDF) need no wrk: `Bench(name, needs_wrk=False)`. For mail,
`bench.smtp_sink()` starts a counting, discarding aiosmtpd server in a separate process and
points the mail settings at it (call it before `prepare_database`, which sets Django up).
`bench.run_child([...])` runs a fresh Python process with the benchmark's environment, e.g. to
read the peak memory of one task (`child_result({...})` in the child, `peak_rss_mb()`).

Everything runs on 127.0.0.1, every step is bounded in time, and the server's whole process
group is stopped on the way out (also on Ctrl-C, SIGTERM, a failure or the time budget).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import http.client
import json
import os
import pickle
import resource
import secrets
import select
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "bench"
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/buurtoverleg_bench"
HOST = "127.0.0.1"

# BENCHMARKS.md: warm up 3 s, then ours/bare alternated three times, 10 s each.
WARMUP_SECONDS = 3
ROUND_SECONDS = 10
ROUNDS = 3
CONNECTIONS = 20
THREADS = 2
WORKERS = 3

SETTINGS_MODULE = "bench_settings"  # generated per run in the work directory
URLCONF_MODULE = "bench_urls"  # bench/bench_urls.py
BARE_PREFIX = "__bench__/bare/"  # the bare baseline, in bench_urls only
BARE_ROUTE = BARE_PREFIX + "<int:size>/"


def bare_path(size: int) -> str:
    """The bare baseline's URL path: same middleware, a static body of `size` bytes."""
    return f"/{BARE_PREFIX}{size}/"


class BenchError(Exception):
    """A benchmark cannot produce a trustworthy figure; the message says why."""


_started = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _started:6.1f}s] {message}", flush=True)


def result(name: str, value: float, unit: str, digits: int = 3) -> None:
    print(f"RESULT {name} {value:.{digits}f} {unit}", flush=True)


# --------------------------------------------------------------------------------------------
# Database


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_DATABASE_URL


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` if it does not exist yet."""
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    if urlsplit(url).scheme not in {"postgres", "postgresql"}:
        raise BenchError(f"DATABASE_URL must point at PostgreSQL, not {urlsplit(url).scheme!r}")
    params = conninfo_to_dict(url)
    name = params.get("dbname")
    if not name:
        raise BenchError("DATABASE_URL names no database")
    admin = make_conninfo(url, dbname="postgres", connect_timeout=5)
    try:
        with psycopg.connect(admin, autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
            if exists:
                say(f"database {name!r} exists")
            else:
                say(f"creating database {name!r}")
                conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    except psycopg.OperationalError as exc:
        host = f"{params.get('host', '?')}:{params.get('port', '5432')}"
        raise BenchError(f"cannot reach PostgreSQL at {host}: {exc}".strip()) from exc


# --------------------------------------------------------------------------------------------
# HTTP


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes


def fetch(
    url: str,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10,
) -> Response:
    """One request with the standard library; no redirects followed."""
    parts = urlsplit(url)
    if parts.hostname != HOST:
        raise BenchError(f"benchmarks only talk to {HOST}, not {parts.hostname}")
    conn = http.client.HTTPConnection(HOST, parts.port or 80, timeout=timeout)
    try:
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        conn.request(method, target, body=body, headers=headers or {})
        resp = conn.getresponse()
        return Response(resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read())
    finally:
        conn.close()


def _cpu_times() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields[:8]) - idle, sum(fields[:8])


def check_quiet(seconds: float = 2.0) -> None:
    """Measure how busy the CPUs are while we are idle: BENCHMARKS.md says run nothing else."""
    try:
        busy0, total0 = _cpu_times()
        time.sleep(seconds)
        busy1, total1 = _cpu_times()
    except (OSError, ValueError, IndexError):
        return
    share = (busy1 - busy0) / max(total1 - total0, 1)
    say(f"CPU busy with other work before the load: {share:.0%} of {os.cpu_count()} cores")
    if share > 0.2:
        say("WARNING: other processes are using the CPUs; figures will be low and noisy")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------------------------
# Sessions and CSRF for benchmarks of logged-in pages and POSTs (call after prepare_database)


def login_cookies(user: Any, session_data: dict[str, Any] | None = None) -> dict[str, str]:
    """A real session for `user` in the database, as the cookies a browser would send.

    `session_data` is stored in the session too (e.g. the second-factor check's timestamp).
    """
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    if session_data:
        session = client.session
        session.update(session_data)
        session.save()
    return {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}


def csrf_credentials() -> tuple[dict[str, str], dict[str, str]]:
    """(cookies, headers) that pass CsrfViewMiddleware on a POST: the cookie and X-CSRFToken."""
    from django.conf import settings
    from django.http import HttpRequest
    from django.middleware.csrf import get_token

    request = HttpRequest()
    token = get_token(request)  # masked token; the unmasked secret goes into the cookie
    cookies = {settings.CSRF_COOKIE_NAME: request.META["CSRF_COOKIE"]}
    return cookies, {settings.CSRF_HEADER_NAME.removeprefix("HTTP_").replace("_", "-"): token}


# --------------------------------------------------------------------------------------------
# Load with wrk


@dataclass
class Target:
    """What wrk sends: one request, repeated. Cookies become a Cookie header."""

    name: str
    url: str
    method: str = "GET"
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)
    body: bytes | str | None = None
    expected_status: int = 200  # anything else (every non-2xx included) is a failure
    # Extra Lua before the status counting: a request() that varies each request, and
    # thread_setup(thread, n), called for the n-th wrk thread, to give each thread (with as
    # many threads as connections: each connection) its own session (see bench/vote.py).
    lua: str = ""

    def all_headers(self) -> dict[str, str]:
        headers = dict(self.headers)
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        return headers

    def body_bytes(self) -> bytes | None:
        return self.body.encode() if isinstance(self.body, str) else self.body

    def check(self) -> Response:
        """Send the request once and insist on the expected status."""
        response = fetch(self.url, self.method, self.all_headers(), self.body_bytes())
        if response.status != self.expected_status:
            snippet = response.body[:300].decode(errors="replace")
            raise BenchError(
                f"{self.name}: {self.method} {self.url} answered {response.status}, expected "
                f"{self.expected_status}: {snippet}"
            )
        return response


@dataclass
class WrkResult:
    target: str
    requests: int
    seconds: float
    bad_status: int
    first_bad_status: int
    socket_errors: dict[str, int]
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    server_cpu_ms: float | None = None  # gunicorn CPU time per request (master + workers)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def line(self) -> str:
        cpu = f"  gunicorn CPU {self.server_cpu_ms:5.2f} ms/req" if self.server_cpu_ms else ""
        return (
            f"{self.target:<6} {self.rps:8.1f} req/s  p50 {self.p50_ms:6.1f} ms  "
            f"p95 {self.p95_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms{cpu}  ({self.requests} requests)"
        )


def _lua_string(value: str | bytes) -> str:
    data = value.encode() if isinstance(value, str) else value
    out = []
    for byte in data:
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127:
            out.append(char)
        else:
            out.append(f"\\{byte:03d}")
    return '"' + "".join(out) + '"'


# The results travel as one JSON line. Statuses are counted per thread in response(); done()
# runs in the main Lua state and sums the threads' counters through thread:get().
_LUA_COLLECT = """
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  if thread_setup then thread_setup(thread, #threads) end
end
function init(args) bad = 0; first_bad = 0 end
function response(status, headers, body)
  if status ~= EXPECTED then
    bad = bad + 1
    if first_bad == 0 then first_bad = status end
  end
end
function done(summary, latency, requests)
  local total_bad, first = 0, 0
  for _, t in ipairs(threads) do
    total_bad = total_bad + t:get("bad")
    if first == 0 then first = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_RESULT {"requests": %.0f, "duration_us": %.0f, "bad": %.0f, "first_bad": %.0f, '
    .. '"connect": %.0f, "read": %.0f, "write": %.0f, "timeout": %.0f, '
    .. '"p50_us": %.0f, "p95_us": %.0f, "p99_us": %.0f, "max_us": %.0f}\\n',
    summary.requests, summary.duration, total_bad, first, e.connect, e.read, e.write,
    e.timeout, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    latency.max))
end
"""


def wrk_script(target: Target) -> str:
    """The Lua for one target: method, headers (cookies included), body, status counting."""
    lines = ["-- generated by bench/_harness.py", f"wrk.method = {_lua_string(target.method)}"]
    body = target.body_bytes()
    if body is not None:
        lines.append(f"wrk.body = {_lua_string(body)}")
    for name, value in target.all_headers().items():
        lines.append(f"wrk.headers[{_lua_string(name)}] = {_lua_string(value)}")
    lines.append(f"EXPECTED = {int(target.expected_status)}")
    return "\n".join(lines) + "\n" + target.lua + "\n" + _LUA_COLLECT


def require_wrk() -> str:
    path = shutil.which("wrk")
    if not path:
        raise BenchError(
            "wrk is not installed: the HTTP benchmarks need it (Debian: apt-get install wrk)"
        )
    return path


def run_wrk(
    target: Target,
    seconds: int,
    workdir: Path,
    connections: int = CONNECTIONS,
    threads: int = THREADS,
    check: bool = True,
    server: Server | None = None,
) -> WrkResult:
    """Load `target` for `seconds` with wrk; with `check`, any bad status or socket error fails.

    With `server`, also measures the server's CPU time per request.
    """
    if urlsplit(target.url).hostname != HOST:
        raise BenchError(f"benchmarks only load {HOST}, not {target.url}")
    script = workdir / f"wrk-{target.name}.lua"
    script.write_text(wrk_script(target))
    command = [
        require_wrk(),
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        "--latency",
        f"--script={script}",
        target.url,
    ]
    cpu_before = server.cpu_seconds() if server else 0.0
    try:
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=seconds + 30, check=False
        )
    except subprocess.TimeoutExpired as exc:
        raise BenchError(f"wrk did not finish within {seconds + 30} s") from exc
    cpu_used = server.cpu_seconds() - cpu_before if server else 0.0
    lines = [ln for ln in done.stdout.splitlines() if ln.startswith("WRK_RESULT ")]
    if done.returncode != 0 or not lines:
        raise BenchError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    data = json.loads(lines[-1].removeprefix("WRK_RESULT "))
    outcome = WrkResult(
        target=target.name,
        requests=int(data["requests"]),
        seconds=data["duration_us"] / 1e6,
        bad_status=int(data["bad"]),
        first_bad_status=int(data["first_bad"]),
        socket_errors={k: int(data[k]) for k in ("connect", "read", "write", "timeout")},
        p50_ms=data["p50_us"] / 1000,
        p95_ms=data["p95_us"] / 1000,
        p99_ms=data["p99_us"] / 1000,
        max_ms=data["max_us"] / 1000,
    )
    if server and outcome.requests:
        outcome.server_cpu_ms = cpu_used * 1000 / outcome.requests
    if check:
        if outcome.bad_status:
            raise BenchError(
                f"{target.name}: {outcome.bad_status} of {outcome.requests} responses had a "
                f"status other than {target.expected_status} (first: "
                f"{outcome.first_bad_status}); errors are failures, not throughput"
            )
        if any(outcome.socket_errors.values()):
            raise BenchError(f"{target.name}: socket errors under load: {outcome.socket_errors}")
        if not outcome.requests:
            raise BenchError(f"{target.name}: wrk completed no requests")
    return outcome


@dataclass
class Comparison:
    ours: list[WrkResult]
    bare: list[WrkResult]

    @property
    def ours_rps(self) -> float:
        return statistics.median(r.rps for r in self.ours)

    @property
    def bare_rps(self) -> float:
        return statistics.median(r.rps for r in self.bare)

    @property
    def ratio(self) -> float:
        return self.ours_rps / self.bare_rps

    @property
    def ours_p95_ms(self) -> float:
        return statistics.median(r.p95_ms for r in self.ours)

    @property
    def cpu_ratio(self) -> float | None:
        """Bare's gunicorn CPU per request over ours: a cross-check that other load skews less."""
        ours = [r.server_cpu_ms for r in self.ours if r.server_cpu_ms]
        bare = [r.server_cpu_ms for r in self.bare if r.server_cpu_ms]
        if not ours or not bare:
            return None
        return statistics.median(bare) / statistics.median(ours)


# --------------------------------------------------------------------------------------------
# Child processes and memory

_CHILD = "CHILD_RESULT "
# Bench.run_child's go-between (about 10 MB): it forks the real child, which dies with it.
_LAUNCHER = """
import ctypes, signal, subprocess, sys
def die_with_parent():
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)
sys.exit(subprocess.call(sys.argv[1:], preexec_fn=die_with_parent))
"""


def child_result(data: dict[str, Any]) -> None:
    """In a process started by Bench.run_child: hand `data` back to the parent."""
    print(_CHILD + json.dumps(data), flush=True)


def peak_rss_mb() -> float:
    """This process's peak resident memory so far (Linux reports ru_maxrss in KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --------------------------------------------------------------------------------------------
# A local SMTP server: aiosmtpd in its own process, counting messages and discarding them.
#
# It runs apart from the measured process, so its work never competes for that process's
# GIL. The parent talks to it over stdin/stdout, one line per command:
#   stats           -> {"messages": n, "bytes": b}   (totals since start)
#   record          -> start keeping the messages received from now on (in memory)
#   save <path>     -> pickle the kept [(mail_from, rcpt_tos, content), ...] to path; stop
#   quit


@dataclass
class SinkStats:
    messages: int
    bytes: int


class SmtpSink:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port
        self._buffer = b""

    @classmethod
    def start(cls, timeout: float = 30) -> SmtpSink:
        process = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--smtp-sink"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,  # its errors show in the benchmark's output
            bufsize=0,
            preexec_fn=_die_with_parent,
        )
        sink = cls(process, 0)
        try:
            line = sink._readline(timeout)
            if not line.startswith("READY "):
                raise BenchError(f"SMTP sink did not start: {line!r}")
            sink.port = int(line.split()[1])
        except BaseException:
            sink.stop()
            raise
        return sink

    def _readline(self, timeout: float = 30) -> str:
        assert self.process.stdout is not None
        fd = self.process.stdout.fileno()
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BenchError(f"SMTP sink did not answer within {timeout:.0f} s")
            ready, _, _ = select.select([fd], [], [], left)
            if ready:
                chunk = os.read(fd, 65536)
                if not chunk:
                    raise BenchError(f"SMTP sink exited ({self.process.poll()})")
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def _ask(self, command: str, timeout: float = 60) -> str:
        assert self.process.stdin is not None
        if self.process.poll() is not None:
            raise BenchError(f"SMTP sink exited with {self.process.returncode}")
        self.process.stdin.write(command.encode() + b"\n")
        return self._readline(timeout)

    def stats(self) -> SinkStats:
        data = json.loads(self._ask("stats"))
        return SinkStats(data["messages"], data["bytes"])

    def wait_for(self, messages: int, timeout: float = 10) -> SinkStats:
        """The totals once at least `messages` arrived (the last reply may trail the client)."""
        deadline = time.monotonic() + timeout
        while (stats := self.stats()).messages < messages and time.monotonic() < deadline:
            time.sleep(0.05)
        return stats

    def record(self) -> None:
        self._ask("record")

    def save(self, path: Path) -> list[tuple[str, list[str], bytes]]:
        """The messages received since record(), as (mail_from, rcpt_tos, content)."""
        self._ask(f"save {path}")
        with path.open("rb") as f:
            return pickle.load(f)  # written just now by our own child

    def stop(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(OSError):
                assert self.process.stdin is not None
                self.process.stdin.write(b"quit\n")
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.process.wait(timeout=5)
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None:
                stream.close()


def _smtp_sink_main() -> None:  # runs in the sink's own process
    from aiosmtpd.smtp import SMTP

    class Handler:
        def __init__(self) -> None:
            self.messages = 0
            self.bytes = 0
            self.kept: list[tuple[str, list[str], bytes]] | None = None

        async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:
            self.messages += 1
            self.bytes += len(envelope.original_content)
            if self.kept is not None:
                self.kept.append(
                    (envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content)
                )
            return "250 OK"

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        handler = Handler()
        server = await loop.create_server(
            lambda: SMTP(handler, hostname="bench-sink", loop=loop), HOST, 0
        )
        reader = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
        out = sys.stdout
        out.write(f"READY {server.sockets[0].getsockname()[1]}\n")
        out.flush()
        while line := (await reader.readline()).decode().strip():
            command, _, arg = line.partition(" ")
            if command == "stats":
                reply = json.dumps({"messages": handler.messages, "bytes": handler.bytes})
            elif command == "record":
                handler.kept, reply = [], "ok"
            elif command == "save":
                with open(arg, "wb") as f:
                    pickle.dump(handler.kept or [], f)
                handler.kept, reply = None, "ok"
            elif command == "quit":
                break
            else:
                reply = f"unknown command {command!r}"
            out.write(reply + "\n")
            out.flush()
        server.close()

    asyncio.run(serve())


# --------------------------------------------------------------------------------------------
# gunicorn


def _die_with_parent() -> None:  # runs in the child between fork and exec
    os.setsid()  # own process group, so the master and its workers stop together
    with contextlib.suppress(Exception):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def url(self, path: str) -> str:
        return f"http://{HOST}:{self.port}{path}"

    def cpu_seconds(self) -> float:
        """User + system CPU time of the server's process group so far (Linux /proc)."""
        ticks = 0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except (OSError, IndexError):
                continue  # gone meanwhile
            if int(fields[2]) == self.process.pid:  # fields[2] is the process group
                ticks += int(fields[11]) + int(fields[12])  # utime, stime
        return ticks / os.sysconf("SC_CLK_TCK")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def wait_ready(self, path: str = "/health/", timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        last = ""
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise BenchError(
                    f"gunicorn exited with {self.process.returncode}:\n{self.log_tail()}"
                )
            try:
                response = fetch(self.url(path), timeout=2)
            except OSError as exc:
                last = str(exc)
            else:
                if response.status == 200:
                    return
                last = f"{response.status}: {response.body[:200]!r}"
            time.sleep(0.2)
        raise BenchError(f"gunicorn not ready after {timeout:.0f} s ({last}):\n{self.log_tail()}")

    def stop(self) -> None:
        """SIGTERM the whole process group, SIGKILL what is left after 10 s, and reap."""
        pgid = self.process.pid
        for sig, grace in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
            try:
                os.killpg(pgid, sig)
            except ProcessLookupError:
                break
            deadline = time.monotonic() + grace
            while time.monotonic() < deadline:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    self.process.wait(timeout=0.1)
                try:
                    os.killpg(pgid, 0)  # anyone left in the group (workers)?
                except ProcessLookupError:
                    return
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(timeout=5)


# --------------------------------------------------------------------------------------------
# The run


class Bench:
    """One benchmark run: environment, work directory, time budget and guaranteed cleanup."""

    def __init__(self, name: str, budget_seconds: int = 600, *, needs_wrk: bool = True) -> None:
        self.name = name
        self.budget_seconds = budget_seconds
        self.needs_wrk = needs_wrk
        self.database_url = database_url()
        self._stack = contextlib.ExitStack()
        self.workdir = Path(".")
        self.env: dict[str, str] = {}

    # -- lifecycle ----------------------------------------------------------------------------

    def __enter__(self) -> Bench:
        if self.needs_wrk:
            require_wrk()
        for sig in (signal.SIGTERM, signal.SIGHUP):
            signal.signal(sig, self._on_signal)
        signal.signal(signal.SIGALRM, self._on_budget)
        signal.alarm(self.budget_seconds)
        self.workdir = Path(tempfile.mkdtemp(prefix=f"bench-{self.name}-"))
        self._stack.callback(shutil.rmtree, self.workdir, ignore_errors=True)
        try:
            self._write_settings()
        except BaseException:
            self.__exit__()
            raise
        self.env = self._environment()
        os.environ.update(self.env)
        for entry in (str(self.workdir), str(BENCH_DIR), str(REPO)):
            if entry not in sys.path:
                sys.path.insert(0, entry)
        say(f"{self.name}: work directory {self.workdir}, database {self._safe_db_url()}")
        return self

    def __exit__(self, *exc: object) -> None:
        signal.alarm(0)
        self.close_database_connections()
        self._stack.close()

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        print(f"BENCHMARK STOPPED by {signal.Signals(signum).name}", file=sys.stderr, flush=True)
        raise SystemExit(128 + signum)

    def _on_budget(self, _signum: int, _frame: FrameType | None) -> None:
        raise BenchError(f"time budget of {self.budget_seconds} s exceeded")

    def _safe_db_url(self) -> str:
        parts = urlsplit(self.database_url)
        host = parts.hostname or ""
        return f"{parts.scheme}://{parts.username or ''}@{host}:{parts.port or 5432}{parts.path}"

    def _write_settings(self) -> None:
        (self.workdir / "static").mkdir()
        (self.workdir / f"{SETTINGS_MODULE}.py").write_text(
            "# Generated by bench/_harness.py for one benchmark run.\n"
            "from buurtoverleg.settings import *  # noqa: F403\n"
            f"ROOT_URLCONF = {URLCONF_MODULE!r}\n"
            f"STATIC_ROOT = {str(self.workdir / 'static')!r}\n"
        )

    def _environment(self) -> dict[str, str]:
        """Production settings, as far as the environment reaches, for parent and gunicorn."""
        return {
            "DJANGO_SETTINGS_MODULE": SETTINGS_MODULE,
            "DATABASE_URL": self.database_url,
            "DEBUG": "0",
            "SECRET_KEY": "bench-only-" + secrets.token_urlsafe(48),
            "ALLOWED_HOSTS": HOST,
            "SECURE_SSL_REDIRECT": "0",  # plain HTTP on 127.0.0.1; no TLS proxy in front
            "SECURE_COOKIES": "0",
            "STATIC_MANIFEST": "1",  # production storage; collectstatic fills STATIC_ROOT
            "REDIS_URL": "",  # no broker or shared cache: tasks in-process, local-memory cache
            "EMAIL_HOST": "",
            "EMAIL_FILE_PATH": str(self.workdir / "mail"),
            "MEDIA_ROOT": str(self.workdir / "media"),
            "LOG_LEVEL": "WARNING",
            "GUNICORN_CMD_ARGS": "",
        }

    # -- database -----------------------------------------------------------------------------

    def prepare_database(self, collectstatic: bool = True) -> None:
        """Create the database if missing, set Django up here, migrate and collect static."""
        ensure_database(self.database_url)
        import django
        from django.core.management import call_command

        django.setup()
        say("migrating")
        try:
            call_command("makemigrations", check=True, dry_run=True, verbosity=0)
        except SystemExit as exc:
            raise BenchError("the models have changes without a migration yet") from exc
        call_command("migrate", interactive=False, verbosity=0)
        if collectstatic:
            say("collecting static files (manifest storage, as in production)")
            call_command("collectstatic", interactive=False, verbosity=0)

    def close_database_connections(self) -> None:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()

    def count_queries(self, path: str, client: Any = None) -> list[str]:
        """The SQL one request runs, in this process (anonymous unless a client is given)."""
        from django.db import connection
        from django.test import Client
        from django.test.utils import CaptureQueriesContext

        client = client or Client(HTTP_HOST=HOST)
        client.get(path)  # warm: first-use queries (content types, ...) do not count
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if response.status_code != 200:
            raise BenchError(f"{path} answered {response.status_code} in-process")
        return [q["sql"] for q in queries.captured_queries]

    # -- mail and child processes -------------------------------------------------------------

    def smtp_sink(self) -> SmtpSink:
        """Start a local SMTP server in its own process and send the app's mail to it.

        Call before prepare_database(): the settings read EMAIL_* when Django is set up.
        """
        sink = SmtpSink.start()
        self._stack.callback(sink.stop)
        mail_env = {"EMAIL_HOST": HOST, "EMAIL_PORT": str(sink.port), "EMAIL_USE_TLS": "0"}
        self.env.update(mail_env)
        os.environ.update(mail_env)
        say(f"SMTP sink (aiosmtpd, separate process {sink.process.pid}) on {HOST}:{sink.port}")
        return sink

    def run_child(self, args: list[str], timeout: float = 300) -> dict[str, Any]:
        """Run `python <args>` afresh with this run's environment; return its child_result().

        It starts through a small launcher process: Linux carries a process's peak memory
        across exec, so a child forked straight from this (large) process would report at
        least our peak as its ru_maxrss.
        """
        env = {
            **os.environ,
            **self.env,
            "PYTHONPATH": os.pathsep.join([str(self.workdir), str(BENCH_DIR), str(REPO)]),
        }
        process = subprocess.Popen(
            [sys.executable, "-c", _LAUNCHER, sys.executable, *args],
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
        try:
            out, err = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise BenchError(f"child {args} did not finish within {timeout:.0f} s") from None
        finally:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        lines = [ln for ln in out.decode(errors="replace").splitlines() if ln.startswith(_CHILD)]
        if process.returncode != 0 or not lines:
            tail = "\n".join(err.decode(errors="replace").splitlines()[-30:])
            raise BenchError(f"child {args} exited with {process.returncode}:\n{tail}")
        return json.loads(lines[-1].removeprefix(_CHILD))

    # -- server -------------------------------------------------------------------------------

    @contextlib.contextmanager
    def server(self, workers: int = WORKERS) -> Iterator[Server]:
        """gunicorn with sync workers on a free port of 127.0.0.1; stopped on the way out."""
        self.close_database_connections()
        port = free_port()
        log = self.workdir / "gunicorn.log"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "--worker-class=sync",
            f"--workers={workers}",
            f"--bind={HOST}:{port}",
            f"--chdir={REPO}",
            f"--pythonpath={BENCH_DIR},{self.workdir}",
            "--timeout=30",
            "--graceful-timeout=5",
            "--log-level=warning",
            f"--error-logfile={log}",
            "buurtoverleg.wsgi:application",
        ]
        say(f"starting gunicorn: {workers} sync workers on {HOST}:{port}")
        env = {**os.environ, **self.env}
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=_die_with_parent,  # single-threaded here, so safe
        )
        server = Server(process, port, log)
        try:
            server.wait_ready()
            say("gunicorn is ready (/health/ answers 200)")
            yield server
        finally:
            say("stopping gunicorn")
            server.stop()

    # -- load ---------------------------------------------------------------------------------

    def alternate(
        self,
        ours: Target,
        bare: Target,
        rounds: int = ROUNDS,
        seconds: int = ROUND_SECONDS,
        warmup: int = WARMUP_SECONDS,
        connections: int = CONNECTIONS,
        threads: int = THREADS,
        server: Server | None = None,
    ) -> Comparison:
        """Warm both up, then ours/bare alternately; every response's status is checked.

        With `server`, each run also reports gunicorn's CPU time per request.
        """
        for target in (ours, bare):
            target.check()
        check_quiet()
        say(f"load: wrk, {connections} connections, {threads} threads")
        for target in (ours, bare):
            say(f"warming up {target.name} for {warmup} s")
            run_wrk(target, warmup, self.workdir, connections, threads)
        comparison = Comparison([], [])
        for i in range(1, rounds + 1):
            for target, bucket in ((ours, comparison.ours), (bare, comparison.bare)):
                outcome = run_wrk(
                    target, seconds, self.workdir, connections, threads, server=server
                )
                bucket.append(outcome)
                say(f"round {i}/{rounds} {outcome.line()}")
        say(
            f"median ours {comparison.ours_rps:.1f} req/s, bare {comparison.bare_rps:.1f} req/s, "
            f"ratio {comparison.ratio:.3f}, ours p95 {comparison.ours_p95_ms:.1f} ms"
        )
        if comparison.cpu_ratio is not None:
            say(
                f"cross-check: bare/ours gunicorn CPU per request = {comparison.cpu_ratio:.3f} "
                "(excludes PostgreSQL and wrk; less sensitive to other load)"
            )
        return comparison


def main(run: Callable[[], None]) -> None:
    """Run a benchmark; a BenchError ends it with its message and exit status 1."""
    try:
        run()
    except BenchError as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
    except KeyboardInterrupt:
        print("BENCHMARK INTERRUPTED", file=sys.stderr, flush=True)
        sys.exit(130)


if __name__ == "__main__":
    if sys.argv[1:] == ["--smtp-sink"]:
        _smtp_sink_main()
    else:
        print("bench/_harness.py holds the benchmarks' shared code; it is not a benchmark.")
