"""A WSGI app served on a free loopback port by werkzeug, in a thread, for the demo."""

from __future__ import annotations

import threading

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

STOP_TIMEOUT = 10.0


class _QuietHandler(WSGIRequestHandler):
    """No access-log line per request: the demo's output says what travelled."""

    def log_request(self, code="-", size="-") -> None:
        pass


class LoopbackHttpServer:
    """One app on http://127.0.0.1:<port> (a free one by default), in a thread."""

    def __init__(self, app, name: str, port: int = 0, threaded: bool = False):
        self.app, self.name, self.wanted_port, self.threaded = app, name, port, threaded
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        """The port it listens on (once started)."""
        return self._server.port

    @property
    def url(self) -> str:
        """Its base URL, without a trailing slash."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> LoopbackHttpServer:
        """Listen and serve in a thread."""
        # Not threaded for the demo's own exchanges (one request at a time, each connection
        # closed after its answer, so stopping leaves nothing behind); threaded for a browser.
        self._server = make_server("127.0.0.1", self.wanted_port, self.app, threaded=self.threaded,
                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.05}, name=self.name,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving, close the socket and end the thread."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(STOP_TIMEOUT)
        self._server = None

    def __enter__(self) -> LoopbackHttpServer:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
