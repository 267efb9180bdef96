/*
 * IQ tracking: every get or set the host sends through the session gets
 * exactly one call back, with the answer, on timeout, or when the session
 * ends. Ids are a per-session random prefix and a counter, so they never
 * repeat within a session and are not guessable across sessions.
 */
#include <stdio.h>
#include <string.h>

#include "session/session_impl.h"
#include "util/mem.h"

void xmppim_iq_new_id(xmppim_session *s, char *out, size_t cap) {
  snprintf(out, cap, "%s-%llu", s->iq_prefix, (unsigned long long)++s->iq_counter);
}

int xmppim_iq_register(xmppim_session *s, const char *id, xmppim_iq_cb fn, void *ud) {
  pending_iq *p = xmppim_mem_malloc(&s->mem, sizeof(*p));
  if (!p) return XMPPIM_ERR_NOMEM;
  snprintf(p->id, sizeof(p->id), "%s", id);
  p->deadline = s->opt.iq_timeout ? s->now + s->opt.iq_timeout : XMPPIM_NO_DEADLINE;
  p->fn = fn;
  p->user_data = ud;
  p->next = s->iqs;
  s->iqs = p;
  s->iq_count++;
  return 0;
}

static pending_iq *unlink_iq(xmppim_session *s, const char *id) {
  for (pending_iq **pp = &s->iqs; *pp; pp = &(*pp)->next) {
    if (strcmp((*pp)->id, id) == 0) {
      pending_iq *p = *pp;
      *pp = p->next;
      s->iq_count--;
      return p;
    }
  }
  return NULL;
}

void xmppim_iq_forget(xmppim_session *s, const char *id) {
  xmppim_mem_free(&s->mem, unlink_iq(s, id));
}

/* An answer counts only from the entity the request went to; the session
 * does not keep the 'to' of requests, so it accepts an answer by id, which
 * the random prefix makes unguessable for a third party. */
int xmppim_iq_on_answer(xmppim_session *s, xmppim_stanza *iq) {
  const char *id = xmppim_stanza_attr(iq, "id");
  if (!id) return 0;
  pending_iq *p = unlink_iq(s, id);
  if (!p) return 0;
  p->fn(s, iq, p->user_data);
  xmppim_mem_free(&s->mem, p);
  return 1;
}

void xmppim_iq_expire(xmppim_session *s) {
  for (;;) {
    pending_iq *due = NULL;
    for (pending_iq *p = s->iqs; p; p = p->next)
      if (p->deadline <= s->now) due = p;
    if (!due) return;
    /* Unlink first: the callback may send new IQs. */
    unlink_iq(s, due->id);
    xmppim_session_log(s, XMPPIM_LOG_INFO, "IQ %s timed out", due->id);
    due->fn(s, NULL, due->user_data);
    xmppim_mem_free(&s->mem, due);
  }
}

void xmppim_iq_cancel_all(xmppim_session *s) {
  while (s->iqs) {
    pending_iq *p = s->iqs;
    s->iqs = p->next;
    s->iq_count--;
    p->fn(s, NULL, p->user_data);
    xmppim_mem_free(&s->mem, p);
  }
}

uint64_t xmppim_iq_next_deadline(const xmppim_session *s) {
  uint64_t d = XMPPIM_NO_DEADLINE;
  for (const pending_iq *p = s->iqs; p; p = p->next)
    if (p->deadline < d) d = p->deadline;
  return d;
}
