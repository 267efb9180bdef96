#include <xmppim/version.h>

const char *xmppim_version(int *version_num) {
  if (version_num) *version_num = XMPPIM_VERSION_NUM;
  return XMPPIM_VERSION;
}
