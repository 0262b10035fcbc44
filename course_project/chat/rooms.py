"""Room names: one rule, used by the URL converter, the consumer and the group name."""

import re

ROOM_NAME_PATTERN = r"[A-Za-z0-9_.-]{1,64}"
_ROOM_NAME = re.compile(ROOM_NAME_PATTERN)


def is_valid_room_name(name):
    return bool(_ROOM_NAME.fullmatch(name))


def room_group_name(room_name):
    # Valid room names use only characters group names allow, and stay far below their
    # 100-character limit, so no escaping is needed (and no user text reaches the layer).
    return f"chat_{room_name}"


class RoomNameConverter:
    """`<room:room_name>` in urls.py: anything else is a 404 before a view runs."""

    regex = ROOM_NAME_PATTERN

    def to_python(self, value):
        return value

    def to_url(self, value):
        return value
