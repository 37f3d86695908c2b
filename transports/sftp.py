"""SFTP transport (paramiko): pinned host keys, upload under a temporary name then rename,
inbound pull of settled files that are archived or deleted only once the hub has them.

Settings come from a partner file's ``[transport]`` table (``type = "sftp"``) and are checked
in ``transports/sftp_settings.py``; see ``transports/README.md`` for every key.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import posixpath
import socket
import stat
import threading
import time
from datetime import datetime, timezone
from typing import BinaryIO, Callable, Iterable, Mapping, TypeVar

import paramiko
from paramiko import sftp as sftp_codes

from transports.base import (Inbox, OutboundFile, Receipt, RemoteFile, SkippedFile,
                             check_remote_name, earlier_attempts, our_name, printable,
                             remote_name_problem)
from transports.errors import (HostKeyError, PermanentTransportError, TransientTransportError,
                               TransportError, WithdrawnError)
# The settings live in sftp_settings; callers keep importing them from here.
from transports.sftp_settings import (SftpSettings, host_key_algorithms, keyscan_hint,
                                      load_client_key, parse_host_key)

__all__ = ["OutboxIndex", "SftpSettings", "SftpTransport", "classify", "host_key_algorithms",
           "host_key_error", "keyscan_hint", "list_folder", "load_client_key", "parse_host_key",
           "publish", "select_ready"]

log = logging.getLogger(__name__)
T = TypeVar("T")

_PARTIAL_SUFFIXES = (".part", ".tmp", ".filepart")
_CHUNK = 32768            # one SFTP read request, the size every server accepts


def host_key_error(where: str, offered: paramiko.PKey, pinned: Iterable[str],
                   host: str, port: int) -> HostKeyError:
    """The HostKeyError for a server whose key is not among the pinned ones."""
    pins = ", ".join(f"{line.split()[0]} {parse_host_key(line).fingerprint}" for line in pinned)
    return HostKeyError(
        f"{where} offered host key {offered.get_name()} {offered.fingerprint}, which is not the "
        f"pinned one ({pins}). This may be an attack or a rebuilt server: do not connect until "
        f"the partner confirms the new fingerprint out of band; then replace host_keys in the "
        f"partner file with the line printed by `{keyscan_hint(host, port)}`")


def classify(exc: BaseException, doing: str) -> TransportError:
    """Turn a paramiko or socket error into a transient or permanent transport error."""
    if isinstance(exc, TransportError):
        return exc
    if isinstance(exc, paramiko.AuthenticationException):
        return PermanentTransportError(
            f"{doing}: the server refused our login ({exc}); check username, key_file or "
            "password_env, and that the partner has installed our public key")
    if isinstance(exc, paramiko.IncompatiblePeer):
        return PermanentTransportError(f"{doing}: no common SSH algorithms with the server "
                                       f"({exc}); ask the partner which ones it offers")
    if isinstance(exc, FileNotFoundError):
        return PermanentTransportError(f"{doing}: no such file or folder on the server "
                                       f"({exc.strerror}); check the folder settings")
    if isinstance(exc, PermissionError):
        return PermanentTransportError(f"{doing}: permission denied ({exc.strerror}); ask the "
                                       "partner to grant our user access to that folder")
    if isinstance(exc, socket.gaierror):
        return TransientTransportError(f"{doing}: cannot resolve the host name ({exc}); "
                                       "check host if this persists")
    if isinstance(exc, socket.timeout):
        return TransientTransportError(f"{doing}: timed out")
    if isinstance(exc, (ConnectionError, paramiko.ssh_exception.NoValidConnectionsError)):
        return TransientTransportError(f"{doing}: connection refused or reset ({exc})")
    if isinstance(exc, EOFError) or "connection dropped" in str(exc) \
            or str(exc) == "Socket is closed":
        return TransientTransportError(f"{doing}: the connection was closed or dropped")
    return TransientTransportError(f"{doing}: {type(exc).__name__}: {exc}")


def publish(sftp: paramiko.SFTPClient, temp: str, final: str, posix: bool = True) -> bool:
    """Rename ``temp`` to ``final``; return False if the server lacked posix-rename."""
    if posix:
        try:
            sftp.posix_rename(temp, final)
            return True
        except OSError as exc:
            # paramiko raises a bare OSError (no errno) for SSH_FX_FAILURE/OP_UNSUPPORTED: most
            # likely no posix-rename@openssh.com. A timeout or a definite answer is no reason.
            if type(exc) is not OSError or exc.errno is not None:
                raise
    sftp.rename(temp, final)             # SFTPv3 rename: refuses to replace an existing file
    return False


def select_ready(entries: Iterable[paramiko.SFTPAttributes], pattern: str, settle: float,
                 now: float, last_sizes: Mapping[str, int]) -> tuple[Inbox, dict[str, int]]:
    """Apply the inbox rules to a directory listing; return the inbox (ready files, and those
    skipped for their names) and the sizes seen."""
    ready, skipped, sizes = [], [], {}
    for entry in entries:
        name = entry.filename
        if entry.st_mode is None or not stat.S_ISREG(entry.st_mode) or name.startswith(".") \
                or name.endswith(_PARTIAL_SUFFIXES) or not fnmatch.fnmatchcase(name, pattern):
            continue
        problem = remote_name_problem(name)
        if problem:  # fetching it would fail at every poll: leave it for an operator
            skipped.append(SkippedFile(printable(name), problem))
            continue
        size, mtime = entry.st_size or 0, float(entry.st_mtime or 0)
        sizes[name] = size
        if now - mtime < settle or last_sizes.get(name, size) != size:
            continue    # still being written, most likely: look again next time
        ready.append(RemoteFile(name, size, mtime))
    return Inbox(sorted(ready, key=lambda f: (f.mtime, f.name)), skipped), sizes


def list_folder(sftp: paramiko.SFTPClient, path: str) -> list[paramiko.SFTPAttributes]:
    """``sftp.listdir_attr(path)``, except that a name which is not UTF-8 does not abort the
    listing: its bytes are kept as surrogate escapes (as ``os.listdir`` does), for the inbox
    rules to skip it by name.

    paramiko decodes every name strictly, so one such file would hide all the others; this
    is its own listing loop with the name read as bytes.
    """
    path = sftp._adjust_cwd(path)
    kind, msg = sftp._request(sftp_codes.CMD_OPENDIR, path)
    if kind != sftp_codes.CMD_HANDLE:
        raise paramiko.SFTPError("Expected handle")
    handle = msg.get_binary()
    entries = []
    while True:
        try:
            kind, msg = sftp._request(sftp_codes.CMD_READDIR, handle)
        except EOFError:
            break       # the server's end of the folder
        if kind != sftp_codes.CMD_NAME:
            raise paramiko.SFTPError("Expected name response")
        for _ in range(msg.get_int()):
            name = msg.get_binary().decode("utf-8", "surrogateescape")
            longname = msg.get_binary().decode("utf-8", "replace")
            attr = paramiko.SFTPAttributes._from_msg(msg, name, longname)
            if name not in (".", ".."):
                entries.append(attr)
    sftp._request(sftp_codes.CMD_CLOSE, handle)
    return entries


class _PinnedKeys(paramiko.RejectPolicy):
    """Strict host-key checking: accept a pinned key, reject anything else, learn nothing."""

    def __init__(self, pins: list[paramiko.PKey], reject: Callable[[paramiko.PKey], Exception]):
        self._pins, self._reject = [pin.asbytes() for pin in pins], reject

    def missing_host_key(self, client, hostname, key):
        # Called for every connection: no key is ever added to the client's known hosts.
        if key.asbytes() not in self._pins:
            raise self._reject(key)


class OutboxIndex:
    """Names seen in one recent listing of the outbox, so a send can skip its own stat.

    A name missing from a listing younger than ``max_age`` seconds is taken as free; a
    name present is always checked with a stat (the partner may have collected it). Only
    another writer creating the same name after the listing can slip past; see README.
    """

    def __init__(self, max_age: float = 5.0, max_names: int = 1000,
                 clock: Callable[[], float] = time.monotonic):
        self.max_age, self.max_names, self._clock = max_age, max_names, clock
        self._names: set[str] | None = None
        self._listed_at = float("-inf")
        self._disabled = False

    def is_free(self, name: str, list_names: Callable[[], list[str]]) -> bool:
        """True when a recent listing shows ``name`` free; lists again when it is too old."""
        if self._disabled:
            return False
        if self._names is None or self._clock() - self._listed_at > self.max_age:
            names, self._listed_at = list_names(), self._clock()
            # A crowded outbox costs more to list than the stats it saves: stat instead.
            self._disabled = len(names) > self.max_names
            self._names = None if self._disabled else set(names)
        return self._names is not None and name not in self._names

    def add(self, name: str) -> None:
        """Record a name we have just published."""
        if self._names is not None:
            self._names.add(name)

    def clear(self) -> None:
        """Forget everything (a new connection, or an error left the state unknown)."""
        self._names, self._listed_at, self._disabled = None, float("-inf"), False


class _SinkError(Exception):
    """The caller's sink failed while we fetched: its own error, not the server's."""


class SftpTransport:
    """One partner's SFTP server; the connection is opened on first use and kept until close()."""

    name = "sftp"

    def __init__(self, settings: SftpSettings, outbox_listing_age: float = 5.0):
        self.settings = settings
        self.where = f"sftp://{settings.username}@{settings.host}:{settings.port}"
        self._lock = threading.RLock()   # one SFTP session: one operation at a time
        self._client: paramiko.SSHClient | None = None
        self._sftp: paramiko.SFTPClient | None = None
        self._pkey: paramiko.PKey | None = None
        self._posix_rename = True
        self._outbox = OutboxIndex(max_age=outbox_listing_age)
        self._last_sizes: dict[str, int] = {}

    # -- connection -------------------------------------------------------------------

    def _session(self) -> tuple[paramiko.SFTPClient, bool]:
        """The open session, or a new one; the flag says whether it was reused."""
        transport = self._client.get_transport() if self._client else None
        if self._sftp is not None and transport is not None and transport.is_active():
            return self._sftp, True
        self._discard()
        self._client, self._sftp = self._open()
        self._posix_rename = True
        self._outbox.clear()
        return self._sftp, False

    def _open(self) -> tuple[paramiko.SSHClient, paramiko.SFTPClient]:
        s = self.settings
        if s.key_file is not None and self._pkey is None:
            self._pkey = load_client_key(s.key_file, s.key_passphrase)
        client = paramiko.SSHClient()
        client.set_missing_host_key_policy(_PinnedKeys(
            [parse_host_key(line) for line in s.host_keys],
            lambda key: host_key_error(self.where, key, s.host_keys, s.host, s.port)))
        sock = None
        try:
            sock = socket.create_connection((s.host, s.port), timeout=s.connect_timeout)
            # Without TCP_NODELAY, Nagle's algorithm stalls every SFTP request (20x slower reads).
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            client.connect(s.host, s.port, s.username, password=s.password, pkey=self._pkey,
                           sock=sock, timeout=s.connect_timeout, banner_timeout=s.connect_timeout,
                           auth_timeout=s.connect_timeout, channel_timeout=s.connect_timeout,
                           look_for_keys=False, allow_agent=False,
                           transport_factory=self._transport_factory)
            sftp = client.open_sftp()
        except BaseException:
            client.close()
            if sock is not None:
                sock.close()
            raise
        sftp.get_channel().settimeout(s.timeout)
        log.info("connected to %s", self.where)
        return client, sftp

    def _transport_factory(self, sock: socket.socket, **options) -> paramiko.Transport:
        # Ask only for host-key types we pinned: a server holding an ed25519 and an RSA key,
        # pinned by its RSA key, must show that one.
        transport = paramiko.Transport(sock, **options)
        transport.get_security_options().key_types = host_key_algorithms(self.settings.host_keys)
        return transport

    def _discard(self) -> None:
        client, self._client, self._sftp = self._client, None, None
        if client is not None:
            client.close()

    def _run(self, doing: str, op: Callable[[paramiko.SFTPClient], T], retry: bool = True) -> T:
        """Run ``op`` on the session, translating errors.

        A reused connection that turns out dead (the server restarted, an idle link was cut)
        is replaced and ``op`` tried once more when ``retry`` says it is safe to repeat;
        timeouts are not retried, so a stalled server costs one ``timeout``, not two.
        """
        with self._lock:
            for attempt in (1, 2):
                reused = False
                try:
                    sftp, reused = self._session()
                    return op(sftp)
                except (OSError, EOFError, paramiko.SSHException, paramiko.SFTPError) as exc:
                    error = classify(exc, f"{self.where}: {doing}")
                    if not isinstance(error, TransientTransportError):
                        raise error from exc
                    self._discard()   # state unknown: never reuse this connection
                    if not (retry and reused and attempt == 1
                            and not isinstance(exc, socket.timeout)):
                        raise error from exc
                    log.info("%s: connection lost (%s); reconnecting", self.where, error)
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Close the connection; the next call opens a new one."""
        with self._lock:
            self._discard()

    def probe(self) -> list[str]:
        """Log in (the server must show a pinned host key) and list outbox_dir and inbox_dir,
        as a person setting the partner up checks it; what was found, line by line."""
        s = self.settings

        def look(sftp: paramiko.SFTPClient) -> list[str]:
            key = self._client.get_transport().get_remote_server_key()
            found = [f"logged in to {self.where}; its host key {key.get_name()} {key.fingerprint} "
                     "is the pinned one"]
            for label, folder in (("outbox_dir", s.outbox_dir), ("inbox_dir", s.inbox_dir)):
                if folder is not None:
                    files = [e for e in list_folder(sftp, folder)
                             if e.st_mode is not None and stat.S_ISREG(e.st_mode)]
                    found.append(f"{label} {folder}: listed, {len(files)} file(s) in it")
            return found

        return self._run("testing the connection", look, retry=False)

    # -- outbound ---------------------------------------------------------------------

    def send(self, file: OutboundFile) -> Receipt:
        """Upload under this attempt's temporary name, then rename it with SFTP's own rename,
        which never replaces a file; recognise an identical earlier delivery."""
        # The "already there?" check reads a recent listing of the outbox (OutboxIndex)
        # and stats only names it shows: one round trip less per file than a stat each.
        name = our_name(file.filename)
        try:
            return self._run(f"delivering {name} to {self.settings.outbox_dir}",
                             lambda sftp: self._deliver(sftp, name, file))
        except TransportError:
            self._outbox.clear()     # whatever happened, list again before trusting it
            raise

    def _deliver(self, sftp: paramiko.SFTPClient, name: str, file: OutboundFile) -> Receipt:
        outbox = self.settings.outbox_dir
        final = posixpath.join(outbox, name)
        if file.attempt > 1:
            # An earlier attempt may have died mid-upload or before its rename: its leftover
            # goes, whatever happens next (one listing, only when retrying).
            for leftover in earlier_attempts(file, name, sftp.listdir(outbox)):
                _remove(sftp, posixpath.join(outbox, leftover))
        free = self._outbox.is_free(name, lambda: sftp.listdir(outbox))
        if not free and _remote_size(sftp, final) is not None:
            return self._already_there(sftp, final, name, file.payload)
        temp = posixpath.join(outbox, file.temp_name(name))
        with sftp.open(temp, "wb") as fh:     # "w": an earlier try of this attempt is replaced
            fh.set_pipelined(True)
            fh.write(file.payload)
        if not file.may_publish():
            _remove(sftp, temp)
            raise WithdrawnError(f"{self.where}: {final} withdrawn before publishing; nothing "
                                 "was published")
        try:
            # SFTP's own rename refuses to replace a file (OpenSSH links, then unlinks): a
            # document another attempt published meanwhile is never overwritten.
            sftp.rename(temp, final)
        except OSError:
            if _remote_size(sftp, final) is None:
                raise
            _remove(sftp, temp)
            return self._already_there(sftp, final, name, file.payload)
        self._outbox.add(name)
        return self._receipt(name, len(file.payload))

    def _already_there(self, sftp: paramiko.SFTPClient, final: str, name: str,
                       payload: bytes) -> Receipt:
        """A file holds our document's name: an earlier delivery of it, or someone else's."""
        if _same_content(sftp, final, payload):
            log.info("%s already holds %s with the same content", self.where, final)
            return self._receipt(name, len(payload), already_present=True)
        raise PermanentTransportError(
            f"{self.where}: {final} already exists with different content. A delivered "
            "document is never overwritten: check with the partner whether they processed "
            "it, then move it away (or give our document a new name) and retry")

    def _receipt(self, name: str, size: int, already_present: bool = False) -> Receipt:
        return Receipt(self.name, name, datetime.now(timezone.utc), already_present,
                       {"server": self.where, "folder": self.settings.outbox_dir, "bytes": size})

    # -- inbound ----------------------------------------------------------------------

    def list_inbox(self) -> Inbox:
        """Settled files in inbox_dir matching inbox_pattern, oldest first, and the files
        skipped for their names (see README)."""
        inbox = self.settings.inbox_dir
        if inbox is None:
            return Inbox()
        with self._lock:
            entries = self._run(f"listing {inbox}", lambda sftp: list_folder(sftp, inbox))
            ready, self._last_sizes = select_ready(entries, self.settings.inbox_pattern,
                                                   self.settings.settle_seconds, time.time(),
                                                   self._last_sizes)
        return ready

    def fetch(self, name: str, sink: BinaryIO) -> int:
        """Stream one inbox file into ``sink`` in chunks; return its size."""
        path = self._inbox_path(name)
        try:
            # Not retried: part of the file may already be in the caller's sink.
            return self._run(f"fetching {path}", lambda sftp: _copy(sftp, path, sink),
                             retry=False)
        except _SinkError as exc:
            raise exc.__cause__ from None

    def done(self, name: str) -> None:
        """Archive (posix-rename into archive_dir) or delete an inbox file we have stored."""
        path = self._inbox_path(name)
        if self.settings.after_fetch == "delete":
            self._run(f"deleting {path}", lambda sftp: _remove(sftp, path))
        else:
            self._run(f"archiving {path} to {self.settings.archive_dir}",
                      lambda sftp: self._archive(sftp, path))

    def _archive(self, sftp: paramiko.SFTPClient, path: str) -> None:
        name = posixpath.basename(path)
        target = _free_name(sftp, self.settings.archive_dir, name)
        try:
            self._posix_rename = publish(sftp, path, target, self._posix_rename)
        except FileNotFoundError:
            if _remote_size(sftp, path) is None:
                return          # already moved: an earlier done() landed before a failure
            raise

    def _inbox_path(self, name: str) -> str:
        if self.settings.inbox_dir is None:
            raise PermanentTransportError(f"{self.where}: no inbox_dir configured")
        return posixpath.join(self.settings.inbox_dir, _checked(name))


def _checked(name: str) -> str:
    """A partner's file name, if it stays inside the inbox."""
    try:
        return check_remote_name(name)
    except ValueError as exc:
        raise PermanentTransportError(str(exc)) from exc


def _remote_size(sftp: paramiko.SFTPClient, path: str) -> int | None:
    """The size of a remote file, or None when there is nothing at ``path``."""
    try:
        return sftp.stat(path).st_size or 0
    except FileNotFoundError:
        return None


def _same_content(sftp: paramiko.SFTPClient, path: str, payload: bytes) -> bool:
    """Compare size, then sha256 read back (our documents are small)."""
    if sftp.stat(path).st_size != len(payload):
        return False
    digest = hashlib.sha256()
    with sftp.open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.digest() == hashlib.sha256(payload).digest()


def _copy(sftp: paramiko.SFTPClient, path: str, sink: BinaryIO) -> int:
    """Sequential 32 KB reads: memory stays flat (paramiko's prefetch buffers whole files)."""
    size = 0
    with sftp.open(path, "rb") as fh:
        expected = fh.stat().st_size
        while chunk := fh.read(_CHUNK):
            try:
                sink.write(chunk)
            except OSError as exc:
                raise _SinkError() from exc
            size += len(chunk)
    if size != expected:
        raise TransientTransportError(f"{path} changed while we read it ({expected} bytes "
                                      f"at open, {size} read); will fetch it again")
    return size


def _remove(sftp: paramiko.SFTPClient, path: str) -> None:
    try:
        sftp.remove(path)
    except FileNotFoundError:
        pass    # already gone: an earlier done() landed before a failure


def _free_name(sftp: paramiko.SFTPClient, folder: str, name: str) -> str:
    """``folder/name``, or with a time suffix when that name is taken (never overwrite)."""
    target = posixpath.join(folder, name)
    stamp = int(time.time() * 1000)
    n = 0
    while _remote_size(sftp, target) is not None:
        n += 1
        target = posixpath.join(folder, f"{name}.{stamp}" + (f"-{n}" if n > 1 else ""))
    return target
