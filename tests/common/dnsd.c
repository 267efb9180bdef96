/* The test DNS responder (see dnsd.h). */
#include "dnsd.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

void dnsd_start(dnsd *d, const dns_rr *table, size_t n) {
  memset(d, 0, sizeof *d);
  d->table = table;
  d->n = n;
  d->fd = socket(AF_INET, SOCK_DGRAM, 0);
  assert_true(d->fd >= 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(d->fd, (struct sockaddr *)&sa, sizeof sa), 0);
  socklen_t len = sizeof sa;
  assert_int_equal(getsockname(d->fd, (struct sockaddr *)&sa, &len), 0);
  d->port = ntohs(sa.sin_port);
}

static void put16(unsigned char *p, uint16_t v) {
  p[0] = (unsigned char)(v >> 8);
  p[1] = (unsigned char)v;
}

static size_t put_name(unsigned char *p, const char *name) {
  size_t o = 0;
  if (strcmp(name, ".") != 0) {
    const char *s = name;
    while (*s) {
      const char *dot = strchr(s, '.');
      size_t l = dot ? (size_t)(dot - s) : strlen(s);
      p[o++] = (unsigned char)l;
      memcpy(p + o, s, l);
      o += l;
      s += l;
      if (*s == '.') s++;
    }
  }
  p[o++] = 0;
  return o;
}

/* Answers one query from the table (NXDOMAIN when the name has no record at all). */
void dnsd_answer(dnsd *d) {
  unsigned char q[512], a[1500];
  struct sockaddr_storage from;
  socklen_t flen = sizeof from;
  ssize_t n = recvfrom(d->fd, q, sizeof q, 0, (struct sockaddr *)&from, &flen);
  if (n < 12) return;
  d->queries++;
  if (d->silent) return;
  char name[256];
  size_t o = 12, nl = 0;
  while (o < (size_t)n && q[o] != 0) {
    size_t l = q[o++];
    if (o + l > (size_t)n || nl + l + 1 >= sizeof name) return;
    if (nl) name[nl++] = '.';
    memcpy(name + nl, q + o, l);
    nl += l;
    o += l;
  }
  name[nl] = '\0';
  o++;
  if (o + 4 > (size_t)n) return;
  int qtype = q[o] << 8 | q[o + 1];
  o += 4;
  memcpy(a, q, o); /* header and question */
  a[2] = 0x81 | (q[2] & 0x01);
  a[3] = 0x80;
  put16(a + 6, 0);
  put16(a + 8, 0);
  put16(a + 10, 0);
  size_t w = o;
  int known = 0, count = 0;
  for (size_t i = 0; i < d->n; i++) {
    const dns_rr *rr = &d->table[i];
    if (strcasecmp(rr->name, name) != 0) continue;
    known = 1;
    if (rr->type != qtype) continue;
    a[w++] = 0xC0;
    a[w++] = 0x0C;
    put16(a + w, (uint16_t)rr->type);
    put16(a + w + 2, 1);
    a[w + 4] = 0, a[w + 5] = 0, a[w + 6] = 0, a[w + 7] = 60;
    size_t rdlen_at = w + 8;
    w += 10;
    size_t start = w;
    if (rr->type == T_A) {
      assert_int_equal(inet_pton(AF_INET, rr->data, a + w), 1);
      w += 4;
    } else if (rr->type == T_AAAA) {
      assert_int_equal(inet_pton(AF_INET6, rr->data, a + w), 1);
      w += 16;
    } else {
      put16(a + w, rr->priority);
      put16(a + w + 2, rr->weight);
      put16(a + w + 4, rr->port);
      w += 6;
      w += put_name(a + w, rr->data);
    }
    put16(a + rdlen_at, (uint16_t)(w - start));
    count++;
  }
  put16(a + 6, (uint16_t)count);
  if (!known) a[3] |= 3; /* NXDOMAIN */
  sendto(d->fd, a, w, 0, (struct sockaddr *)&from, flen);
}

void dnsd_stop(dnsd *d) {
  if (d->fd >= 0) close(d->fd);
  d->fd = -1;
}
