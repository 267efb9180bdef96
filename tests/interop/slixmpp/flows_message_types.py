"""Delivery by message type and address kind (RFC 6121 section 8.5, Table
1): headline and groupchat to a bare JID, no offline storage of headlines,
messages and IQs to an account that does not exist, and an IQ to a bare JID
answered by the server."""

from slixmpp.exceptions import IqError, IqTimeout
from slixmpp.xmlstream import ET

from harness import ExpectationFailed, befriend, message_with


def error_from(address, kind="message"):
    return lambda s: s.name == kind and s["type"] == "error" and str(s["from"]) == address


async def self_marker(client):
    """A message to oneself (a bare-JID chat to one's only resource): the
    errors caused by what the client sent before arrive before it."""
    await client.marker_from(client, to=client.full)


async def test_headline_to_bare_jid_reaches_every_resource(env):
    """R8.5.2.1.1-k: a headline to the bare JID goes to every resource with
    non-negative priority, and (R8.5.2.1.1-m) not to a negative one."""
    five = await env.client("bob", "five", priority=5)
    one = await env.client("bob", "one", priority=1)
    negative = await env.client("bob", "negative", priority=-5)
    alice = await env.client("alice")
    alice.send_message(five.bare, "news for everyone", mtype="headline")
    for client in (five, one):
        await client.expect(message_with("news for everyone", "headline"),
                            "R8.5.2.1.1-k: the headline")
    await negative.marker_from(alice)
    negative.refuse(message_with("news for everyone"), "R8.5.2.1.1-m: the headline at priority -5")


async def test_groupchat_to_bare_jid_is_refused(env):
    """R8.5.2.1.1-g/h: a groupchat message to a bare JID is delivered to no
    resource and answered with an error (SHOULD be service-unavailable)."""
    bob = await env.client("bob")
    alice = await env.client("alice")
    alice.send_message(bob.bare, "not a room", mtype="groupchat")
    error = await alice.expect(error_from(bob.bare), "R8.5.2.1.1-h: the error for the groupchat")
    if error["error"]["condition"] != "service-unavailable":
        raise ExpectationFailed("R8.5.2.1.1-h: SHOULD be service-unavailable: %s" % error)
    await bob.marker_from(alice)
    bob.refuse(message_with("not a room"), "R8.5.2.1.1-g: a groupchat to the bare JID")


async def test_headline_is_not_stored_offline(env):
    """R8.5.2.2.1-c: a headline to an account with no resource online is
    dropped, not stored; R8.5.2.2.1-a the chat sent after it is kept."""
    alice = await env.client("alice")
    await env.account("bob")
    bob_bare = "bob@" + env.server.domain
    alice.send_message(bob_bare, "stale news", mtype="headline")
    alice.send_message(bob_bare, "keep this one", mtype="chat")
    await alice.roster_get()
    bob = await env.client("bob")
    await bob.expect(message_with("keep this one"), "R8.5.2.2.1-a: the stored chat")
    bob.refuse(message_with("stale news"), "R8.5.2.2.1-c: a stored headline")


async def test_no_such_account(env):
    """R8.5.1-b: a message to an account that does not exist is ignored or
    answered with service-unavailable; R8.5.1-a: an IQ gets
    service-unavailable; C8.3.3-b / C13.11-a: no other condition (it would
    tell a harvester more)."""
    alice = await env.client("alice")
    nobody = "nobody@" + env.server.domain
    alice.send_message(nobody, "anyone there?")
    await self_marker(alice)
    for error in [s for s in alice.inbox if error_from(nobody)(s)]:
        if error["error"]["condition"] != "service-unavailable":
            raise ExpectationFailed("R8.5.1-b: the error SHOULD be service-unavailable: %s" % error)
    await expect_iq_error(alice, nobody, "R8.5.1-a")


async def test_iq_to_bare_jid_answered_by_server(env):
    """R8.5.2.1.3-a/b: an IQ to a user's bare JID is answered by the server
    (service-unavailable for a namespace it has no answer for), never handed
    to the user's resources (slixmpp there would answer
    feature-not-implemented itself)."""
    await env.client("bob")
    alice = await env.client("alice")
    await expect_iq_error(alice, "bob@" + env.server.domain, "R8.5.2.1.3-b")


async def expect_iq_error(client, to, rule):
    """An IQ get in a namespace nobody knows, to `to`: the answer must be a
    service-unavailable error."""
    iq = client.xmpp.Iq(stype="get", sto=to)
    iq.append(ET.Element("{urn:example:interop:unknown}query"))
    try:
        answer = await iq.send(timeout=10)
    except IqError as error:
        condition = error.iq["error"]["condition"]
        if condition != "service-unavailable":
            raise ExpectationFailed("%s: error %s, expected service-unavailable: %s"
                                    % (rule, condition, error.iq)) from None
        return
    raise ExpectationFailed("%s: a result for an unknown namespace: %s" % (rule, answer))


async def test_iq_to_full_jid_needs_shared_presence(env):
    """R8.5.3.1-a/b: an IQ get to a full JID from an entity the user shares
    no presence with is not delivered; the server answers service-unavailable
    (a resource would answer feature-not-implemented: slixmpp does for an
    unknown namespace). Once they share presence (R8.5.3.1: the resource
    matches) it reaches the resource, which answers."""
    bob = await env.client("bob")
    alice = await env.client("alice")
    stranger_answer = await iq_error_condition(alice, bob.full)
    if stranger_answer != "service-unavailable" and not env.deviates(
            "prosody", "R8.5.3.1-a: Prosody 0.12 delivers IQs to a full JID without shared "
            "presence"):
        raise ExpectationFailed("R8.5.3.1-b: error %s, expected service-unavailable from the "
                                "server" % stranger_answer)
    await befriend(alice, bob)
    friend_answer = await iq_error_condition(alice, bob.full)
    if friend_answer != "feature-not-implemented":
        raise ExpectationFailed("R8.5.3.1: the IQ should reach bob's resource, which answers "
                                "feature-not-implemented; got %s" % friend_answer)


async def iq_error_condition(client, to):
    iq = client.xmpp.Iq(stype="get", sto=to)
    iq.append(ET.Element("{urn:example:interop:unknown}query"))
    try:
        answer = await iq.send(timeout=5)
    except IqError as error:
        return error.iq["error"]["condition"]
    except IqTimeout:
        return "no answer within 5 s"
    raise ExpectationFailed("a result for an unknown namespace: %s" % answer)
