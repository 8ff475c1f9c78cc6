"""What the fake services share: a threaded werkzeug server on 127.0.0.1 with a free port."""

from __future__ import annotations

import threading

from werkzeug.serving import make_server


class LoopbackServer:
    """Start and stop `self._wsgi` on 127.0.0.1; `url` is set while it runs. Use as a context manager."""

    server_name = "fake"
    request_handler = None  # a WSGIRequestHandler subclass, when the fake needs its own

    url: str | None = None
    _server = None
    _thread = None

    def start(self):
        kwargs = {"request_handler": self.request_handler} if self.request_handler else {}
        self._server = make_server("127.0.0.1", 0, self._wsgi, threaded=True, **kwargs)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # A short poll interval keeps stop() (and so every test's teardown) quick.
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name=self.server_name,
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(timeout=5)
            self._server = self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _wsgi(self, environ, start_response):  # pragma: no cover - each fake defines its own
        raise NotImplementedError
