"""slixmpp clients for the interop flows: each client records every presence,
message and roster push it receives, and the tests wait (always with a time
limit) for stanzas matching a predicate.

Absence checks use a marker instead of sleeping: the sender of the stanza that
must not arrive sends a second stanza to the same session afterwards; a server
processes one stream in order and delivers to a session in order (RFC 6120
10.1, C10.1-a), so once the marker is in, the first stanza would have been too.
"""

import asyncio
import itertools
import logging
import pathlib

import slixmpp
from slixmpp.xmlstream.handler import Callback
from slixmpp.xmlstream.matcher import MatchXPath

ROSTER_NS = "jabber:iq:roster"
# Default time limit for one expected stanza; a loaded CI machine is slow.
WAIT = 10.0

_marker_numbers = itertools.count(1)


class ExpectationFailed(AssertionError):
    pass


def ptype(presence):
    """The presence 'type' attribute, 'available' when absent (slixmpp's own
    ['type'] returns the <show/> value instead, which hides the difference)."""
    return presence.xml.get("type", "available")


def roster_items(stanza):
    """{bare jid: item dict} of a roster result or push."""
    return {str(jid): item for jid, item in stanza["roster"]["items"].items()}


def describe(stanza):
    return str(stanza).replace("\n", "")[:600]


class Client:
    """One slixmpp session of user@domain/resource."""

    def __init__(self, env, user, resource, password):
        self.env = env
        self.user = user
        self.resource = resource
        self.bare = "%s@%s" % (user, env.server.domain)
        self.full = "%s/%s" % (self.bare, resource)
        self.xmpp = slixmpp.ClientXMPP(self.full, password)
        self.xmpp.ca_certs = pathlib.Path(env.server.ca)
        # The tests answer subscription requests themselves.
        self.xmpp.roster.auto_authorize = None
        self.xmpp.roster.auto_subscribe = False
        self.inbox = []
        self._arrivals = {}
        self._arrival_numbers = itertools.count()
        self.features = set()
        self.stream_errors = []
        self._arrived = asyncio.Event()
        self._session = asyncio.get_running_loop().create_future()
        self.closed = asyncio.Event()
        for name, xpath in (("presence", "{jabber:client}presence"),
                            ("message", "{jabber:client}message"),
                            ("roster push", "{jabber:client}iq/{%s}query" % ROSTER_NS)):
            self.xmpp.register_handler(Callback("interop " + name, MatchXPath(xpath), self._record))
        self.xmpp.add_event_handler("session_start", self._on_session_start)
        self.xmpp.add_event_handler("failed_all_auth", self._on_failure("authentication failed"))
        self.xmpp.add_event_handler("ssl_invalid_chain", self._on_failure("certificate not trusted"))
        self.xmpp.add_event_handler("stream_error", self._on_stream_error)
        self.xmpp.add_event_handler("disconnected", self._on_disconnected)

    # -- events

    def _record(self, stanza):
        if stanza.name == "iq" and stanza["type"] != "set":
            return  # roster results are read from the IQ's answer
        self._arrivals[id(stanza)] = next(self._arrival_numbers)
        self.inbox.append(stanza)
        self._arrived.set()

    def _on_session_start(self, _event):
        self.features = set(self.xmpp.features)
        if not self._session.done():
            self._session.set_result(True)

    def _on_failure(self, why):
        def handler(_event):
            if not self._session.done():
                self._session.set_exception(ExpectationFailed("%s: %s" % (self.full, why)))
        return handler

    def _on_stream_error(self, error):
        self.stream_errors.append(error["condition"])
        if not self._session.done():
            self._session.set_exception(ExpectationFailed(
                "%s: stream error %s during login" % (self.full, error["condition"])))

    def _on_disconnected(self, _event):
        self.closed.set()

    # -- session

    async def connect(self):
        self.closed.clear()
        self.xmpp.connect(address=(self.env.server.host, self.env.server.port))
        try:
            await asyncio.wait_for(asyncio.shield(self._session), WAIT)
        except asyncio.TimeoutError:
            raise ExpectationFailed("%s: no session within %.0f s" % (self.full, WAIT)) from None
        self._session = asyncio.get_running_loop().create_future()

    async def login(self, roster=True, presence=True, **presence_fields):
        """Connect, then (like a usual client, R1.4-b) fetch the roster and
        send initial presence. Returns the roster result (or None)."""
        await self.connect()
        result = await self.roster_get() if roster else None
        if presence:
            self.send_presence(**presence_fields)
            # R4.2.2-b: the server sends the initial presence back to the
            # resource itself. Waiting for it means the server has made
            # this resource available (with its priority) before the test
            # goes on: other sessions' stanzas cannot overtake it.
            await self.expect(presence_from(self.full, **presence_fields),
                              "R4.2.2-b: its own initial presence back from the server")
        return result

    def send_presence(self, ptype=None, to=None, show=None, status=None, priority=None):
        stanza = self.xmpp.Presence()
        if ptype:
            stanza["type"] = ptype
        if to:
            stanza["to"] = to
        if show:
            stanza["show"] = show
        if status:
            stanza["status"] = status
        if priority is not None:
            stanza["priority"] = priority
        stanza.send()
        return stanza

    def send_message(self, to, body, mtype="chat"):
        stanza = self.xmpp.Message(sto=to, stype=mtype)
        stanza["body"] = body
        stanza.send()
        return stanza

    async def logout(self):
        """Unavailable presence, then close the stream."""
        self.send_presence("unavailable")
        await self.disconnect()

    async def disconnect(self):
        self.xmpp.disconnect(wait=1.0)
        try:
            await asyncio.wait_for(self.closed.wait(), WAIT)
        except asyncio.TimeoutError:
            self.xmpp.abort()

    def abort(self):
        """Drop the TCP connection without closing the stream."""
        self.xmpp.abort()

    # -- roster

    async def roster_get(self, ver=None):
        iq = self.xmpp.Iq(stype="get")
        iq.enable("roster")
        if ver is not None:
            iq["roster"]["ver"] = ver
        return await iq.send(timeout=WAIT)

    async def roster_set(self, jid, name=None, groups=(), remove=False, timeout=WAIT):
        iq = self.xmpp.Iq(stype="set")
        iq.enable("roster")
        item = {"subscription": "remove"} if remove else {"groups": list(groups)}
        if name is not None:
            item["name"] = name
        iq["roster"]["items"] = {jid: item}
        return await iq.send(timeout=timeout)

    # -- waiting

    async def expect(self, predicate, what, timeout=WAIT):
        """The first recorded stanza (in arrival order) that matches; it is
        taken out of the inbox so the next expect sees the ones after it."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            for index, stanza in enumerate(self.inbox):
                if predicate(stanza):
                    del self.inbox[index]
                    return stanza
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise ExpectationFailed(
                    "%s did not receive %s within %.0f s; it holds:\n  %s"
                    % (self.full, what, timeout,
                       "\n  ".join(describe(s) for s in self.inbox[-12:]) or "(nothing)"))
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), remaining)
            except asyncio.TimeoutError:
                pass

    def refuse(self, predicate, what):
        """Fails if a matching stanza was recorded (call after a marker)."""
        for stanza in self.inbox:
            if predicate(stanza):
                raise ExpectationFailed("%s received %s: %s" % (self.full, what, describe(stanza)))

    async def marker_from(self, sender, to=None):
        """sender sends this session a message (to its full JID unless `to`
        says otherwise) and we wait for it: everything sender sent here
        before has been delivered by then."""
        body = "marker %d" % next(_marker_numbers)
        sender.send_message(to or self.full, body, mtype="normal")
        await self.expect(lambda s: s.name == "message" and s["body"] == body,
                          "the marker message from %s" % sender.full)

    def arrival(self, stanza):
        """Order number of a recorded stanza (smaller arrived earlier)."""
        return self._arrivals[id(stanza)]

    def forget(self):
        self.inbox.clear()

    # -- common predicates

    def push(self, jid, **expected):
        """A roster push for jid whose item has the expected fields (a value
        of None means: the attribute is absent or empty)."""
        def match(stanza):
            if stanza.name != "iq":
                return False
            items = roster_items(stanza)
            if list(items) != [jid]:
                return False
            item = items[jid]
            for field, value in expected.items():
                got = item[field]
                if field == "groups":
                    got = sorted(got)
                    value = sorted(value)
                if (got or None) != (value or None):
                    return False
            return True
        return match


def presence_from(jid, kind="available", **fields):
    """Predicate: presence of that type from jid (full or bare, exact)."""
    def match(stanza):
        if stanza.name != "presence" or str(stanza["from"]) != jid or ptype(stanza) != kind:
            return False
        for field, value in fields.items():
            if stanza[field] != value:
                return False
        return True
    return match


def message_with(body, mtype=None):
    return lambda s: s.name == "message" and s["body"] == body and \
        (mtype is None or s["type"] == mtype)


async def first_of(*waits, timeout=WAIT):
    """waits: (client, predicate, what) triples; returns (index, stanza) of
    the first one satisfied, within one shared time limit."""
    tasks = [asyncio.ensure_future(client.expect(predicate, what, timeout))
             for client, predicate, what in waits]
    try:
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for index, task in enumerate(tasks):
            if task in done and task.exception() is None:
                return index, task.result()
        raise ExpectationFailed("none of these arrived within %.0f s: %s"
                                % (timeout, "; ".join(what for _, _, what in waits)))
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


def subscription_presence(kind, sender):
    """Predicate: subscription presence of that type stamped with the
    sender's bare JID (R3-b)."""
    return lambda s: s.name == "presence" and s.xml.get("type") == kind and str(s["from"]) == sender


async def befriend(one, other):
    """Mutual subscription (Both) between two online clients, by the usual
    handshake; what they received on the way is forgotten."""
    for asker, granter in ((one, other), (other, one)):
        asker.send_presence("subscribe", to=granter.bare)
        await granter.expect(subscription_presence("subscribe", asker.bare),
                             "%s's subscription request" % asker.bare)
        granter.send_presence("subscribed", to=asker.bare)
        await asker.expect(subscription_presence("subscribed", granter.bare),
                           "%s's approval" % granter.bare)
    await one.expect(one.push(other.bare, subscription="both"), "the push with 'both'")
    await other.expect(other.push(one.bare, subscription="both"), "the push with 'both'")
    one.forget()
    other.forget()


class Env:
    """One server, its accounts and the clients of one test."""

    def __init__(self, server):
        self.server = server
        self.passwords = {}
        self.clients = []
        self.notes = []

    def deviates(self, server_name, note):
        """True when the server under test is server_name, known to depart
        from RFC 6121 here: the caller then skips that one check, and the
        note is printed with the test's outcome."""
        if self.server.name == server_name:
            self.notes.append("known %s deviation, check skipped: %s" % (server_name, note))
            return True
        return False

    def known_bug(self, server_name, note):
        """True when the server under test is server_name and has this bug,
        reported to its authors: the caller then lets that one check pass,
        and the note is printed with the test's outcome, so the check is
        back in force as soon as the marker is removed."""
        if self.server.name == server_name:
            self.notes.append("KNOWN %s BUG, check not enforced: %s" % (server_name, note))
            return True
        return False

    async def account(self, user):
        if user not in self.passwords:
            password = "pass %s 9" % user
            await self.server.adduser(user, password)
            self.passwords[user] = password
        return self.passwords[user]

    async def client(self, user, resource="r1", **login):
        password = await self.account(user)
        client = Client(self, user, resource, password)
        self.clients.append(client)
        if login.pop("connect", True):
            await client.login(**login)
        return client

    async def close_clients(self):
        for client in self.clients:
            client.xmpp.cancel_connection_attempt()
            client.xmpp.abort()
            # slixmpp's outgoing-filter task outlives the connection.
            filters = client.xmpp._run_out_filters
            if filters is not None and not filters.done():
                filters.cancel()
                await asyncio.gather(filters, return_exceptions=True)
        self.clients.clear()


def quiet_slixmpp():
    """The tests report what matters; slixmpp's and asyncio's warnings about
    connections the tests drop on purpose would only bury it."""
    logging.getLogger("slixmpp").setLevel(logging.CRITICAL)
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
