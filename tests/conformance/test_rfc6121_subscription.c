/*
 * RFC 6121 section 3 and Appendix A: the subscription state machine
 * (lib/im/subscription.c), one test per requirement ID of
 * ../shared/spec/rfc6121-requirements.md that a pure function can decide.
 *
 * Two kinds of test:
 * - table-driven: every row of the project's copy of Appendix A
 *   (tests/conformance/subscription-states.tsv), all 16 columns, is checked
 *   against xmppim_sub_apply(), and so is the shared spec's copy when it is
 *   there beside the project; the two copies must agree row for row;
 * - rule-driven: each test named after an ID states that rule's cells
 *   again, typed in from the RFC text rather than read from any table.
 *
 * IDs that need the roster, the presence engine or the session (storage,
 * pushes to interested resources, redelivery, stamping, routing) are listed
 * in doc/conformance.md with the reason; where a test here checks the part
 * of such a rule this module decides, the doc says so.
 *
 * Readings of the RFC's own inconsistencies (the requirement list's items
 * 1, 2, 3, 8 and 6) are noted at the tests that pin them.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <xmppim/subscription.h>
#include <xmppim/server.h>

#ifndef XMPPIM_SOURCE_ROOT
#error "XMPPIM_SOURCE_ROOT must name the project's source directory"
#endif
#define PROJECT_TSV XMPPIM_SOURCE_ROOT "/tests/conformance/subscription-states.tsv"
#define SHARED_TSV XMPPIM_SOURCE_ROOT "/../shared/spec/subscription-states.tsv"

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

#define OUT XMPPIM_SUB_OUTBOUND
#define IN XMPPIM_SUB_INBOUND
#define SUBSCRIBE XMPPIM_SUB_SUBSCRIBE
#define SUBSCRIBED XMPPIM_SUB_SUBSCRIBED
#define UNSUBSCRIBE XMPPIM_SUB_UNSUBSCRIBE
#define UNSUBSCRIBED XMPPIM_SUB_UNSUBSCRIBED
#define S_N XMPPIM_SUB_STATE_NONE
#define S_NPO XMPPIM_SUB_STATE_NONE_PENDING_OUT
#define S_NPI XMPPIM_SUB_STATE_NONE_PENDING_IN
#define S_NPOI XMPPIM_SUB_STATE_NONE_PENDING_OUT_IN
#define S_T XMPPIM_SUB_STATE_TO
#define S_TPI XMPPIM_SUB_STATE_TO_PENDING_IN
#define S_F XMPPIM_SUB_STATE_FROM
#define S_FPO XMPPIM_SUB_STATE_FROM_PENDING_OUT
#define S_B XMPPIM_SUB_STATE_BOTH
#define MUST XMPPIM_SUB_LEVEL_MUST
#define MUST_NOT XMPPIM_SUB_LEVEL_MUST_NOT
#define SHOULD XMPPIM_SUB_LEVEL_SHOULD
#define SHOULD_NOT XMPPIM_SUB_LEVEL_SHOULD_NOT
#define FX_PUSH XMPPIM_SUB_FX_PUSH_ITEM
#define FX_KEEP XMPPIM_SUB_FX_KEEP_REQUEST
#define FX_DROP XMPPIM_SUB_FX_DROP_REQUEST
#define FX_PRESENCE XMPPIM_SUB_FX_SEND_PRESENCE
#define FX_UNAVAILABLE XMPPIM_SUB_FX_SEND_UNAVAILABLE
#define FX_STARTS XMPPIM_SUB_FX_CONTACT_PRESENCE_STARTS
#define FX_ENDS XMPPIM_SUB_FX_CONTACT_PRESENCE_ENDS

/* ---- the vocabulary, typed in from the spec ---- */

/* RA.1: the nine states, in the TSV's and the RFC's spelling, with the
 * roster attributes the table under A.1 gives them. */
static const struct {
  xmppim_sub_state state;
  const char *tsv;
  const char *rfc;
  const char *subscription;
  const char *ask;
  int pending_in;
} states[] = {
  {S_N, "None", "None", "none", NULL, 0},
  {S_NPO, "None+PendingOut", "None + Pending Out", "none", "subscribe", 0},
  {S_NPI, "None+PendingIn", "None + Pending In", "none", NULL, 1},
  {S_NPOI, "None+PendingOut+PendingIn", "None + Pending Out+In", "none", "subscribe", 1},
  {S_T, "To", "To", "to", NULL, 0},
  {S_TPI, "To+PendingIn", "To + Pending In", "to", NULL, 1},
  {S_F, "From", "From", "from", NULL, 0},
  {S_FPO, "From+PendingOut", "From + Pending Out", "from", "subscribe", 0},
  {S_B, "Both", "Both", "both", NULL, 0},
};

static const char *const stanza_names[] = {"subscribe", "subscribed", "unsubscribe",
                                           "unsubscribed"};
static const char *const direction_names[] = {"outbound", "inbound"};

/* Each (direction, stanza) pair's table in the RFC. */
static const char *source_of(xmppim_sub_direction d, xmppim_sub_stanza s) {
  static const char *const out[] = {"RFC6121 A.2.1 Table 2", "RFC6121 A.2.3 Table 4",
                                    "RFC6121 A.2.2 Table 3", "RFC6121 A.2.4 Table 5"};
  static const char *const in[] = {"RFC6121 A.3.1 Table 6", "RFC6121 A.3.3 Table 8",
                                   "RFC6121 A.3.2 Table 7", "RFC6121 A.3.4 Table 9"};
  return d == OUT ? out[s] : in[s];
}

static const char *state_label(xmppim_sub_state s) {
  return (unsigned)s < COUNT(states) ? states[s].tsv : "?";
}

/* ---- calling the module ---- */

static xmppim_sub_result apply(xmppim_sub_direction d, xmppim_sub_stanza s,
                               xmppim_sub_state st, int approved) {
  xmppim_sub_result r;
  memset(&r, 0xa5, sizeof(r));
  int rc = xmppim_sub_apply(d, s, st, approved, &r);
  if (rc != 0)
    fail_msg("xmppim_sub_apply(%s, %s, %s, %d) = %d", direction_names[d], stanza_names[s],
             state_label(st), approved, rc);
  return r;
}

#define CTX(d, s, st, ap) direction_names[d], stanza_names[s], state_label(st), (ap)
#define CTX_FMT "%s %s in %s (approved=%d): "

/* The whole result of one cell, for the rule-driven tests. */
static void expect(xmppim_sub_direction d, xmppim_sub_stanza s, xmppim_sub_state st,
                   int approved, int pass, xmppim_sub_level level, xmppim_sub_state next,
                   xmppim_sub_reply reply, xmppim_sub_level reply_level,
                   xmppim_sub_approved_effect ap, unsigned effects) {
  xmppim_sub_result r = apply(d, s, st, approved);
  if (r.route_or_deliver != pass || r.level != level)
    fail_msg(CTX_FMT "route_or_deliver %d level %d, want %d level %d", CTX(d, s, st, approved),
             r.route_or_deliver, r.level, pass, level);
  if (r.new_state != next)
    fail_msg(CTX_FMT "new state %s, want %s", CTX(d, s, st, approved), state_label(r.new_state),
             state_label(next));
  if (r.auto_reply != reply || r.auto_reply_level != reply_level)
    fail_msg(CTX_FMT "auto-reply %d level %d, want %d level %d", CTX(d, s, st, approved),
             r.auto_reply, r.auto_reply_level, reply, reply_level);
  if (r.approved_effect != ap)
    fail_msg(CTX_FMT "approved effect %d, want %d", CTX(d, s, st, approved), r.approved_effect,
             ap);
  if (r.effects != effects)
    fail_msg(CTX_FMT "effects 0x%x, want 0x%x", CTX(d, s, st, approved), r.effects, effects);
}

/* A stanza dropped with nothing else happening ("silently ignore"). */
static void expect_ignored(xmppim_sub_direction d, xmppim_sub_stanza s, xmppim_sub_state st,
                           int approved, xmppim_sub_level level) {
  expect(d, s, st, approved, 0, level, st, XMPPIM_SUB_REPLY_NONE, XMPPIM_SUB_LEVEL_NONE,
         XMPPIM_SUB_APPROVED_NONE, 0);
}

/* ---- the TSV ---- */

#define NCOLS 16
#define MAX_ROWS 128

static const char *const columns[NCOLS] = {
  "direction",   "stanza",          "existing_state",
  "route_or_deliver",               "new_state",
  "note",        "keyword",         "rfc_cell",
  "rfc_new_state",                  "auto_reply",
  "auto_reply_level",               "approved_effect",
  "if_approved_route_or_deliver",   "if_approved_new_state",
  "if_approved_auto_reply",         "source",
};

enum { C_DIR, C_STANZA, C_STATE, C_ROUTE, C_NEW, C_NOTE, C_KEYWORD, C_CELL, C_RFC_NEW,
       C_REPLY, C_REPLY_LEVEL, C_APPROVED, C_IA_ROUTE, C_IA_NEW, C_IA_REPLY, C_SOURCE };

typedef struct tsv_row {
  int line;
  char *f[NCOLS];
} tsv_row;

typedef struct tsv {
  const char *path;
  char *text;
  char *header[NCOLS];
  int header_line;
  int nrows;
  tsv_row rows[MAX_ROWS];
} tsv;

/* Splits one line into exactly NCOLS non-empty tab-separated fields. */
static void split_fields(const tsv *t, int line, char *s, char **f) {
  int n = 0;
  for (;;) {
    if (n == NCOLS) fail_msg("%s:%d: more than %d columns", t->path, line, NCOLS);
    f[n++] = s;
    char *tab = strchr(s, '\t');
    if (!tab) break;
    *tab = '\0';
    s = tab + 1;
  }
  if (n != NCOLS) fail_msg("%s:%d: %d columns, want %d", t->path, line, n, NCOLS);
  for (int i = 0; i < NCOLS; i++)
    if (f[i][0] == '\0') fail_msg("%s:%d: column %s is empty", t->path, line, columns[i]);
}

/* 0 when loaded, 1 when the file does not exist; anything else fails. */
static int tsv_load(tsv *t, const char *path) {
  memset(t, 0, sizeof(*t));
  t->path = path;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    if (errno == ENOENT) return 1;
    fail_msg("%s: %s", path, strerror(errno));
  }
  size_t cap = 1 << 16, len = 0;
  t->text = malloc(cap + 1);
  assert_non_null(t->text);
  size_t n;
  while ((n = fread(t->text + len, 1, cap - len, fp)) > 0) {
    len += n;
    if (len == cap) {
      cap *= 2;
      t->text = realloc(t->text, cap + 1);
      assert_non_null(t->text);
    }
  }
  assert_int_equal(ferror(fp), 0);
  fclose(fp);
  t->text[len] = '\0';

  char *s = t->text;
  int line = 0;
  while (*s) {
    char *nl = strchr(s, '\n');
    if (nl) *nl = '\0';
    line++;
    size_t l = strlen(s);
    if (l && s[l - 1] == '\r') s[--l] = '\0';
    if (s[0] == '#') {
      if (t->header_line) fail_msg("%s:%d: comment after the header", path, line);
    } else if (l == 0) {
      fail_msg("%s:%d: empty line", path, line);
    } else if (!t->header_line) {
      t->header_line = line;
      split_fields(t, line, s, t->header);
      for (int i = 0; i < NCOLS; i++)
        if (strcmp(t->header[i], columns[i]) != 0)
          fail_msg("%s:%d: column %d is '%s', want '%s'", path, line, i + 1, t->header[i],
                   columns[i]);
    } else {
      if (t->nrows == MAX_ROWS) fail_msg("%s:%d: more than %d rows", path, line, MAX_ROWS);
      tsv_row *r = &t->rows[t->nrows++];
      r->line = line;
      split_fields(t, line, s, r->f);
    }
    if (!nl) break;
    s = nl + 1;
  }
  if (!t->header_line) fail_msg("%s: no header row", path);
  return 0;
}

static void tsv_free(tsv *t) {
  free(t->text);
  t->text = NULL;
}

static int lookup(const char *const *names, int n, const char *s) {
  for (int i = 0; i < n; i++)
    if (strcmp(names[i], s) == 0) return i;
  return -1;
}

static int parse_state(const char *s) {
  for (size_t i = 0; i < COUNT(states); i++)
    if (strcmp(states[i].tsv, s) == 0) return (int)states[i].state;
  return -1;
}

/* "MUST [1]" -> "MUST": drops one trailing footnote mark. */
static void strip_footnote(const char *s, char *out, size_t outlen) {
  snprintf(out, outlen, "%s", s);
  char *mark = strstr(out, " [");
  if (mark && mark[2] >= '0' && mark[2] <= '9' && mark[3] == ']' && mark[4] == '\0')
    *mark = '\0';
}

static int parse_keyword(const char *s) {
  if (strcmp(s, "MUST") == 0) return MUST;
  if (strcmp(s, "MUST NOT") == 0) return MUST_NOT;
  if (strcmp(s, "SHOULD") == 0) return SHOULD;
  if (strcmp(s, "SHOULD NOT") == 0) return SHOULD_NOT;
  return -1;
}

/* The RFC's table cells abbreviate the negative keywords. */
static int parse_cell(const char *s) {
  char k[64];
  strip_footnote(s, k, sizeof(k));
  if (strcmp(k, "MUST") == 0) return MUST;
  if (strcmp(k, "M.N.") == 0) return MUST_NOT;
  if (strcmp(k, "S.N.") == 0) return SHOULD_NOT;
  return -1;
}

static int parse_reply(const char *s) {
  if (strcmp(s, "none") == 0 || strcmp(s, "-") == 0) return XMPPIM_SUB_REPLY_NONE;
  if (strcmp(s, "subscribed") == 0) return XMPPIM_SUB_REPLY_SUBSCRIBED;
  if (strcmp(s, "unsubscribed") == 0) return XMPPIM_SUB_REPLY_UNSUBSCRIBED;
  return -1;
}

static int parse_approved(const char *s) {
  static const char *const names[] = {"none", "set", "clear"};
  return lookup(names, 3, s); /* in enum order: none, set, clear */
}

static int parse_yes_no(const char *s) {
  if (strcmp(s, "yes") == 0) return 1;
  if (strcmp(s, "no") == 0) return 0;
  return -1;
}

#define ROW_FAIL(t, r, ...)                                                                 \
  do {                                                                                      \
    char why_[512];                                                                         \
    snprintf(why_, sizeof(why_), __VA_ARGS__);                                              \
    fail_msg("%s:%d (%s %s %s): %s", (t)->path, (r)->line, (r)->f[C_DIR], (r)->f[C_STANZA], \
             (r)->f[C_STATE], why_);                                                        \
  } while (0)

static int parse_or_fail(const tsv *t, const tsv_row *r, int col, int v) {
  if (v < 0) ROW_FAIL(t, r, "column %s: unknown value '%s'", columns[col], r->f[col]);
  return v;
}

/* Checks one row, all 16 columns, against the module. */
static void check_row(const tsv *t, const tsv_row *row) {
  char *const *f = row->f;
  xmppim_sub_direction d =
    (xmppim_sub_direction)parse_or_fail(t, row, C_DIR, lookup(direction_names, 2, f[C_DIR]));
  xmppim_sub_stanza s =
    (xmppim_sub_stanza)parse_or_fail(t, row, C_STANZA, lookup(stanza_names, 4, f[C_STANZA]));
  xmppim_sub_state st = (xmppim_sub_state)parse_or_fail(t, row, C_STATE, parse_state(f[C_STATE]));
  int route = parse_or_fail(t, row, C_ROUTE, parse_yes_no(f[C_ROUTE]));
  xmppim_sub_state next = (xmppim_sub_state)parse_or_fail(t, row, C_NEW, parse_state(f[C_NEW]));
  int keyword = parse_or_fail(t, row, C_KEYWORD, parse_keyword(f[C_KEYWORD]));
  int cell = parse_or_fail(t, row, C_CELL, parse_cell(f[C_CELL]));
  int reply = parse_or_fail(t, row, C_REPLY, parse_reply(f[C_REPLY]));
  int reply_level = strcmp(f[C_REPLY_LEVEL], "-") == 0
                      ? XMPPIM_SUB_LEVEL_NONE
                      : parse_or_fail(t, row, C_REPLY_LEVEL, parse_keyword(f[C_REPLY_LEVEL]));
  int ap = parse_or_fail(t, row, C_APPROVED, parse_approved(f[C_APPROVED]));

  /* The columns agree with each other. */
  if (cell != keyword)
    ROW_FAIL(t, row, "rfc_cell '%s' is not keyword '%s'", f[C_CELL], f[C_KEYWORD]);
  if ((keyword == MUST) != route)
    ROW_FAIL(t, row, "route_or_deliver %s with keyword %s", f[C_ROUTE], f[C_KEYWORD]);
  if ((reply == XMPPIM_SUB_REPLY_NONE) != (reply_level == XMPPIM_SUB_LEVEL_NONE))
    ROW_FAIL(t, row, "auto_reply %s with level %s", f[C_REPLY], f[C_REPLY_LEVEL]);
  char rfc_new[64];
  strip_footnote(f[C_RFC_NEW], rfc_new, sizeof(rfc_new));
  if (strcmp(rfc_new, "no state change") == 0) {
    if (next != st) ROW_FAIL(t, row, "'no state change' but new_state %s", f[C_NEW]);
  } else if (strcmp(rfc_new, "pre-approval") == 0) {
    if (next != st || ap != XMPPIM_SUB_APPROVED_SET)
      ROW_FAIL(t, row, "'pre-approval' needs no state change and approved_effect set");
  } else {
    size_t i = 0;
    while (i < COUNT(states) && strcmp(states[i].rfc, rfc_new) != 0) i++;
    if (i == COUNT(states)) ROW_FAIL(t, row, "rfc_new_state '%s' is no state", f[C_RFC_NEW]);
    if (states[i].state != next || next == st)
      ROW_FAIL(t, row, "rfc_new_state '%s' vs new_state %s", f[C_RFC_NEW], f[C_NEW]);
  }
  if (strncmp(f[C_SOURCE], source_of(d, s), strlen(source_of(d, s))) != 0)
    ROW_FAIL(t, row, "source '%s' does not start with '%s'", f[C_SOURCE], source_of(d, s));

  /* The module agrees with the row, approved flag clear. */
  xmppim_sub_result r0 = apply(d, s, st, 0), r1 = apply(d, s, st, 1);
  if (r0.route_or_deliver != route) ROW_FAIL(t, row, "route_or_deliver %d", r0.route_or_deliver);
  if (r0.new_state != next) ROW_FAIL(t, row, "new_state %s", state_label(r0.new_state));
  if ((int)r0.level != keyword) ROW_FAIL(t, row, "level %d, want %d", r0.level, keyword);
  if ((int)r0.auto_reply != reply) ROW_FAIL(t, row, "auto_reply %d", r0.auto_reply);
  if ((int)r0.auto_reply_level != reply_level)
    ROW_FAIL(t, row, "auto_reply_level %d", r0.auto_reply_level);
  if ((int)r0.approved_effect != ap) ROW_FAIL(t, row, "approved_effect %d", r0.approved_effect);

  /* ... and with approved='true': '-' means as without. */
  int ia_route = strcmp(f[C_IA_ROUTE], "-") == 0
                   ? r0.route_or_deliver
                   : parse_or_fail(t, row, C_IA_ROUTE, parse_yes_no(f[C_IA_ROUTE]));
  int ia_next = strcmp(f[C_IA_NEW], "-") == 0
                  ? (int)r0.new_state
                  : parse_or_fail(t, row, C_IA_NEW, parse_state(f[C_IA_NEW]));
  int ia_reply = strcmp(f[C_IA_REPLY], "-") == 0
                   ? (int)r0.auto_reply
                   : parse_or_fail(t, row, C_IA_REPLY, parse_reply(f[C_IA_REPLY]));
  if (r1.route_or_deliver != ia_route)
    ROW_FAIL(t, row, "approved: route_or_deliver %d, want %d", r1.route_or_deliver, ia_route);
  if ((int)r1.new_state != ia_next)
    ROW_FAIL(t, row, "approved: new_state %s", state_label(r1.new_state));
  if ((int)r1.auto_reply != ia_reply) ROW_FAIL(t, row, "approved: auto_reply %d", r1.auto_reply);

  /* The side effects the note names are the ones derived from the change
   * (a note may name one that only happens when approved='true'). */
  const char *note = f[C_NOTE];
  unsigned any = r0.effects | r1.effects;
  if (strstr(note, "no push")) {
    if (any & FX_PUSH) ROW_FAIL(t, row, "note says no push, module pushes");
  } else if (strstr(note, "push")) {
    if (!(any & FX_PUSH)) ROW_FAIL(t, row, "note says push, module does not");
  } else if (r0.effects & FX_PUSH) {
    ROW_FAIL(t, row, "module pushes, note does not say so");
  }
  if (!strstr(note, "current presence") != !(r0.effects & FX_PRESENCE))
    ROW_FAIL(t, row, "note and module disagree on sending current presence");
  int note_unavailable = strstr(note, "unavailable from each") || strstr(note, "unavailable first");
  if (!note_unavailable != !(r0.effects & FX_UNAVAILABLE))
    ROW_FAIL(t, row, "note and module disagree on sending unavailable presence");
}

/* Every (direction, stanza, state) exactly once. */
static void check_complete(const tsv *t) {
  int seen[2][4][XMPPIM_SUB_STATE_COUNT] = {{{0}}};
  if (t->nrows != 72) fail_msg("%s: %d rows, want 72", t->path, t->nrows);
  for (int i = 0; i < t->nrows; i++) {
    const tsv_row *r = &t->rows[i];
    int d = parse_or_fail(t, r, C_DIR, lookup(direction_names, 2, r->f[C_DIR]));
    int s = parse_or_fail(t, r, C_STANZA, lookup(stanza_names, 4, r->f[C_STANZA]));
    int st = parse_or_fail(t, r, C_STATE, parse_state(r->f[C_STATE]));
    if (seen[d][s][st]++) ROW_FAIL(t, r, "row repeated");
  }
}

static int check_rows(const tsv *t, int direction) {
  int n = 0;
  for (int i = 0; i < t->nrows; i++)
    if (direction < 0 || lookup(direction_names, 2, t->rows[i].f[C_DIR]) == direction) {
      check_row(t, &t->rows[i]);
      n++;
    }
  return n;
}

static tsv project_tsv, shared_tsv;
static int project_loaded, shared_state; /* shared: 0 not tried, 1 loaded, 2 absent */

static const tsv *project(void) {
  if (!project_loaded) {
    if (tsv_load(&project_tsv, PROJECT_TSV) != 0) fail_msg("%s is missing", PROJECT_TSV);
    project_loaded = 1;
  }
  return &project_tsv;
}

static const tsv *shared(void) {
  if (!shared_state) shared_state = tsv_load(&shared_tsv, SHARED_TSV) == 0 ? 1 : 2;
  if (shared_state == 2) {
    print_message("skipped: %s does not exist (the shared spec is not beside the project)\n",
                  SHARED_TSV);
    skip();
  }
  return &shared_tsv;
}

static int teardown_tables(void **state) {
  (void)state;
  if (project_loaded) tsv_free(&project_tsv);
  if (shared_state == 1) tsv_free(&shared_tsv);
  return 0;
}

/* ---- the tables, row by row ---- */

static void tsv_project_copy_is_complete(void **state) {
  (void)state;
  check_complete(project());
}

/* RA.2-a: Tables 2-5, every outbound row of the project's copy. */
static void RA_2_a_outbound_rows(void **state) {
  (void)state;
  assert_int_equal(check_rows(project(), OUT), 36);
}

/* RA.3-a: Tables 6-9, every inbound row of the project's copy. */
static void RA_3_a_inbound_rows(void **state) {
  (void)state;
  assert_int_equal(check_rows(project(), IN), 36);
}

/* RA.2-a, RA.3-a again, on the spec's own copy. */
static void tsv_shared_copy_rows(void **state) {
  (void)state;
  const tsv *t = shared();
  check_complete(t);
  assert_int_equal(check_rows(t, -1), 72);
}

/* The project's copy cannot drift from the spec: same header, same rows in
 * the same order, every column identical. */
static void tsv_copies_agree(void **state) {
  (void)state;
  const tsv *p = project(), *s = shared();
  for (int c = 0; c < NCOLS; c++) assert_string_equal(p->header[c], s->header[c]);
  if (p->nrows != s->nrows) fail_msg("%d rows here, %d in %s", p->nrows, s->nrows, s->path);
  for (int i = 0; i < p->nrows; i++)
    for (int c = 0; c < NCOLS; c++)
      if (strcmp(p->rows[i].f[c], s->rows[i].f[c]) != 0)
        fail_msg("%s:%d and %s:%d differ in column %s: '%s' / '%s'", p->path, p->rows[i].line,
                 s->path, s->rows[i].line, columns[c], p->rows[i].f[c], s->rows[i].f[c]);
}

/* ---- the same rows through the server core ---- */

/*
 * Each row again, end to end: an xmppim_server whose store holds alice's
 * roster with one contact, bob@remote.example, in the row's state (and with
 * approved='true' where the row says what that changes), alice online with
 * one available, interested resource; then the row's stanza, outbound from
 * alice or inbound from bob. What the server routes to bob's domain,
 * delivers to alice and stores must be what the row says.
 */
typedef struct row_server {
  xmppim_sub_state state;
  int approved;
  int routed_type, delivered_type; /* stanzas of the row's type */
  int routed_subscribed, routed_unsubscribed;
  int saved;
  xmppim_sub_state saved_state;
  int saved_approved;
  const char *type;
} row_server;

static int rs_load(void *data, const char *user, xmppim_roster_loader *ld) {
  row_server *rs = data;
  if (strcmp(user, "alice@example.com") != 0) return XMPPIM_ERR_NOT_FOUND;
  const char *pending =
    xmppim_sub_pending_in(rs->state)
      ? "<presence xmlns='jabber:client' type='subscribe' from='bob@remote.example' to='alice@example.com'/>"
      : NULL;
  return xmppim_roster_loader_add(ld, "bob@remote.example", NULL, NULL, 0, rs->state, rs->approved, 1, pending);
}

static int rs_save(void *data, const char *user, const xmppim_contact *c, const char *version) {
  row_server *rs = data;
  (void)user;
  (void)version;
  rs->saved = 1;
  rs->saved_state = xmppim_contact_state(c);
  rs->saved_approved = xmppim_contact_approved(c);
  return 0;
}

static int rs_delete(void *data, const char *user, const char *jid, const char *version) {
  row_server *rs = data;
  (void)user;
  (void)jid;
  (void)version;
  rs->saved = 1;
  rs->saved_state = S_N;
  rs->saved_approved = 0;
  return 0;
}

static int has_type(const xmppim_stanza *st, const char *type) {
  const char *t = xmppim_stanza_attr(st, "type");
  return strcmp(xmppim_stanza_name(st), "presence") == 0 && t && strcmp(t, type) == 0;
}

static int rs_deliver(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  row_server *rs = ud;
  (void)srv;
  (void)to;
  if (rs->type && has_type(st, rs->type)) rs->delivered_type++;
  return 0;
}

static int rs_route(xmppim_server *srv, const xmppim_jid *to, const xmppim_stanza *st, void *ud) {
  row_server *rs = ud;
  (void)srv;
  if (strcmp(xmppim_jid_bare_string(to), "bob@remote.example") != 0) fail_msg("routed to %s", xmppim_jid_to_string(to));
  /* R3-b: what the server sends on the user's behalf is from the bare JID,
   * except presence, which comes from a resource. */
  const char *from = xmppim_stanza_attr(st, "from");
  int presence_info = has_type(st, "unavailable") || !xmppim_stanza_attr(st, "type");
  if (!presence_info && (!from || strcmp(from, "alice@example.com") != 0)) fail_msg("routed from %s", from);
  if (rs->type && has_type(st, rs->type)) rs->routed_type++;
  if (has_type(st, "subscribed")) rs->routed_subscribed++;
  if (has_type(st, "unsubscribed")) rs->routed_unsubscribed++;
  return 0;
}

static void feed(xmppim_server *srv, const xmppim_jid *sender, const char *xml) {
  xmppim_stanza *st;
  assert_int_equal(xmppim_stanza_parse(&st, xml, strlen(xml), NULL, NULL), 0);
  int rv = xmppim_server_handle_stanza(srv, sender, st);
  xmppim_stanza_free(st);
  assert_true(rv >= 0);
}

/* Runs one row's stanza through a fresh server; fills rs. */
static void run_on_server(row_server *rs, xmppim_sub_direction d, xmppim_sub_stanza s) {
  xmppim_server_callbacks *cb;
  xmppim_server *srv;
  assert_int_equal(xmppim_server_callbacks_new(&cb), 0);
  xmppim_server_callbacks_set_load_roster(cb, rs_load);
  xmppim_server_callbacks_set_save_contact(cb, rs_save);
  xmppim_server_callbacks_set_delete_contact(cb, rs_delete);
  xmppim_server_callbacks_set_store_data(cb, rs);
  xmppim_server_callbacks_set_deliver(cb, rs_deliver);
  xmppim_server_callbacks_set_route(cb, rs_route);
  assert_int_equal(xmppim_server_new(&srv, cb, rs, NULL, NULL), 0);
  xmppim_server_callbacks_free(cb);
  assert_int_equal(xmppim_server_add_domain(srv, "example.com"), 0);
  xmppim_jid *me;
  assert_int_equal(xmppim_jid_new(&me, "alice@example.com/res", 21, NULL), 0);
  assert_int_equal(xmppim_server_resource_bound(srv, me), 0);
  feed(srv, me, "<iq xmlns='jabber:client' type='get' id='r' from='alice@example.com/res'>"
                "<query xmlns='jabber:iq:roster'/></iq>");
  feed(srv, me, "<presence xmlns='jabber:client' from='alice@example.com/res'/>");
  rs->type = stanza_names[s];
  rs->routed_type = rs->delivered_type = rs->routed_subscribed = rs->routed_unsubscribed = 0;
  rs->saved = 0;
  char xml[256];
  if (d == OUT)
    snprintf(xml, sizeof(xml), "<presence xmlns='jabber:client' type='%s' to='bob@remote.example' "
             "from='alice@example.com/res'/>", stanza_names[s]);
  else
    snprintf(xml, sizeof(xml), "<presence xmlns='jabber:client' type='%s' from='bob@remote.example' "
             "to='alice@example.com'/>", stanza_names[s]);
  feed(srv, d == OUT ? me : NULL, xml);
  xmppim_jid_free(me);
  xmppim_server_free(srv);
}

static void check_row_on_server(const tsv *t, const tsv_row *row) {
  char *const *f = row->f;
  xmppim_sub_direction d = (xmppim_sub_direction)lookup(direction_names, 2, f[C_DIR]);
  xmppim_sub_stanza s = (xmppim_sub_stanza)lookup(stanza_names, 4, f[C_STANZA]);
  xmppim_sub_state st = (xmppim_sub_state)parse_state(f[C_STATE]);
  for (int approved = 0; approved < 2; approved++) {
    /* The flag can only be set in None, None + Pending Out and To (R3.4.2-c/e). */
    if (approved && st != S_N && st != S_NPO && st != S_T) continue;
    const char *route_col = approved && strcmp(f[C_IA_ROUTE], "-") != 0 ? f[C_IA_ROUTE] : f[C_ROUTE];
    const char *new_col = approved && strcmp(f[C_IA_NEW], "-") != 0 ? f[C_IA_NEW] : f[C_NEW];
    const char *reply_col = approved && strcmp(f[C_IA_REPLY], "-") != 0 ? f[C_IA_REPLY] : f[C_REPLY];
    int route = parse_yes_no(route_col);
    xmppim_sub_state next = (xmppim_sub_state)parse_state(new_col);
    int reply = parse_reply(reply_col);
    row_server rs = {st, approved, 0, 0, 0, 0, 0, S_N, 0, NULL};
    run_on_server(&rs, d, s);
    int passed_on = d == OUT ? rs.routed_type : rs.delivered_type;
    if (passed_on != route)
      ROW_FAIL(t, row, "server (approved=%d): %s %d time(s), table says %s", approved,
               d == OUT ? "routed" : "delivered", passed_on, route_col);
    xmppim_sub_state after = rs.saved ? rs.saved_state : st;
    if (after != next)
      ROW_FAIL(t, row, "server (approved=%d): state %s, table says %s", approved, state_label(after), new_col);
    if (d == IN) {
      int want_sub = reply == XMPPIM_SUB_REPLY_SUBSCRIBED, want_unsub = reply == XMPPIM_SUB_REPLY_UNSUBSCRIBED;
      if (rs.routed_subscribed != want_sub || rs.routed_unsubscribed != want_unsub)
        ROW_FAIL(t, row, "server (approved=%d): auto-replies subscribed %d unsubscribed %d, table says %s",
                 approved, rs.routed_subscribed, rs.routed_unsubscribed, reply_col);
    }
    /* The approved column: set, cleared, consumed or kept. */
    int ap = parse_approved(f[C_APPROVED]);
    int want_approved = approved;
    xmppim_sub_result r;
    assert_int_equal(xmppim_sub_apply(d, s, st, approved, &r), 0);
    if (r.approved_effect == XMPPIM_SUB_APPROVED_SET) want_approved = 1;
    if (r.approved_effect == XMPPIM_SUB_APPROVED_CLEAR || r.approved_effect == XMPPIM_SUB_APPROVED_CONSUMED)
      want_approved = 0;
    (void)ap;
    int got_approved = rs.saved ? rs.saved_approved : approved;
    if (got_approved != want_approved)
      ROW_FAIL(t, row, "server (approved=%d): approved %d afterwards, want %d", approved, got_approved,
               want_approved);
  }
}

static int check_rows_on_server(const tsv *t) {
  for (int i = 0; i < t->nrows; i++) check_row_on_server(t, &t->rows[i]);
  return t->nrows;
}

/* RA.2-a, RA.3-a, end to end: every row of the project's copy through the
 * server core (R3.1.2-f and R3-b: routed from the bare JID). */
static void RA_2_a_RA_3_a_rows_through_the_server(void **state) {
  (void)state;
  assert_int_equal(check_rows_on_server(project()), 72);
}

/* And every row of the spec's own copy. */
static void tsv_shared_copy_rows_through_the_server(void **state) {
  (void)state;
  assert_int_equal(check_rows_on_server(shared()), 72);
}

/* ---- properties of the function as a whole ---- */

static int same_result(const xmppim_sub_result *a, const xmppim_sub_result *b) {
  return a->route_or_deliver == b->route_or_deliver && a->level == b->level &&
         a->new_state == b->new_state && a->auto_reply == b->auto_reply &&
         a->auto_reply_level == b->auto_reply_level && a->approved_effect == b->approved_effect &&
         a->effects == b->effects;
}

/* DESIGN.md: a pure function, total over its inputs, no hidden state. */
static void sub_apply_is_pure_and_total(void **state) {
  (void)state;
  xmppim_sub_result first[2][4][XMPPIM_SUB_STATE_COUNT][2];
  for (int d = 0; d < 2; d++)
    for (int s = 0; s < 4; s++)
      for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++)
        for (int ap = 0; ap < 2; ap++) {
          xmppim_sub_result r = apply((xmppim_sub_direction)d, (xmppim_sub_stanza)s,
                                      (xmppim_sub_state)st, ap);
          assert_true((unsigned)r.new_state < XMPPIM_SUB_STATE_COUNT);
          assert_true(r.level == MUST || r.level == MUST_NOT || r.level == SHOULD_NOT);
          assert_int_equal(r.route_or_deliver, r.level == MUST);
          assert_true(r.auto_reply <= XMPPIM_SUB_REPLY_UNSUBSCRIBED);
          assert_int_equal(r.auto_reply == XMPPIM_SUB_REPLY_NONE,
                           r.auto_reply_level == XMPPIM_SUB_LEVEL_NONE);
          assert_true(r.approved_effect <= XMPPIM_SUB_APPROVED_CONSUMED);
          assert_int_equal(r.effects & ~0x7fu, 0);
          first[d][s][st][ap] = r;
        }
  /* Again backwards, and with another nonzero flag: nothing remembered. */
  for (int d = 1; d >= 0; d--)
    for (int s = 3; s >= 0; s--)
      for (int st = XMPPIM_SUB_STATE_COUNT - 1; st >= 0; st--)
        for (int ap = 1; ap >= 0; ap--) {
          xmppim_sub_result r = apply((xmppim_sub_direction)d, (xmppim_sub_stanza)s,
                                      (xmppim_sub_state)st, ap * 7);
          assert_true(same_result(&r, &first[d][s][st][ap]));
        }
  /* Out-of-range input is refused and the result left alone. */
  xmppim_sub_result r, untouched;
  memset(&r, 0x5a, sizeof(r));
  untouched = r;
  assert_int_equal(xmppim_sub_apply((xmppim_sub_direction)2, SUBSCRIBE, S_N, 0, &r),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_sub_apply(OUT, (xmppim_sub_stanza)4, S_N, 0, &r),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(
    xmppim_sub_apply(OUT, SUBSCRIBE, (xmppim_sub_state)XMPPIM_SUB_STATE_COUNT, 0, &r),
    XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_sub_apply(OUT, SUBSCRIBE, (xmppim_sub_state)-1, 0, &r),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_sub_apply((xmppim_sub_direction)-1, SUBSCRIBE, S_N, 0, &r),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_memory_equal(&r, &untouched, sizeof(r));
  assert_int_equal(xmppim_sub_apply(OUT, SUBSCRIBE, S_N, 0, NULL), XMPPIM_ERR_INVALID_ARGUMENT);
}

/* The side effects, stated over the roster attributes the user can see:
 * pushed when the item shows something new or the user's own stanza moved
 * the state; requests kept and dropped with Pending In; presence sent and
 * withdrawn with From; the contact's presence starting and ending with To. */
static void sub_effects_follow_the_state_change(void **state) {
  (void)state;
  for (int d = 0; d < 2; d++)
    for (int s = 0; s < 4; s++)
      for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++)
        for (int ap = 0; ap < 2; ap++) {
          xmppim_sub_state a = (xmppim_sub_state)st;
          xmppim_sub_result r = apply((xmppim_sub_direction)d, (xmppim_sub_stanza)s, a, ap);
          xmppim_sub_state b = r.new_state;
          int ap_after = r.approved_effect == XMPPIM_SUB_APPROVED_SET     ? 1
                         : r.approved_effect == XMPPIM_SUB_APPROVED_CLEAR ? 0
                                                                          : ap;
          const char *ask_a = xmppim_sub_ask(a), *ask_b = xmppim_sub_ask(b);
          int item_changed =
            strcmp(xmppim_sub_subscription_attr(a), xmppim_sub_subscription_attr(b)) != 0 ||
            !ask_a != !ask_b || ap != ap_after;
          unsigned want = 0;
          if (item_changed || (d == OUT && a != b)) want |= FX_PUSH;
          if (!xmppim_sub_pending_in(a) && xmppim_sub_pending_in(b)) want |= FX_KEEP;
          if (xmppim_sub_pending_in(a) && !xmppim_sub_pending_in(b)) want |= FX_DROP;
          if (!xmppim_sub_is_from(a) && xmppim_sub_is_from(b)) want |= FX_PRESENCE;
          if (xmppim_sub_is_from(a) && !xmppim_sub_is_from(b)) want |= FX_UNAVAILABLE;
          if (!xmppim_sub_is_to(a) && xmppim_sub_is_to(b)) want |= FX_STARTS;
          if (xmppim_sub_is_to(a) && !xmppim_sub_is_to(b)) want |= FX_ENDS;
          if (r.effects != want)
            fail_msg(CTX_FMT "effects 0x%x, want 0x%x",
                     CTX((xmppim_sub_direction)d, (xmppim_sub_stanza)s, a, ap), r.effects, want);
        }
}

/* Names for logs and for building the stanzas. */
static void sub_names(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(states); i++)
    assert_string_equal(xmppim_sub_state_name(states[i].state), states[i].tsv);
  assert_null(xmppim_sub_state_name((xmppim_sub_state)XMPPIM_SUB_STATE_COUNT));
  assert_null(xmppim_sub_state_name((xmppim_sub_state)-1));
  for (int s = 0; s < 4; s++) {
    assert_string_equal(xmppim_sub_stanza_type((xmppim_sub_stanza)s), stanza_names[s]);
    assert_int_equal(xmppim_sub_stanza_from_type(stanza_names[s]), s);
  }
  assert_null(xmppim_sub_stanza_type((xmppim_sub_stanza)4));
  static const char *const others[] = {"unavailable", "probe", "error", "", "Subscribe",
                                       "subscribe "};
  for (size_t i = 0; i < COUNT(others); i++)
    assert_int_equal(xmppim_sub_stanza_from_type(others[i]), XMPPIM_ERR_NOT_FOUND);
  assert_int_equal(xmppim_sub_stanza_from_type(NULL), XMPPIM_ERR_NOT_FOUND);
  assert_string_equal(xmppim_sub_reply_type(XMPPIM_SUB_REPLY_SUBSCRIBED), "subscribed");
  assert_string_equal(xmppim_sub_reply_type(XMPPIM_SUB_REPLY_UNSUBSCRIBED), "unsubscribed");
  assert_null(xmppim_sub_reply_type(XMPPIM_SUB_REPLY_NONE));
  assert_null(xmppim_sub_reply_type((xmppim_sub_reply)3));
}

/* ---- A.1 the states ---- */

/* RA.1-a: None, To, From, Both; To is the user seeing the contact. */
static void RA_1_a_four_primary_states(void **state) {
  (void)state;
  assert_string_equal(xmppim_sub_subscription_attr(S_N), "none");
  assert_string_equal(xmppim_sub_subscription_attr(S_T), "to");
  assert_string_equal(xmppim_sub_subscription_attr(S_F), "from");
  assert_string_equal(xmppim_sub_subscription_attr(S_B), "both");
  assert_true(!xmppim_sub_is_to(S_N) && !xmppim_sub_is_from(S_N));
  assert_true(xmppim_sub_is_to(S_T) && !xmppim_sub_is_from(S_T));
  assert_true(!xmppim_sub_is_to(S_F) && xmppim_sub_is_from(S_F));
  assert_true(xmppim_sub_is_to(S_B) && xmppim_sub_is_from(S_B));
}

/* RA.1-b: a contact absent from the roster has no attributes, which read
 * as None; and None behaves as "no item" does (no push for a stranger's
 * request, an item only when there is something to record). */
static void RA_1_b_none_covers_no_item(void **state) {
  (void)state;
  assert_int_equal(xmppim_sub_state_from_attrs(NULL, NULL, 0), S_N);
  expect(IN, SUBSCRIBE, S_N, 0, 1, MUST, S_NPI, XMPPIM_SUB_REPLY_NONE, XMPPIM_SUB_LEVEL_NONE,
         XMPPIM_SUB_APPROVED_NONE, FX_KEEP);
  expect(OUT, SUBSCRIBE, S_N, 0, 1, MUST, S_NPO, XMPPIM_SUB_REPLY_NONE, XMPPIM_SUB_LEVEL_NONE,
         XMPPIM_SUB_APPROVED_NONE, FX_PUSH);
}

/* RA.1-c: the nine states and their roster encoding; Pending In never
 * shows; the attributes and the pending flag give the state back, and
 * nothing else does. */
static void RA_1_c_nine_states_and_their_roster_encoding(void **state) {
  (void)state;
  assert_int_equal(COUNT(states), XMPPIM_SUB_STATE_COUNT);
  for (size_t i = 0; i < COUNT(states); i++) {
    xmppim_sub_state st = states[i].state;
    assert_int_equal(st, (xmppim_sub_state)i);
    assert_string_equal(xmppim_sub_subscription_attr(st), states[i].subscription);
    if (states[i].ask)
      assert_string_equal(xmppim_sub_ask(st), states[i].ask);
    else
      assert_null(xmppim_sub_ask(st));
    assert_int_equal(xmppim_sub_pending_in(st), states[i].pending_in);
    assert_int_equal(
      xmppim_sub_state_from_attrs(states[i].subscription, states[i].ask, states[i].pending_in), st);
    assert_int_equal(xmppim_sub_state_from_attrs(states[i].subscription, states[i].ask, 42),
                     xmppim_sub_state_from_attrs(states[i].subscription, states[i].ask, 1));
  }
  /* Every other combination is no state. */
  static const char *const subs[] = {"none", "to", "from", "both"};
  int valid = 0;
  for (size_t s = 0; s < COUNT(subs); s++)
    for (int ask = 0; ask < 2; ask++)
      for (int in = 0; in < 2; in++) {
        int rc = xmppim_sub_state_from_attrs(subs[s], ask ? "subscribe" : NULL, in);
        if (rc >= 0) {
          valid++;
          assert_string_equal(xmppim_sub_subscription_attr((xmppim_sub_state)rc), subs[s]);
        } else {
          assert_int_equal(rc, XMPPIM_ERR_INVALID_ARGUMENT);
        }
      }
  assert_int_equal(valid, 9);
  assert_int_equal(xmppim_sub_state_from_attrs("remove", NULL, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_sub_state_from_attrs("None", NULL, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_sub_state_from_attrs("", NULL, 0), XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_sub_state_from_attrs("none", "unsubscribe", 0),
                   XMPPIM_ERR_INVALID_ARGUMENT);
  assert_int_equal(xmppim_sub_state_from_attrs("none", "", 0), XMPPIM_ERR_INVALID_ARGUMENT);
  /* Outside the enumeration: no attributes to give. */
  assert_null(xmppim_sub_subscription_attr((xmppim_sub_state)XMPPIM_SUB_STATE_COUNT));
  assert_null(xmppim_sub_ask((xmppim_sub_state)-1));
  assert_int_equal(xmppim_sub_pending_in((xmppim_sub_state)XMPPIM_SUB_STATE_COUNT), 0);
  assert_int_equal(xmppim_sub_is_to((xmppim_sub_state)-1), 0);
  assert_int_equal(xmppim_sub_is_from((xmppim_sub_state)XMPPIM_SUB_STATE_COUNT), 0);
}

/* RA.1-d: a request from a contact already in the roster leaves the item
 * as it is (no push) and is recorded beside it. */
static void RA_1_d_pending_in_beside_an_item(void **state) {
  (void)state;
  expect(IN, SUBSCRIBE, S_NPO, 0, 1, MUST, S_NPOI, XMPPIM_SUB_REPLY_NONE, XMPPIM_SUB_LEVEL_NONE,
         XMPPIM_SUB_APPROVED_NONE, FX_KEEP);
  expect(IN, SUBSCRIBE, S_T, 0, 1, MUST, S_TPI, XMPPIM_SUB_REPLY_NONE, XMPPIM_SUB_LEVEL_NONE,
         XMPPIM_SUB_APPROVED_NONE, FX_KEEP);
}

/* RA.1-e: a request from a stranger creates no item: None + Pending In is
 * reached without a push. */
static void RA_1_e_pending_in_creates_no_item(void **state) {
  (void)state;
  expect(IN, SUBSCRIBE, S_N, 0, 1, MUST, S_NPI, XMPPIM_SUB_REPLY_NONE, XMPPIM_SUB_LEVEL_NONE,
         XMPPIM_SUB_APPROVED_NONE, FX_KEEP);
}

/* ---- A.2 outbound ---- */

/* RA.2.1-a: outbound subscribe is routed in all nine states. */
static void RA_2_1_a_subscribe_always_routed(void **state) {
  (void)state;
  for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++)
    for (int ap = 0; ap < 2; ap++) {
      xmppim_sub_result r = apply(OUT, SUBSCRIBE, (xmppim_sub_state)st, ap);
      assert_true(r.route_or_deliver);
      assert_int_equal(r.level, MUST);
      assert_int_equal(r.auto_reply, XMPPIM_SUB_REPLY_NONE);
    }
}

/* RA.2.1-b: None, None + Pending In and From gain Pending Out; the rest
 * stay. */
static void RA_2_1_b_subscribe_transitions(void **state) {
  (void)state;
  static const xmppim_sub_state next[] = {S_NPO, S_NPO, S_NPOI, S_NPOI, S_T,
                                          S_TPI, S_FPO, S_FPO,  S_B};
  for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++) {
    xmppim_sub_result r = apply(OUT, SUBSCRIBE, (xmppim_sub_state)st, 0);
    assert_int_equal(r.new_state, next[st]);
    if (next[st] != (xmppim_sub_state)st)
      assert_string_equal(xmppim_sub_ask(r.new_state), "subscribe");
  }
}

/* RA.2.2-a: outbound unsubscribe is routed in all nine states. */
static void RA_2_2_a_unsubscribe_always_routed(void **state) {
  (void)state;
  for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++)
    for (int ap = 0; ap < 2; ap++) {
      xmppim_sub_result r = apply(OUT, UNSUBSCRIBE, (xmppim_sub_state)st, ap);
      assert_true(r.route_or_deliver);
      assert_int_equal(r.level, MUST);
      assert_int_equal(r.auto_reply, XMPPIM_SUB_REPLY_NONE);
      assert_int_equal(r.approved_effect, XMPPIM_SUB_APPROVED_NONE);
    }
}

/* RA.2.2-b: unsubscribe ends To and Pending Out, nothing else. */
static void RA_2_2_b_unsubscribe_transitions(void **state) {
  (void)state;
  static const xmppim_sub_state next[] = {S_N,   S_N, S_NPI, S_NPI, S_N,
                                          S_NPI, S_F, S_F,   S_F};
  for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++)
    assert_int_equal(apply(OUT, UNSUBSCRIBE, (xmppim_sub_state)st, 0).new_state, next[st]);
}

/* RA.2.3-a: outbound subscribed is routed where it answers a pending
 * request: None + Pending In, None + Pending Out+In, To + Pending In. */
static void RA_2_3_a_subscribed_routed_as_approval(void **state) {
  (void)state;
  static const struct { xmppim_sub_state from, to; } cells[] = {
    {S_NPI, S_F}, {S_NPOI, S_FPO}, {S_TPI, S_B}};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++) {
      xmppim_sub_result r = apply(OUT, SUBSCRIBED, cells[i].from, ap);
      assert_true(r.route_or_deliver);
      assert_int_equal(r.level, MUST);
      assert_int_equal(r.new_state, cells[i].to);
    }
}

/* RA.2.3-b: outbound subscribed is never routed elsewhere, whatever the
 * pre-approval flag. */
static void RA_2_3_b_subscribed_not_routed_otherwise(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPO, S_T, S_F, S_FPO, S_B};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++) {
      xmppim_sub_result r = apply(OUT, SUBSCRIBED, cells[i], ap);
      assert_false(r.route_or_deliver);
      assert_int_equal(r.level, MUST_NOT);
      assert_int_equal(r.new_state, cells[i]);
    }
}

/* RA.2.4-a: outbound unsubscribed is routed where it denies a request or
 * cancels the contact's subscription; it ends From and Pending In. */
static void RA_2_4_a_unsubscribed_routed(void **state) {
  (void)state;
  static const struct { xmppim_sub_state from, to; } cells[] = {
    {S_NPI, S_N}, {S_NPOI, S_NPO}, {S_TPI, S_T}, {S_F, S_N}, {S_FPO, S_NPO}, {S_B, S_T}};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++) {
      xmppim_sub_result r = apply(OUT, UNSUBSCRIBED, cells[i].from, ap);
      assert_true(r.route_or_deliver);
      assert_int_equal(r.level, MUST);
      assert_int_equal(r.new_state, cells[i].to);
    }
}

/* RA.2.4-b (SHOULD NOT): not routed in None, None + Pending Out, To; with a
 * pre-approval to cancel it becomes MUST NOT (R3.2.2-d). */
static void RA_2_4_b_unsubscribed_not_routed_otherwise(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPO, S_T};
  for (size_t i = 0; i < COUNT(cells); i++) {
    xmppim_sub_result r = apply(OUT, UNSUBSCRIBED, cells[i], 0);
    assert_false(r.route_or_deliver);
    assert_int_equal(r.level, SHOULD_NOT);
    assert_int_equal(r.new_state, cells[i]);
    r = apply(OUT, UNSUBSCRIBED, cells[i], 1);
    assert_false(r.route_or_deliver);
    assert_int_equal(r.level, MUST_NOT);
  }
}

/* ---- A.3 inbound ---- */

/* RA.3.1-a: a new request is delivered and becomes Pending In. */
static void RA_3_1_a_subscribe_delivered(void **state) {
  (void)state;
  static const struct { xmppim_sub_state from, to; } cells[] = {
    {S_N, S_NPI}, {S_NPO, S_NPOI}, {S_T, S_TPI}};
  for (size_t i = 0; i < COUNT(cells); i++)
    expect(IN, SUBSCRIBE, cells[i].from, 0, 1, MUST, cells[i].to, XMPPIM_SUB_REPLY_NONE,
           XMPPIM_SUB_LEVEL_NONE, XMPPIM_SUB_APPROVED_NONE, FX_KEEP);
}

/* RA.3.1-b (SHOULD NOT): not delivered in the other six states, no change. */
static void RA_3_1_b_subscribe_not_delivered_otherwise(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_NPI, S_NPOI, S_TPI, S_F, S_FPO, S_B};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++) {
      xmppim_sub_result r = apply(IN, SUBSCRIBE, cells[i], ap);
      assert_false(r.route_or_deliver);
      assert_int_equal(r.level, SHOULD_NOT);
      assert_int_equal(r.new_state, cells[i]);
      assert_int_equal(r.effects, 0);
    }
}

/* RA.3.1-c (MAY, here MUST after R3.4.2-h; inconsistency 1): pre-approved,
 * the request is answered with subscribed and the state goes to From (and
 * likewise from None + Pending Out and To, which footnote 1 leaves out). */
static void RA_3_1_c_preapproved_subscribe(void **state) {
  (void)state;
  expect(IN, SUBSCRIBE, S_N, 1, 0, MUST_NOT, S_F, XMPPIM_SUB_REPLY_SUBSCRIBED, MUST,
         XMPPIM_SUB_APPROVED_CONSUMED, FX_PUSH | FX_PRESENCE);
  expect(IN, SUBSCRIBE, S_NPO, 1, 0, MUST_NOT, S_FPO, XMPPIM_SUB_REPLY_SUBSCRIBED, MUST,
         XMPPIM_SUB_APPROVED_CONSUMED, FX_PUSH | FX_PRESENCE);
  expect(IN, SUBSCRIBE, S_T, 1, 0, MUST_NOT, S_B, XMPPIM_SUB_REPLY_SUBSCRIBED, MUST,
         XMPPIM_SUB_APPROVED_CONSUMED, FX_PUSH | FX_PRESENCE);
}

/* RA.3.1-d (SHOULD, here MUST after R3.1.3-f; inconsistency 8): a request
 * from a contact already subscribed is answered, not delivered. */
static void RA_3_1_d_already_subscribed_auto_reply(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_F, S_FPO, S_B};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++)
      expect(IN, SUBSCRIBE, cells[i], ap, 0, SHOULD_NOT, cells[i], XMPPIM_SUB_REPLY_SUBSCRIBED,
             MUST, XMPPIM_SUB_APPROVED_NONE, 0);
}

/* Inbound unsubscribe cells that change the state (Table 7). */
static const struct { xmppim_sub_state from, to; } unsubscribe_changes[] = {
  {S_NPI, S_N}, {S_NPOI, S_NPO}, {S_TPI, S_T}, {S_F, S_N}, {S_FPO, S_NPO}, {S_B, S_T}};

/* RA.3.2-a: delivered and the state changed (From and Pending In end). */
static void RA_3_2_a_unsubscribe_changes_state(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(unsubscribe_changes); i++) {
    xmppim_sub_result r = apply(IN, UNSUBSCRIBE, unsubscribe_changes[i].from, 0);
    assert_true(r.route_or_deliver);
    assert_int_equal(r.level, MUST);
    assert_int_equal(r.new_state, unsubscribe_changes[i].to);
  }
}

/* RA.3.2-b (SHOULD): answered with unsubscribed in those same cells. */
static void RA_3_2_b_unsubscribe_auto_reply(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(unsubscribe_changes); i++) {
    xmppim_sub_result r = apply(IN, UNSUBSCRIBE, unsubscribe_changes[i].from, 0);
    assert_int_equal(r.auto_reply, XMPPIM_SUB_REPLY_UNSUBSCRIBED);
    assert_int_equal(r.auto_reply_level, SHOULD);
    assert_string_equal(xmppim_sub_reply_type(r.auto_reply), "unsubscribed");
  }
}

/* RA.3.2-c: no state change in None, None + Pending Out, To. */
static void RA_3_2_c_unsubscribe_no_change(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPO, S_T};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++)
      assert_int_equal(apply(IN, UNSUBSCRIBE, cells[i], ap).new_state, cells[i]);
}

/* RA.3.2-d (SHOULD NOT): and not delivered there. */
static void RA_3_2_d_unsubscribe_not_delivered(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPO, S_T};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++) expect_ignored(IN, UNSUBSCRIBE, cells[i], ap, SHOULD_NOT);
}

/* RA.3.3-a: an answer to the user's pending request is delivered and
 * grants To. */
static void RA_3_3_a_subscribed_changes_state(void **state) {
  (void)state;
  static const struct { xmppim_sub_state from, to; } cells[] = {
    {S_NPO, S_T}, {S_NPOI, S_TPI}, {S_FPO, S_B}};
  for (size_t i = 0; i < COUNT(cells); i++) {
    xmppim_sub_result r = apply(IN, SUBSCRIBED, cells[i].from, 0);
    assert_true(r.route_or_deliver);
    assert_int_equal(r.level, MUST);
    assert_int_equal(r.new_state, cells[i].to);
  }
}

static const xmppim_sub_state subscribed_unasked[] = {S_N, S_NPI, S_T, S_TPI, S_F, S_B};

/* RA.3.3-b: an unasked-for subscribed changes nothing. */
static void RA_3_3_b_subscribed_no_change(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(subscribed_unasked); i++)
    for (int ap = 0; ap < 2; ap++)
      assert_int_equal(apply(IN, SUBSCRIBED, subscribed_unasked[i], ap).new_state,
                       subscribed_unasked[i]);
}

/* RA.3.3-c (SHOULD NOT): and is not delivered. */
static void RA_3_3_c_subscribed_not_delivered(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(subscribed_unasked); i++)
    for (int ap = 0; ap < 2; ap++)
      expect_ignored(IN, SUBSCRIBED, subscribed_unasked[i], ap, SHOULD_NOT);
}

/* RA.3.4-a: a denial of the user's request or a cancellation of the user's
 * subscription is delivered and ends To and Pending Out. */
static void RA_3_4_a_unsubscribed_changes_state(void **state) {
  (void)state;
  static const struct { xmppim_sub_state from, to; } cells[] = {
    {S_NPO, S_N}, {S_NPOI, S_NPI}, {S_T, S_N}, {S_TPI, S_NPI}, {S_FPO, S_F}, {S_B, S_F}};
  for (size_t i = 0; i < COUNT(cells); i++) {
    xmppim_sub_result r = apply(IN, UNSUBSCRIBED, cells[i].from, 0);
    assert_true(r.route_or_deliver);
    assert_int_equal(r.level, MUST);
    assert_int_equal(r.new_state, cells[i].to);
  }
}

/* RA.3.4-b: no change in None, None + Pending In, From. */
static void RA_3_4_b_unsubscribed_no_change(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPI, S_F};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++)
      assert_int_equal(apply(IN, UNSUBSCRIBED, cells[i], ap).new_state, cells[i]);
}

/* RA.3.4-c (SHOULD NOT): and not delivered there. */
static void RA_3_4_c_unsubscribed_not_delivered(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPI, S_F};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++) expect_ignored(IN, UNSUBSCRIBED, cells[i], ap, SHOULD_NOT);
}

/* ---- section 3.1 requesting ---- */

/* R3.1.2-h: after routing the request the item is pushed with ask='subscribe'
 * wherever that is news (None, None + Pending In, From); a repeated request
 * changes nothing and pushes nothing. */
static void R3_1_2_h_request_pushed_with_ask(void **state) {
  (void)state;
  static const xmppim_sub_state news[] = {S_N, S_NPI, S_F};
  for (size_t i = 0; i < COUNT(news); i++) {
    xmppim_sub_result r = apply(OUT, SUBSCRIBE, news[i], 0);
    assert_true(r.route_or_deliver);
    assert_true(r.effects & FX_PUSH);
    assert_string_equal(xmppim_sub_ask(r.new_state), "subscribe");
    assert_string_equal(xmppim_sub_subscription_attr(r.new_state),
                        xmppim_sub_subscription_attr(news[i]));
  }
  static const xmppim_sub_state repeats[] = {S_NPO, S_NPOI, S_T, S_TPI, S_FPO, S_B};
  for (size_t i = 0; i < COUNT(repeats); i++)
    expect(OUT, SUBSCRIBE, repeats[i], 0, 1, MUST, repeats[i], XMPPIM_SUB_REPLY_NONE,
           XMPPIM_SUB_LEVEL_NONE, XMPPIM_SUB_APPROVED_NONE, 0);
}

/* R3.1.3-d: without a pre-approval the server never approves for the user:
 * an inbound subscribe never grants From, and subscribed is only sent back
 * where From already holds. */
static void R3_1_3_d_no_approval_on_the_users_behalf(void **state) {
  (void)state;
  for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++) {
    xmppim_sub_result r = apply(IN, SUBSCRIBE, (xmppim_sub_state)st, 0);
    assert_int_equal(xmppim_sub_is_from(r.new_state), xmppim_sub_is_from((xmppim_sub_state)st));
    assert_false(r.effects & FX_PRESENCE);
    if (r.auto_reply == XMPPIM_SUB_REPLY_SUBSCRIBED)
      assert_true(xmppim_sub_is_from((xmppim_sub_state)st));
  }
}

/* R3.1.3-e: a request that needs the user's decision is delivered. */
static void R3_1_3_e_request_delivered_for_decision(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPO, S_T};
  for (size_t i = 0; i < COUNT(cells); i++) {
    xmppim_sub_result r = apply(IN, SUBSCRIBE, cells[i], 0);
    assert_true(r.route_or_deliver);
    assert_int_equal(r.level, MUST);
    assert_int_equal(r.auto_reply, XMPPIM_SUB_REPLY_NONE);
  }
}

/* R3.1.3-f (MUST; Table 6 footnote 2 says SHOULD, inconsistency 8): a
 * request from a contact already subscribed is answered with subscribed. */
static void R3_1_3_f_already_subscribed_answered(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_F, S_FPO, S_B};
  for (size_t i = 0; i < COUNT(cells); i++)
    expect(IN, SUBSCRIBE, cells[i], 0, 0, SHOULD_NOT, cells[i], XMPPIM_SUB_REPLY_SUBSCRIBED, MUST,
           XMPPIM_SUB_APPROVED_NONE, 0);
}

/* R3.1.3-g (SHOULD, here MUST after R3.4.2-h; inconsistency 1): a
 * pre-approved request is answered with subscribed. */
static void R3_1_3_g_preapproved_answered(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPO, S_T};
  for (size_t i = 0; i < COUNT(cells); i++) {
    xmppim_sub_result r = apply(IN, SUBSCRIBE, cells[i], 1);
    assert_int_equal(r.auto_reply, XMPPIM_SUB_REPLY_SUBSCRIBED);
    assert_int_equal(r.auto_reply_level, MUST);
  }
}

/* R3.1.3-h: otherwise the request goes to the user's available resources
 * and is kept for those that come later. */
static void R3_1_3_h_request_to_available_resources(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPO, S_T};
  for (size_t i = 0; i < COUNT(cells); i++) {
    xmppim_sub_result r = apply(IN, SUBSCRIBE, cells[i], 0);
    assert_true(r.route_or_deliver);
    assert_true(r.effects & FX_KEEP);
  }
}

/* R3.1.3-k: with no resource available the whole request is kept: the
 * module asks for it to be kept in every cell that makes it pending. */
static void R3_1_3_k_request_kept(void **state) {
  (void)state;
  for (int d = 0; d < 2; d++)
    for (int s = 0; s < 4; s++)
      for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++)
        for (int ap = 0; ap < 2; ap++) {
          xmppim_sub_result r =
            apply((xmppim_sub_direction)d, (xmppim_sub_stanza)s, (xmppim_sub_state)st, ap);
          int keep = (r.effects & FX_KEEP) != 0;
          int want = d == IN && s == SUBSCRIBE && !ap &&
                     (st == S_N || st == S_NPO || st == S_T);
          assert_int_equal(keep, want);
        }
}

/* R3.1.3-l: the kept request stays until the user answers it: only an
 * approval, a denial or the contact's withdrawal drops it. */
static void R3_1_3_l_request_kept_until_answered(void **state) {
  (void)state;
  for (int d = 0; d < 2; d++)
    for (int s = 0; s < 4; s++)
      for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++) {
        if (!xmppim_sub_pending_in((xmppim_sub_state)st)) continue;
        xmppim_sub_result r =
          apply((xmppim_sub_direction)d, (xmppim_sub_stanza)s, (xmppim_sub_state)st, 0);
        int answered = (d == OUT && (s == SUBSCRIBED || s == UNSUBSCRIBED)) ||
                       (d == IN && s == UNSUBSCRIBE);
        assert_int_equal((r.effects & FX_DROP) != 0, answered);
        assert_int_equal(xmppim_sub_pending_in(r.new_state), !answered);
      }
}

/* R3.1.3-m (and R3.1.3-n, SHOULD): a repeated request while one is pending
 * is not delivered and not kept a second time. */
static void R3_1_3_m_one_request_per_contact(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_NPI, S_NPOI, S_TPI};
  for (size_t i = 0; i < COUNT(cells); i++) expect_ignored(IN, SUBSCRIBE, cells[i], 0, SHOULD_NOT);
}

/* R3.1.3-o: no roster item before the user approves: becoming Pending In
 * never pushes (nor creates) an item. */
static void R3_1_3_o_no_item_before_approval(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPO, S_T};
  for (size_t i = 0; i < COUNT(cells); i++) {
    xmppim_sub_result r = apply(IN, SUBSCRIBE, cells[i], 0);
    assert_true(xmppim_sub_pending_in(r.new_state));
    assert_false(r.effects & FX_PUSH);
  }
}

/* The user's approvals (Table 4): state before, after, attribute after. */
static const struct {
  xmppim_sub_state from, to;
  const char *subscription;
} approvals[] = {{S_NPI, S_F, "from"}, {S_NPOI, S_FPO, "from"}, {S_TPI, S_B, "both"}};

/* R3.1.5-a: the approval is routed to the contact. */
static void R3_1_5_a_approval_routed(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(approvals); i++) {
    xmppim_sub_result r = apply(OUT, SUBSCRIBED, approvals[i].from, 0);
    assert_true(r.route_or_deliver);
    assert_int_equal(r.level, MUST);
  }
}

/* R3.1.5-b: and the item is pushed with subscription from (or both). */
static void R3_1_5_b_approval_pushed(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(approvals); i++) {
    xmppim_sub_result r = apply(OUT, SUBSCRIBED, approvals[i].from, 0);
    assert_int_equal(r.new_state, approvals[i].to);
    assert_true(r.effects & FX_PUSH);
    assert_string_equal(xmppim_sub_subscription_attr(r.new_state), approvals[i].subscription);
  }
}

/* R3.1.5-c: then the user's current presence goes to the contact; the kept
 * request is answered. */
static void R3_1_5_c_presence_after_approval(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(approvals); i++)
    expect(OUT, SUBSCRIBED, approvals[i].from, 0, 1, MUST, approvals[i].to, XMPPIM_SUB_REPLY_NONE,
           XMPPIM_SUB_LEVEL_NONE, XMPPIM_SUB_APPROVED_NONE, FX_PUSH | FX_DROP | FX_PRESENCE);
}

/* The contact's approvals (Table 8). */
static const struct {
  xmppim_sub_state from, to;
  const char *subscription;
} granted[] = {{S_NPO, S_T, "to"}, {S_NPOI, S_TPI, "to"}, {S_FPO, S_B, "both"}};

/* R3.1.6-a: subscribed counts only with the user's request pending. */
static void R3_1_6_a_subscribed_needs_request(void **state) {
  (void)state;
  for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++) {
    xmppim_sub_result r = apply(IN, SUBSCRIBED, (xmppim_sub_state)st, 0);
    assert_int_equal(r.route_or_deliver, xmppim_sub_ask((xmppim_sub_state)st) != NULL);
  }
}

/* R3.1.6-b: delivered, and then the item pushed. */
static void R3_1_6_b_subscribed_delivered_then_pushed(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(granted); i++) {
    xmppim_sub_result r = apply(IN, SUBSCRIBED, granted[i].from, 0);
    assert_true(r.route_or_deliver);
    assert_true(r.effects & FX_PUSH);
  }
}

/* R3.1.6-c: pushed with subscription to (or both), ask gone. */
static void R3_1_6_c_pushed_to_or_both(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(granted); i++) {
    xmppim_sub_result r = apply(IN, SUBSCRIBED, granted[i].from, 0);
    assert_int_equal(r.new_state, granted[i].to);
    assert_string_equal(xmppim_sub_subscription_attr(r.new_state), granted[i].subscription);
    assert_null(xmppim_sub_ask(r.new_state));
  }
}

/* R3.1.6-d: from now on the contact's presence is passed on. */
static void R3_1_6_d_contact_presence_passed_on(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(granted); i++)
    expect(IN, SUBSCRIBED, granted[i].from, 0, 1, MUST, granted[i].to, XMPPIM_SUB_REPLY_NONE,
           XMPPIM_SUB_LEVEL_NONE, XMPPIM_SUB_APPROVED_NONE, FX_PUSH | FX_STARTS);
}

/* R3.1.6-f: otherwise silently ignored: not delivered, no change, no push. */
static void R3_1_6_f_subscribed_ignored_otherwise(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(subscribed_unasked); i++)
    for (int ap = 0; ap < 2; ap++)
      expect_ignored(IN, SUBSCRIBED, subscribed_unasked[i], ap, SHOULD_NOT);
}

/* ---- section 3.2 canceling and denying ---- */

static const xmppim_sub_state no_from_no_request[] = {S_N, S_NPO, S_T};

/* R3.2.2-a (SHOULD NOT): unsubscribed not routed where the contact has
 * neither a subscription nor a request. */
static void R3_2_2_a_unsubscribed_not_routed(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(no_from_no_request); i++) {
    xmppim_sub_result r = apply(OUT, UNSUBSCRIBED, no_from_no_request[i], 0);
    assert_false(r.route_or_deliver);
    assert_int_equal(r.level, SHOULD_NOT);
  }
}

/* R3.2.2-b: and no unavailable presence sent there, pre-approved or not. */
static void R3_2_2_b_no_unavailable(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(no_from_no_request); i++)
    for (int ap = 0; ap < 2; ap++)
      assert_false(apply(OUT, UNSUBSCRIBED, no_from_no_request[i], ap).effects & FX_UNAVAILABLE);
}

/* R3.2.2-c (and R3.4.2-j): a pre-approval there is removed and the item
 * pushed; without one there is nothing to push. */
static void R3_2_2_c_preapproval_removed(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(no_from_no_request); i++) {
    xmppim_sub_state st = no_from_no_request[i];
    expect(OUT, UNSUBSCRIBED, st, 1, 0, MUST_NOT, st, XMPPIM_SUB_REPLY_NONE, XMPPIM_SUB_LEVEL_NONE,
           XMPPIM_SUB_APPROVED_CLEAR, FX_PUSH);
    expect(OUT, UNSUBSCRIBED, st, 0, 0, SHOULD_NOT, st, XMPPIM_SUB_REPLY_NONE,
           XMPPIM_SUB_LEVEL_NONE, XMPPIM_SUB_APPROVED_CLEAR, 0);
  }
}

/* R3.2.2-d: and the unsubscribed is then never routed. */
static void R3_2_2_d_preapproval_cancel_not_routed(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(no_from_no_request); i++) {
    xmppim_sub_result r = apply(OUT, UNSUBSCRIBED, no_from_no_request[i], 1);
    assert_false(r.route_or_deliver);
    assert_int_equal(r.level, MUST_NOT);
  }
}

/* Outbound unsubscribed that denies a request or cancels From. */
static const struct {
  xmppim_sub_state from, to;
  const char *subscription;
  int cancels; /* ends a granted subscription rather than denying a request */
} user_unsubscribed[] = {{S_NPI, S_N, "none", 0},   {S_NPOI, S_NPO, "none", 0},
                         {S_TPI, S_T, "to", 0},     {S_F, S_N, "none", 1},
                         {S_FPO, S_NPO, "none", 1}, {S_B, S_T, "to", 1}};

/* R3.2.2-e: in every other state the stanza is routed and the item pushed
 * (also for a denial, where only the user's other resources learn from
 * the push that the request was answered). */
static void R3_2_2_e_other_states_routed_and_pushed(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(user_unsubscribed); i++) {
    xmppim_sub_result r = apply(OUT, UNSUBSCRIBED, user_unsubscribed[i].from, 0);
    assert_true(r.route_or_deliver);
    assert_int_equal(r.level, MUST);
    assert_true(r.effects & FX_PUSH);
  }
}

/* R3.2.2-f: unavailable presence first, while the contact is still
 * subscribed. Only where a subscription ends: a denial sends none
 * (inconsistency 6: the contact never had the user's presence). */
static void R3_2_2_f_unavailable_before_cancel(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(user_unsubscribed); i++) {
    xmppim_sub_result r = apply(OUT, UNSUBSCRIBED, user_unsubscribed[i].from, 0);
    assert_int_equal((r.effects & FX_UNAVAILABLE) != 0, user_unsubscribed[i].cancels);
  }
}

/* R3.2.2-g: then the unsubscribed itself is routed; nothing is sent for
 * the user besides it. */
static void R3_2_2_g_unsubscribed_routed(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(user_unsubscribed); i++) {
    xmppim_sub_result r = apply(OUT, UNSUBSCRIBED, user_unsubscribed[i].from, 0);
    assert_true(r.route_or_deliver);
    assert_int_equal(r.auto_reply, XMPPIM_SUB_REPLY_NONE);
  }
}

/* R3.2.2-h: then the item is pushed with subscription none or to. */
static void R3_2_2_h_pushed_none_or_to(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(user_unsubscribed); i++) {
    xmppim_sub_result r = apply(OUT, UNSUBSCRIBED, user_unsubscribed[i].from, 0);
    assert_int_equal(r.new_state, user_unsubscribed[i].to);
    assert_string_equal(xmppim_sub_subscription_attr(r.new_state),
                        user_unsubscribed[i].subscription);
    assert_false(xmppim_sub_pending_in(r.new_state));
    unsigned want = FX_PUSH | (user_unsubscribed[i].cancels ? FX_UNAVAILABLE : FX_DROP);
    assert_int_equal(r.effects, want);
  }
}

/* Inbound unsubscribed that changes the state (Table 9). */
static const struct {
  xmppim_sub_state from, to;
  const char *subscription;
  int cancels; /* ends To rather than denying the user's request */
} contact_unsubscribed[] = {{S_NPO, S_N, "none", 0}, {S_NPOI, S_NPI, "none", 0},
                            {S_T, S_N, "none", 1},   {S_TPI, S_NPI, "none", 1},
                            {S_FPO, S_F, "from", 0}, {S_B, S_F, "from", 1}};

/* R3.2.3-a: delivered where the user has To or Both, and (inconsistency 2,
 * Table 9) also where it denies the user's pending request. */
static void R3_2_3_a_unsubscribed_checked(void **state) {
  (void)state;
  for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++) {
    xmppim_sub_result r = apply(IN, UNSUBSCRIBED, (xmppim_sub_state)st, 0);
    int want = xmppim_sub_is_to((xmppim_sub_state)st) || xmppim_sub_ask((xmppim_sub_state)st);
    assert_int_equal(r.route_or_deliver, want);
  }
}

/* R3.2.3-b: delivered, then the item pushed. */
static void R3_2_3_b_delivered_then_pushed(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(contact_unsubscribed); i++) {
    xmppim_sub_result r = apply(IN, UNSUBSCRIBED, contact_unsubscribed[i].from, 0);
    assert_true(r.route_or_deliver);
    assert_true(r.effects & FX_PUSH);
  }
}

/* R3.2.3-c: pushed with subscription none (from To, To + Pending In) or
 * from (from Both); for a denial, with ask gone. */
static void R3_2_3_c_pushed_none_or_from(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(contact_unsubscribed); i++) {
    xmppim_sub_result r = apply(IN, UNSUBSCRIBED, contact_unsubscribed[i].from, 0);
    assert_int_equal(r.new_state, contact_unsubscribed[i].to);
    assert_string_equal(xmppim_sub_subscription_attr(r.new_state),
                        contact_unsubscribed[i].subscription);
    assert_null(xmppim_sub_ask(r.new_state));
  }
}

/* R3.2.3-d: where To ends, the contact's unavailable presence is passed on. */
static void R3_2_3_d_contact_unavailable_passed_on(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(contact_unsubscribed); i++) {
    xmppim_sub_result r = apply(IN, UNSUBSCRIBED, contact_unsubscribed[i].from, 0);
    assert_int_equal(r.effects, FX_PUSH | (contact_unsubscribed[i].cancels ? FX_ENDS : 0));
  }
}

/* R3.2.3-f: otherwise silently ignored. */
static void R3_2_3_f_unsubscribed_ignored_otherwise(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPI, S_F};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++) expect_ignored(IN, UNSUBSCRIBED, cells[i], ap, SHOULD_NOT);
}

/* ---- section 3.3 unsubscribing ---- */

/* R3.3.2-d: the user's unsubscribe pushes the item, subscription now none
 * or from; a withdrawn request loses its ask. */
static void R3_3_2_d_unsubscribe_pushed(void **state) {
  (void)state;
  static const struct {
    xmppim_sub_state from;
    const char *subscription;
  } cells[] = {{S_NPO, "none"}, {S_NPOI, "none"}, {S_T, "none"},
               {S_TPI, "none"}, {S_FPO, "from"},  {S_B, "from"}};
  for (size_t i = 0; i < COUNT(cells); i++) {
    xmppim_sub_result r = apply(OUT, UNSUBSCRIBE, cells[i].from, 0);
    assert_true(r.route_or_deliver);
    assert_true(r.effects & FX_PUSH);
    assert_string_equal(xmppim_sub_subscription_attr(r.new_state), cells[i].subscription);
    assert_null(xmppim_sub_ask(r.new_state));
  }
  static const xmppim_sub_state unchanged[] = {S_N, S_NPI, S_F};
  for (size_t i = 0; i < COUNT(unchanged); i++)
    expect(OUT, UNSUBSCRIBE, unchanged[i], 0, 1, MUST, unchanged[i], XMPPIM_SUB_REPLY_NONE,
           XMPPIM_SUB_LEVEL_NONE, XMPPIM_SUB_APPROVED_NONE, 0);
}

/* R3.3.3-a: delivered where the contact has From or Both, and (inconsistency
 * 3, Table 7) also where it withdraws the contact's pending request. */
static void R3_3_3_a_unsubscribe_checked(void **state) {
  (void)state;
  for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++) {
    xmppim_sub_result r = apply(IN, UNSUBSCRIBE, (xmppim_sub_state)st, 0);
    int want = xmppim_sub_is_from((xmppim_sub_state)st) ||
               xmppim_sub_pending_in((xmppim_sub_state)st);
    assert_int_equal(r.route_or_deliver, want);
  }
}

/* R3.3.3-b: delivered, then pushed where the item changes; a withdrawn
 * request changes no item, so nothing is pushed for it. */
static void R3_3_3_b_delivered_then_pushed(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(unsubscribe_changes); i++) {
    xmppim_sub_state st = unsubscribe_changes[i].from;
    xmppim_sub_result r = apply(IN, UNSUBSCRIBE, st, 0);
    assert_true(r.route_or_deliver);
    assert_int_equal((r.effects & FX_PUSH) != 0, xmppim_sub_is_from(st));
  }
}

/* R3.3.3-c: pushed with subscription none (from From, From + Pending Out)
 * or to (from Both). */
static void R3_3_3_c_pushed_none_or_to(void **state) {
  (void)state;
  static const struct {
    xmppim_sub_state from;
    const char *subscription;
  } cells[] = {{S_F, "none"}, {S_FPO, "none"}, {S_B, "to"}};
  for (size_t i = 0; i < COUNT(cells); i++)
    assert_string_equal(
      xmppim_sub_subscription_attr(apply(IN, UNSUBSCRIBE, cells[i].from, 0).new_state),
      cells[i].subscription);
}

/* R3.3.3-d: the user's resources send the contact unavailable presence. */
static void R3_3_3_d_unavailable_to_contact(void **state) {
  (void)state;
  static const struct { xmppim_sub_state from, to; } cells[] = {
    {S_F, S_N}, {S_FPO, S_NPO}, {S_B, S_T}};
  for (size_t i = 0; i < COUNT(cells); i++)
    expect(IN, UNSUBSCRIBE, cells[i].from, 0, 1, MUST, cells[i].to,
           XMPPIM_SUB_REPLY_UNSUBSCRIBED, SHOULD, XMPPIM_SUB_APPROVED_NONE,
           FX_PUSH | FX_UNAVAILABLE);
}

/* R3.3.3-f: otherwise silently ignored. */
static void R3_3_3_f_unsubscribe_ignored_otherwise(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPO, S_T};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++) expect_ignored(IN, UNSUBSCRIBE, cells[i], ap, SHOULD_NOT);
}

/* R3.3.3-g: a stranger's withdrawn request is deleted, with no item to
 * push (and the same for any withdrawn request). */
static void R3_3_3_g_withdrawn_request_deleted(void **state) {
  (void)state;
  expect(IN, UNSUBSCRIBE, S_NPI, 0, 1, MUST, S_N, XMPPIM_SUB_REPLY_UNSUBSCRIBED, SHOULD,
         XMPPIM_SUB_APPROVED_NONE, FX_DROP);
  expect(IN, UNSUBSCRIBE, S_NPOI, 0, 1, MUST, S_NPO, XMPPIM_SUB_REPLY_UNSUBSCRIBED, SHOULD,
         XMPPIM_SUB_APPROVED_NONE, FX_DROP);
  expect(IN, UNSUBSCRIBE, S_TPI, 0, 1, MUST, S_T, XMPPIM_SUB_REPLY_UNSUBSCRIBED, SHOULD,
         XMPPIM_SUB_APPROVED_NONE, FX_DROP);
}

/* R3.3.3-h: the user's own unsubscribe ends the contact's presence at once,
 * without waiting for the contact's unavailable. */
static void R3_3_3_h_contact_presence_void_at_once(void **state) {
  (void)state;
  for (int st = 0; st < XMPPIM_SUB_STATE_COUNT; st++) {
    xmppim_sub_result r = apply(OUT, UNSUBSCRIBE, (xmppim_sub_state)st, 0);
    assert_false(xmppim_sub_is_to(r.new_state));
    assert_int_equal((r.effects & FX_ENDS) != 0, xmppim_sub_is_to((xmppim_sub_state)st));
  }
}

/* ---- section 3.4 pre-approval ---- */

/* R3.4.2-a: subscribed to a contact already subscribed is silently ignored. */
static void R3_4_2_a_subscribed_ignored_when_subscribed(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_B, S_F, S_FPO};
  for (size_t i = 0; i < COUNT(cells); i++)
    for (int ap = 0; ap < 2; ap++) expect_ignored(OUT, SUBSCRIBED, cells[i], ap, MUST_NOT);
}

/* R3.4.2-b: where the contact asked, it is a normal approval, pre-approval
 * or not. */
static void R3_4_2_b_normal_approval(void **state) {
  (void)state;
  for (size_t i = 0; i < COUNT(approvals); i++)
    for (int ap = 0; ap < 2; ap++)
      expect(OUT, SUBSCRIBED, approvals[i].from, ap, 1, MUST, approvals[i].to,
             XMPPIM_SUB_REPLY_NONE, XMPPIM_SUB_LEVEL_NONE, XMPPIM_SUB_APPROVED_NONE,
             FX_PUSH | FX_DROP | FX_PRESENCE);
}

/* R3.4.2-c: in To, None, None + Pending Out the flag is set and the item
 * pushed (nothing new to push when it was set already). */
static void R3_4_2_c_preapproval_recorded(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_T, S_N, S_NPO};
  for (size_t i = 0; i < COUNT(cells); i++) {
    expect(OUT, SUBSCRIBED, cells[i], 0, 0, MUST_NOT, cells[i], XMPPIM_SUB_REPLY_NONE,
           XMPPIM_SUB_LEVEL_NONE, XMPPIM_SUB_APPROVED_SET, FX_PUSH);
    expect(OUT, SUBSCRIBED, cells[i], 1, 0, MUST_NOT, cells[i], XMPPIM_SUB_REPLY_NONE,
           XMPPIM_SUB_LEVEL_NONE, XMPPIM_SUB_APPROVED_SET, 0);
  }
}

/* R3.4.2-d: and the subscribed is not routed. */
static void R3_4_2_d_preapproval_not_routed(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_T, S_N, S_NPO};
  for (size_t i = 0; i < COUNT(cells); i++) {
    xmppim_sub_result r = apply(OUT, SUBSCRIBED, cells[i], 0);
    assert_false(r.route_or_deliver);
    assert_int_equal(r.level, MUST_NOT);
  }
}

/* R3.4.2-e: a contact not in the roster (state None) gets an item with the
 * flag: the push that creates it is asked for. */
static void R3_4_2_e_preapproval_creates_item(void **state) {
  (void)state;
  xmppim_sub_result r = apply(OUT, SUBSCRIBED, S_N, 0);
  assert_int_equal(r.new_state, S_N);
  assert_int_equal(r.approved_effect, XMPPIM_SUB_APPROVED_SET);
  assert_int_equal(r.effects, FX_PUSH);
}

/* R3.4.2-f: nor is it routed then. */
static void R3_4_2_f_preapproval_of_stranger_not_routed(void **state) {
  (void)state;
  xmppim_sub_result r = apply(OUT, SUBSCRIBED, S_N, 0);
  assert_false(r.route_or_deliver);
  assert_int_equal(r.level, MUST_NOT);
}

/* R3.4.2-g: a pre-approved contact's subscribe is not delivered (and not
 * kept for later). */
static void R3_4_2_g_preapproved_request_not_delivered(void **state) {
  (void)state;
  static const xmppim_sub_state cells[] = {S_N, S_NPO, S_T};
  for (size_t i = 0; i < COUNT(cells); i++) {
    xmppim_sub_result r = apply(IN, SUBSCRIBE, cells[i], 1);
    assert_false(r.route_or_deliver);
    assert_int_equal(r.level, MUST_NOT);
    assert_false(r.effects & FX_KEEP);
    assert_false(xmppim_sub_pending_in(r.new_state));
  }
}

/* R3.4.2-h: it is answered with subscribed, which grants the subscription:
 * the item is pushed, the user's presence sent, the pre-approval used up
 * (whether the flag stays is policy, R3.4.2-i). */
static void R3_4_2_h_preapproved_request_answered(void **state) {
  (void)state;
  static const struct { xmppim_sub_state from, to; } cells[] = {
    {S_N, S_F}, {S_NPO, S_FPO}, {S_T, S_B}};
  for (size_t i = 0; i < COUNT(cells); i++) {
    expect(IN, SUBSCRIBE, cells[i].from, 1, 0, MUST_NOT, cells[i].to, XMPPIM_SUB_REPLY_SUBSCRIBED,
           MUST, XMPPIM_SUB_APPROVED_CONSUMED, FX_PUSH | FX_PRESENCE);
    assert_true(xmppim_sub_is_from(cells[i].to));
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(tsv_project_copy_is_complete),
    cmocka_unit_test(RA_2_a_outbound_rows),
    cmocka_unit_test(RA_3_a_inbound_rows),
    cmocka_unit_test(tsv_shared_copy_rows),
    cmocka_unit_test(RA_2_a_RA_3_a_rows_through_the_server),
    cmocka_unit_test(tsv_shared_copy_rows_through_the_server),
    cmocka_unit_test(tsv_copies_agree),
    cmocka_unit_test(sub_apply_is_pure_and_total),
    cmocka_unit_test(sub_effects_follow_the_state_change),
    cmocka_unit_test(sub_names),
    cmocka_unit_test(RA_1_a_four_primary_states),
    cmocka_unit_test(RA_1_b_none_covers_no_item),
    cmocka_unit_test(RA_1_c_nine_states_and_their_roster_encoding),
    cmocka_unit_test(RA_1_d_pending_in_beside_an_item),
    cmocka_unit_test(RA_1_e_pending_in_creates_no_item),
    cmocka_unit_test(RA_2_1_a_subscribe_always_routed),
    cmocka_unit_test(RA_2_1_b_subscribe_transitions),
    cmocka_unit_test(RA_2_2_a_unsubscribe_always_routed),
    cmocka_unit_test(RA_2_2_b_unsubscribe_transitions),
    cmocka_unit_test(RA_2_3_a_subscribed_routed_as_approval),
    cmocka_unit_test(RA_2_3_b_subscribed_not_routed_otherwise),
    cmocka_unit_test(RA_2_4_a_unsubscribed_routed),
    cmocka_unit_test(RA_2_4_b_unsubscribed_not_routed_otherwise),
    cmocka_unit_test(RA_3_1_a_subscribe_delivered),
    cmocka_unit_test(RA_3_1_b_subscribe_not_delivered_otherwise),
    cmocka_unit_test(RA_3_1_c_preapproved_subscribe),
    cmocka_unit_test(RA_3_1_d_already_subscribed_auto_reply),
    cmocka_unit_test(RA_3_2_a_unsubscribe_changes_state),
    cmocka_unit_test(RA_3_2_b_unsubscribe_auto_reply),
    cmocka_unit_test(RA_3_2_c_unsubscribe_no_change),
    cmocka_unit_test(RA_3_2_d_unsubscribe_not_delivered),
    cmocka_unit_test(RA_3_3_a_subscribed_changes_state),
    cmocka_unit_test(RA_3_3_b_subscribed_no_change),
    cmocka_unit_test(RA_3_3_c_subscribed_not_delivered),
    cmocka_unit_test(RA_3_4_a_unsubscribed_changes_state),
    cmocka_unit_test(RA_3_4_b_unsubscribed_no_change),
    cmocka_unit_test(RA_3_4_c_unsubscribed_not_delivered),
    cmocka_unit_test(R3_1_2_h_request_pushed_with_ask),
    cmocka_unit_test(R3_1_3_d_no_approval_on_the_users_behalf),
    cmocka_unit_test(R3_1_3_e_request_delivered_for_decision),
    cmocka_unit_test(R3_1_3_f_already_subscribed_answered),
    cmocka_unit_test(R3_1_3_g_preapproved_answered),
    cmocka_unit_test(R3_1_3_h_request_to_available_resources),
    cmocka_unit_test(R3_1_3_k_request_kept),
    cmocka_unit_test(R3_1_3_l_request_kept_until_answered),
    cmocka_unit_test(R3_1_3_m_one_request_per_contact),
    cmocka_unit_test(R3_1_3_o_no_item_before_approval),
    cmocka_unit_test(R3_1_5_a_approval_routed),
    cmocka_unit_test(R3_1_5_b_approval_pushed),
    cmocka_unit_test(R3_1_5_c_presence_after_approval),
    cmocka_unit_test(R3_1_6_a_subscribed_needs_request),
    cmocka_unit_test(R3_1_6_b_subscribed_delivered_then_pushed),
    cmocka_unit_test(R3_1_6_c_pushed_to_or_both),
    cmocka_unit_test(R3_1_6_d_contact_presence_passed_on),
    cmocka_unit_test(R3_1_6_f_subscribed_ignored_otherwise),
    cmocka_unit_test(R3_2_2_a_unsubscribed_not_routed),
    cmocka_unit_test(R3_2_2_b_no_unavailable),
    cmocka_unit_test(R3_2_2_c_preapproval_removed),
    cmocka_unit_test(R3_2_2_d_preapproval_cancel_not_routed),
    cmocka_unit_test(R3_2_2_e_other_states_routed_and_pushed),
    cmocka_unit_test(R3_2_2_f_unavailable_before_cancel),
    cmocka_unit_test(R3_2_2_g_unsubscribed_routed),
    cmocka_unit_test(R3_2_2_h_pushed_none_or_to),
    cmocka_unit_test(R3_2_3_a_unsubscribed_checked),
    cmocka_unit_test(R3_2_3_b_delivered_then_pushed),
    cmocka_unit_test(R3_2_3_c_pushed_none_or_from),
    cmocka_unit_test(R3_2_3_d_contact_unavailable_passed_on),
    cmocka_unit_test(R3_2_3_f_unsubscribed_ignored_otherwise),
    cmocka_unit_test(R3_3_2_d_unsubscribe_pushed),
    cmocka_unit_test(R3_3_3_a_unsubscribe_checked),
    cmocka_unit_test(R3_3_3_b_delivered_then_pushed),
    cmocka_unit_test(R3_3_3_c_pushed_none_or_to),
    cmocka_unit_test(R3_3_3_d_unavailable_to_contact),
    cmocka_unit_test(R3_3_3_f_unsubscribe_ignored_otherwise),
    cmocka_unit_test(R3_3_3_g_withdrawn_request_deleted),
    cmocka_unit_test(R3_3_3_h_contact_presence_void_at_once),
    cmocka_unit_test(R3_4_2_a_subscribed_ignored_when_subscribed),
    cmocka_unit_test(R3_4_2_b_normal_approval),
    cmocka_unit_test(R3_4_2_c_preapproval_recorded),
    cmocka_unit_test(R3_4_2_d_preapproval_not_routed),
    cmocka_unit_test(R3_4_2_e_preapproval_creates_item),
    cmocka_unit_test(R3_4_2_f_preapproval_of_stranger_not_routed),
    cmocka_unit_test(R3_4_2_g_preapproved_request_not_delivered),
    cmocka_unit_test(R3_4_2_h_preapproved_request_answered),
  };
  return cmocka_run_group_tests_name("rfc6121-subscription", tests, NULL, teardown_tables);
}
