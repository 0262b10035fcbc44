"""What the DEBUG error page (and the error e-mails) may show: no passwords inside URLs.

Django hides settings whose names look secret (KEY, TOKEN, PASS, ...), but `REDIS_URL` is not
such a name, and `redis://:password@host:6379/0` carries its password inside. The page shows
every setting and the local variables of every frame, so with Redis down a visitor would read
the password twice. This filter blanks the password of any URL it is about to show.
"""

import re

from django.views.debug import SafeExceptionReporterFilter

#: scheme://user:password@ -> the password part, for any scheme (redis, rediss, postgres, ...).
URL_PASSWORD = re.compile(r"(?P<start>[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<password>[^@\s/]+)(?=@)")


def hide_url_passwords(value, mask):
    """`value` with the password of every URL in it replaced by `mask`; dicts, lists and tuples
    are copied with the same done inside them, anything else is returned as it is."""
    # Exactly these types (not look-alikes such as lazy objects or named tuples).
    if type(value) is str:
        return URL_PASSWORD.sub(lambda match: match["start"] + mask, value)
    if type(value) is dict:
        return {key: hide_url_passwords(item, mask) for key, item in value.items()}
    if type(value) in (list, tuple):
        return type(value)(hide_url_passwords(item, mask) for item in value)
    return value


class ExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, plus passwords inside URLs, in settings and in frames' variables."""

    def cleanse_setting(self, key, value):
        return hide_url_passwords(super().cleanse_setting(key, value), self.cleansed_substitute)

    def get_traceback_frame_variables(self, request, tb_frame):
        return [
            (name, hide_url_passwords(value, self.cleansed_substitute))
            for name, value in super().get_traceback_frame_variables(request, tb_frame)
        ]
