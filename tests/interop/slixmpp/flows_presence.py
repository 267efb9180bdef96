"""Presence (RFC 6121 section 4): broadcast with show/status/priority to
subscribers and to the user's own resources, the current presence of
contacts on login, directed presence to a non-subscriber, and unavailable
presence when a client vanishes without closing its stream."""

from harness import ExpectationFailed, befriend, presence_from


async def test_broadcast_and_presence_on_login(env):
    """R4.2.2-c / R4.3.1-b / R4.3.2-j: a user logging in receives the current
    presence (show, status, priority) of the contacts it is subscribed to;
    R4.2.2-a the contact receives the user's initial presence; R4.4.2-a an
    update reaches subscribers with its show/status/priority; R4.4.2-d and
    R4.2.2-b it reaches the user's own available resources too."""
    alice = await env.client("alice", "desk")
    bob = await env.client("bob")
    await befriend(alice, bob)
    await bob.logout()

    alice.send_presence(show="away", status="on a call", priority=5)
    bob = await env.client("bob", "phone", status="back")
    await bob.expect(presence_from(alice.full, show="away", status="on a call", priority=5),
                     "R4.2.2-c: alice's current presence on login")
    await alice.expect(presence_from(bob.full, status="back"), "R4.2.2-a: bob's initial presence")

    laptop = await env.client("alice", "laptop", status="laptop on")
    await laptop.expect(presence_from(alice.full, show="away", status="on a call", priority=5),
                        "R4.2.2-b: the presence of alice's other resource")
    alice.send_presence(show="xa", status="gone fishing", priority=-1)
    for watcher, rule in ((bob, "R4.4.2-a"), (laptop, "R4.4.2-d")):
        await watcher.expect(presence_from(alice.full, show="xa", status="gone fishing",
                                           priority=-1),
                             "%s: alice's update with show, status and priority" % rule)
    await bob.expect(presence_from(laptop.full, status="laptop on"),
                     "R4.2.2-a: the new resource's initial presence")
    laptop.send_presence("unavailable", status="battery flat")
    await bob.expect(presence_from(laptop.full, "unavailable", status="battery flat"),
                     "R4.5.2-b/d: the unavailable presence, as sent")


async def test_directed_presence_to_non_subscriber(env):
    """R4.6.3-d directed presence to an entity without subscription is
    delivered; R4.6.3-e that entity gets no later broadcast; R4.6.3-f when
    the sender goes unavailable, the entity gets unavailable presence."""
    alice = await env.client("alice")
    carol = await env.client("carol")
    alice.send_presence(to=carol.bare, status="hello carol")
    await carol.expect(presence_from(alice.full, status="hello carol"),
                       "R4.6.3-d: alice's directed presence")
    alice.send_presence(status="for my subscribers")
    await carol.marker_from(alice)
    carol.refuse(presence_from(alice.full, status="for my subscribers"),
                 "R4.6.3-e: a broadcast after directed presence")
    await alice.logout()
    await carol.expect(presence_from(alice.full, "unavailable"),
                       "R4.6.3-f: unavailable after alice's session ended")


async def test_unavailable_when_connection_drops(env):
    """R4.5.2-a/b/f: a client whose TCP connection is dropped without a
    stream close goes unavailable for its subscribers (R4.5.2-b) and for the
    entities it sent directed presence to (R4.6.3-f)."""
    alice = await env.client("alice")
    bob = await env.client("bob")
    carol = await env.client("carol")
    await befriend(alice, bob)
    alice.send_presence(to=carol.full, status="directed")
    await carol.expect(presence_from(alice.full, status="directed"), "alice's directed presence")
    alice.abort()
    await bob.expect(presence_from(alice.full, "unavailable"),
                     "R4.5.2-f: unavailable after the dropped connection")
    await carol.expect(presence_from(alice.full, "unavailable"),
                       "R4.6.3-f: unavailable after the dropped connection")


async def test_login_receives_every_resource(env):
    """R4.3.2-j: a user logging in receives the last presence of each
    available resource of a contact, from that resource's full JID."""
    alice = await env.client("alice", "desk")
    bob = await env.client("bob", "phone", status="on the phone")
    await befriend(alice, bob)
    tablet = await env.client("bob", "tablet", show="away", status="on the tablet")
    await alice.logout()
    alice = await env.client("alice", "laptop")
    await alice.expect(presence_from(bob.full, status="on the phone"), "the phone's presence")
    await alice.expect(presence_from(tablet.full, show="away", status="on the tablet"),
                       "the tablet's presence")


async def test_unavailable_when_stream_closed_without_presence(env):
    """R4.5.2-a/b: a client closing its stream without sending unavailable
    presence first still goes unavailable for its subscribers."""
    alice = await env.client("alice")
    bob = await env.client("bob")
    await befriend(alice, bob)
    await alice.disconnect()
    await bob.expect(presence_from(alice.full, "unavailable"),
                     "R4.5.2-b: unavailable after the stream close")


async def test_probe_sent_by_a_client(env):
    """R4.3-e: a probe a client sends to a local contact it is subscribed to
    is processed: the server answers with the contact's current presence
    (R4.3.2-j, from each available resource's full JID); R4.3-f and never
    with a stream error."""
    alice = await env.client("alice")
    bob = await env.client("bob", status="probe me")
    await befriend(alice, bob)
    # Everything bob's side sent alice so far (his presence after the
    # approval) is in before the marker: forget it, so only the probe's
    # answer can match.
    await alice.marker_from(bob)
    alice.forget()
    alice.send_presence("probe", to=bob.bare)
    await alice.expect(presence_from(bob.full, status="probe me"), "R4.3-e: the probe's answer")
    if alice.stream_errors or alice.closed.is_set():
        raise ExpectationFailed("R4.3-f: the probe ended the stream: %s" % alice.stream_errors)
