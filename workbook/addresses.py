"""The addresses of a server on 127.0.0.1, shared by the in-kernel server and server processes,
so clients and lessons work against either."""

__all__ = ["ServerAddress"]


class ServerAddress:
    """The addresses of a server on `host` and `port` (the subclass provides `port`)."""

    host = "127.0.0.1"

    @property
    def origin(self):
        """The Origin header a browser on this server's pages would send."""
        return f"http://{self.host}:{self.port}"

    def url(self, path="/"):
        return f"{self.origin}/{path.lstrip('/')}"

    def ws_url(self, path):
        return f"ws://{self.host}:{self.port}/{path.lstrip('/')}"
