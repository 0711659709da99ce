"""http: the gate's HTTP listener (Starlette on uvicorn): ``/metrics`` and ``/healthz``.
The quarantine review pages will be served by this same listener."""

from piigate.http.app import build_app
from piigate.http.metrics import GateMetrics
from piigate.http.server import HttpServer

__all__ = ["GateMetrics", "HttpServer", "build_app"]
