"""The other side of the echo-bot interop test: a slixmpp client that asks
to see the bot's presence, sends it a chat message and waits for the echo,
for the bot's approval, for the bot's own request (accepted here), and for
the bot's presence (show "chat" and a status, as echo-bot sets them).

usage: echo_peer.py JID PASSWORD BOT_JID PORT CA_FILE
Exit 0 when all of it happened within the time limit, 1 otherwise (with
what was missing).
"""
import asyncio
import logging
import sys

import slixmpp

TIME_LIMIT_S = 20


class Peer(slixmpp.ClientXMPP):
    def __init__(self, jid, password, bot):
        super().__init__(jid, password)
        self.bot = bot
        self.text = "hello from slixmpp: ünïcode & <markup>"
        self.seen = {
            "echo": False,
            "bot approved us": False,
            "bot asked us": False,
            "bot's presence (show chat, a status)": False,
        }
        self.done = asyncio.Event()
        self.add_event_handler("session_start", self.start)
        self.add_event_handler("message", self.message)
        self.add_event_handler("presence_subscribed", self.subscribed)
        self.add_event_handler("presence_subscribe", self.asked)
        # slixmpp names an available presence's event after its show.
        self.add_event_handler("presence_chat", self.chatty)

    def mark(self, what):
        if not self.seen[what]:
            print("peer: " + what, flush=True)
        self.seen[what] = True
        if all(self.seen.values()):
            self.done.set()

    async def start(self, _):
        self.send_presence()
        await self.get_roster()
        self.send_presence_subscription(pto=self.bot, ptype="subscribe")
        self.send_message(mto=self.bot, mbody=self.text, mtype="chat")

    def message(self, msg):
        if msg["from"].bare == self.bot and msg["type"] == "chat":
            if msg["body"] == self.text:
                self.mark("echo")
            else:
                print("peer: unexpected echo %r" % msg["body"], flush=True)

    def subscribed(self, pres):
        if pres["from"].bare == self.bot:
            self.mark("bot approved us")

    def asked(self, pres):
        # slixmpp approves on its own (auto_authorize); only note it here.
        if pres["from"].bare == self.bot:
            self.mark("bot asked us")

    def chatty(self, pres):
        if pres["from"].bare == self.bot and pres["status"]:
            self.mark("bot's presence (show chat, a status)")


async def main(peer, port):
    peer.connect(address=("127.0.0.1", port))
    try:
        await asyncio.wait_for(peer.done.wait(), TIME_LIMIT_S)
    except asyncio.TimeoutError:
        pass
    ok = all(peer.seen.values())
    if not ok:
        missing = [what for what, seen in peer.seen.items() if not seen]
        print("peer: missing after %d s: %s" % (TIME_LIMIT_S, ", ".join(missing)), flush=True)
    peer.disconnect()
    try:
        await asyncio.wait_for(peer.disconnected, 5)
    except asyncio.TimeoutError:
        pass
    return ok


if __name__ == "__main__":
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    jid, password, bot, port, ca = sys.argv[1:]
    logging.basicConfig(level=logging.ERROR)
    # slixmpp leaves a filter task behind at exit, which asyncio reports.
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    peer = Peer(jid, password, bot)
    peer.ca_certs = ca
    ok = asyncio.get_event_loop().run_until_complete(main(peer, int(port)))
    sys.exit(0 if ok else 1)
