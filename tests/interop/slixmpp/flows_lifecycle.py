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


async def test_same_resource_twice(env):
    """C7.7.2.2-a: binding a resource that is online either gives the new
    session another resource, or ends the old session with a conflict
    stream error; in that case (R4.5.2-b/f) the old resource goes
    unavailable for subscribers before the new one comes online."""
    first = await env.client("alice", "desk")
    bob = await env.client("bob")
    await befriend(first, bob)
    second = await env.client("alice", "desk", status="the new desk")
    bound = second.xmpp.boundjid.resource
    if bound != "desk":
        env.notes.append("the second session was given the resource %r" % bound)
        if first.closed.is_set():
            raise ExpectationFailed("C7.7.2.2-a: the first session ended although the second "
                                    "got another resource")
        return
    try:
        await asyncio.wait_for(first.closed.wait(), WAIT)
    except asyncio.TimeoutError:
        raise ExpectationFailed("C7.7.2.2-a: two sessions hold alice/desk") from None
    if first.stream_errors != ["conflict"]:
        raise ExpectationFailed("C7.7.2.2-a: the old session ended with %s, expected conflict"
                                % first.stream_errors)
    gone = await bob.expect(presence_from(first.full, "unavailable"),
                            "R4.5.2-f: the old session's unavailable presence")
    back = await bob.expect(presence_from(second.full, status="the new desk"),
                            "the new session's presence")
    if bob.arrival(back) < bob.arrival(gone):
        raise ExpectationFailed("the old session's unavailable came after the new presence")
