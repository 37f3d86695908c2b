"""SFTP transport: settings parsing, error classification and the inbox rules (no network)."""

from __future__ import annotations

import errno
import socket
import stat
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from transports.base import OutboundFile
from transports.errors import (HostKeyError, PermanentTransportError, TransientTransportError,
                               TransportConfigError)
from transports.sftp import (OutboxIndex, SftpSettings, SftpTransport, classify,
                             host_key_algorithms, host_key_error, load_client_key, parse_host_key,
                             publish, select_ready)
from transports import sftp as sftp_module
from transports import sftp_settings


def _public_line(key) -> str:
    return key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                         serialization.PublicFormat.OpenSSH).decode()


ED_LINE = _public_line(ed25519.Ed25519PrivateKey.generate())
RSA_LINE = _public_line(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def _write_key(path: Path, key, passphrase: bytes | None = None) -> Path:
    encryption = (serialization.BestAvailableEncryption(passphrase) if passphrase
                  else serialization.NoEncryption())
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                       serialization.PrivateFormat.OpenSSH, encryption))
    return path


@pytest.fixture
def base(tmp_path: Path) -> Path:
    _write_key(tmp_path / "id_ed25519", ed25519.Ed25519PrivateKey.generate())
    return tmp_path


def table(**changes) -> dict:
    m = {"type": "sftp", "host": "sftp.acme.example", "username": "edihub",
         "key_file": "id_ed25519", "host_keys": [ED_LINE], "outbox_dir": "in"}
    m.update(changes)
    return {k: v for k, v in m.items() if v is not None}


def config_error(m: dict, base: Path, environ: dict | None = None) -> TransportConfigError:
    with pytest.raises(TransportConfigError) as info:
        SftpSettings.from_mapping(m, base, environ or {})
    return info.value


# -- settings ---------------------------------------------------------------------------


def test_the_settings_names_are_still_importable_from_the_transport_module():
    # hub/bootstrap.py, the benchmarks and partner tooling import them from transports.sftp.
    for name in ("SftpSettings", "parse_host_key", "host_key_algorithms", "load_client_key",
                 "keyscan_hint"):
        assert getattr(sftp_module, name) is getattr(sftp_settings, name)
        assert name in sftp_module.__all__

def test_minimal_table_gets_defaults(base):
    s = SftpSettings.from_mapping(table(), base, {})
    assert (s.host, s.port, s.username, s.outbox_dir) == ("sftp.acme.example", 22, "edihub", "in")
    assert s.key_file == base / "id_ed25519"
    assert s.host_keys == (" ".join(ED_LINE.split()[:2]),)
    assert (s.inbox_dir, s.after_fetch) == (None, "delete")
    assert (s.password, s.key_passphrase) == (None, None)
    assert (s.connect_timeout, s.timeout, s.settle_seconds) == (15.0, 30.0, 0.0)


def test_full_table(base):
    env = {"ACME_PW": "s3cret-pw", "ACME_KEY_PW": "key-pw"}
    s = SftpSettings.from_mapping(table(
        port=2222, password_env="ACME_PW", key_passphrase_env="ACME_KEY_PW",
        host_keys=[ED_LINE, RSA_LINE], inbox_dir="out", inbox_pattern="*.x12",
        archive_dir="out/done", connect_timeout=5, timeout=7.5, settle_seconds=30), base, env)
    assert (s.port, s.password, s.key_passphrase) == (2222, "s3cret-pw", "key-pw")
    assert (s.inbox_dir, s.inbox_pattern, s.after_fetch, s.archive_dir) == (
        "out", "*.x12", "archive", "out/done")
    assert (s.connect_timeout, s.timeout, s.settle_seconds) == (5.0, 7.5, 30.0)
    assert len(s.host_keys) == 2


def test_secrets_stay_out_of_repr(base):
    s = SftpSettings.from_mapping(table(password_env="ACME_PW"), base, {"ACME_PW": "s3cret-pw"})
    assert "s3cret-pw" not in repr(s)
    assert "sftp.acme.example" in repr(s)


def test_password_only_login_is_allowed(base):
    s = SftpSettings.from_mapping(table(key_file=None, password_env="ACME_PW"), base,
                                  {"ACME_PW": "pw"})
    assert (s.key_file, s.password) == (None, "pw")


@pytest.mark.parametrize("key, use", [("password", "password_env"),
                                      ("key_passphrase", "key_passphrase_env")])
def test_inline_secret_is_refused_and_points_to_the_env_setting(base, key, use):
    error = config_error(table(**{key: "hunter2"}), base)
    assert error.key == key
    assert use in error.problem and "environment variable" in error.problem
    assert "hunter2" not in str(error)


def test_unknown_key_is_named(base):
    error = config_error(table(hostname="x"), base)
    assert (error.key, error.problem) == ("hostname", "unknown setting for an sftp transport")


def test_env_variable_named_but_not_set(base):
    error = config_error(table(password_env="ACME_SFTP_PASSWORD"), base, {"OTHER": "x"})
    assert error.key == "password_env"
    assert "ACME_SFTP_PASSWORD" in error.problem and "not set" in error.problem


def test_env_variable_set_but_empty(base):
    error = config_error(table(key_passphrase_env="ACME_KEY_PW"), base, {"ACME_KEY_PW": ""})
    assert error.key == "key_passphrase_env" and "ACME_KEY_PW is empty" in error.problem


def test_env_setting_must_be_a_variable_name_not_a_value(base):
    error = config_error(table(password_env="my password!"), base)
    assert error.key == "password_env" and "NAME of an environment variable" in error.problem
    assert "my password!" not in str(error)


def test_some_login_method_is_required(base):
    error = config_error(table(key_file=None), base)
    assert error.key == "key_file" and "password_env" in error.problem


def test_passphrase_without_key_file(base):
    error = config_error(table(key_file=None, password_env="P", key_passphrase_env="K"), base,
                         {"P": "p", "K": "k"})
    assert error.key == "key_passphrase_env"


@pytest.mark.parametrize("host_keys", [None, []])
def test_host_keys_are_required_and_the_message_says_how_to_get_one(base, host_keys):
    error = config_error(table(host_keys=host_keys, port=2222), base)
    assert error.key == "host_keys"
    assert "edihub partners keyscan sftp.acme.example --port 2222" in error.problem


def test_ssh_keyscan_output_is_accepted_as_a_pin(base):
    s = SftpSettings.from_mapping(table(host_keys=[f"sftp.acme.example {ED_LINE}"]), base, {})
    assert s.host_keys == (" ".join(ED_LINE.split()[:2]),)


@pytest.mark.parametrize("line, key", [
    ("AAAAC3NzaC1lZDI1NTE5", "host_keys[0]"),
    ("ssh-dss AAAAB3NzaC1kc3M=", "host_keys[0]"),
    ("ssh-ed25519 not-base64!", "host_keys[0]"),
    (ED_LINE.replace("ssh-ed25519", "ssh-rsa"), "host_keys[0]"),   # type and data disagree
    (42, "host_keys[0]"),
])
def test_bad_host_key_lines(base, line, key):
    assert config_error(table(host_keys=[line]), base).key == key


def test_host_keys_must_be_a_list(base):
    assert config_error(table(host_keys=ED_LINE), base).key == "host_keys"


@pytest.mark.parametrize("changes, key", [
    ({"host": ""}, "host"), ({"host": None}, "host"), ({"username": 7}, "username"),
    ({"outbox_dir": None}, "outbox_dir"), ({"port": True}, "port"), ({"port": 0}, "port"),
    ({"port": 70000}, "port"), ({"port": "22"}, "port"), ({"timeout": 0}, "timeout"),
    ({"connect_timeout": -1}, "connect_timeout"), ({"type": "folder"}, "type"),
    ({"inbox_dir": "out", "settle_seconds": -1}, "settle_seconds"),
    ({"inbox_dir": "out", "after_fetch": "keep"}, "after_fetch"),
    ({"inbox_dir": "out", "after_fetch": "archive"}, "archive_dir"),
    ({"inbox_dir": "out", "after_fetch": "delete", "archive_dir": "a"}, "archive_dir"),
    ({"inbox_pattern": "*.x12"}, "inbox_pattern"),     # inbox settings without inbox_dir
    ({"archive_dir": "a"}, "archive_dir"),
])
def test_bad_values_name_their_key(base, changes, key):
    assert config_error(table(**changes), base).key == key


def test_message_format_names_the_transport_key(base):
    assert str(config_error(table(port=0), base)).startswith("transport.port: ")


# -- keys -------------------------------------------------------------------------------

def test_client_keys_load_ed25519_and_rsa(tmp_path):
    ed = load_client_key(_write_key(tmp_path / "ed", ed25519.Ed25519PrivateKey.generate()), None)
    rs = load_client_key(_write_key(tmp_path / "rsa", rsa.generate_private_key(
        public_exponent=65537, key_size=2048)), None)
    assert (ed.get_name(), rs.get_name()) == ("ssh-ed25519", "ssh-rsa")


def test_protected_key_loads_with_its_passphrase(tmp_path):
    path = _write_key(tmp_path / "k", ed25519.Ed25519PrivateKey.generate(), b"pass phrase")
    assert load_client_key(path, "pass phrase").get_name() == "ssh-ed25519"


def test_protected_key_without_passphrase_says_which_setting_is_missing(tmp_path):
    path = _write_key(tmp_path / "k", ed25519.Ed25519PrivateKey.generate(), b"pass phrase")
    with pytest.raises(PermanentTransportError, match="key_passphrase_env"):
        load_client_key(path, None)


@pytest.mark.parametrize("content", [b"not a key", None])
def test_unreadable_key_file_is_permanent_and_named(tmp_path, content):
    path = tmp_path / "k"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(PermanentTransportError, match=str(path)):
        load_client_key(path, None)


def test_wrong_passphrase_is_permanent_and_not_echoed(tmp_path):
    path = _write_key(tmp_path / "k", ed25519.Ed25519PrivateKey.generate(), b"pass phrase")
    with pytest.raises(PermanentTransportError, match="passphrase is wrong") as info:
        load_client_key(path, "wrong guess")
    assert "wrong guess" not in str(info.value)


# -- errors -----------------------------------------------------------------------------

@pytest.mark.parametrize("exc, kind", [
    (paramiko.AuthenticationException("Authentication failed."), PermanentTransportError),
    (paramiko.BadAuthenticationType("Bad", ["publickey"]), PermanentTransportError),
    (paramiko.IncompatiblePeer("no kex"), PermanentTransportError),
    (OSError(errno.ENOENT, "No such file"), PermanentTransportError),
    (OSError(errno.EACCES, "Permission denied"), PermanentTransportError),
    (socket.timeout("timed out"), TransientTransportError),
    (ConnectionRefusedError(errno.ECONNREFUSED, "refused"), TransientTransportError),
    (ConnectionResetError(errno.ECONNRESET, "reset"), TransientTransportError),
    (EOFError(), TransientTransportError),
    (paramiko.SSHException("Error reading SSH protocol banner"), TransientTransportError),
    (paramiko.SSHException("Server connection dropped: "), TransientTransportError),
    (OSError("Socket is closed"), TransientTransportError),
    (OSError("Failure"), TransientTransportError),
    (paramiko.SFTPError("Expected data"), TransientTransportError),
    (socket.gaierror(-2, "Name or service not known"), TransientTransportError),
])
def test_errors_are_told_apart(exc, kind):
    error = classify(exc, "sftp://u@h:22: delivering a.x12")
    assert type(error) is kind
    assert str(error).startswith("sftp://u@h:22: delivering a.x12: ")
    assert not isinstance(error, paramiko.SSHException)


@pytest.mark.parametrize("exc", [EOFError(), OSError("Socket is closed"),
                                 paramiko.SSHException("Server connection dropped: ")])
def test_a_lost_connection_is_said_plainly(exc):
    assert "connection was closed or dropped" in str(classify(exc, "x"))


def test_transport_errors_pass_through_classify():
    original = HostKeyError("pinned key differs")
    assert classify(original, "x") is original


def test_host_key_error_shows_both_fingerprints_and_what_to_do():
    offered, pinned = parse_host_key(RSA_LINE), parse_host_key(ED_LINE)
    error = host_key_error("sftp://u@h:2222", offered, [ED_LINE], "h", 2222)
    assert isinstance(error, HostKeyError) and isinstance(error, PermanentTransportError)
    text = str(error)
    assert offered.fingerprint in text and pinned.fingerprint in text
    assert offered.fingerprint.startswith("SHA256:")
    assert "edihub partners keyscan h --port 2222" in text and "confirm" in text


def test_only_the_pinned_host_key_types_are_asked_for():
    assert host_key_algorithms([RSA_LINE]) == ["rsa-sha2-512", "rsa-sha2-256"]
    assert host_key_algorithms([ED_LINE, RSA_LINE, ED_LINE]) == [
        "ssh-ed25519", "rsa-sha2-512", "rsa-sha2-256"]


# -- inbox rules ------------------------------------------------------------------------

def _entry(name: str, size: int = 10, mtime: float = 1000.0, mode: int = stat.S_IFREG | 0o644):
    attr = paramiko.SFTPAttributes()
    attr.filename, attr.st_size, attr.st_mtime, attr.st_mode = name, size, int(mtime), mode
    return attr


def test_inbox_rules_skip_dirs_dotfiles_partials_and_non_matching():
    entries = [_entry("b.x12", mtime=900), _entry("a.x12", mtime=950), _entry(".hidden.x12"),
               _entry("c.x12.part"), _entry("d.tmp"), _entry("e.filepart"), _entry("f.txt"),
               _entry("dir.x12", mode=stat.S_IFDIR | 0o755),
               _entry("link.x12", mode=stat.S_IFLNK | 0o777), _entry("../up.x12")]
    ready, sizes = select_ready(entries, "*.x12", 0, 2000, {})
    assert [f.name for f in ready] == ["b.x12", "a.x12"]     # oldest first
    assert set(sizes) == {"a.x12", "b.x12"}                   # a name reaching out is skipped
    assert ready.skipped == []                                # hidden: not ours to report


def test_inbox_rules_report_names_that_cannot_be_fetched():
    entries = [_entry("a\nb.x12"), _entry(b"\xff.x12".decode("utf-8", "surrogateescape")),
               _entry("ok (1).x12"), _entry("skip\n.txt")]
    ready, sizes = select_ready(entries, "*.x12", 0, 2000, {})
    assert [f.name for f in ready] == ["ok (1).x12"]
    assert [(f.name, f.reason) for f in ready.skipped] == [
        ("a\\nb.x12", "it holds control characters (a line break, a tab, ...)"),
        ("\\xff.x12", "it is not UTF-8 text")]


def test_inbox_rules_skip_recently_modified_files():
    ready, sizes = select_ready([_entry("new.x12", mtime=995), _entry("old.x12", mtime=900)],
                                "*", settle=10, now=1000, last_sizes={})
    assert [f.name for f in ready] == ["old.x12"]
    assert sizes == {"new.x12": 10, "old.x12": 10}   # remembered for the size check


def test_inbox_rules_skip_files_whose_size_changed_since_the_last_listing():
    ready, sizes = select_ready([_entry("grow.x12", size=20), _entry("same.x12", size=5)],
                                "*", 0, 2000, {"grow.x12": 10, "same.x12": 5, "gone.x12": 1})
    assert [f.name for f in ready] == ["same.x12"]
    assert sizes == {"grow.x12": 20, "same.x12": 5}
    ready, _ = select_ready([_entry("grow.x12", size=20)], "*", 0, 2000, sizes)
    assert [f.name for f in ready] == ["grow.x12"]


# -- outbox listing ---------------------------------------------------------------------

class _Lister:
    """Counts listings of a fake outbox."""

    def __init__(self, names: list[str]):
        self.names, self.calls = names, 0

    def __call__(self) -> list[str]:
        self.calls += 1
        return list(self.names)


def test_outbox_index_lists_once_and_trusts_the_listing_while_it_is_young():
    now = [100.0]
    index, lister = OutboxIndex(max_age=5, clock=lambda: now[0]), _Lister(["a.x12"])
    assert index.is_free("b.x12", lister) and not index.is_free("a.x12", lister)
    index.add("b.x12")
    assert not index.is_free("b.x12", lister)
    assert lister.calls == 1
    lister.names.append("c.x12")          # someone else wrote it after our listing
    now[0] = 104.0
    assert index.is_free("c.x12", lister)  # the documented blind spot, bounded by max_age
    now[0] = 105.5
    assert not index.is_free("c.x12", lister) and lister.calls == 2


def test_outbox_index_forgets_on_clear():
    index, lister = OutboxIndex(clock=lambda: 0.0), _Lister([])
    index.is_free("a.x12", lister)
    lister.names.append("a.x12")
    index.clear()
    assert not index.is_free("a.x12", lister) and lister.calls == 2


def test_crowded_outbox_is_not_listed_again_and_every_name_gets_a_stat():
    index, lister = OutboxIndex(max_names=3, clock=lambda: 0.0), _Lister(list("abcd"))
    assert not index.is_free("z", lister) and not index.is_free("y", lister)
    assert lister.calls == 1


# -- publishing and names ---------------------------------------------------------------

class _RenameRecorder:
    """Just enough of an SFTP client to watch publish() choose between renames."""

    def __init__(self, posix_error: OSError | None):
        self.posix_error, self.calls = posix_error, []

    def posix_rename(self, old, new):
        self.calls.append(("posix_rename", old, new))
        if self.posix_error:
            raise self.posix_error

    def rename(self, old, new):
        self.calls.append(("rename", old, new))


def test_publish_prefers_posix_rename():
    sftp = _RenameRecorder(None)
    assert publish(sftp, "o/.a.part", "o/a") is True
    assert sftp.calls == [("posix_rename", "o/.a.part", "o/a")]


def test_publish_falls_back_to_rename_without_the_extension():
    sftp = _RenameRecorder(OSError("Operation unsupported"))
    assert publish(sftp, "o/.a.part", "o/a") is False
    assert [c[0] for c in sftp.calls] == ["posix_rename", "rename"]
    assert publish(sftp, "o/.b.part", "o/b", posix=False) is False
    assert sftp.calls[-1] == ("rename", "o/.b.part", "o/b")


@pytest.mark.parametrize("error", [OSError(errno.EACCES, "Permission denied"),
                                   socket.timeout("timed out")])
def test_publish_does_not_mask_a_definite_error_or_a_timeout(error):
    sftp = _RenameRecorder(error)
    with pytest.raises(type(error)):
        publish(sftp, "o/.a.part", "o/a")
    assert [c[0] for c in sftp.calls] == ["posix_rename"]


@pytest.mark.parametrize("name", ["../etc/passwd", ".hidden", "a/b.x12", "", "x" * 300])
def test_unsafe_names_are_refused_before_any_connection(base, name):
    # The host does not resolve: reaching the network would give a TransientTransportError.
    transport = SftpTransport(SftpSettings.from_mapping(
        table(host="sftp.invalid", inbox_dir="out"), base, {}))
    with pytest.raises(PermanentTransportError, match="is not a safe file name"):
        transport.send(OutboundFile(name, b"ISA"))
    if name != ".hidden":   # a partner's dotfile is one name inside the inbox: ours are stricter
        with pytest.raises(PermanentTransportError, match="unsafe file name"):
            transport.done(name)


def test_transport_without_inbox_lists_nothing_and_refuses_fetch(base):
    transport = SftpTransport(SftpSettings.from_mapping(table(host="sftp.invalid"), base, {}))
    assert transport.list_inbox() == []
    with pytest.raises(PermanentTransportError, match="no inbox_dir"):
        transport.fetch("a.x12", None)
