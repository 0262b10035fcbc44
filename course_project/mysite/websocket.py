"""Channels' JSON consumer, made to answer bad frames instead of dying on them.

Channels' AsyncJsonWebsocketConsumer lets invalid JSON or a binary frame raise, which drops the
connection: one bad frame from one client costs that user their socket. SafeJsonWebsocketConsumer
keeps Channels' API (`receive_json`, `send_json(content, close=False)`, the `decode_json` and
`encode_json` hooks, the `groups` list that disconnecting leaves for you) and changes only what
goes wrong: a bad frame gets `{"error": ...}` back and the socket lives on, and a frame sent to a
socket that has just closed is dropped rather than raised (see send()).
"""

import contextlib
import json

from autobahn.exception import Disconnected
from channels.generic.websocket import AsyncJsonWebsocketConsumer

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

    async def send(self, text_data=None, bytes_data=None, close=False):
        """Send a frame; a socket that has just closed gets nothing, and the consumer lives on."""
        # A broadcast can reach a consumer after its client has gone but before the
        # websocket.disconnect queued behind it. Raising here would end the consumer without
        # running disconnect(), so it would never leave its groups.
        with contextlib.suppress(SOCKET_GONE):
            await super().send(text_data=text_data, bytes_data=bytes_data, close=close)
