"""What the Teams endpoint accepts, as strictly as Microsoft's own validator: only Teams' channel, keys endorsed
for it, a token naming the activity's (non-empty) service URL, and a body that is JSON of the expected kind; every
refusal is a status code and one log line, never a traceback."""

from __future__ import annotations

import logging

import aiohttp
import pytest

from tests.test_teams_e2e import Both, both  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("both")


async def test_an_activity_of_another_bot_framework_channel_is_refused(both: Both) -> None:  # noqa: F811
    # Signed with a key the Bot Connector endorses for Web Chat too: the key is fine, the channel is not Teams.
    both.bc.endorsements = ["msteams", "webchat"]
    webchat = both.bc.activity("pia", text="naeste")
    webchat["channelId"] = "webchat"

    assert await both.bc.deliver(both.endpoint, webchat) == 401
    assert both.rows("SELECT count(*) FROM inbox WHERE channel = 'teams'") == [(0,)]


async def test_a_key_published_without_endorsements_is_endorsed_for_nothing(both: Both) -> None:  # noqa: F811
    both.bc.endorsements = None

    assert await both.bc.deliver(both.endpoint, both.bc.activity("pia", text="naeste")) == 401
    assert both.rows("SELECT count(*) FROM inbox WHERE channel = 'teams'") == [(0,)]


async def test_a_token_without_a_serviceurl_claim_or_an_activity_without_a_service_url_is_refused(
    both: Both,  # noqa: F811
) -> None:
    bc = both.bc
    without_claim = bc.activity("pia", text="naeste")
    without_claim["serviceUrl"] = ""
    assert await bc.deliver(both.endpoint, without_claim, token=bc.sign(with_service_url=False)) == 401
    assert (
        await bc.deliver(both.endpoint, bc.activity("pia", text="naeste"), token=bc.sign(with_service_url=False)) == 401
    )
    empty = bc.activity("pia", text="naeste")
    empty["serviceUrl"] = ""
    assert await bc.deliver(both.endpoint, empty, token=bc.sign(service_url="")) == 401
    assert both.rows("SELECT count(*) FROM inbox WHERE channel = 'teams'") == [(0,)]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # nested deeper than the parser goes
        b'{"a": ' * 30_000 + b"1" + b"}" * 30_000,
        b"\xff\xfe not UTF-8",
        b"{not json",
        b'"a string"',
        b"",
    ],
    ids=["nested lists", "nested objects", "bad bytes", "bad syntax", "not an object", "empty"],
)
async def test_a_body_that_cannot_be_parsed_is_400_without_a_traceback(
    both: Both,  # noqa: F811
    body: bytes,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = {"Authorization": f"Bearer {both.bc.sign()}", "Content-Type": "application/json"}
    with caplog.at_level(logging.DEBUG):
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{both.endpoint}/api/messages", data=body, headers=headers) as response,
        ):
            assert response.status == 400
    assert not [record for record in caplog.records if record.exc_info or record.levelno >= logging.ERROR]
