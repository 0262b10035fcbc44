"""What a notification's link may be: a path on this site, or an http(s) address.

A link is put in an `href`, and `javascript:alert(1)` there runs when clicked; so do `data:`
and `vbscript:` in some browsers. `//evil.example/` looks like a path but leaves the site, and
browsers read a backslash as a slash. Only what is certainly a site path or a web address is
stored.
"""

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator

web_address = URLValidator(schemes=["http", "https"])


def validate_link(link):
    if not link:
        return
    if link.startswith("/"):
        if link.startswith("//") or "\\" in link or any(char.isspace() for char in link):
            raise ValidationError(f"not a path on this site: {link!r}", code="invalid_link")
        if any(ord(char) < 32 for char in link):
            raise ValidationError(f"not a path on this site: {link!r}", code="invalid_link")
        return
    try:
        web_address(link)
    except ValidationError:
        raise ValidationError(
            f"a link must be a path on this site (/chat/lobby/) or an http(s) address, "
            f"not {link!r}",
            code="invalid_link",
        ) from None
