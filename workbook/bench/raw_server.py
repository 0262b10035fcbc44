"""The ceiling: a plain `websockets` server that relays each frame to every open connection.

No Django, no channel layer, no JSON decoding. It prints `listening on 127.0.0.1:PORT` once ready.
Run: python -m workbook.bench.raw_server
"""

import asyncio

from websockets.asyncio.server import broadcast, serve


async def main():
    connections = set()

    async def relay(websocket):
        connections.add(websocket)
        try:
            async for frame in websocket:
                broadcast(connections, frame)
        finally:
            connections.discard(websocket)

    async with serve(relay, "127.0.0.1", 0, compression=None, ping_interval=None) as server:
        host, port = server.sockets[0].getsockname()[:2]
        print(f"listening on {host}:{port}", flush=True)
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(main())
