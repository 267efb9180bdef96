/*
 * libFuzzer target for the tree builder and the serializer: the input is a
 * little program that builds a tree (children from a fixed set of names and
 * namespaces, text and attribute values straight from the input bytes).
 * Whatever the builder accepts must serialize to XML that
 * xmppim_stanza_parse() reads back as an equal tree: this is where the
 * escaping of text and attribute values is tried against arbitrary bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <xmppim/stanza.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const names[] = {"message", "body", "presence", "iq", "query", "item", "group", "x", "c", "a"};
static const char *const nss[] = {NULL, "jabber:client", "jabber:iq:roster", "http://jabber.org/protocol/caps",
                                  "urn:example:a", "urn:example:b"};
static const char *const attr_names[] = {"to", "from", "id", "type", "jid", "name", "lang", "ver", "a"};
static const char *const attr_nss[] = {NULL, NULL, NULL, XMPPIM_NS_XML, "urn:example:a", "urn:example:b"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

typedef struct reader {
  const uint8_t *p;
  size_t left;
} reader;

static unsigned next(reader *r) {
  if (!r->left) return 0;
  r->left--;
  return *r->p++;
}

static void check_rc(int rc, const char *what) {
  if (rc == 0 || rc == XMPPIM_ERR_BAD_UTF8 || rc == XMPPIM_ERR_INVALID_ARGUMENT || rc == XMPPIM_ERR_NOMEM) return;
  fz_fail("%s returned undocumented %d (%s)", what, rc, xmppim_strerror(rc));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  reader r = {data, size};
  unsigned b = next(&r);
  xmppim_stanza *root = NULL;
  int rc = xmppim_stanza_new(&root, NULL, names[b % COUNT(names)], nss[(b >> 4) % COUNT(nss)]);
  if (rc != 0) fz_fail("xmppim_stanza_new() returned %d", rc);

  xmppim_stanza *cur = root;
  unsigned depth = 1;
  while (r.left) {
    unsigned op = next(&r);
    switch (op % 5) {
      case 0: { /* child */
        unsigned x = next(&r);
        if (depth >= 32) break;
        xmppim_stanza *child = NULL;
        rc = xmppim_stanza_add_child(cur, names[x % COUNT(names)], nss[(x >> 4) % COUNT(nss)], &child);
        check_rc(rc, "xmppim_stanza_add_child()");
        if (rc == 0) {
          if (!child || xmppim_stanza_parent(child) != cur) fz_fail("add_child gave a bad child");
          cur = child;
          depth++;
        }
        break;
      }
      case 1: { /* text: the next n bytes as they are */
        size_t n = 1 + (op >> 3) % 24;
        if (n > r.left) n = r.left;
        if (n == 0) break;
        rc = xmppim_stanza_add_text(cur, (const char *)r.p, n);
        check_rc(rc, "xmppim_stanza_add_text()");
        r.p += n;
        r.left -= n;
        break;
      }
      case 2:   /* attribute: the next n bytes as the value (up to a NUL) */
      case 4: { /* remove an attribute */
        unsigned x = next(&r);
        size_t i = x % COUNT(attr_names);
        const char *name = attr_names[i];
        const char *ns = attr_nss[(x >> 4) % COUNT(attr_nss)];
        if (ns && strcmp(ns, XMPPIM_NS_XML) == 0) name = "lang";
        char value[32];
        const char *v = NULL;
        if (op % 5 == 2) {
          size_t n = (op >> 3) % sizeof value;
          if (n > r.left) n = r.left;
          memcpy(value, r.p, n);
          value[n] = '\0';
          r.p += n;
          r.left -= n;
          v = value;
        }
        rc = xmppim_stanza_set_attr_ns(cur, ns, name, v);
        check_rc(rc, "xmppim_stanza_set_attr_ns()");
        if (rc == 0) {
          const char *got = xmppim_stanza_attr_ns(cur, ns, name);
          if (v ? (!got || strcmp(got, v) != 0) : got != NULL)
            fz_fail("attribute {%s}%s reads back as '%s' after being set to '%s'", ns ? ns : "", name,
                    got ? got : "(null)", v ? v : "(null)");
        }
        break;
      }
      case 3: /* up */
        if (cur != root) {
          cur = xmppim_stanza_parent(cur);
          depth--;
        }
        break;
    }
  }

  fz_check_tree(root, 0, 0);
  fz_round_trip(root, "built tree");
  xmppim_stanza_free(root);
  return 0;
}
