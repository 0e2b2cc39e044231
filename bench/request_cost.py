"""CPU per Bot API request of the transport alone, in the clear and over TLS: python-telegram-bot's stock
HTTPXRequest (the echo bot's) beside kkrbot's JsonRequest (bot/channels/telegram_request.py).

Run from the project root: .venv/bin/python -m bench.request_cost  (about a minute; --requests N; --tree DIR adds
the JsonRequest of another checkout, say the one before a change: `git worktree add /tmp/old REV`)

The server (a fixed `{"ok":true,...}` answer, keep-alive) runs in its own process pinned to core 1, the client in
this one on core 0, sending one sendMessage with a Danish text at a time on one connection; the figure is this
process's CPU time per request. Why: bench_cost measures on loopback in the clear, but Telegram is reached over TLS,
so the transport's TLS is part of every answer's cost in production.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import os
import ssl
import sys
import tempfile
import time
from pathlib import Path

import trustme
from telegram.request import BaseRequest, HTTPXRequest, RequestData
from telegram.request._requestparameter import RequestParameter

from bot.channels.telegram_request import JsonRequest

SERVER = r"""
import asyncio, ssl, sys
REPLY = b'{"ok":true,"result":{"message_id":1,"date":0,"chat":{"id":7,"type":"private"},"text":"ok"}}'
async def handle(reader, writer):
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            lines = head.lower().split(b"\r\n")
            await reader.readexactly(next(int(l.split(b":")[1]) for l in lines if l.startswith(b"content-length")))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n")
            writer.write(b"Content-Length: %d\r\n\r\n%b" % (len(REPLY), REPLY))
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()
async def main():
    context = None
    if sys.argv[1] != "-":
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(sys.argv[1])
    server = await asyncio.start_server(handle, "127.0.0.1", 0, ssl=context)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.Event().wait()
asyncio.run(main())
"""

TEXT = "<b>Næste møde</b> i KKR Nordjylland: fredag den 12. februar 2027 kl. 10.00, Aalborg Rådhus. Dagsorden følger."


def parameters() -> RequestData:
    values = {"chat_id": 7, "text": TEXT, "parse_mode": "HTML"}
    return RequestData([RequestParameter.from_input(name, value) for name, value in values.items()])


async def cpu_per_request(request: BaseRequest, url: str, requests: int) -> float:
    await request.initialize()
    try:
        for _ in range(50):  # the connection, the TLS handshake, the first use of every code path
            await request.do_request(url, "POST", parameters())
        started = time.process_time()
        for _ in range(requests):
            status, _payload = await request.do_request(url, "POST", parameters())
            assert status == 200
        return (time.process_time() - started) / requests * 1e6
    finally:
        await request.shutdown()


def json_request_of(tree: Path) -> type[BaseRequest]:
    """JsonRequest as `tree` has it, loaded from its file beside this checkout's."""
    spec = importlib.util.spec_from_file_location("other_telegram_request", tree / "bot/channels/telegram_request.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    other: type[BaseRequest] = module.JsonRequest
    return other


def build(kind: str, trusting: ssl.SSLContext, other: type[BaseRequest] | None) -> BaseRequest:
    if kind == STOCK:
        return HTTPXRequest(connection_pool_size=1, httpx_kwargs={"verify": trusting})
    if kind == OURS:
        return JsonRequest(connection_pool_size=1, ssl_context=trusting)
    assert other is not None
    try:
        return other(connection_pool_size=1, ssl_context=trusting)  # type: ignore[call-arg]
    except TypeError:  # before 794f4c0 it took httpx_kwargs, as HTTPXRequest does
        return other(connection_pool_size=1, httpx_kwargs={"verify": trusting})  # type: ignore[call-arg]


STOCK, OURS, OTHER = "PTB's HTTPXRequest", "kkrbot's JsonRequest", "JsonRequest of --tree"


async def main(requests: int, rounds: int, tree: Path | None) -> None:
    os.sched_setaffinity(0, {0})
    other = json_request_of(tree) if tree else None
    authority = trustme.CA()
    with tempfile.TemporaryDirectory() as folder:
        pem = Path(folder) / "server.pem"
        authority.issue_cert("127.0.0.1").private_key_and_cert_chain_pem.write_to_path(str(pem))
        trusting = ssl.create_default_context()
        authority.configure_trust(trusting)
        for scheme, certificate in (("http", "-"), ("https", str(pem))):
            server = await asyncio.create_subprocess_exec(
                "taskset", "-c", "1", sys.executable, "-c", SERVER, certificate, stdout=asyncio.subprocess.PIPE
            )  # fmt: skip
            try:
                assert server.stdout is not None
                port = (await server.stdout.readline()).decode().strip()
                url = f"{scheme}://127.0.0.1:{port}/bot123:ABC/sendMessage"
                figures: dict[str, list[float]] = {kind: [] for kind in (STOCK, OURS, OTHER) if tree or kind != OTHER}
                for _ in range(rounds):  # alternating, so that a slow spell of the host falls on each
                    for kind, values in figures.items():
                        values.append(await cpu_per_request(build(kind, trusting, other), url, requests))
                mean = {kind: sum(values) / len(values) for kind, values in figures.items()}
                for kind, values in figures.items():
                    runs = ", ".join(f"{v:.0f}" for v in values)
                    ratio = mean[kind] / mean[STOCK]
                    print(f"{scheme:5} {kind:22} {mean[kind]:6.0f} µs CPU per request ({runs}), {ratio:.2f} × PTB's")
            finally:
                server.kill()
                await server.wait()
    print(f"({requests} requests a run, {rounds} alternating runs each; load average {os.getloadavg()[0]:.2f})")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--tree", type=Path, help="also the JsonRequest of this checkout")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.requests, arguments.rounds, arguments.tree))
