"""A private OpenSSH sshd on loopback serving SFTP, for the tests and the SFTP benchmark.

``SshdServer`` is a plain class (the benchmark uses it too); the pytest fixtures at the end
wrap it. The server runs as root and serves one local system user (``edisftp``) whose
session is forced into ``internal-sftp`` with ``root`` as its start folder.

System setup it needs (the test setup script does this; so can you, as root)::

    apt-get install -y openssh-server
    useradd -M -s /usr/sbin/nologin edisftp && usermod -p '*' edisftp
"""

from __future__ import annotations

import base64
import fcntl
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator

import pytest

SSHD = "/usr/sbin/sshd"          # sshd refuses to re-exec itself unless started by absolute path
SFTP_USER = "edisftp"
CLIENT_KEYS = ("ed25519", "rsa", "protected", "stranger")   # "stranger" is not authorized
PROTECTED_KEY_PASSPHRASE = "correct horse battery staple"  # guards a throwaway test key only

SETUP_HINT = (
    "the SFTP tests need OpenSSH's sshd and a local user to serve; as root run: "
    "apt-get install -y openssh-server && useradd -M -s /usr/sbin/nologin edisftp "
    "&& usermod -p '*' edisftp")


class SshdSetupError(RuntimeError):
    """The machine lacks what a private sshd needs, or sshd would not start."""


def preflight(user: str | None = None) -> str | None:
    """Say what is missing for a private sshd on this machine, or None when all is there."""
    user = user or SFTP_USER
    if not os.access(SSHD, os.X_OK):
        return f"{SSHD} not found: {SETUP_HINT}"
    try:
        pwd.getpwnam(user)
    except KeyError:
        return f"there is no system user {user!r}: {SETUP_HINT}"
    if os.geteuid() != 0:
        return "the SFTP tests start sshd, which must run as root: run them as root"
    return None


def free_port() -> int:
    """A loopback TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port: int, proc: subprocess.Popen | None = None, timeout: float = 10.0) -> None:
    """Wait until something accepts connections on ``port``; fail early if ``proc`` died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise SshdSetupError(f"sshd exited with status {proc.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.02)
    raise SshdSetupError(f"nothing listens on 127.0.0.1:{port} after {timeout:.0f} s")


def _children(pid: int) -> list[int]:
    """All descendants of ``pid`` (sshd forks a monitor and a session child per connection)."""
    parents: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])   # the name in (...) may hold spaces
        parents.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        kids = parents.get(todo.pop(), [])
        found += kids
        todo += kids
    return found


def _gone(pid: int) -> bool:
    """True when ``pid`` has exited (a zombie awaiting its reaper counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")


def _kill_all(pids: list[int], timeout: float = 5.0) -> None:
    for pid in pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    deadline = time.monotonic() + timeout
    while not all(_gone(pid) for pid in pids):
        if time.monotonic() > deadline:
            raise SshdSetupError(f"sshd processes {pids} did not exit")
        time.sleep(0.01)


def _lock(path: Path, timeout: float = 60.0) -> IO:
    """Hold an exclusive lock on ``path`` (waiting up to ``timeout``); close the file to release."""
    handle = open(path, "a")
    deadline = time.monotonic() + timeout
    while True:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return handle
        except BlockingIOError:
            if time.monotonic() > deadline:
                handle.close()
                raise SshdSetupError(f"{path} stayed locked for {timeout:.0f} s by another run")
            time.sleep(0.05)


def _keygen(path: Path, kind: str, passphrase: str = "") -> None:
    args = ["-t", "rsa", "-b", "2048"] if kind == "rsa" else ["-t", "ed25519"]
    subprocess.run(["ssh-keygen", "-q", *args, "-N", passphrase, "-C", path.name, "-f", str(path)],
                   check=True, stdout=subprocess.DEVNULL)


class SshdServer:
    """One sshd on a free loopback port; can stop, restart, change its host key, drop sessions."""

    def __init__(self, user: str | None = None):
        user = user or SFTP_USER
        problem = preflight(user)
        if problem:
            raise SshdSetupError(problem)
        self.user = user
        self._uid, self._gid = pwd.getpwnam(user)[2:4]
        # Not pytest's tmp_path: /tmp/pytest-of-root is 0700 and sshd reads keys as the user.
        self.dir = Path(tempfile.mkdtemp(prefix="edihub-sshd-"))
        self.dir.chmod(0o755)
        self.root = self.dir / "root"            # the SFTP session starts here
        self.mkdir(".")
        self.port = free_port()
        self._proc: subprocess.Popen | None = None
        self._password_lock: IO | None = None
        self._host_keys = 0
        self._host_key = self._new_host_key()
        self.original_host_key_line = self.host_key_line
        self._rsa_host_key = self.dir / "host_rsa"     # a second host key, never rotated
        _keygen(self._rsa_host_key, "rsa")
        self._make_client_keys()
        os.makedirs("/run/sshd", mode=0o755, exist_ok=True)   # privilege separation dir

    def _new_host_key(self) -> Path:
        self._host_keys += 1
        path = self.dir / f"host_ed25519_{self._host_keys}"
        _keygen(path, "ed25519")
        return path

    def _make_client_keys(self) -> None:
        authorized = []
        for name in CLIENT_KEYS:
            kind = "rsa" if name == "rsa" else "ed25519"
            passphrase = PROTECTED_KEY_PASSPHRASE if name == "protected" else ""
            _keygen(self.client_key(name), kind, passphrase)
            if name != "stranger":
                authorized.append(Path(f"{self.client_key(name)}.pub").read_text())
        (self.dir / "authorized_keys").write_text("".join(authorized))
        (self.dir / "authorized_keys").chmod(0o644)

    def client_key(self, name: str = "ed25519") -> Path:
        """Path of a client private key: ed25519, rsa, protected (has a passphrase), stranger."""
        return self.dir / f"client_{name}"

    @property
    def host_key_line(self) -> str:
        """The current host key as an "ssh-ed25519 AAAA..." line, ready to pin."""
        return " ".join(Path(f"{self._host_key}.pub").read_text().split()[:2])

    @property
    def rsa_host_key_line(self) -> str:
        """The server's RSA host key as an "ssh-rsa AAAA..." line."""
        return " ".join(Path(f"{self._rsa_host_key}.pub").read_text().split()[:2])

    def _write_config(self) -> Path:
        config = self.dir / "sshd_config"
        config.write_text(f"""Port {self.port}
ListenAddress 127.0.0.1
HostKey {self._host_key}
HostKey {self._rsa_host_key}
PidFile {self.dir}/sshd.pid
AuthorizedKeysFile {self.dir}/authorized_keys
StrictModes no
UsePAM no
PubkeyAuthentication yes
PasswordAuthentication yes
PermitEmptyPasswords no
KbdInteractiveAuthentication no
PermitRootLogin no
AllowUsers {self.user}
Subsystem sftp internal-sftp
ForceCommand internal-sftp -d {self.root}
AllowTcpForwarding no
X11Forwarding no
MaxStartups 100
LogLevel VERBOSE
""")
        return config

    def start(self) -> None:
        """Start sshd and wait until it accepts connections."""
        if self.running:
            return
        config = self._write_config()
        check = subprocess.run([SSHD, "-t", "-f", str(config)], capture_output=True, text=True)
        if check.returncode:
            raise SshdSetupError(f"sshd rejects its config: {check.stderr.strip()}")
        with open(self.dir / "sshd.log", "ab") as log:
            self._proc = subprocess.Popen([SSHD, "-D", "-e", "-f", str(config)],
                                          stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_port(self.port, self._proc)
        except SshdSetupError as exc:
            raise SshdSetupError(f"{exc}; sshd log:\n{self.log_tail()}") from None

    @property
    def running(self) -> bool:
        """True while the listening sshd is alive."""
        return self._proc is not None and self._proc.poll() is None

    def drop_sessions(self) -> None:
        """Kill every open SFTP session but keep listening: clients see their connection drop."""
        if self.running:
            _kill_all(_children(self._proc.pid))

    def stop(self) -> None:
        """Stop listening and kill every open session (they outlive the listener otherwise)."""
        if not self.running:
            return
        sessions = _children(self._proc.pid)
        self._proc.kill()
        self._proc.wait(10)
        _kill_all(sessions)

    def restart(self) -> None:
        """Stop, then start again on the same port with the same host key."""
        self.stop()
        self.start()

    def rotate_host_key(self) -> str:
        """Restart with a brand-new host key (as if the server were rebuilt); return its line."""
        self.stop()
        self._host_key = self._new_host_key()
        self.start()
        return self.host_key_line

    def reset(self) -> None:
        """Back to the first host key, running, with no password set."""
        self.clear_password()
        if self.host_key_line != self.original_host_key_line or not self.running:
            self.stop()
            self._host_key = self.dir / "host_ed25519_1"
            self.start()

    def set_password(self) -> str:
        """Give the user a fresh random password and return it; clear_password() undoes it.

        The account is shared by every test run on the machine, so the password is held
        under a lock file until cleared: two runs never overwrite each other's password.
        """
        if self._password_lock is None:
            self._password_lock = _lock(Path(tempfile.gettempdir()) / f"{self.user}-password.lock")
        password = secrets.token_urlsafe(18)
        subprocess.run(["chpasswd"], input=f"{self.user}:{password}\n", text=True, check=True)
        return password

    def clear_password(self) -> None:
        """Back to no usable password ('*'), which key logins need with UsePAM no."""
        if self._password_lock is not None:
            subprocess.run(["usermod", "-p", "*", self.user], check=True)
            self._password_lock.close()     # releases the lock
            self._password_lock = None

    def mkdir(self, relative: str) -> Path:
        """Create a folder under the SFTP root owned by the SFTP user; return its local path."""
        path = (self.root / relative).resolve()
        path.mkdir(parents=True, exist_ok=True)
        for part in [path, *path.parents]:
            if part == self.dir:
                break
            os.chown(part, self._uid, self._gid)
            part.chmod(0o755)
        return path

    def give(self, path: Path) -> Path:
        """Hand a file made by the tests over to the SFTP user, as if it had written it."""
        os.chown(path, self._uid, self._gid)
        return path

    @contextmanager
    def unwritable(self, path: Path) -> Iterator[Path]:
        """Make a folder read-only for the SFTP user for the duration of the block."""
        os.chown(path, 0, 0)
        path.chmod(0o555)
        try:
            yield path
        finally:
            os.chown(path, self._uid, self._gid)
            path.chmod(0o755)

    def check_login(self) -> None:
        """Log in once with the ed25519 key; SshdSetupError with sshd's own words if refused."""
        import paramiko   # here, not at import time: only this check needs it
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(paramiko.RejectPolicy())
        kind, data = self.host_key_line.split()
        client.get_host_keys().add(f"[127.0.0.1]:{self.port}", kind,
                                   paramiko.PKey.from_type_string(kind, base64.b64decode(data)))
        try:
            client.connect("127.0.0.1", self.port, self.user, timeout=10,
                           pkey=paramiko.PKey.from_path(self.client_key()),
                           look_for_keys=False, allow_agent=False)
            client.open_sftp().close()
        except (OSError, paramiko.SSHException) as exc:
            hint = ""
            if "account is locked" in self.log_tail():
                hint = f" (run: usermod -p '*' {self.user})"
            raise SshdSetupError(f"test login refused{hint}: {exc}; sshd log:\n"
                                 f"{self.log_tail()}") from None
        finally:
            client.close()

    def logins(self) -> int:
        """How many logins sshd has accepted so far (each new connection logs one)."""
        log = self.dir / "sshd.log"
        text = log.read_text(errors="replace") if log.exists() else ""
        return len(re.findall(r"Accepted (?:publickey|password) for ", text))

    def log_tail(self, lines: int = 30) -> str:
        """The end of sshd's log, for failure messages."""
        log = self.dir / "sshd.log"
        if not log.exists():
            return ""
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])

    def close(self) -> None:
        """Stop the server, take back any password, remove its folder."""
        self.stop()
        self.clear_password()
        shutil.rmtree(self.dir, ignore_errors=True)

    def __enter__(self) -> SshdServer:
        self.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()


class CuttingProxy:
    """A loopback TCP proxy in front of sshd that can cut or freeze connections on demand.

    ``cut_after(n)`` closes every connection once ``n`` more client-to-server bytes have
    passed (the server going away mid-upload); ``freeze()`` stops forwarding without
    closing anything (a stalled network), ``thaw()`` resumes; ``hold_replies_after(n)``
    lets ``n`` more client-to-server bytes through, then holds every server reply (the
    request was carried out, but the client never hears so).
    """

    def __init__(self, target_port: int):
        self.target_port = target_port
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._lock = threading.Lock()
        self._budget: int | None = None
        self._frozen = threading.Event()
        self._replies_held = threading.Event()
        self._hold_at: int | None = None
        self.upstream_bytes = 0
        self._socks: list[socket.socket] = []
        self.cuts = 0
        threading.Thread(target=self._accept_loop, daemon=True).start()

    def cut_after(self, nbytes: int) -> None:
        """Drop every connection after ``nbytes`` more bytes from client to server."""
        with self._lock:
            self._budget = nbytes

    def disarm(self) -> None:
        """Forward without limit again."""
        with self._lock:
            self._budget = None

    def hold_replies_after(self, nbytes: int) -> None:
        """Forward ``nbytes`` more client-to-server bytes, then hold all server replies."""
        with self._lock:
            self._hold_at = self.upstream_bytes + nbytes

    def freeze(self) -> None:
        """Stop forwarding in both directions, keeping connections open."""
        self._frozen.set()

    def thaw(self) -> None:
        """Resume forwarding after ``freeze`` or ``hold_replies_after``."""
        with self._lock:
            self._hold_at = None
        self._replies_held.clear()
        self._frozen.clear()

    def _accept_loop(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return   # listener closed
            try:
                server = socket.create_connection(("127.0.0.1", self.target_port), 5)
            except OSError:
                client.close()
                continue
            for s in (client, server):   # like the transport: Nagle would stall each request
                s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self._lock:
                self._socks += [client, server]
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, upstream: bool) -> None:
        try:
            while data := src.recv(65536):
                while self._frozen.is_set() or (not upstream and self._replies_held.is_set()):
                    time.sleep(0.01)
                if upstream and self._spend(len(data)):
                    self._cut(src, dst)
                    return
                dst.sendall(data)
        except OSError:
            pass
        self._cut(src, dst)

    def _spend(self, nbytes: int) -> bool:
        """Count upstream bytes and charge the cut budget; True when it is exhausted."""
        with self._lock:
            self.upstream_bytes += nbytes
            if self._hold_at is not None and self.upstream_bytes >= self._hold_at:
                self._replies_held.set()   # before forwarding: the reply cannot slip through
            if self._budget is None:
                return False
            self._budget -= nbytes
            if self._budget > 0:
                return False
            self.cuts += 1
            return True

    @staticmethod
    def _cut(*socks: socket.socket) -> None:
        for s in socks:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        """Stop accepting and close every forwarded connection."""
        self.thaw()
        self._listener.close()
        with self._lock:
            socks, self._socks = self._socks, []
        self._cut(*socks)


# -- pytest fixtures (tests/conftest.py lists this module in pytest_plugins) -------------

@pytest.fixture(scope="session")
def sshd_server() -> Iterator[SshdServer]:
    """One sshd for the whole session."""
    problem = preflight()
    if problem:
        pytest.fail(problem, pytrace=False)
    server = SshdServer()
    try:
        server.start()
        server.check_login()
    except SshdSetupError as exc:
        problem = f"could not start sshd: {exc}"
    if problem:
        server.close()
        pytest.fail(problem, pytrace=False)
    yield server
    server.close()


@pytest.fixture
def sshd(sshd_server: SshdServer) -> Iterator[SshdServer]:
    """The session's sshd, put back (running, first host key, no password) after the test."""
    yield sshd_server
    sshd_server.reset()


@pytest.fixture
def remote_dirs(sshd: SshdServer, request: pytest.FixtureRequest) -> dict[str, Path]:
    """Fresh outbox, inbox and archive folders for one test, under the SFTP root."""
    base = f"t-{re.sub(r'[^A-Za-z0-9_-]', '_', request.node.name)}-{secrets.token_hex(3)}"
    return {kind: sshd.mkdir(f"{base}/{kind}") for kind in ("outbox", "inbox", "archive")}


@pytest.fixture
def cutting_proxy(sshd: SshdServer) -> Iterator[CuttingProxy]:
    """A proxy in front of the session's sshd that can cut or freeze connections."""
    proxy = CuttingProxy(sshd.port)
    yield proxy
    proxy.close()
