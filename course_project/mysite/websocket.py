"""A JSON WebSocket consumer that answers bad frames instead of dying on them.

Channels' AsyncJsonWebsocketConsumer lets invalid JSON or a binary frame raise, which drops the
connection: one bad frame from one client costs that user their socket. Here every frame is
decoded and checked in one place, and a bad one gets `{"error": ...}` back; the socket lives on.
A frame sent to a socket that has just closed is dropped, not raised: see send().
"""

import contextlib
import json

from autobahn.exception import Disconnected
from channels.generic.websocket import AsyncWebsocketConsumer

# What a server raises when a consumer sends on a socket that has already closed: the ASGI spec
# asks for an OSError subclass (uvicorn's ClientDisconnected); daphne lets autobahn's through.
SOCKET_GONE = (OSError, Disconnected)


class FrameError(ValueError):
    """An incoming frame the consumer cannot accept; the message goes back to the sender."""


def encode(payload):
    """Serialize once, compactly; the same text can then go to every socket in a group."""
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False)


class SafeJsonWebsocketConsumer(AsyncWebsocketConsumer):
    """Decodes text frames to dicts for receive_json(); answers anything else with an error."""

    #: Frames longer than this (in characters) are refused before parsing.
    max_frame_length = 64 * 1024

    async def receive(self, text_data=None, bytes_data=None):
        """Called with each frame from the client."""
        try:
            content = self.decode_frame(text_data, bytes_data)
            await self.receive_json(content)
        except FrameError as error:
            await self.send_error(str(error))

    def decode_frame(self, text_data, bytes_data):
        if text_data is None:
            raise FrameError("binary frames are not accepted; send JSON text")
        if len(text_data) > self.max_frame_length:
            raise FrameError(f"frame too large: at most {self.max_frame_length} characters")
        try:
            content = json.loads(text_data)
        except ValueError:
            raise FrameError("frame is not valid JSON") from None
        except RecursionError:
            raise FrameError("frame is nested too deeply") from None
        if not isinstance(content, dict):
            raise FrameError("frame must be a JSON object")
        return content

    async def receive_json(self, content):
        """Called with each decoded frame; raise FrameError to reject it."""
        raise FrameError("this socket does not accept messages")

    async def send_json(self, payload):
        await self.send(text_data=encode(payload))

    async def send_error(self, message):
        await self.send_json({"error": message})

    async def send(self, text_data=None, bytes_data=None, close=False):
        """Send a frame; a socket that has just closed gets nothing, and the consumer lives on."""
        # A broadcast can reach a consumer after its client has gone but before the
        # websocket.disconnect queued behind it. Raising here would end the consumer without
        # running disconnect(), so it would never leave its groups.
        with contextlib.suppress(SOCKET_GONE):
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
