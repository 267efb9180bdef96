"""Many clients at once: one user's broadcast fans out to 25 subscribers,
and 25 senders' messages to one user each arrive complete and in order."""

import asyncio

from harness import ExpectationFailed, presence_from, subscription_presence

USERS = 25
MESSAGES_EACH = 10


async def test_fan_out_and_fan_in(env):
    """R4.4.2-a: a presence update reaches every subscriber; R3.1.5-b each
    approval is pushed; C10.1-a: messages from one sender are delivered in
    the order sent, with none lost, while 25 senders write at once."""
    hub = await env.client("hub")
    users = await asyncio.gather(*(env.client("user%02d" % n) for n in range(USERS)))
    for user in users:
        user.send_presence("subscribe", to=hub.bare)
    for user in users:
        await hub.expect(subscription_presence("subscribe", user.bare), "a request")
        hub.send_presence("subscribed", to=user.bare)
    await asyncio.gather(*(user.expect(user.push(hub.bare, subscription="to"), "the push")
                           for user in users))

    hub.send_presence(show="chat", status="hello all %d" % USERS)
    await asyncio.gather(*(user.expect(presence_from(hub.full, show="chat",
                                                     status="hello all %d" % USERS),
                                       "R4.4.2-a: the hub's update") for user in users))

    for number in range(MESSAGES_EACH):
        for user in users:
            user.send_message(hub.bare, "%s %d" % (user.user, number))
    expected = {user.user: 0 for user in users}
    for _ in range(USERS * MESSAGES_EACH):
        message = await hub.expect(lambda s: s.name == "message" and s["body"], "a message")
        sender, number = message["body"].rsplit(" ", 1)
        if expected.get(sender) != int(number):
            raise ExpectationFailed("C10.1-a: from %s got message %s, expected %s"
                                    % (sender, number, expected.get(sender)))
        expected[sender] += 1
