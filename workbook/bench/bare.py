"""The chat consumer of the official Channels tutorial, as the baseline the course consumer is
measured against: no validation, no rate limit, no history, no mentions, JSON encoded per socket.
"""

import json

from channels.generic.websocket import AsyncWebsocketConsumer


class BareChatConsumer(AsyncWebsocketConsumer):
    """One socket in one room, as in the Channels tutorial (part 3), except for the group prefix:
    `bare_` keeps it from ever sharing a group with the course's ChatConsumer (`chat_`).
    """

    async def connect(self):
        """Called when a client asks to open the socket."""
        self.room_name = self.scope["url_route"]["kwargs"]["room_name"]
        self.room_group_name = f"bare_{self.room_name}"
        await self.channel_layer.group_add(self.room_group_name, self.channel_name)
        await self.accept()

    async def disconnect(self, close_code):
        """Called when the socket closes."""
        await self.channel_layer.group_discard(self.room_group_name, self.channel_name)

    async def receive(self, text_data=None, bytes_data=None):
        """Called with each frame from the client."""
        message = json.loads(text_data)["message"]
        await self.channel_layer.group_send(
            self.room_group_name, {"type": "chat.message", "message": message}
        )

    async def chat_message(self, event):
        """Called for each message sent to the room's group."""
        await self.send(text_data=json.dumps({"message": event["message"]}))


# At the end, not the top: lesson 15 shows this class by its line numbers.
__all__ = ["BareChatConsumer"]
