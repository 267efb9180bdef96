"""Content passes through the server unchanged: special characters and
non-ASCII text, thread and subject, and extension elements in messages,
broadcast presence, presence answered on login, and roster names/groups."""

from slixmpp.xmlstream import ET

from harness import ExpectationFailed, befriend, presence_from, roster_items

TRICKY = "a < b && c > d; 'single' \"double\" h\u00e9llo \u2713 \U0001F389 tab\there"
# In an attribute a literal tab is normalised to a space by any XML parser
# (slixmpp writes it unescaped), so attribute values leave it out.
TRICKY_ATTRIBUTE = TRICKY.replace("\t", " ")
EXTENSION_NS = "urn:example:interop:ext"


def extension():
    """<ext xmlns='urn:example:interop:ext' kind='a&amp;b'><inner n='1'>TRICKY</inner><empty/></ext>"""
    ext = ET.Element("{%s}ext" % EXTENSION_NS, {"kind": "a&b <x>"})
    inner = ET.SubElement(ext, "{%s}inner" % EXTENSION_NS, {"n": "1"})
    inner.text = TRICKY
    ET.SubElement(ext, "{%s}empty" % EXTENSION_NS)
    return ext


def same_extension(stanza):
    """The stanza carries an element equal to extension() (name, namespace,
    attributes, text, children)."""
    found = stanza.xml.find("{%s}ext" % EXTENSION_NS)
    return found is not None and _equal(found, extension())


def _equal(one, other):
    return (one.tag == other.tag and dict(one.attrib) == dict(other.attrib)
            and (one.text or "") == (other.text or "") and len(one) == len(other)
            and all(_equal(a, b) for a, b in zip(one, other)))


async def test_message_content_unchanged(env):
    """C8.4-c: an extension element the server does not know is delivered
    unmodified; R5.2.3/R5.2.4/R5.2.5: body, subject and thread arrive as
    sent, with markup characters and non-BMP text intact."""
    bob = await env.client("bob")
    alice = await env.client("alice")
    message = alice.xmpp.Message(sto=bob.bare, stype="chat")
    message["body"] = TRICKY
    message["subject"] = "subject: " + TRICKY
    message["thread"] = "thread-e5b1"
    message.append(extension())
    message.send()
    received = await bob.expect(lambda s: s.name == "message" and s["thread"] == "thread-e5b1",
                                "the message")
    if received["body"] != TRICKY or received["subject"] != "subject: " + TRICKY:
        raise ExpectationFailed("body or subject changed: %s" % received)
    if not same_extension(received):
        raise ExpectationFailed("C8.4-c: the extension element changed: %s" % received)


async def test_presence_extension_unchanged(env):
    """R4.4.2-a: broadcast presence is the full XML (extension included);
    R4.3.2-j: so is the presence a contact receives on login."""
    alice = await env.client("alice")
    bob = await env.client("bob")
    await befriend(alice, bob)
    presence = alice.xmpp.Presence()
    presence["status"] = TRICKY
    presence.append(extension())
    presence.send()
    received = await bob.expect(presence_from(alice.full, status=TRICKY),
                                "R4.4.2-a: alice's presence")
    if not same_extension(received):
        raise ExpectationFailed("R4.4.2-a: the extension element changed: %s" % received)
    await bob.logout()
    bob = await env.client("bob", "again")
    received = await bob.expect(presence_from(alice.full, status=TRICKY),
                                "R4.3.2-j: alice's presence on login")
    if not same_extension(received):
        raise ExpectationFailed("R4.3.2-j: the extension element changed: %s" % received)


async def test_roster_text_unchanged(env):
    """R2-a / R2.1.2.4-a / R2.1.2.6-b: name and group texts are stored and
    returned as set (opaque to the server), including markup characters
    and non-BMP text."""
    alice = await env.client("alice")
    contact = "bob@" + env.server.domain
    groups = ["\u00e9quipe & co", "<friends>", "\U0001F389"]
    await alice.roster_set(contact, name=TRICKY_ATTRIBUTE, groups=groups)
    await alice.expect(alice.push(contact, name=TRICKY_ATTRIBUTE, groups=groups), "the push")
    second = await env.client("alice", "second")
    items = roster_items(await second.roster_get())
    item = items.get(contact)
    if item is None or item["name"] != TRICKY_ATTRIBUTE or sorted(item["groups"]) != sorted(groups):
        raise ExpectationFailed("R2-a: the item came back changed: %s" % items)
