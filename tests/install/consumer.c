/* A program as a user of the installed library writes it: one header, the
 * flags from pkg-config, nothing from the source tree. */
#include <stdio.h>
#include <string.h>
#include <xmppim.h>

int main(void) {
  int num = -1;
  const char *version = xmppim_version(&num);
  const char *nomem = xmppim_strerror(XMPPIM_ERR_NOMEM);
  const char *unknown = xmppim_strerror(-1);

  if (version == NULL || strcmp(version, XMPPIM_VERSION) != 0 || num != XMPPIM_VERSION_NUM) {
    fprintf(stderr, "header says %s (0x%06x), library says %s (0x%06x)\n", XMPPIM_VERSION,
            (unsigned)XMPPIM_VERSION_NUM, version ? version : "(null)", (unsigned)num);
    return 1;
  }
  if (nomem == NULL || unknown == NULL || nomem[0] == '\0' || strcmp(nomem, unknown) == 0) {
    fprintf(stderr, "xmppim_strerror gave no specific text for XMPPIM_ERR_NOMEM\n");
    return 1;
  }
  printf("version %s 0x%06x\n", version, (unsigned)num);
  printf("strerror %s\n", nomem);
  return 0;
}
