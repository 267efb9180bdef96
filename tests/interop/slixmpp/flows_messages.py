"""Message delivery (RFC 6121 sections 5 and 8.5): bare JID with several
resources, negative priority, a full JID whose resource is gone, and a
message kept while the recipient is offline."""

from harness import ExpectationFailed, first_of, message_with
from servers import Skip


def bounced(body_to):
    """Predicate: a message error about a message sent to body_to's address."""
    return lambda s: s.name == "message" and s["type"] == "error" and str(s["from"]) == body_to


async def test_bare_jid_goes_to_highest_priority(env):
    """R8.5.2.1.1-f / R8.5.4 ('M'): a chat message to the bare JID of an
    account with two non-negative resources goes to the most available one,
    here the one with the highest priority, not to the other (no resource
    opted in to all chats); R8.5.2.1.1-o its 'to' stays the bare JID."""
    high = await env.client("bob", "high", priority=10)
    low = await env.client("bob", "low", priority=1)
    alice = await env.client("alice")
    alice.send_message(high.bare, "to the best resource")
    received = await high.expect(message_with("to the best resource", "chat"),
                                 "R8.5.2.1.1-f: the chat to the bare JID")
    if str(received["to"]) != high.bare:
        raise ExpectationFailed("R8.5.2.1.1-o: 'to' rewritten to %s" % received["to"])
    await low.marker_from(alice)
    low.refuse(message_with("to the best resource"), "R8.5.2.1.1-f: the chat meant for priority 10")


async def test_negative_priority_gets_no_bare_jid_messages(env):
    """R4.7.2.3-g / R8.5.2.1.1-m: a resource with negative priority never
    gets a message sent to the bare JID; R8.5.3.1-d it does get one sent to
    its full JID; R8.5.2.1.1-d/n with only that resource online a chat to
    the bare JID is stored (delivered at the next non-negative login) or
    bounced with service-unavailable."""
    negative = await env.client("bob", "negative", priority=-1)
    zero = await env.client("bob", "zero", priority=0)
    alice = await env.client("alice")
    alice.send_message(zero.bare, "for the non-negative one")
    await zero.expect(message_with("for the non-negative one"), "R8.5.2.1.1-e: the chat")
    await negative.marker_from(alice)
    negative.refuse(message_with("for the non-negative one"),
                    "R8.5.2.1.1-m: a bare-JID message at priority -1")

    await zero.logout()
    alice.send_message(zero.bare, "while only -1 is online")
    await negative.marker_from(alice)
    negative.refuse(message_with("while only -1 is online"),
                    "R8.5.2.1.1-m: a bare-JID message at priority -1")
    later = await env.client("bob", "later", priority=0)
    await first_of((later, message_with("while only -1 is online"),
                    "R8.5.2.1.1-d: the stored chat at the next login"),
                   (alice, bounced(zero.bare), "R8.5.2.1.1-d: a service-unavailable bounce"))


async def test_chat_to_gone_full_jid(env):
    """R8.5.3.2.1-d: a chat to a full JID whose resource is gone, while one
    non-negative resource is online, is delivered to that resource (the
    checklist's reading of 8.5.3.2.1 and Table 1: 'D'); R8.5.3.2.1-a a
    normal message to the gone resource is ignored or bounced, never
    delivered to another resource."""
    home = await env.client("bob", "home")
    alice = await env.client("alice")
    gone = home.bare + "/gone"
    alice.send_message(gone, "chat to a gone resource", mtype="chat")
    await home.expect(message_with("chat to a gone resource"),
                      "R8.5.3.2.1-d: the chat to the gone resource")
    alice.send_message(gone, "normal to a gone resource", mtype="normal")
    await home.marker_from(alice)
    if not env.deviates("prosody", "R8.5.3.2.1-a: Prosody 0.12 delivers a normal message for a "
                        "gone resource to the bare JID's resources"):
        home.refuse(message_with("normal to a gone resource"),
                    "R8.5.3.2.1-a: a normal message to another resource")
    for error in [s for s in alice.inbox if bounced(gone)(s)]:
        if error["error"]["condition"] != "service-unavailable":
            raise ExpectationFailed("R8.5.3.2.1-a: the error SHOULD be service-unavailable: %s"
                                    % error)


async def test_offline_message_delivered_on_login(env):
    """R8.5.2.2.1-a: a chat to an account with no resource online is stored
    and delivered when it next becomes available (servers that bounce it
    instead skip this test)."""
    alice = await env.client("alice")
    bob_bare = "bob@" + env.server.domain
    await env.account("bob")
    alice.send_message(bob_bare, "while you were out")
    # A round trip to the server: the message has been handled after it.
    await alice.roster_get()
    bob = await env.client("bob")
    index, _ = await first_of((bob, message_with("while you were out", "chat"),
                               "R8.5.2.2.1-a: the stored chat"),
                              (alice, bounced(bob_bare), "a bounce of the chat"))
    if index == 1:
        raise Skip("the server bounces messages to offline users instead of storing them")
