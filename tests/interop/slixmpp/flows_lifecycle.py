"""Server shutdown: SIGTERM while users are online (the xmppim-server
interface: unavailable presence for every resource, every stream closed,
exit status 0)."""

import asyncio

from harness import ExpectationFailed, WAIT, befriend, presence_from


async def test_sigterm_closes_every_stream(env):
    """C4.9.3-a: each stream ends with a stream error (system-shutdown) and
    is closed; R4.5.2-b: a contact still connected while the other resource
    goes away receives its unavailable presence (at least one of the two
    does, whichever the server closes last)."""
    alice = await env.client("alice")
    bob = await env.client("bob")
    await befriend(alice, bob)
    status = await env.server.stop()
    if env.server.exit_status_checked and status != 0:
        raise ExpectationFailed("%s exited with status %s after SIGTERM" % (env.server.name, status))
    for client in (alice, bob):
        try:
            await asyncio.wait_for(client.closed.wait(), WAIT)
        except asyncio.TimeoutError:
            raise ExpectationFailed("%s's stream was not closed" % client.full) from None
        if client.stream_errors != ["system-shutdown"]:
            raise ExpectationFailed("C4.9.3-a: %s got stream errors %s, expected system-shutdown"
                                    % (client.full, client.stream_errors))
    told = [watcher.full for watcher, gone in ((alice, bob), (bob, alice))
            if any(presence_from(gone.full, "unavailable")(s) for s in watcher.inbox)]
    if not told:
        raise ExpectationFailed("R4.5.2-b: neither user saw the other go unavailable")
    env.notes.append("unavailable presence seen by: %s" % ", ".join(told))
