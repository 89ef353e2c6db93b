"""Talking HTTP to the Bot API through aiohttp instead of PTB's default httpx.

Every message the bot sends is one HTTP request, and at 30 a second for a whole county the
client's own cost matters: a sendMessage through PTB cost about four times the CPU with httpx
as with aiohttp (`python -m bench.http_client` measures it). PTB documents `BaseRequest` as the
place to plug another client in; this is that, and only that: timeouts and errors mean what
they mean with PTB's HTTPXRequest.
"""

from __future__ import annotations

import json

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

# PTB's own defaults (HTTPXRequest), so a setting means the same here.
READ_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0


class AiohttpRequest(BaseRequest):
    """One pool of keep-alive connections to the Bot API.

    aiohttp has no write timeout: a request body is small (a photo is the largest, a chart of a
    few tens of KB), so the read timeout, which runs from the moment it is sent, bounds it.
    """

    def __init__(
        self,
        *,
        connection_pool_size: int = 1,
        read_timeout: float | None = READ_TIMEOUT,
        connect_timeout: float | None = CONNECT_TIMEOUT,
        pool_timeout: float | None = 1.0,
    ) -> None:
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # A session belongs to the event loop it was made in, so it is made here.
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._pool_size),
                headers={"User-Agent": self.USER_AGENT},
            )

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        if isinstance(read_timeout, DefaultValue):
            read_timeout = self._read_timeout
        if isinstance(connect_timeout, DefaultValue):
            connect_timeout = self._connect_timeout
        if isinstance(pool_timeout, DefaultValue):
            pool_timeout = self._pool_timeout
        timeout = aiohttp.ClientTimeout(
            total=None,
            # aiohttp's `connect` is waiting for a free connection in the pool, and opening one.
            connect=None
            if pool_timeout is None or connect_timeout is None
            else pool_timeout + connect_timeout,
            sock_connect=connect_timeout,
            sock_read=read_timeout,
        )
        try:
            body, headers = _body(request_data)
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=timeout
            ) as response:
                return response.status, await response.read()
        except TimeoutError as error:
            # Like PTB's: a read timeout means the request may well have reached Telegram.
            raise TimedOut from error
        except aiohttp.ClientError as error:
            raise NetworkError(f"aiohttp.{type(error).__name__}: {error}") from error


_JSON = {"Content-Type": "application/json"}


def _body(
    request_data: RequestData | None,
) -> tuple[bytes | aiohttp.FormData | None, dict[str, str] | None]:
    """The request's body and its headers. Without files, one JSON object (the Bot API takes
    application/json): a keyboard goes as itself, where a form would have quoted it character by
    character, which cost more than the rest of the request. Files go as multipart form data."""
    if request_data is None:
        return None, None
    files = request_data.multipart_data
    if not files:
        payload = json.dumps(request_data.parameters, ensure_ascii=False, separators=(",", ":"))
        return payload.encode(), _JSON
    form = aiohttp.FormData()
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, (filename, content, mimetype) in files.items():
        form.add_field(name, content, filename=filename, content_type=mimetype)
    return form, None
