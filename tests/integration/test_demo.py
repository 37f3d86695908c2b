"""`edihub demo`: acme reached over SFTP on an embedded server, initech over AS2, both on loopback."""

from __future__ import annotations

import json
import os
import re
import socket
import threading
import time
import tomllib
from pathlib import Path

from click.testing import CliRunner
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from hub.adapters import tables as t
from hub.bootstrap import bootstrap
from hub.cli import main
from hub.demo.keys import ssh_fingerprint

SHIPPED = {"WS-10001": "shipped", "WS-10002": "shipped", "WS-10003": "on_hold",
           "WS-10004": "needs_attention", "WS-10005": "shipped", "MP-5501": "shipped",
           "MP-5502": "shipped"}


def run_demo(home: Path):
    result = CliRunner().invoke(main, ["demo", str(home)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def transport(home: Path, partner: str) -> dict:
    with open(home / "partners" / f"{partner}.toml", "rb") as fh:
        return tomllib.load(fh)["transport"]


def open_sockets() -> set[str]:
    """This process's sockets, as /proc names them ("socket:[inode]")."""
    found = set()
    for fd in Path("/proc/self/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue     # closed while we looked
        if target.startswith("socket:"):
            found.add(target)
    return found


def left_running(threads: set, sockets: set, seconds: float = 5.0) -> tuple[set, set]:
    """Threads and sockets started since, once those ending by themselves have ended."""
    # A closed SSH client's reader thread notices the closed socket a moment later.
    deadline = time.monotonic() + seconds
    while True:
        extra = (set(threading.enumerate()) - threads, open_sockets() - sockets)
        if extra == (set(), set()) or time.monotonic() > deadline:
            return extra
        time.sleep(0.02)


def refuses(port: int) -> bool:
    """True when nothing listens on the loopback port any more."""
    try:
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def rows(home: Path, *where):
    hub = bootstrap(home)
    try:
        with hub.uow(readonly=True) as uow:
            return uow.conn.execute(select(t.interchanges).where(*where)).mappings().all()
    finally:
        hub.close()


def order_states(home: Path) -> dict[str, str]:
    hub = bootstrap(home)
    try:
        with hub.uow(readonly=True) as uow:
            return dict(uow.conn.execute(select(t.orders.c.channel_order_id, t.orders.c.state)).all())
    finally:
        hub.close()


def test_demo_sends_over_sftp_and_as2_and_leaves_nothing_running(tmp_path):
    home = tmp_path / "demo"
    threads, sockets = set(threading.enumerate()), open_sockets()
    output = run_demo(home)

    # Everything it started is stopped once the command returns.
    assert left_running(threads, sockets) == (set(), set())

    acme, initech = transport(home, "acme"), transport(home, "initech")
    assert acme["type"] == "sftp" and initech["type"] == "as2"
    sftp = re.search(r"acme: SFTP on 127\.0\.0\.1:(\d+) \(host key (SHA256:\S+?),", output)
    as2 = re.search(r"initech: AS2 to 127\.0\.0\.1:(\d+) .*its answers to the hub's /as2 on "
                    r"127\.0\.0\.1:(\d+)", output)
    assert sftp and as2, output
    assert int(sftp[1]) == acme["port"] and acme["host"] == "127.0.0.1"
    assert initech["url"] == f"http://127.0.0.1:{as2[1]}/as2"
    for port in (int(sftp[1]), int(as2[1]), int(as2[2])):
        assert refuses(port)

    # The pinned host key is the one the server holds in keys/, and the output shows its print.
    host_key = serialization.load_ssh_private_key((home / "keys/sftp-host-key").read_bytes(), None)
    public = host_key.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                                serialization.PublicFormat.OpenSSH).decode()
    assert acme["host_keys"] == [public]
    assert sftp[2] == ssh_fingerprint(public)
    # Keys are named by file, under keys/; no partner file holds a key.
    for table, names in ((acme, ["key_file"]), (initech, ["key_file", "partner_cert_file"])):
        for name in names:
            assert table[name].startswith("keys/") and (home / table[name]).is_file()
    for partner in ("acme", "initech"):
        assert "PRIVATE KEY" not in (home / "partners" / f"{partner}.toml").read_text()

    # Every purchase order to acme went over SFTP, to the embedded server.
    to_acme = rows(home, t.interchanges.c.direction == "out", t.interchanges.c.partner_id == "acme")
    assert {r["doc_type"] for r in to_acme} == {"850", "997"}
    for r in to_acme:
        receipt = json.loads(r["receipt"])
        assert (r["state"], receipt["transport"]) == ("sent", "sftp")
        assert receipt["detail"]["server"] == f"sftp://demoretail@127.0.0.1:{sftp[1]}"
    # acme's answers were fetched over SFTP and moved to fetched/ on the server.
    from_acme = rows(home, t.interchanges.c.direction == "in", t.interchanges.c.partner_id == "acme")
    fetched = {p.name for p in (home / "var/suppliers/acme/fetched").iterdir()}
    assert from_acme and {r["remote_name"] for r in from_acme} == fetched

    # initech's purchase orders went over AS2, confirmed by its signed MDNs.
    to_initech = rows(home, t.interchanges.c.direction == "out",
                      t.interchanges.c.partner_id == "initech")
    assert to_initech
    for r in to_initech:
        receipt = json.loads(r["receipt"])
        assert (r["state"], receipt["transport"]) == ("sent", "as2")
        assert receipt["detail"]["mdn_status"] == "processed" and receipt["detail"]["mdn_signed"]
    dropped = {p.name for p in (home / "var/suppliers/initech/to-supplier/picked-up").iterdir()}
    assert dropped == {r["filename"] for r in to_initech}

    # initech's answers came in through the hub's /as2: each document is an AS2 message's payload.
    from_initech = rows(home, t.interchanges.c.direction == "in",
                        t.interchanges.c.partner_id == "initech")
    messages = [json.loads(r["receipt"]) for r in from_initech if r["doc_type"] == "as2"]
    documents = [r for r in from_initech if r["doc_type"] != "as2"]
    assert {r["doc_type"] for r in documents} == {"xml-confirmation", "xml-shipnotice"}
    assert len(messages) == len(documents)
    assert all(m["sender"] == "INITECH" and m["signed"] and m["encrypted"] for m in messages)
    assert {m["payload_sha256"] for m in messages} == {r["sha256"] for r in documents}
    assert {r["state"] for r in from_initech} == {"processed"}

    assert order_states(home) == SHIPPED


def test_demo_runs_again_on_its_networked_instance(tmp_path):
    home = tmp_path / "demo"
    run_demo(home)
    pinned = transport(home, "acme")["host_keys"]
    sent = len(rows(home, t.interchanges.c.direction == "out"))
    threads, sockets = set(threading.enumerate()), open_sockets()

    output = run_demo(home)
    assert "orders.jsonl: 0 created, 5 already there" in output
    port = int(re.search(r"acme: SFTP on 127\.0\.0\.1:(\d+)", output)[1])
    station = int(re.search(r"initech: AS2 to 127\.0\.0\.1:(\d+)", output)[1])
    # The servers were started again, on ports written into the partner files; same host key.
    assert transport(home, "acme")["port"] == port and transport(home, "acme")["host_keys"] == pinned
    assert transport(home, "initech")["url"] == f"http://127.0.0.1:{station}/as2"
    assert left_running(threads, sockets) == (set(), set())
    assert len(rows(home, t.interchanges.c.direction == "out")) == sent
    assert order_states(home) == SHIPPED


def test_an_instance_made_with_init_demo_keeps_its_folders(tmp_path):
    home = tmp_path / "inst"
    assert CliRunner().invoke(main, ["init", str(home), "--demo"]).exit_code == 0
    output = run_demo(home)
    assert "SFTP on" not in output and "AS2 to" not in output
    assert transport(home, "acme")["type"] == transport(home, "initech")["type"] == "folder"
    assert not (home / "keys").exists()
    sent = rows(home, t.interchanges.c.direction == "out")
    assert sent and {json.loads(r["receipt"])["transport"] for r in sent} == {"folder"}


def test_demo_serve_keeps_the_console_up_with_the_demos_incidents(tmp_path):
    import http.client
    import signal
    import subprocess
    import sys

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "hub", "demo", str(tmp_path / "demo"), "--serve",
                             "--port", str(port)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        said = []
        for line in proc.stdout:          # the demo runs, then says where the console is
            said.append(line)
            if line.startswith("The console:"):
                break
        found = re.search(r"The console: http://127\.0\.0\.1:(\d+)/  \(user admin, password (\S+)\)", "".join(said))
        assert found and int(found[1]) == port, "".join(said)

        def call(method, path, body=None, cookie=""):
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, response.getheader("Set-Cookie") or "", response.read().decode()

        _, cookie, page = call("GET", "/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
        session = cookie.split(";")[0]
        from urllib.parse import urlencode
        status, cookie, _ = call("POST", "/login", urlencode({"csrf_token": token, "name": "admin",
                                                              "password": found[2]}), session)
        assert status == 302
        status, _, queue = call("GET", "/incidents/", cookie=cookie.split(";")[0])
        assert status == 200 and "review.hold_new_customer" in queue and "review.unknown_sku" in queue
    finally:
        proc.send_signal(signal.SIGINT)
        proc.stdout.close()
        assert proc.wait(30) == 0
    with socket.socket() as s:            # everything it served is down
        assert s.connect_ex(("127.0.0.1", port)) != 0
