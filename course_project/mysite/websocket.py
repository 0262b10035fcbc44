"""Channels' JSON consumer, made to answer bad frames instead of dying on them.

Channels' AsyncJsonWebsocketConsumer lets invalid JSON or a binary frame raise, which drops the
connection: one bad frame from one client costs that user their socket. SafeJsonWebsocketConsumer
keeps Channels' API (`receive_json`, `send_json(content, close=False)`, the `decode_json` and
`encode_json` hooks, the `groups` list that disconnecting leaves for you) and changes only what
goes wrong: a bad frame gets `{"error": ...}` back and the socket lives on, a frame sent to a
socket that has just closed is dropped rather than raised, and a client that stops reading is
disconnected once a send has waited `send_timeout` seconds for it (see send()).
"""

import asyncio
import json
import logging

from autobahn.exception import Disconnected
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings

logger = logging.getLogger(__name__)

# What a server raises when a consumer sends on a socket that has already closed: the ASGI spec
# asks for an OSError subclass (uvicorn's ClientDisconnected); daphne lets autobahn's through.
SOCKET_GONE = (OSError, Disconnected)


class FrameError(ValueError):
    """An incoming frame the consumer cannot accept; the message goes back to the sender.

    Keyword arguments go into the error frame too, e.g. the id of the message it refuses:
    `FrameError("message is blank", id="c81e")` sends `{"error": "message is blank", "id": "c81e"}`.
    """

    def __init__(self, message, **details):
        super().__init__(message)
        self.details = details


def encode(content):
    """Serialize once, compactly; the same text can then go to every socket in a group."""
    return json.dumps(content, separators=(",", ":"), ensure_ascii=False)


class SafeJsonWebsocketConsumer(AsyncJsonWebsocketConsumer):
    """Decodes text frames to dicts for receive_json(); answers anything else with an error."""

    #: Frames longer than this (in characters) are refused before parsing.
    max_frame_length = 64 * 1024

    async def receive(self, text_data=None, bytes_data=None, **kwargs):
        """Called with each frame from the client."""
        try:
            if text_data is None:
                raise FrameError("binary frames are not accepted; send JSON text")
            if len(text_data) > self.max_frame_length:
                raise FrameError(f"frame too large: at most {self.max_frame_length} characters")
            await self.receive_json(await self.decode_json(text_data), **kwargs)
        except FrameError as error:
            await self.send_error(str(error), **error.details)

    @classmethod
    async def decode_json(cls, text_data):
        """The frame's JSON object as a dict, or FrameError saying why it is not one."""
        try:
            content = json.loads(text_data)
        except ValueError:
            raise FrameError("frame is not valid JSON") from None
        except RecursionError:
            raise FrameError("frame is nested too deeply") from None
        if not isinstance(content, dict):
            raise FrameError("frame must be a JSON object")
        return content

    @classmethod
    async def encode_json(cls, content):
        return encode(content)

    async def receive_json(self, content, **kwargs):
        """Called with each decoded frame; raise FrameError to reject it."""
        raise FrameError("this socket does not accept messages")

    async def send_json(self, content, close=False):
        """Encode `content` as JSON and send it (then close the socket, if `close`)."""
        # Through self.send(), not Channels' own, so a socket that has gone is handled there.
        await self.send(text_data=await self.encode_json(content), close=close)

    async def send_error(self, message, **details):
        await self.send_json({"error": message, **details})

    async def join_group(self, group):
        """Add this socket to `group`; it leaves every group it joined when it disconnects."""
        await self.channel_layer.group_add(group, self.channel_name)
        # Channels' websocket_disconnect() discards every group in self.groups.
        self.groups.append(group)

    @property
    def send_timeout(self):
        """Seconds a send may wait for the client to read before the socket is dropped."""
        return settings.WEBSOCKET_SEND_TIMEOUT

    async def send(self, text_data=None, bytes_data=None, close=False):
        """Send a frame; a socket that has just closed gets nothing, and the consumer lives on.

        A client that reads nothing makes the server keep everything sent to it. A server that
        applies backpressure (uvicorn) makes this send wait once the client's buffers are full:
        after `send_timeout` seconds the socket is given up and disconnected, and what was
        waiting for it is freed. (daphne never makes a send wait: it buffers without limit,
        which is why the deployment uses uvicorn; see deploy/chat.service.)
        """
        try:
            async with asyncio.timeout(self.send_timeout):
                await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
        except TimeoutError:  # before SOCKET_GONE: TimeoutError is an OSError too
            logger.warning(
                "dropped a socket on %s: its client read nothing for %s s",
                self.scope.get("path"),
                self.send_timeout,
            )
            # Runs disconnect(), leaves the groups, and ends this consumer (StopConsumer).
            await self.websocket_disconnect({"type": "websocket.disconnect", "code": 1008})
        except SOCKET_GONE:
            # A broadcast can reach a consumer after its client has gone but before the
            # websocket.disconnect queued behind it. Raising here would end the consumer without
            # running disconnect(), so it would never leave its groups.
            pass

    async def layer_reconnected(self, event):
        """Called when the channel layer is back after a Redis outage (mysite.layers) and this
        socket is in its groups again. What the groups were sent before that never arrived; a
        consumer that can catch up from the database overrides this (the chat does)."""


class WebsocketNotFound(AsyncJsonWebsocketConsumer):
    """Refuses a handshake to a path no route serves: HTTP 404 where the server can send one
    (uvicorn offers ASGI's websocket.http.response extension), else the usual 403 (daphne)."""

    async def connect(self):
        if "websocket.http.response" not in self.scope.get("extensions", {}):
            await self.close()
            return
        headers = [(b"content-type", b"text/plain; charset=utf-8")]
        await self.base_send(
            {"type": "websocket.http.response.start", "status": 404, "headers": headers}
        )
        await self.base_send(
            {"type": "websocket.http.response.body", "body": b"No WebSocket route here.\n"}
        )
        raise StopConsumer
