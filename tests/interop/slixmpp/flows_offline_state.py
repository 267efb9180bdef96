"""Subscription changes that reach a user who is offline: the server updates
the stored roster on the user's behalf (RFC 6121 sections 3.1.6, 3.2.3,
3.3.3), and the user sees the result at the next login, also through a
versioned roster get (R2.6.3)."""

from harness import ExpectationFailed, befriend, presence_from, roster_items


async def item_of(client, jid):
    return roster_items(await client.roster_get()).get(jid)


async def test_approval_while_requester_offline(env):
    """R3.1.6-a/c: an approval reaching a requester with no resource online
    still moves the stored item to To; at the next login the roster says so
    (R2.6.3-a/e also with the version from before) and (R4.2.2-c) the
    contact's presence arrives."""
    alice = await env.client("alice")
    bob = await env.client("bob", status="bob is in")
    alice.send_presence("subscribe", to=bob.bare)
    push = await alice.expect(alice.push(bob.bare, ask="subscribe"), "the push with ask")
    version = push["roster"]["ver"]
    await bob.expect(lambda s: s.name == "presence" and s.xml.get("type") == "subscribe",
                     "alice's request")
    await alice.logout()
    bob.send_presence("subscribed", to=alice.bare)
    await bob.expect(bob.push(alice.bare, subscription="from"), "the push with 'from'")

    alice = await env.client("alice", "later", roster=False)
    if version and "rosterver" in alice.features:
        answer = await alice.roster_get(ver=version)
        if answer.xml.find("{jabber:iq:roster}query") is not None:
            item = roster_items(answer).get(bob.bare)
            if item is None or item["subscription"] != "to" or item["ask"]:
                raise ExpectationFailed("R2.6.3-a: the full roster should show 'to': %s" % answer)
        else:
            await alice.expect(alice.push(bob.bare, subscription="to", ask=None),
                               "R2.6.3-e: the interim push with 'to'")
    item = await item_of(alice, bob.bare)
    if item is None or item["subscription"] != "to" or item["ask"]:
        raise ExpectationFailed("R3.1.6-c: alice's item should be 'to' without ask: %s" % item)
    alice.send_presence()
    await alice.expect(presence_from(bob.full, status="bob is in"),
                       "R4.2.2-c: bob's presence after the login")


async def test_cancellations_while_contact_offline(env):
    """R3.3.3-a/c and R3.2.3-a/c: unsubscribe and unsubscribed reaching a
    contact with no resource online change the contact's stored item (Both
    to None); R3.3.2-d / R3.2.2-h the sender's item changes at once."""
    alice = await env.client("alice")
    bob = await env.client("bob")
    await befriend(alice, bob)
    await bob.logout()
    alice.send_presence("unsubscribe", to=bob.bare)
    await alice.expect(alice.push(bob.bare, subscription="from"), "R3.3.2-d: the push with 'from'")
    alice.send_presence("unsubscribed", to=bob.bare)
    await alice.expect(alice.push(bob.bare, subscription="none"), "R3.2.2-h: the push with 'none'")
    bob = await env.client("bob", "later")
    item = await item_of(bob, alice.bare)
    if item is None or item["subscription"] != "none" or item["ask"]:
        raise ExpectationFailed("R3.2.3-c / R3.3.3-c: bob's item should be 'none': %s" % item)
    alice.send_presence(status="not for bob")
    await bob.marker_from(alice)
    bob.refuse(presence_from(alice.full, status="not for bob"),
               "a broadcast after both subscriptions ended")
