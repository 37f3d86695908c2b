"""An SFTP server on loopback for the demo supplier Acme (asyncssh, in a thread of its own).

It logs in one user by one public key, shows a single folder as its whole file system (the
supplier's folder: what the hub uploads lands where the simulated supplier reads), and
offers the host key that the hub has pinned.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import asyncssh

START_TIMEOUT = 10.0


class EmbeddedSftpServer:
    """asyncssh serving ``root`` on 127.0.0.1 to ``username`` holding the given key."""

    def __init__(self, root: Path, host_key_file: Path, client_public_line: str, username: str):
        self.root = root.resolve()
        self.host_key_file = host_key_file
        self.client_key = asyncssh.import_public_key(client_public_line)
        self.username = username
        self.port: int | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._acceptor: asyncssh.SSHAcceptor | None = None
        self._connections: set[asyncssh.SSHServerConnection] = set()

    def start(self) -> int:
        """Listen on a free loopback port; return it."""
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="demo-sftp",
                                        daemon=True)
        self._thread.start()
        try:
            self._acceptor = asyncio.run_coroutine_threadsafe(
                self._listen(), self._loop).result(START_TIMEOUT)
        except BaseException:
            self._stop_loop()
            raise
        self.port = self._acceptor.get_port()
        return self.port

    async def _listen(self) -> asyncssh.SSHAcceptor:
        server = self

        class Login(asyncssh.SSHServer):
            """Public-key login for the one user; every connection is tracked to close it."""

            def connection_made(self, conn: asyncssh.SSHServerConnection) -> None:
                server._connections.add(conn)
                self._conn = conn

            def connection_lost(self, exc: Exception | None) -> None:
                server._connections.discard(self._conn)

            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return False

            def public_key_auth_supported(self) -> bool:
                return True

            def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
                return (username == server.username
                        and key.public_data == server.client_key.public_data)

        def sftp(chan: asyncssh.SSHServerChannel) -> asyncssh.SFTPServer:
            # chroot: "/" is the supplier's folder, and no path leads out of it.
            return asyncssh.SFTPServer(chan, chroot=str(self.root).encode())

        return await asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[asyncssh.read_private_key(self.host_key_file)],
            server_factory=Login, sftp_factory=sftp, allow_scp=False)

    def stop(self) -> None:
        """Close the listener and every connection, then end the server's thread."""
        if self._loop is None:
            return
        if self._acceptor is not None:
            asyncio.run_coroutine_threadsafe(self._close(), self._loop).result(START_TIMEOUT)
            self._acceptor = None
        self._stop_loop()

    async def _close(self) -> None:
        self._acceptor.close()
        await self._acceptor.wait_closed()
        # Closing the listener leaves open sessions running: close them too.
        for conn in list(self._connections):
            conn.close()
            await conn.wait_closed()

    def _stop_loop(self) -> None:
        loop, self._loop = self._loop, None
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(START_TIMEOUT)
        # Whatever a closed session left scheduled is cancelled here, not garbage-collected
        # later with a "task was destroyed but it is pending" warning.
        pending = asyncio.all_tasks(loop)
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()

    def __enter__(self) -> EmbeddedSftpServer:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
