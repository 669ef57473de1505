"""JSON-RPC dispatch of the node API, as a BitShares node does it; independent of chain and socket.

Owns: the API-set registry (:class:`ApiRegistry`), argument checking (:class:`MethodSpec`), the
per-connection state (:class:`Session`) and turning one decoded message (a request object or a
batch) into one reply with :func:`handle_decoded`. Parsing and size/depth limits are the
transport's job (``graphex.api.server``). Conventions follow fc (src/rpc/websocket_api.cpp):
``call [api, method, args]`` with ``api`` an id or a name resolved through the login API; any
other method goes to the database API with ``params`` as its arguments.

Invariants:
- Only methods listed in an API class's ``methods: ClassVar[frozenset[str]]`` are reachable;
  their argument count is checked against the signature before the call.
- API id 0 is ``database`` and id 1 is ``login`` on every connection; other ids are given per
  connection on first request, in request order, and never change for that connection.
- Every request gets exactly one reply, except JSON-RPC notifications (no id), which get none;
  every reply is valid JSON; no exception escapes :func:`handle_decoded`.
- A session's pending notifications never exceed ``max_pending_notifications``; on overflow the
  session is marked to be closed (``overflow`` holds the reason) and its outbox is dropped.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
import types
import typing
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Union

import msgspec

from graphex.api.errors import (
    ApiError,
    ErrorMapper,
    InvalidParams,
    InvalidRequest,
    LimitExceeded,
    MethodNotFound,
    internal_error,
    to_api_error,
)

log = logging.getLogger(__name__)

DATABASE_API = "database"
LOGIN_API = "login"
DATABASE_API_ID = 0
LOGIN_API_ID = 1
MAX_CLOSE_CALLBACKS = 64
DEFAULT_MAX_PENDING_NOTIFICATIONS = 1000


class ApiRegistrationError(ValueError):
    """An API set that cannot be exposed (bad name, unlisted or unsuitable method)."""


CallObserver = Callable[[str, str, float, bool], None]
"""Told of each API method call: ``(api, method, seconds, failed)``."""

JsonTypes = tuple[type, ...]
_NONE = type(None)
_SIMPLE_HINTS: dict[Any, JsonTypes] = {
    int: (int,),
    str: (str,),
    bool: (bool,),
    float: (float, int),
    list: (list,),
    dict: (dict,),
    None: (_NONE,),
    _NONE: (_NONE,),
}
_JSON_NAMES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "integer",
    float: "number",
    _NONE: "null",
}


@dataclass(frozen=True)
class MethodSpec:
    """What an exposed method accepts: positional argument count and simple JSON types."""

    name: str
    arg_names: tuple[str, ...]
    min_args: int
    max_args: int | None
    arg_types: tuple[JsonTypes | None, ...]
    wants_session: bool

    @classmethod
    def of(cls, name: str, function: Callable[..., Any]) -> MethodSpec:
        params = list(inspect.signature(function).parameters.values())
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        keyword = [p for p in params if p.kind is p.KEYWORD_ONLY]
        required_kw = [p.name for p in keyword if p.name != "session" and p.default is p.empty]
        if required_kw:
            raise ValueError(f"method {name!r} has required keyword-only parameters {required_kw}")
        hints = _type_hints(function)
        return cls(
            name=name,
            arg_names=tuple(p.name for p in positional),
            min_args=sum(1 for p in positional if p.default is p.empty),
            max_args=None if any(p.kind is p.VAR_POSITIONAL for p in params) else len(positional),
            arg_types=tuple(_json_types(hints.get(p.name, Any)) for p in positional),
            wants_session=any(p.name == "session" for p in keyword),
        )

    def check_args(self, args: list[Any]) -> None:
        """Raise :class:`InvalidParams` naming the method unless ``args`` fit the signature."""
        count = len(args)
        if count < self.min_args or (self.max_args is not None and count > self.max_args):
            raise InvalidParams(f"{self.name} expects {self.arity()}, got {count}")
        for index, (arg, allowed) in enumerate(zip(args, self.arg_types)):
            if allowed is not None and type(arg) not in allowed:
                expected = " or ".join(dict.fromkeys(_JSON_NAMES[t] for t in allowed))
                raise InvalidParams(
                    f"{self.name} argument {index + 1} ({self.arg_names[index]}) "
                    f"expects {expected}, got {json_type(arg)}"
                )

    def arity(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args} argument{'' if self.min_args == 1 else 's'}"
        if self.min_args == self.max_args:
            return f"{self.max_args} argument{'' if self.max_args == 1 else 's'}"
        return f"{self.min_args}-{self.max_args} arguments"


def _type_hints(function: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(getattr(function, "__func__", function))
    except Exception:  # noqa: BLE001 - unresolvable annotations only disable type checks
        return {}


def _json_types(hint: Any) -> JsonTypes | None:
    """The decoded-JSON types accepted for annotation ``hint``; ``None`` means unchecked."""
    if hint in _SIMPLE_HINTS:
        return _SIMPLE_HINTS[hint]
    origin = typing.get_origin(hint)
    if origin in (Union, types.UnionType):
        arms = [_json_types(arm) for arm in typing.get_args(hint)]
        return None if any(arm is None for arm in arms) else tuple(t for a in arms for t in a or ())
    if origin in (list, tuple, Sequence):
        return (list,)
    if origin in (dict, Mapping):
        return (dict,)
    return None


class LoginApi:
    """The login API (id 1). Its other methods, one per registered API name, are virtual."""

    methods: ClassVar[frozenset[str]] = frozenset({"login", "get_api_by_name"})

    def login(self, user: str, password: str) -> bool:
        """As a node without an api-access file: everyone may use the default APIs."""
        return True

    def get_api_by_name(self, api_name: str, *, session: Session) -> int | None:
        """The id of ``api_name`` on this connection, or ``None`` if there is no such API."""
        return session.api_id(api_name) if session.registry.has(api_name) else None


@dataclass(frozen=True)
class RegisteredApi:
    """An API set: its name, the object serving it and the specs of its exposed methods."""

    name: str
    obj: object
    specs: dict[str, MethodSpec]


class ApiRegistry:
    """API sets by name; id 0 is ``database`` and id 1 is ``login`` on every connection."""

    def __init__(self, database: object, *, error_mapper: ErrorMapper | None = None) -> None:
        self.error_mapper = error_mapper
        self._apis: dict[str, RegisteredApi] = {}
        self._add(DATABASE_API, database)
        self._add(LOGIN_API, LoginApi())

    def register(self, name: str, api: object) -> None:
        """Expose ``api`` under ``name``; its ``methods`` class attribute lists what is callable."""
        if not name.isidentifier() or name in self._apis or name in LoginApi.methods:
            raise ApiRegistrationError(f"API name {name!r} is invalid, reserved or already taken")
        self._add(name, api)

    def _add(self, name: str, api: object) -> None:
        listed = getattr(type(api), "methods", None)
        if not isinstance(listed, frozenset) or not all(isinstance(m, str) for m in listed):
            raise ApiRegistrationError(
                f"API {name!r}: class {type(api).__name__} needs methods: ClassVar[frozenset[str]]"
            )
        specs = {method: self._spec(name, api, method) for method in sorted(listed)}
        self._apis[name] = RegisteredApi(name, api, specs)

    @staticmethod
    def _spec(api_name: str, api: object, method: str) -> MethodSpec:
        function = getattr(api, method, None)
        if not callable(function):
            raise ApiRegistrationError(f"API {api_name!r} lists {method!r} but has no such method")
        try:
            return MethodSpec.of(method, function)
        except ValueError as exc:
            raise ApiRegistrationError(f"API {api_name!r}: {exc}") from exc

    def has(self, name: str) -> bool:
        return name in self._apis

    def get(self, name: str) -> RegisteredApi:
        return self._apis[name]

    def names(self) -> tuple[str, ...]:
        return tuple(self._apis)

    def new_session(
        self,
        peer: str = "",
        *,
        streaming: bool = False,
        max_pending_notifications: int = DEFAULT_MAX_PENDING_NOTIFICATIONS,
        observer: CallObserver | None = None,
    ) -> Session:
        return Session(self, peer, streaming=streaming, max_pending=max_pending_notifications,
                       observer=observer)


class Session:
    """One client connection: its API ids and its outbox of notifications.

    ``notify`` must be called on the event loop's thread. Over HTTP (``streaming=False``)
    ``notify`` does nothing, as a reply cannot be pushed there. ``observer`` (e.g. metrics) is
    told of every call of an exposed method.
    """

    def __init__(self, registry: ApiRegistry, peer: str, *, streaming: bool, max_pending: int,
                 observer: CallObserver | None = None):
        self.registry = registry
        self.observer = observer
        self.peer = peer
        self.streaming = streaming
        self.max_pending = max_pending
        self.outbox: deque[bytes] = deque()
        self.wakeup = asyncio.Event()
        self.overflow: str | None = None
        self.closed = False
        self._ids: dict[str, int] = {DATABASE_API: DATABASE_API_ID, LOGIN_API: LOGIN_API_ID}
        self._by_id: list[RegisteredApi] = [registry.get(DATABASE_API), registry.get(LOGIN_API)]
        self._on_close: list[Callable[[], None]] = []

    def api_id(self, name: str) -> int:
        """The id of API ``name`` on this connection, given on first use."""
        if name not in self._ids:
            if not self.registry.has(name):
                known = ", ".join(self.registry.names())
                raise MethodNotFound(
                    f"No method with name '{name}' in API 'login' "
                    f"(unknown API name; known: {known})"
                )
            self._ids[name] = len(self._by_id)
            self._by_id.append(self.registry.get(name))
        return self._ids[name]

    def api_by_id(self, api_id: int) -> RegisteredApi:
        if not 0 <= api_id < len(self._by_id):
            raise MethodNotFound(
                f"API id {api_id} is not registered on this connection "
                f"(ids 0-{len(self._by_id) - 1}; get one via [1, <name>, []])"
            )
        return self._by_id[api_id]

    def notify(self, callback_id: int, payload: Any) -> None:
        """Queue ``{"method":"notice","params":[callback_id,[payload]]}`` for the client."""
        if not self.streaming or self.closed:
            return
        if len(self.outbox) >= self.max_pending:
            self._overflowed()
            return
        message = {"method": "notice", "params": [callback_id, [payload]]}
        self.outbox.append(msgspec.json.encode(message))
        self.wakeup.set()

    def _overflowed(self) -> None:
        self.overflow = (
            f"connection exceeds max_pending_notifications: "
            f"{len(self.outbox) + 1} > {self.max_pending}"
        )
        log.warning("closing API connection from %s: %s", self.peer, self.overflow)
        self.outbox.clear()
        self.closed = True
        self.wakeup.set()

    def take_outgoing(self) -> list[bytes]:
        messages = list(self.outbox)
        self.outbox.clear()
        return messages

    def on_close(self, callback: Callable[[], None]) -> None:
        """Run ``callback`` when the connection ends (e.g. to drop its subscriptions)."""
        if len(self._on_close) >= MAX_CLOSE_CALLBACKS:
            raise LimitExceeded("MAX_CLOSE_CALLBACKS", len(self._on_close) + 1, MAX_CLOSE_CALLBACKS)
        self._on_close.append(callback)

    def close(self) -> None:
        self.closed = True
        self.wakeup.set()
        callbacks, self._on_close = self._on_close, []
        for callback in callbacks:
            try:
                callback()
            except Exception:  # one failing cleanup must not skip the others
                log.exception("session close callback failed for %s", self.peer)


@dataclass(frozen=True)
class Reply:
    """What to send back for one message: ``body`` (``None``: nothing) and, for a single error
    reply, its ``error_code`` (the HTTP transport derives its status from it)."""

    body: bytes | None
    error_code: int | None = None


def error_message(error: ApiError) -> Reply:
    """The reply to a message that could not be parsed or was refused as a whole."""
    return Reply(encode_reply(error_reply(None, error)), error.code)


async def handle_decoded(registry: ApiRegistry, session: Session, value: Any) -> Reply:
    """The reply to one decoded message: a request object or a non-empty batch array."""
    if not isinstance(value, list):
        reply = await handle_request(registry, session, value)
        if reply is None:
            return Reply(None)
        error = reply.get("error")
        return Reply(encode_reply(reply), error["code"] if error is not None else None)
    replies = [await handle_request(registry, session, item) for item in value]
    encoded = [encode_reply(reply) for reply in replies if reply is not None]
    return Reply(b"[" + b",".join(encoded) + b"]" if encoded else None)


async def handle_request(
    registry: ApiRegistry, session: Session, request: Any
) -> dict[str, Any] | None:
    """The reply object for one request object, or ``None`` for a notification."""
    try:
        request_id, method, params = validate_request(request)
    except ApiError as exc:
        return error_reply(None, exc)
    has_id = "id" in request and ("jsonrpc" in request or request_id is not None)
    try:
        result = await dispatch(registry, session, method, params)
    except ApiError as exc:
        return error_reply(request_id, exc) if has_id else None
    return {"id": request_id, "jsonrpc": "2.0", "result": result} if has_id else None


def validate_request(request: Any) -> tuple[Any, str, list[Any]]:
    """``(id, method, params)`` of a JSON-RPC request object, as fc checks it."""
    if not isinstance(request, dict):
        raise InvalidRequest(f"Invalid JSON request: expected an object, got {json_type(request)}")
    request_id = request.get("id")
    if isinstance(request_id, (bool, list, dict)):
        raise InvalidRequest(
            f"Invalid id: expected string, number or null, got {json_type(request_id)}"
        )
    if "jsonrpc" in request and request["jsonrpc"] != "2.0":
        raise InvalidRequest('Unsupported JSON-RPC version: jsonrpc must be "2.0"')
    method = request.get("method")
    if not isinstance(method, str) or not method:
        raise InvalidRequest("Missing or invalid method: expected a non-empty string")
    params = request.get("params", [])
    if isinstance(params, dict):
        raise InvalidParams("Named parameters not supported: params must be an array")
    if not isinstance(params, list):
        raise InvalidRequest(f"Invalid parameters: expected an array, got {json_type(params)}")
    return request_id, method, params


async def dispatch(registry: ApiRegistry, session: Session, method: str, params: list[Any]) -> Any:
    """Route ``method`` with ``params`` to an API method and return its (JSON-ready) result."""
    if method in ("notice", "callback"):
        raise MethodNotFound(f"Method not found: '{method}' is only sent by a node to its client")
    if method != "call":
        return await invoke(registry, session, session.api_by_id(DATABASE_API_ID), method, params)
    if len(params) != 3 or not isinstance(params[2], list) or not isinstance(params[1], str):
        raise InvalidParams(
            f"call expects [api, method, [args]], got {len(params)} params: "
            f"{', '.join(json_type(p) for p in params[:3])}"
        )
    api, name, args = params
    if isinstance(api, str):
        entry = session.api_by_id(session.api_id(api))
    elif isinstance(api, int) and not isinstance(api, bool):
        entry = session.api_by_id(api)
    else:
        raise InvalidParams(f"call expects an API id or name first, got {json_type(api)}")
    return await invoke(registry, session, entry, name, args)


async def invoke(
    registry: ApiRegistry, session: Session, entry: RegisteredApi, name: str, args: list[Any]
) -> Any:
    """Check ``args`` against the method's signature, call it (awaiting if async)."""
    if entry.name == LOGIN_API and name not in entry.specs and registry.has(name):
        if args:
            raise InvalidParams(f"{name} expects 0 arguments, got {len(args)}")
        return session.api_id(name)
    spec = entry.specs.get(name)
    if spec is None:
        raise MethodNotFound(f"No method with name '{name}' in API '{entry.name}'")
    started, failed = time.perf_counter(), True
    try:
        spec.check_args(args)
        kwargs = {"session": session} if spec.wants_session else {}
        try:
            result = getattr(entry.obj, name)(*args, **kwargs)
            result = await result if inspect.isawaitable(result) else result
        except Exception as exc:  # noqa: BLE001 - every failure becomes a typed API error
            raise to_api_error(exc, name, registry.error_mapper) from None
        failed = False
        return result
    finally:
        if session.observer is not None:
            session.observer(entry.name, name, time.perf_counter() - started, failed)


def error_reply(request_id: Any, error: ApiError) -> dict[str, Any]:
    return {"id": request_id, "jsonrpc": "2.0", "error": error.to_json()}


def encode_reply(reply: dict[str, Any]) -> bytes:
    """JSON bytes of ``reply``; a result that cannot be encoded becomes a -32603 error."""
    try:
        return msgspec.json.encode(reply)
    except (TypeError, ValueError, OverflowError, msgspec.EncodeError) as exc:
        log.error("API reply for id %r is not JSON-serializable: %s", reply.get("id"), exc)
        fallback = error_reply(_safe_id(reply.get("id")), internal_error("reply encoding"))
        return msgspec.json.encode(fallback)


def _safe_id(request_id: Any) -> Any:
    return request_id if isinstance(request_id, (str, int, float)) or request_id is None else None


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value (for error messages)."""
    return _JSON_NAMES.get(type(value), type(value).__name__)
