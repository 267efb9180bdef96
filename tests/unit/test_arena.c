/* util layer: arena, growable buffer, error codes, version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <xmppim/version.h>

#include "util/arena.h"
#include "util/buf.h"
#include "util/mem.h"

static void arena_aligns_and_grows(void **state) {
  (void)state;
  xmppim_arena a;
  xmppim_arena_init(&a, NULL, 64);
  char *s = xmppim_arena_alloc_bytes(&a, 3);
  assert_non_null(s);
  void *p = xmppim_arena_alloc(&a, 16);
  assert_int_equal((uintptr_t)p % sizeof(void *), 0);
  /* Bigger than any chunk so far: gets a chunk of its own. */
  char *big = xmppim_arena_alloc(&a, 10000);
  assert_non_null(big);
  memset(big, 'x', 10000);
  assert_true(xmppim_arena_footprint(&a) >= 10000 + 64);
  xmppim_arena_free(&a);
  assert_int_equal(xmppim_arena_footprint(&a), 0);
}

static void arena_extend_in_place_and_moved(void **state) {
  (void)state;
  xmppim_arena a;
  xmppim_arena_init(&a, NULL, 32);
  char *s = xmppim_arena_strndup(&a, "abc", 3);
  char *grown = xmppim_arena_extend(&a, s, 4, 4);
  assert_ptr_equal(grown, s); /* newest allocation, room left */
  memcpy(grown + 3, "defg", 5);
  assert_string_equal(grown, "abcdefg");
  /* Not the newest allocation any more: must move, keeping the content. */
  (void)xmppim_arena_alloc_bytes(&a, 1);
  char *moved = xmppim_arena_extend(&a, grown, 8, 100);
  assert_ptr_not_equal(moved, grown);
  assert_memory_equal(moved, "abcdefg", 8);
  xmppim_arena_reset(&a);
  assert_non_null(xmppim_arena_alloc(&a, 8));
  xmppim_arena_free(&a);
}

static void buf_limit_gives_backpressure_without_loss(void **state) {
  (void)state;
  xmppim_buf b;
  xmppim_buf_init(&b, NULL, 10);
  assert_int_equal(xmppim_buf_append(&b, "12345678", 8), 0);
  assert_int_equal(xmppim_buf_append(&b, "abc", 3), XMPPIM_ERR_BACKPRESSURE);
  assert_int_equal(b.len, 8); /* nothing half-written */
  xmppim_buf_consume(&b, 5);
  assert_memory_equal(b.data, "678", 3);
  assert_int_equal(xmppim_buf_append(&b, "abc", 3), 0);
  assert_memory_equal(b.data, "678abc", 6);
  xmppim_buf_consume(&b, 100);
  assert_int_equal(b.len, 0);
  xmppim_buf_shrink(&b);
  assert_null(b.data);
  xmppim_buf_free(&b);
}

static void error_codes_have_text_and_fatality(void **state) {
  (void)state;
  assert_string_equal(xmppim_strerror(XMPPIM_ERR_NOMEM), "out of memory");
  assert_string_equal(xmppim_strerror(12345), "unknown error");
  assert_true(xmppim_err_is_fatal(XMPPIM_ERR_NOMEM));
  assert_true(xmppim_err_is_fatal(XMPPIM_ERR_STREAM));
  assert_false(xmppim_err_is_fatal(XMPPIM_ERR_BACKPRESSURE));
  assert_false(xmppim_err_is_fatal(XMPPIM_ERR_PAUSE));
  assert_false(xmppim_err_is_fatal(0));
}

/* C4.9.3-a: the 25 defined conditions; C4.9.2-b: unknown ones read as undefined-condition. */
static void stream_conditions_round_trip(void **state) {
  (void)state;
  int count = 0;
  for (int c = XMPPIM_STREAM_BAD_FORMAT; c <= XMPPIM_STREAM_UNSUPPORTED_VERSION; c++) {
    const char *name = xmppim_stream_condition_name((xmppim_stream_condition)c);
    assert_non_null(name);
    assert_int_equal(xmppim_stream_condition_from_name(name), c);
    count++;
  }
  assert_int_equal(count, 25);
  assert_null(xmppim_stream_condition_name(XMPPIM_STREAM_OK));
  assert_int_equal(xmppim_stream_condition_from_name("made-up"),
                   XMPPIM_STREAM_UNDEFINED_CONDITION);
  assert_int_equal(xmppim_stream_condition_from_name(NULL), XMPPIM_STREAM_UNDEFINED_CONDITION);
}

static void version_matches_header(void **state) {
  (void)state;
  int num = 0;
  assert_string_equal(xmppim_version(&num), XMPPIM_VERSION);
  assert_int_equal(num, XMPPIM_VERSION_NUM);
  assert_string_equal(xmppim_version(NULL), XMPPIM_VERSION);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(arena_aligns_and_grows),
    cmocka_unit_test(arena_extend_in_place_and_moved),
    cmocka_unit_test(buf_limit_gives_backpressure_without_loss),
    cmocka_unit_test(error_codes_have_text_and_fatality),
    cmocka_unit_test(stream_conditions_round_trip),
    cmocka_unit_test(version_matches_header),
  };
  return cmocka_run_group_tests_name("util", tests, NULL, NULL);
}
