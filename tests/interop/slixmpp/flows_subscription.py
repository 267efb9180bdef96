"""Presence subscriptions (RFC 6121 section 3): from None to Both and back to
None between two online users, a denied request, and a request made while
the contact is offline. Each step checks both rosters (pushes and a get)."""

from harness import ExpectationFailed, befriend, presence_from, roster_items, subscription_presence
from servers import Skip


async def check_roster(client, jid, subscription, ask, why):
    items = roster_items(await client.roster_get())
    if subscription is None:
        if jid in items:
            raise ExpectationFailed("%s: %s has an item for %s: %s" % (why, client.bare, jid, items))
        return
    item = items.get(jid)
    if item is None or (item["subscription"] or "none") != subscription or \
            (item["ask"] or None) != ask:
        raise ExpectationFailed("%s: %s's item for %s should be subscription=%s ask=%s: %s"
                                % (why, client.bare, jid, subscription, ask, items))


async def expect_in_order(client, first, first_what, second, second_what):
    """Both stanzas arrive, the first one before the second."""
    one = await client.expect(first, first_what)
    # expect() takes the earliest match: if the second had come before the
    # first it would still be found, so look at arrival order explicitly.
    two = await client.expect(second, second_what)
    if client.arrival(two) < client.arrival(one):
        raise ExpectationFailed("%s: %s arrived after %s" % (client.full, first_what, second_what))


async def expect_unavailable_from_resource(env, watcher, contact, rule):
    """The contact's resource goes unavailable for watcher (RFC 6121 example:
    from the full JID of each available resource)."""
    unavailable = await watcher.expect(
        lambda s: s.name == "presence" and s.xml.get("type") == "unavailable"
        and s["from"].bare == contact.bare,
        "%s: unavailable presence from %s" % (rule, contact.full))
    if str(unavailable["from"]) != contact.full and not env.deviates(
            "prosody", "%s: Prosody 0.12 sends this unavailable presence from the bare JID" % rule):
        raise ExpectationFailed("%s: unavailable presence from %s, expected %s"
                                % (rule, unavailable["from"], contact.full))
    return unavailable


async def test_subscription_none_to_both_and_back(env):
    """R3.1.2-h, R3.1.3-h/o, R3.1.5-b/c, R3.1.6-b/c/d: subscribe and
    approve in both directions; R4.4.2-a presence then flows both ways;
    R3.3.2-d, R3.3.3-b/c/d: unsubscribe; R3.2.2-f/g/h, R3.2.3-b/c:
    cancellation by unsubscribed; RA.3: the states at each step."""
    alice = await env.client("alice", status="alice here")
    bob = await env.client("bob", status="bob here")

    # None -> None+PendingOut (alice) / None+PendingIn (bob)
    alice.send_presence("subscribe", to=bob.bare)
    await alice.expect(alice.push(bob.bare, subscription="none", ask="subscribe"),
                       "R3.1.2-h: the push with ask='subscribe'")
    await bob.expect(subscription_presence("subscribe", alice.bare),
                     "R3.1.3-h: alice's request from her bare JID")
    await check_roster(alice, bob.bare, "none", "subscribe", "R2.1.2.2-b")
    await check_roster(bob, alice.bare, None, None, "R3.1.3-o: no item before approval")

    # bob approves: alice To, bob From
    bob.send_presence("subscribed", to=alice.bare)
    await bob.expect(bob.push(alice.bare, subscription="from"), "R3.1.5-b: the push with 'from'")
    await expect_in_order(alice, subscription_presence("subscribed", bob.bare),
                          "R3.1.6-b: bob's approval",
                          alice.push(bob.bare, subscription="to", ask=None),
                          "R3.1.6-c: the push with 'to'")
    await alice.expect(presence_from(bob.full, status="bob here"),
                       "R3.1.5-c: bob's current presence")
    await check_roster(alice, bob.bare, "to", None, "RA: alice To")
    await check_roster(bob, alice.bare, "from", None, "RA: bob From")

    # bob subscribes back: both
    bob.send_presence("subscribe", to=alice.bare)
    await bob.expect(bob.push(alice.bare, subscription="from", ask="subscribe"),
                     "R3.1.2-h: the push of From+PendingOut")
    await alice.expect(subscription_presence("subscribe", bob.bare), "bob's request")
    alice.send_presence("subscribed", to=bob.bare)
    await alice.expect(alice.push(bob.bare, subscription="both"), "R3.1.5-b: the push with 'both'")
    await bob.expect(subscription_presence("subscribed", alice.bare), "alice's approval")
    await bob.expect(bob.push(alice.bare, subscription="both", ask=None),
                     "R3.1.6-c: the push with 'both'")
    await bob.expect(presence_from(alice.full, status="alice here"),
                     "R3.1.5-c: alice's current presence")
    await check_roster(alice, bob.bare, "both", None, "RA: alice Both")
    await check_roster(bob, alice.bare, "both", None, "RA: bob Both")

    # presence flows both ways
    alice.send_presence(show="away", status="lunch")
    await bob.expect(presence_from(alice.full, show="away", status="lunch"),
                     "R4.4.2-a: alice's update")
    bob.send_presence(show="dnd", status="busy")
    await alice.expect(presence_from(bob.full, show="dnd", status="busy"), "R4.4.2-a: bob's update")

    # alice unsubscribes: alice From, bob To
    alice.send_presence("unsubscribe", to=bob.bare)
    await alice.expect(alice.push(bob.bare, subscription="from"), "R3.3.2-d: the push with 'from'")
    await bob.expect(subscription_presence("unsubscribe", alice.bare), "R3.3.3-b: the unsubscribe")
    await bob.expect(bob.push(alice.bare, subscription="to"), "R3.3.3-c: the push with 'to'")
    await expect_unavailable_from_resource(env, alice, bob, "R3.3.3-d")
    await check_roster(alice, bob.bare, "from", None, "RA: alice From")
    await check_roster(bob, alice.bare, "to", None, "RA: bob To")

    # alice cancels bob's subscription: None on both sides
    alice.send_presence("unsubscribed", to=bob.bare)
    await alice.expect(alice.push(bob.bare, subscription="none"), "R3.2.2-h: the push with 'none'")
    unavailable = await expect_unavailable_from_resource(env, bob, alice, "R3.2.2-f")
    unsubscribed = await bob.expect(subscription_presence("unsubscribed", alice.bare),
                                    "R3.2.2-g: the unsubscribed")
    if bob.arrival(unsubscribed) < bob.arrival(unavailable):
        raise ExpectationFailed("R3.2.2-f: the unavailable presence comes before the unsubscribed")
    await bob.expect(bob.push(alice.bare, subscription="none"), "R3.2.3-c: the push with 'none'")
    await check_roster(alice, bob.bare, "none", None, "RA: alice None")
    await check_roster(bob, alice.bare, "none", None, "RA: bob None")

    # no subscription left: alice's broadcast no longer reaches bob
    alice.send_presence(status="after")
    await bob.marker_from(alice)
    bob.refuse(presence_from(alice.full, status="after"), "R4.4.2-a: a broadcast without subscription")


async def test_subscription_denied(env):
    """R3.1.4-c deny with unsubscribed; RA.3.4 (Table 9): the requester goes
    from None+PendingOut to None (push without ask) and gets the denial;
    R3.1.3-o the contact never got an item."""
    carol = await env.client("carol")
    alice = await env.client("alice")
    carol.send_presence("subscribe", to=alice.bare)
    await carol.expect(carol.push(alice.bare, subscription="none", ask="subscribe"),
                       "the push with ask='subscribe'")
    await alice.expect(subscription_presence("subscribe", carol.bare), "carol's request")
    alice.send_presence("unsubscribed", to=carol.bare)
    await carol.expect(subscription_presence("unsubscribed", alice.bare), "RA.3.4: the denial")
    await carol.expect(carol.push(alice.bare, subscription="none", ask=None),
                       "RA.3.4: the push without ask")
    await check_roster(carol, alice.bare, "none", None, "RA.3.4: carol None")
    await check_roster(alice, carol.bare, None, None, "R3.1.3-o: alice has no item for carol")


async def test_subscription_request_while_offline(env):
    """R3.1.3-k: a request to a contact without available resource is kept
    and delivered when the contact comes online; R3.1.3-m/n: two requests
    made while offline are delivered once."""
    dave = await env.client("dave")
    await env.account("erin")
    erin_bare = "erin@" + env.server.domain
    dave.send_presence("subscribe", to=erin_bare)
    await dave.expect(dave.push(erin_bare, ask="subscribe"), "the push with ask='subscribe'")
    dave.send_presence("subscribe", to=erin_bare)
    # The second request changes nothing; a roster get makes sure the server
    # has handled it before erin logs in.
    await check_roster(dave, erin_bare, "none", "subscribe", "None+PendingOut")
    erin = await env.client("erin")
    await erin.expect(subscription_presence("subscribe", dave.bare),
                      "R3.1.3-k: the request kept while offline")
    await erin.marker_from(dave)
    erin.refuse(subscription_presence("subscribe", dave.bare),
                "R3.1.3-m: a second copy of the stored request")


async def test_pre_approval(env):
    """R3.4.2-e/f, R2.1.2.1-b: subscribed to a contact not in the roster
    creates an item with approved='true' and is not routed; R3.4.2-g/h: the contact's later
    request is answered by the server (subscribed) and not shown to the
    user; the user's item becomes From, the contact's To."""
    alice = await env.client("alice")
    if "preapproval" not in alice.features:
        raise Skip("the server does not advertise subscription pre-approval (R3.4-b)")
    carol = await env.client("carol")
    alice.send_presence("subscribed", to=carol.bare)
    push = await alice.expect(alice.push(carol.bare, subscription="none"),
                              "R3.4.2-e: the push of the pre-approved item")
    if roster_items(push)[carol.bare]["approved"] not in (True, "true") and not env.deviates(
            "prosody", "R2.1.2.1-b: Prosody 0.12 pushes a pre-approved item without approved"):
        raise ExpectationFailed("R3.4.2-e: the item should carry approved='true': %s" % push)
    await carol.marker_from(alice)
    carol.refuse(subscription_presence("subscribed", alice.bare),
                 "R3.4.2-f: a pre-approval routed to the contact")

    carol.send_presence("subscribe", to=alice.bare)
    await carol.expect(subscription_presence("subscribed", alice.bare),
                       "R3.4.2-h: the server's automatic approval")
    await carol.expect(carol.push(alice.bare, subscription="to"), "the push with 'to'")
    await alice.expect(alice.push(carol.bare, subscription="from"), "the push with 'from'")
    await alice.marker_from(carol)
    alice.refuse(subscription_presence("subscribe", carol.bare),
                 "R3.4.2-g: a request from a pre-approved contact")


async def test_roster_remove_ends_both_subscriptions(env):
    """R2.5.2-b/c/d: removing a contact with subscription Both sends the
    contact unsubscribe and unsubscribed; the contact's item goes to None
    (R3.3.3-c, R3.2.3-c) and it sees the user go unavailable (R3.2.2-f)."""
    alice = await env.client("alice")
    bob = await env.client("bob")
    await befriend(alice, bob)
    await alice.roster_set(bob.bare, remove=True)
    await alice.expect(alice.push(bob.bare, subscription="remove"), "R2.5.2-a: the removal push")
    await bob.expect(subscription_presence("unsubscribe", alice.bare), "R2.5.2-b: unsubscribe")
    await bob.expect(subscription_presence("unsubscribed", alice.bare), "R2.5.2-c: unsubscribed")
    await expect_unavailable_from_resource(env, bob, alice, "R3.2.2-f")
    await check_roster(bob, alice.bare, "none", None, "R2.5.2-d: bob None")
    await check_roster(alice, bob.bare, None, None, "R2.5.2-a: alice has no item")
