"""Run the service: ``python -m <package>`` (the container's entry point)."""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from types import FrameType

from . import SERVICE_NAME, __version__
from .app import Service, make_server
from .logs import configure_logging

log = logging.getLogger(__name__)


def main() -> int:
    """Serve until SIGTERM or SIGINT; stop taking traffic first, then finish what is in flight."""
    configure_logging(os.environ.get("LOG_LEVEL", "INFO"))
    port = int(os.environ.get("PORT", "8080"))
    service = Service(name=SERVICE_NAME, version=__version__)
    server = make_server(service, host="0.0.0.0", port=port)  # noqa: S104 - in a container

    def stop(signum: int, _frame: FrameType | None) -> None:
        log.info("shutting down", extra={"signal": signal.Signals(signum).name})
        service.ready = False  # readiness fails first, so the Service stops sending traffic
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    service.ready = True
    log.info("listening", extra={"port": server.server_address[1], "version": __version__})
    server.serve_forever()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
