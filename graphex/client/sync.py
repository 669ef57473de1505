"""The sync client: :class:`Client` runs an :class:`~graphex.client.client.AsyncClient` on an
event loop in a helper (daemon) thread and blocks on each call.

Every coroutine method of the async client (and of its ``ops`` builder) is available with the
same arguments, returning the result instead of an awaitable::

    with Client("http://127.0.0.1:8090", keys=[wif]) as client:
        client.transfer("alice", "bob", "12.5 GPX")

One thread and one loop per client; calls from several threads are serialised by the loop.
``close()`` (or leaving the ``with``) closes the connection and stops the thread.
"""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Coroutine
from types import TracebackType
from typing import Any, Self

from .builders import OperationBuilder
from .client import AsyncClient

CLOSE_TIMEOUT_S = 10.0


class _Blocking:
    """Proxy: attribute calls returning awaitables are run on the loop and waited for."""

    def __init__(self, target: Any, run: Any) -> None:
        self._target, self._run = target, run

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        if isinstance(attr, OperationBuilder):
            return _Blocking(attr, self._run)
        if not callable(attr):
            return attr

        def call(*args: Any, **kwargs: Any) -> Any:
            result = attr(*args, **kwargs)
            return self._run(result) if inspect.isawaitable(result) else result

        call.__name__ = name
        call.__doc__ = attr.__doc__
        return call


class Client(_Blocking):
    """Blocking twin of :class:`AsyncClient` (same constructor arguments)."""

    def __init__(self, url: str, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True,
                                        name="graphex-client")
        self._thread.start()
        self.aio = AsyncClient(url, **options)
        super().__init__(self.aio, self._wait)

    def _wait(self, awaitable: Coroutine[Any, Any, Any]) -> Any:
        return asyncio.run_coroutine_threadsafe(awaitable, self._loop).result()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        try:
            asyncio.run_coroutine_threadsafe(self.aio.close(), self._loop).result(CLOSE_TIMEOUT_S)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(CLOSE_TIMEOUT_S)
            self._loop.close()
