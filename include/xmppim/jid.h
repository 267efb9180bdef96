#ifndef XMPPIM_JID_H
#define XMPPIM_JID_H
#endif
