"""Typed errors of the node API and their JSON-RPC / fc wire shape.

Owns the mapping from Python exceptions to the ``error`` member of a JSON-RPC response, in the
shape a BitShares node (fc: src/rpc/websocket_api.cpp, src/exception.cpp) sends and
python-graphenelib parses (grapheneapi/rpc.py ``parse_response``).

Invariants:
- Every :class:`ApiError` has an ``int`` code and a non-empty message; its wire form is
  ``{"code", "message"[, "data"]}`` and is JSON-ready.
- Protocol errors use the JSON-RPC codes: -32700 parse, -32600 invalid request (also limits),
  -32601 method not found, -32602 invalid params, -32603 internal.
- A chain refusal (:class:`ExecutionError`) has the fc shape: message ``"Execution error: <text>"``
  and ``data = {code, name, message, stack: [{context, format, data: {}}]}`` whose ``format`` has
  no ``${`` placeholder, so clients that substitute ``stack[0].data`` into it get ``<text>`` back.
- :func:`to_api_error` never raises and never puts a traceback on the wire; unexpected
  exceptions are logged with their traceback and reported as -32603.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

log = logging.getLogger(__name__)

PARSE_ERROR = -32700
INVALID_REQUEST = -32600
METHOD_NOT_FOUND = -32601
INVALID_PARAMS = -32602
INTERNAL_ERROR = -32603
DEFAULT_EXECUTION_CODE = 1
EXECUTION_PREFIX = "Execution error"
MAX_ERROR_TEXT_CHARS = 4096

ErrorMapper = Callable[[Exception], "ApiError | None"]


class ApiError(Exception):
    """An error reported to the API client as a JSON-RPC ``error`` object."""

    code: int = INTERNAL_ERROR

    def __init__(self, message: str, *, code: int | None = None, data: Any = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code
        self.message = message
        self.data = data

    def to_json(self) -> dict[str, Any]:
        """The JSON-RPC ``error`` member."""
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return error


class ParseError(ApiError):
    """The request bytes are not valid JSON (or not UTF-8)."""

    code = PARSE_ERROR


class InvalidRequest(ApiError):
    """The JSON is not a valid JSON-RPC request object."""

    code = INVALID_REQUEST


class LimitExceeded(InvalidRequest):
    """A request exceeds a named transport limit; the message names the limit and the values."""

    def __init__(self, limit_name: str, value: int | str, limit: int, what: str = "") -> None:
        detail = f" ({what})" if what else ""
        super().__init__(f"request exceeds {limit_name}: {value} > {limit}{detail}")
        self.limit_name = limit_name
        self.value = value
        self.limit = limit


class MethodNotFound(ApiError):
    """No exposed method of that name on that API (or no such API on this connection)."""

    code = METHOD_NOT_FOUND


class InvalidParams(ApiError):
    """Wrong number or types of arguments for a method."""

    code = INVALID_PARAMS


class InternalError(ApiError):
    """An unexpected failure inside the node; details are in the node log only."""

    code = INTERNAL_ERROR


class ExecutionError(ApiError):
    """A refusal by the chain (bad input), in fc's ``Execution error`` shape."""

    def __init__(
        self,
        text: str,
        *,
        code: int = DEFAULT_EXECUTION_CODE,
        name: str = "graphex_error",
        method: str = "",
        now: datetime | None = None,
    ) -> None:
        text = readable_text(text)
        data = fc_exception_data(text, code=code, name=name, method=method, now=now)
        super().__init__(f"{EXECUTION_PREFIX}: {text}", code=code, data=data)
        self.text = text


def readable_text(text: str) -> str:
    """``text`` bounded in length, with no fc ``${`` placeholder left in it."""
    text = text.replace("${", "$ {").strip() or "unspecified error"
    if len(text) > MAX_ERROR_TEXT_CHARS:
        text = text[:MAX_ERROR_TEXT_CHARS] + "…"
    return text


def fc_exception_data(
    text: str, *, code: int, name: str, method: str, now: datetime | None = None
) -> dict[str, Any]:
    """fc's ``to_variant(fc::exception)``: one log message whose format is the readable text."""
    moment = now if now is not None else datetime.now(UTC)
    context = {
        "level": "error",
        "file": "graphex",
        "line": 0,
        "method": method,
        "hostname": "",
        "timestamp": moment.strftime("%Y-%m-%dT%H:%M:%S"),
    }
    stack = [{"context": context, "format": text, "data": {}}]
    return {"code": code, "name": name, "message": text, "stack": stack}


def snake_case(name: str) -> str:
    """``InsufficientBalance`` → ``insufficient_balance`` (fc-style exception names)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def to_api_error(exc: Exception, method: str, mapper: ErrorMapper | None = None) -> ApiError:
    """Translate any exception raised while serving ``method`` into an :class:`ApiError`.

    Order: an :class:`ApiError` as is; an exception with an ``int`` attribute ``api_code`` as an
    :class:`ExecutionError` with that code; then ``mapper``; anything else becomes -32603.
    """
    if isinstance(exc, ApiError):
        return exc
    api_code = getattr(exc, "api_code", None)
    if isinstance(api_code, int) and not isinstance(api_code, bool):
        name = getattr(exc, "api_name", None)
        name = name if isinstance(name, str) else snake_case(type(exc).__name__)
        return ExecutionError(str(exc), code=api_code, name=name, method=method)
    mapped = _apply_mapper(exc, method, mapper)
    if mapped is not None:
        return mapped
    log.error("unexpected exception in API method %s", method, exc_info=exc)
    return internal_error(method)


def _apply_mapper(exc: Exception, method: str, mapper: ErrorMapper | None) -> ApiError | None:
    if mapper is None:
        return None
    try:
        mapped = mapper(exc)
    except Exception:  # a broken mapper must not break the connection
        log.exception("API error mapper failed on %r from %s", exc, method)
        return None
    return mapped if isinstance(mapped, ApiError) else None


def internal_error(method: str) -> InternalError:
    """The -32603 error for ``method``: names the method, leaks nothing else."""
    return InternalError(f"Internal error in {method or 'request'} (details in the node log)")
