"""Command-line senders written by others: Perl sendxmpp and go-sendxmpp log
in over STARTTLS (without certificate checks: neither takes our test
certificate as a CA file) and send one message that a slixmpp client
receives (R8.5.2.1.1-e: a chat to the bare JID of a single resource)."""

import asyncio
import os
import shutil
import subprocess

from harness import ExpectationFailed
from servers import Skip


# Failures that come from the sender, not from the server under test: the
# test is skipped (with the reason) only when the output shows exactly that.
KNOWN_INCOMPATIBILITIES = {}


async def run_sender(env, argv, text):
    if shutil.which(argv[0]) is None:
        raise Skip("%s is not installed" % argv[0])
    # HOME in the scratch directory: no user configuration file is read.
    process = await asyncio.create_subprocess_exec(
        *argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env=dict(os.environ, HOME=env.server.workdir))
    try:
        out, _ = await asyncio.wait_for(process.communicate(text.encode()), 30)
    except asyncio.TimeoutError:
        process.kill()
        await process.wait()
        raise ExpectationFailed("%s did not finish within 30 s" % argv[0]) from None
    if process.returncode != 0:
        for known, why in KNOWN_INCOMPATIBILITIES.get(env.server.name, ()):
            if known in out:
                raise Skip("%s: %s" % (argv[0], why))
        raise ExpectationFailed("%s failed (exit %d):\n%s"
                                % (argv[0], process.returncode, out.decode(errors="replace")))


def body_is(text):
    return lambda s: s.name == "message" and s["body"].strip() == text


async def test_go_sendxmpp_message(env):
    bob = await env.client("bob")
    password = await env.account("alice")
    await run_sender(env, ["go-sendxmpp", "-u", "alice@" + env.server.domain, "-p", password,
                           "-j", "%s:%d" % (env.server.host, env.server.port),
                           "-n", "--timeout", "10", bob.bare], "hello from go-sendxmpp\n")
    message = await bob.expect(body_is("hello from go-sendxmpp"), "go-sendxmpp's message")
    if message["from"].bare != "alice@" + env.server.domain:
        raise ExpectationFailed("C8.1.2.1-a: 'from' should be alice's full JID: %s" % message)


async def test_perl_sendxmpp_message(env):
    bob = await env.client("bob")
    password = await env.account("alice")
    await run_sender(env, ["sendxmpp", "-u", "alice", "-p", password,
                           "-j", "%s:%d" % (env.server.host, env.server.port),
                           "-o", env.server.domain, "-t", "-n", bob.bare],
                     "hello from sendxmpp\n")
    message = await bob.expect(body_is("hello from sendxmpp"), "sendxmpp's message")
    if message["from"].bare != "alice@" + env.server.domain:
        raise ExpectationFailed("C8.1.2.1-a: 'from' should be alice's full JID: %s" % message)
