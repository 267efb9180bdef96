"""Durability (issue 7): a client fires a burst of roster changes; the server
is killed with SIGKILL in the middle of it, several times, and restarted on
the same data directory. Every change whose IQ result reached the client
must still be there afterwards (R2-a: the server stores what the user set);
a change in flight at the kill may or may not have been kept.

Only xmppim-server is held to this (Prosody is not part of issue 7)."""

import asyncio

from slixmpp.exceptions import IqError, IqTimeout

from harness import ExpectationFailed, roster_items
from servers import Skip

CHANGES = 500
# Requests in flight at once: the kill lands while this many are unanswered.
WINDOW = 32
# Acknowledged changes between two kills (three kills in the burst).
KILL_EVERY = 120


def plan(domain):
    """The burst: (jid, name) sets, with renames and removals of earlier
    contacts mixed in; name None means remove. Every change fully decides
    the item's state (a set replaces the whole item), so the state after
    the burst is that of one of the changes to the item."""
    changes = []
    for number in range(CHANGES):
        if number % 7 == 6 and number >= 70:
            changes.append(("c%d@%s" % (number - 70, domain), None))
        elif number % 5 == 4:
            changes.append(("c%d@%s" % (number - 40, domain), "renamed %d" % number))
        else:
            changes.append(("c%d@%s" % (number, domain), "contact %d" % number))
    return changes


class Burst:
    def __init__(self, changes):
        self.changes = changes
        self.acknowledged = [False] * len(changes)
        self.sent = [False] * len(changes)
        self.next = 0
        self.failures = []

    def allowed_states(self, jid):
        """Names (None: no item) the item may have after the burst."""
        indexes = [i for i, (j, _) in enumerate(self.changes) if j == jid and self.sent[i]]
        acked = [i for i in indexes if self.acknowledged[i]]
        if acked:
            return {self.changes[i][1] for i in indexes if i >= acked[-1]}
        return {None} | {self.changes[i][1] for i in indexes}

    async def run_until_kill(self, client, server, acks_before_kill):
        """Sends changes (WINDOW at a time) until acks_before_kill more are
        acknowledged, then SIGKILLs the server; or until the burst ends."""
        window = asyncio.Semaphore(WINDOW)
        goal = sum(self.acknowledged) + acks_before_kill
        killed = asyncio.Event()
        in_flight = set()

        async def change(index):
            jid, name = self.changes[index]
            try:
                await client.roster_set(jid, name=name, remove=name is None)
                self.acknowledged[index] = True
            except IqError as error:
                # A removal whose item was lost with an unacknowledged set:
                # the server confirms the item is absent, the state removal
                # asks for.
                if name is None and error.iq["error"]["condition"] == "item-not-found":
                    self.acknowledged[index] = True
                elif not killed.is_set():
                    self.failures.append("%s %r: %s" % (jid, name, error.iq))
            except IqTimeout:
                if not killed.is_set():
                    self.failures.append("%s %r: no answer" % (jid, name))
            finally:
                window.release()
            if sum(self.acknowledged) >= goal and not killed.is_set():
                killed.set()
                await server.kill9()

        while self.next < len(self.changes) and not killed.is_set():
            await window.acquire()
            if killed.is_set():
                break
            self.sent[self.next] = True
            task = asyncio.ensure_future(change(self.next))
            in_flight.add(task)
            task.add_done_callback(in_flight.discard)
            self.next += 1
        if killed.is_set():
            # The server is gone: what is still unanswered never will be.
            # Give the answers already in the socket a moment, then stop.
            await asyncio.sleep(0.2)
            for task in list(in_flight):
                task.cancel()
        await asyncio.gather(*in_flight, return_exceptions=True)
        if self.failures:
            raise ExpectationFailed("roster sets failed before the kill:\n  "
                                    + "\n  ".join(self.failures[:10]))
        return killed.is_set()


async def test_acknowledged_roster_changes_survive_sigkill(env):
    if not env.server.durable:
        raise Skip("the SIGKILL durability test is for xmppim-server only")
    burst = Burst(plan(env.server.domain))
    kills = 0
    session = 0
    while burst.next < len(burst.changes):
        session += 1
        client = await env.client("alice", "burst%d" % session, presence=False)
        if await burst.run_until_kill(client, env.server, KILL_EVERY):
            kills += 1
            client.abort()
            await env.server.restart()
        else:
            await client.disconnect()
    if kills < 2:
        raise ExpectationFailed("the server was killed %d times, not in the middle of the burst"
                                % kills)

    checker = await env.client("alice", "checker", presence=False)
    items = roster_items(await checker.roster_get())
    wrong = []
    for jid in sorted({jid for jid, _ in burst.changes} | set(items)):
        state = items[jid]["name"] if jid in items else None
        allowed = burst.allowed_states(jid)
        if state not in allowed:
            wrong.append("%s is %r, expected one of %r" % (jid, state, sorted(allowed, key=str)))
    if wrong:
        raise ExpectationFailed("R2-a: after %d SIGKILLs, %d acknowledged changes are lost:\n  %s"
                                % (kills, len(wrong), "\n  ".join(wrong[:20])))
    env.notes.append("%d of %d changes acknowledged, %d kills, %d items at the end"
                     % (sum(burst.acknowledged), len(burst.changes), kills, len(items)))
